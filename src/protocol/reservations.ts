// Reservations: paths a session asks the others not to change for a while, in
// `docs/ai/sessions/reservations.md` (a table like the board). Everything about them lives
// here side by side: the path patterns and when two of them meet, the file's parse and
// render, when a reservation counts, the pre-commit guard's verdict, the cache the guard
// reads (written by every verb that fetched) and the guard's sh fast path, built from the
// same constants so the two agree (test/unit/reserve-guard.test.mjs).
import { CoordError, UsageError } from '../errors.js';
import { escapeCell, findRow, isPaused, splitCells, unescapeCell, type Board } from './board.js';
import { quoted, visible } from './display.js';
import { isSessionId, SESSION_ID_RE } from './ids.js';
import { BOARD_PATH, SESSIONS_DIR } from './layout.js';
import { CLAIM_RECORD } from './seat.js';
import { SH_COMMON_DIR, SH_GIT_DIR, SH_SESSION_ID, shSessionOfHead } from './sh.js';
import { parseDuration, parseStamp } from './stamp.js';

/** The reservations table on the blackboard branch. */
export const RESERVATIONS_PATH = `${SESSIONS_DIR}/reservations.md`;
/** The guard's copy of what counts, in the clone's common git dir (shared by its worktrees). */
export const GUARD_CACHE = 'coord/reservations';
/** Set (to anything) for one commit to pass the guard: `COORD_RESERVED_OK=1 git commit …`. */
export const OVERRIDE_ENV = 'COORD_RESERVED_OK';

// ---- path patterns ---------------------------------------------------------------------

/**
 * A pattern as typed (`src/api.ts`, `src/api/`, `src/**\/*.ts`) made canonical: relative to
 * the repository root (`prefix` is where the command ran), `./` and `.` segments and doubled
 * slashes dropped. A folder keeps its trailing `/`. `*` matches within one folder, `**` any
 * number of folders, `?` one character; nothing else is special.
 */
