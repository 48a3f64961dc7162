// Stamps on the board and in messages: UTC, minute precision, `YYYY-MM-DDTHH:MMZ`.

/** A stamp as coord writes it. */
export const STAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/;
/** A stamp as coord reads it from hand edits: seconds are tolerated. */
export const READ_STAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?Z$/;

// Calendar arithmetic by hand (days <-> civil date, proleptic Gregorian): a first `Date`
// costs the post-commit hook about 3 ms of start-up, more than the rest of its work.
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The stamp of a moment (default: now). */
export function stamp(ms: number = Date.now()): string {
  const minutes = Math.floor(ms / 60e3);
  const days = Math.floor(minutes / 1440);
  const [y, m, d] = civilFromDays(days);
  const min = minutes - days * 1440;
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}T${pad(Math.floor(min / 60))}:${pad(min % 60)}Z`;
}

/** Milliseconds since the epoch of a stamp, or null when it is not one. */
export function parseStamp(s: string): number | null {
  if (!STAMP_RE.test(s)) return null;
  const [y, m, d, h, min] = [s.slice(0, 4), s.slice(5, 7), s.slice(8, 10), s.slice(11, 13), s.slice(14, 16)].map(Number);
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) || h > 23 || min > 59) return null;
  return ((daysFromCivil(y, m, d) * 24 + h) * 60 + min) * 60e3;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Days since 1970-01-01 of a civil date (eras of 400 years). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date [year, month, day] of a count of days since 1970-01-01. */
function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** A duration like `30m`, `24h`, `7d`, `90s` in milliseconds, or null. */
export function parseDuration(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?$/.exec(s.trim());
  if (!m) return null;
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[(m[2] ?? 'm') as 's'];
  return Number(m[1]) * unit;
}

/** A short human age: `4m`, `3h`, `2d`. */
export function age(ms: number): string {
  if (ms < 0) ms = 0;
  const min = Math.floor(ms / 60e3);
  if (min < 60) return `${min}m`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}
