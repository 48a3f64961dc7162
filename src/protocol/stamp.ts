// Stamps on the board and in messages: UTC, minute precision, `YYYY-MM-DDTHH:MMZ`.

export const STAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/;

/** The stamp of a moment (default: now). */
export function stamp(ms: number = Date.now()): string {
  return new Date(ms).toISOString().slice(0, 16) + 'Z';
}

/** Milliseconds since the epoch of a stamp, or null when it is not one. */
export function parseStamp(s: string): number | null {
  if (!STAMP_RE.test(s)) return null;
  const ms = Date.parse(s.slice(0, 16) + ':00Z');
  return Number.isNaN(ms) ? null : ms;
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