export function reservationPattern(input: string, prefix = ''): string {
  const shown = JSON.stringify(input.length > 60 ? input.slice(0, 60) + '…' : input);
  if (!input.trim()) throw new UsageError('An empty path cannot be reserved: name a file, a folder ending in /, or a glob.');
  if (/[\u0000-\u001f\u007f`|\\]/.test(input))
    throw new UsageError(`The path ${shown} holds a control character, a backtick, a | or a \\: reserve a path without them.`);
  if (input.startsWith('/'))
    throw new UsageError(`The path ${shown} is absolute: give it relative to where you are, or to the repository root.`);
  const dir = input.endsWith('/') || input === '.' || input.endsWith('/.');
  const parts: string[] = [];
  for (const seg of `${prefix}/${input}`.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!parts.length) throw new UsageError(`The path ${shown} leads out of the repository.`);
      parts.pop();
      continue;
    }
    parts.push(seg);
  }
  // `**`, `**/*`, `*/` and the like cover every file as surely as `./` does.
  if (!parts.length || coversEverything(parts, dir))
    throw new UsageError(`The path ${shown} is the whole repository: reserve the files or folders you will change.`);
  if (parts.join('/').length > 200) throw new UsageError(`The path ${shown} is longer than 200 characters.`);
  return parts.join('/') + (dir ? '/' : '');
}

/** Folder-level pieces of a pattern; a folder `a/` is everything below it (`a/**`). */
const piecesOf = (pattern: string): string[] => (pattern.endsWith('/') ? pattern + '**' : pattern).split('/');

/**
 * True when a pattern's pieces match every path there is: only stars, at least one `**` (any
 * number of folders), and at most one other piece (a `*` needs one name, and every path has one).
 */
function coversEverything(parts: string[], dir: boolean): boolean {
  const pieces = dir ? [...parts, '**'] : parts;
  return pieces.every((p) => /^\*+$/.test(p)) && pieces.includes('**') && pieces.filter((p) => p !== '**').length <= 1;
}

/** The longest a reservation may be asked for: a year outlasts any session, and far longer ones end past what a stamp can say. */
export const MAX_RESERVATION = '365d';

/** The length of `--for` in ms: a duration of at least a second and at most MAX_RESERVATION, else a usage error. */
export function reservationLength(text: string): number {
  const ms = parseDuration(text);
  if (ms === null || !Number.isFinite(ms) || ms < 1e3)
    throw new UsageError(`--for ${JSON.stringify(text)} is not a duration: use forms like 30m, 2h, 1d (or 90s).`);
  if (ms > parseDuration(MAX_RESERVATION)!)
    throw new UsageError(
      `--for ${JSON.stringify(text)} is longer than coord accepts (${MAX_RESERVATION}): reserve for ${MAX_RESERVATION} or less, ` +
        `and reserve again when it ends.`,
    );
  return ms;
}

/**
 * True when some string matches both `a` and `b`, where each is a sequence whose elements
 * are literal, `one` (matches one element) or `many` (matches any run, even none). Used at
 * two levels: characters within a folder name (`?`, `*`), and folder names (`**`).
 */
function meet<T>(a: T[], b: T[], many: (x: T) => boolean, one: (x: T) => boolean, same: (x: T, y: T) => boolean): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let r: boolean;
    if (i < a.length && many(a[i])) r = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (j < b.length && many(b[j])) r = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else if (i === a.length || j === b.length) r = i === a.length && j === b.length;
    else r = (one(a[i]) || one(b[j]) || same(a[i], b[j])) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

const nameMeet = (a: string, b: string) =>
  meet(
    [...a],
    [...b],
    (c) => c === '*',
    (c) => c === '?',
    (x, y) => x === y,
  );

/** True when a path could match both patterns: two sessions reserving them would collide. */
export function patternsMeet(a: string, b: string): boolean {
  return meet(
    piecesOf(a),
    piecesOf(b),
    (p) => p === '**',
    () => false,
    nameMeet,
  );
}

/** True when the file `path` (as git names it) falls under `pattern`. */
export function patternCovers(pattern: string, path: string): boolean {
  const literal = path.split('/');
  const pieces = piecesOf(pattern);
  // The path's characters are literal: match them one way only.
  const lit = (name: string) => [...name].map((c) => ({ c }));
  type Ch = string | { c: string };
  const nameCovers = (p: string, n: string) =>
    meet<Ch>(
      [...p],
      lit(n),
      (x) => x === '*',
      (x) => x === '?',
      (x, y) => (typeof y === 'string' ? x === y : y.c === x),
    );
  return meet<string | { name: string }>(
    pieces,
    literal.map((name) => ({ name })),
    (p) => p === '**',
    () => false,
    (p, n) => typeof p === 'string' && typeof n !== 'string' && nameCovers(p, n.name),
  );
}

/**
 * The first of `held` (in its order) whose pattern covers a path, for many paths: files and
 * folders are looked up by the path and its folders, only globs are matched one by one (a
 * commit of 100 files against 10k reservations matched a million pairs: 1.9 s).
 */
export function firstCovering<R extends { path: string }>(held: R[]): (path: string) => R | undefined {
  const literal = new Map<string, number>();
  const globs: number[] = [];
  held.forEach((r, i) => {
    if (/[*?]/.test(r.path)) globs.push(i);
    else if (!literal.has(r.path)) literal.set(r.path, i);
  });
  return (path) => {
    let best = literal.get(path) ?? Infinity;
    // A folder `a/b/` covers what is below it, and `a/b` itself.
    for (let at = path.indexOf('/'); ; at = path.indexOf('/', at + 1)) {
      best = Math.min(best, literal.get(at < 0 ? path + '/' : path.slice(0, at + 1)) ?? Infinity);
      if (at < 0) break;
    }
    const at = globs.find((i) => i < best && patternCovers(held[i].path, path)) ?? best;
    return at === Infinity ? undefined : held[at];
  };
}

// ---- the file --------------------------------------------------------------------------

export interface Reservation {
  path: string;
  session: string;
  until: string;
  note: string;
}

export interface Reservations {
  lines: string[];
  eol: string;
  rows: { res: Reservation; index: number }[];
  problems: { line: number; message: string }[];
}

export const RESERVATIONS_HEADER = [
  '# Reservations',
  '',
  'Paths a session asks the others not to change for now; coord keeps this table (`coord reserve`,',
  '`coord release`, `coord reservations`). A reservation ends at its time, at release or close, and',
  'stops counting once its session is stale or off the board. A path ending in / is a folder; * and ? are globs.',
  '',
  '| Path | Session | Until | Note |',
  '|---|---|---|---|',
];

/** `until` cells: a stamp, to the second when a reservation is short. */
const UNTIL_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::(\d{2}))?Z$/;

/** Unix ms of an Until cell, or null when it is not a stamp. */
export function untilMs(until: string): number | null {
  const m = UNTIL_RE.exec(until);
  const minute = m ? parseStamp(`${m[1]}Z`) : null;
  if (minute === null || Number(m![2] ?? 0) > 59) return null;
  return minute + Number(m![2] ?? 0) * 1e3;
}

/** The Until cell for a moment: seconds only when they are not zero. */
export function untilStamp(ms: number, minuteStamp: (ms: number) => string): string {
  const s = Math.floor(ms / 1e3) % 60;
  const base = minuteStamp(ms);
  return s ? `${base.slice(0, -1)}:${String(s).padStart(2, '0')}Z` : base;
}

const CELLS = 4;

export function parseReservations(text: string): Reservations {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const out: Reservations = { lines, eol, rows: [], problems: [] };
  lines.forEach((line, index) => {
    const cells = splitCells(line);
    if (!cells || cells.length < 2) return;
    const session = unescapeCell(cells[1]);
    if (!isSessionId(session)) return; // header, separator, or not a reservation
    if (cells.length !== CELLS) {
      out.problems.push({ line: index + 1, message: `reservation row has ${cells.length} cells, expected ${CELLS}; it does not count` });
      return;
    }
    const path = unescapeCell(cells[0]).replace(/^`(.*)`$/, '$1');
    const until = unescapeCell(cells[2]);
    let canonical: string | null = null;
    try {
      canonical = reservationPattern(path);
    } catch {
      /* reported below */
    }
    if (canonical !== path) {
      out.problems.push({ line: index + 1, message: `'${path}' is not a path coord would write; it does not count` });
      return;
    }
    if (untilMs(until) === null) {
      out.problems.push({ line: index + 1, message: `'${until}' is not a time (YYYY-MM-DDTHH:MMZ); it does not count` });
      return;
    }
    const note = unescapeCell(cells[3]);
    out.rows.push({ res: { path, session, until, note: note === NO_NOTE ? '' : note }, index });
  });
  return out;
}

/** What the Note cell holds when there is no note: a table's dash, never the note itself. */
const NO_NOTE = '—';
const renderRow = (r: Reservation) => `| \`${r.path}\` | ${r.session} | ${r.until} | ${escapeCell(r.note) || NO_NOTE} |`;

function render(t: Reservations, lines: string[]): string {
  return lines.length ? lines.join(t.eol) + t.eol : '';
}

/** The file with `add` as new rows (after the last row) and the rows `drop` picks gone; other lines stay as they were. */
export function withReservations(text: string | null, add: Reservation[], drop: (r: Reservation) => boolean): string {
  const t = parseReservations(text ?? RESERVATIONS_HEADER.join('\n') + '\n');
  const gone = new Set(t.rows.filter((r) => drop(r.res)).map((r) => r.index));
  let lines = t.lines.map((l, i) => (gone.has(i) ? null : l));
  let at = t.rows.length ? t.rows[t.rows.length - 1].index + 1 : lines.findIndex((l) => l !== null && /^\s*\|\s*:?-{3,}/.test(l)) + 1;
  if (at <= 0) {
    lines.push(...RESERVATIONS_HEADER.slice(-2));
    at = lines.length;
  }
  lines = [...lines.slice(0, at), ...add.map(renderRow), ...lines.slice(at)];
  return render(
    t,
    lines.filter((l): l is string => l !== null),
  );
}

/**
 * Until when (Unix ms) a reservation counts: its own end, cut at the moment its session turns
 * stale (the newest of its presence and claim, plus `staleMs`), never for a session that is
 * off the board. A paused session keeps its reservations until they end.
 */
export function countsUntil(res: Reservation, board: Board, staleMs: number): number | null {
  const row = findRow(board, res.session);
  const end = untilMs(res.until);
  if (!row || end === null) return null;
  if (isPaused(row)) return end;
  const seen = [parseStamp(row.presence), parseStamp(row.claimed)].filter((t): t is number => t !== null);
  return seen.length ? Math.min(end, Math.max(...seen) + staleMs) : null;
}

/** Reservations that count at `now`, each with the moment it stops counting. */
export function inForce(t: Reservations, board: Board, staleMs: number, now: number): (Reservation & { ends: number })[] {
  return t.rows.flatMap(({ res }) => {
    const ends = countsUntil(res, board, staleMs);
    return ends !== null && ends > now ? [{ ...res, ends }] : [];
  });
}

/** The first reservation in force of a session other than `me` whose pattern meets `pattern`. */
export function clash<R extends Reservation>(held: R[], me: string, pattern: string): R | undefined {
  return held.find((r) => r.session !== me && patternsMeet(r.path, pattern));
}

/** Refuses a reservation that meets another session's (the publish re-applies this on every attempt: one wins). */
export function refuseClash(
  held: (Reservation & { ends: number })[],
  me: string,
  pattern: string,
  holderName: (id: string) => string,
): void {
  const other = clash(held, me, pattern);
  if (!other) return;
  const asked = visible(pattern);
  const what = other.path === pattern ? `${asked} is reserved by` : `${asked} overlaps ${visible(other.path)}, reserved by`;
  throw new CoordError(
    `${what} ${other.session}${holderName(other.session)} until ` +
      `${visible(other.until)}${other.note ? ` (${quoted(other.note)})` : ''}. Ask them: coord send ${other.session} --type ` +
      `question -m "May I change ${asked}?"`,
  );
}

// ---- the guard -------------------------------------------------------------------------

/** One line of the guard's cache: who holds what, and until when it counts (Unix seconds). */
export interface Held {
  session: string;
  ends: number;
  path: string;
  until: string;
  note: string;
}

/**
 * The cache: a header naming the commit it was read from, then one line per reservation in
 * force: `<session> <ends> <path>\t<until>\t<note>`. The sh fast path reads the first two
 * fields only.
 */
export function renderGuardCache(sha: string, held: Held[]): string {
  const lines = [
    `# coord: reservations in force on the blackboard as of ${sha}; the pre-commit guard reads this. Written by ` +
      `coord after a fetch: do not edit.`,
    `sha ${sha}`,
  ];
  for (const h of held) lines.push(`${h.session} ${h.ends} ${h.path}\t${h.until}\t${h.note.replace(/[\t\r\n]/g, ' ')}`);
  return lines.join('\n') + '\n';
}

const CACHE_LINE_RE = /^(\S+) (\S+) ([^\t]*)\t([^\t]*)\t(.*)$/;

/** The cache's commit and lines; a line it cannot read is `unsure` (the guard then asks coord's full rule). */
export function parseGuardCache(text: string): { sha: string | null; held: Held[]; unsure: string[] } {
  const out = { sha: null as string | null, held: [] as Held[], unsure: [] as string[] };
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('sha ')) {
      out.sha = line.slice(4);
      continue;
    }
    const m = CACHE_LINE_RE.exec(line);
    if (!m || !SESSION_ID_RE.test(m[1]) || !/^\d{1,12}$/.test(m[2])) {
      out.unsure.push(line);
      continue;
    }
    out.held.push({ session: m[1], ends: Number(m[2]), path: m[3], until: m[4], note: m[5] });
  }
  return out;
}

export type GuardVerdict = { ok: true } | { ok: false; hits: { file: string; held: Held }[] };

/** Whether `me`'s commit of `staged` passes: no staged file is under another session's reservation in force at `nowS`. */
export function guardVerdict(held: Held[], me: string | null, staged: string[], nowS: number): GuardVerdict {
  if (!me) return { ok: true };
  const covering = firstCovering(held.filter((h) => h.session !== me && h.ends > nowS));
  const hits = staged.flatMap((file) => {
    const h = covering(file);
    return h ? [{ file, held: h }] : [];
  });
  return hits.length ? { ok: false, hits } : { ok: true };
}

/**
 * The pre-commit hook's fast path as a POSIX sh script. Exit 0 when no reservation of
 * another session can be in force (no cache, not a session, or every foreign line ended);
 * exit 1 to let `coord check-reserved` decide, match the staged files and explain.
 */
export function reservedGuardScript(): string {
  return `#!/bin/sh
# coord's pre-commit fast path, written by 'coord init' from coord's reservation rule:
# do not edit (run 'coord init' again). Exit 0: no other session's reservation is in
# force. Exit 1: let 'coord check-reserved' match the staged files and decide.
[ -z "\${${OVERRIDE_ENV}:-}" ] || exit 0
${SH_GIT_DIR}
${SH_COMMON_DIR}
f=$c/${GUARD_CACHE}
[ -e "$f" ] || exit 0
${shSessionOfHead('me', '[ -z "\${COORD_SESSION:-}" ] && exit 0; exit 1')}
# The id's lines are this worktree's own only while its claim (seat.ts) is still the id's row on
# the worktree's board; anything else (taken back, no such line, no record the sh can read) is coord's to judge.
own=
seat() {
  [ -e "$d/${CLAIM_RECORD}" ] || { echo yes; return 0; }
  IFS='\t' read -r ri rc rn < "$d/${CLAIM_RECORD}" || return 1
  [ "$ri" = "$me" ] && [ -n "$rc" ] && [ -n "$rn" ] && [ -f ${BOARD_PATH} ] || return 1
  while IFS= read -r l; do
    case $l in "| $me · $rn | "*" | $rc | "*) echo yes; return 0 ;; esac
  done < ${BOARD_PATH}
  return 1
}
now=
while IFS=' ' read -r who ends rest || [ -n "$who" ]; do
  case $who in ''|'#'*|sha) continue ;; ${SH_SESSION_ID}) ;; *) exit 1 ;; esac
  case $ends in ''|*[!0123456789]*|?????????????*) exit 1 ;; esac
  if [ "$who" = "$me" ]; then
    [ -n "$own" ] || own=$(seat) || exit 1
    [ "$own" = yes ] && continue
    exit 1
  fi
  [ -n "$now" ] || now=$(date +%s) || exit 1
  case $now in ''|*[!0123456789]*) exit 1 ;; esac
  [ "$ends" -gt "$now" ] && exit 1
done < "$f"
exit 0
`;
}
