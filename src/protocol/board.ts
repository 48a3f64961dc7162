// The scoreboard `docs/ai/sessions/active.md`: a markdown table, one row per live session.
// Parse and render live side by side here. A change rewrites only the cells it changes;
// every other byte of the file (text, other rows, broken rows) stays as it was.
import { CoordError } from '../errors.js';
import { isSessionId, SESSION_ID_PATTERN } from './ids.js';
import { sessionBranch } from './layout.js';
import { STAMP_RE } from './stamp.js';

export const CELLS = ['identity', 'riff', 'lane', 'claimed', 'presence', 'scope'] as const;
export const NO_RIFF = '(Riff TBD)';
export const DEFAULT_SCOPE = 'scope TBD — update this row when you pick a Riff';
export const PAUSED_PREFIX = 'paused — resuming ';

export interface SessionRow {
  id: string;
  name: string;
  riffs: string[];
  lane: string;
  claimed: string;
  presence: string; // stamp, or '' when the cell holds none
  presenceNote: string;
  scope: string;
}

export interface BoardProblem {
  line: number;
  message: string;
}

export interface Board {
  lines: string[]; // without line ends
  eol: string;
  finalNewline: boolean;
  rows: { row: SessionRow; index: number }[];
  /** Ids and names on row-like lines that could not be read: still taken, never reused. */
  brokenIds: string[];
  brokenNames: string[];
  problems: BoardProblem[];
}

export const BOARD_HEADER = [
  '# Active sessions',
  '',
  'One row per live session; coord keeps it (`coord status` reads it, `coord start` adds to it).',
  'Hand edits are fine: keep one row per line and six cells per row.',
  '',
  '| Session | Riff | Lane | Claimed | Presence | Scope |',
  '|---|---|---|---|---|---|',
];

/** Splits a table line into its raw cells (between unescaped pipes), or null if not a table line. */
export function splitCells(line: string): string[] | null {
  const t = line.trim();
  if (!t.startsWith('|')) return null;
  const cells: string[] = [];
  let cur = '';
  for (let i = 1; i < t.length; i++) {
    const c = t[i];
    if (c === '\\' && t[i + 1] === '|') {
      cur += '\\|';
      i++;
      continue;
    }
    if (c === '|') {
      cells.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== '') cells.push(cur); // a row without its closing pipe
  return cells;
}

/** A raw cell's text: trimmed, escaped pipes restored. */
export const unescapeCell = (raw: string) => raw.trim().replace(/\\\|/g, '|');
/**
 * Text typed by a person for a cell (scope, ETA): one line, no control characters, at most
 * `max` characters. Throws a usage error naming `what` otherwise.
 */
export function cellText(s: string, what: string, max = 200): string {
  const t = s.replace(/\s+/g, ' ').trim();
  if (!t) throw new CoordError(`The ${what} is empty: give some text.`, 2);
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s)) throw new CoordError(`The ${what} holds a control character: use plain text.`, 2);
  if (t.length > max) throw new CoordError(`The ${what} is ${t.length} characters long; keep it under ${max}.`, 2);
  return t;
}

/** Cell text as it goes between pipes: pipes escaped, line breaks folded to spaces. */
export const escapeCell = (v: string) =>
  v
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();

const ROW_ID_RE = new RegExp(`^\\s*(${SESSION_ID_PATTERN})(?:\\s|·|$)`);

function rowId(cells: string[]): string | null {
  const m = ROW_ID_RE.exec(cells[0] ?? '');
  return m && isSessionId(m[1]) ? m[1] : null;
}

// dotAll: a carriage return a hand edit left in a name must not cost the row its id.
const IDENTITY_RE = new RegExp(`^(${SESSION_ID_PATTERN})\\s*(?:·\\s*(.*))?$`, 's');

function readRow(cells: string[]): SessionRow {
  const [identity, riff, lane, claimed, presence, scope] = cells.map(unescapeCell);
  const idm = IDENTITY_RE.exec(identity);
  const pm = /^(\S*)\s*(?:·\s*(.*))?$/s.exec(presence);
  const presenceStamp = pm && STAMP_RE.test(pm[1]) ? pm[1] : '';
  return {
    id: idm ? idm[1] : '',
    name: idm?.[2]?.trim() ?? '',
    riffs:
      riff === NO_RIFF || riff === ''
        ? []
        : riff
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean),
    lane,
    claimed,
    presence: presenceStamp,
    presenceNote: presenceStamp ? (pm?.[2] ?? '').trim() : presence,
    scope,
  };
}

/** The text of each cell of a row, in board order. */
function cellValues(r: SessionRow): string[] {
  return [
    `${r.id} · ${r.name}`,
    r.riffs.length ? r.riffs.join(', ') : NO_RIFF,
    r.lane,
    r.claimed,
    `${r.presence} ·${r.presenceNote ? ' ' + r.presenceNote : ''}`,
    r.scope,
  ].map(escapeCell);
}

/** A whole row line for a new session. */
export function renderRow(r: SessionRow): string {
  return `| ${cellValues(r).join(' | ')} |`;
}

/** The lane cell for a session publishing straight to `branch`. */
export function laneFor(id: string, branch: string): string {
  return `worktree \`${sessionBranch(id)}\` → direct-to-${branch}, \`[${id}]\``;
}

export function parseBoard(text: string): Board {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const finalNewline = text.length === 0 || text.endsWith('\n');
  const lines = text.split(/\r?\n/);
  if (finalNewline) lines.pop();
  const board: Board = { lines, eol, finalNewline, rows: [], brokenIds: [], brokenNames: [], problems: [] };
  const seen = new Map<string, number>();
  let lastRow = -1;
  let gap = -1; // first non-table line after a row
  lines.forEach((line, index) => {
    const cells = splitCells(line);
    if (!cells) {
      if (lastRow >= 0 && gap < 0 && line.trim() !== '') gap = index;
      return;
    }
    const id = rowId(cells);
    if (!id) return; // header, separator or another table's row
    if (gap >= 0) {
      board.problems.push({ line: gap + 1, message: 'text between board rows splits the table; rows after it still count' });
      gap = -1;
    }
    lastRow = index;
    if (cells.length !== CELLS.length) {
      board.problems.push({
        line: index + 1,
        message: `row of ${id} has ${cells.length} cells, expected ${CELLS.length} (a stray or missing |?); left as it is`,
      });
      board.brokenIds.push(id);
      const name = /·\s*([^|]*?)\s*$/.exec(unescapeCell(cells[0]))?.[1];
      if (name) board.brokenNames.push(name);
      return;
    }
    if (seen.has(id)) {
      board.problems.push({
        line: index + 1,
        message: `${id} has a second row (first on line ${seen.get(id)! + 1}); the first one counts`,
      });
      board.brokenIds.push(id);
      return;
    }
    seen.set(id, index);
    board.rows.push({ row: readRow(cells), index });
  });
  return board;
}

export function renderBoard(b: Board): string {
  return b.lines.join(b.eol) + (b.finalNewline && b.lines.length ? b.eol : '');
}

/** Each board's rows by id, built on the first lookup: a lookup inside a loop over the rows stays linear. */
const rowIndexes = new WeakMap<Board['rows'], Map<string, Board['rows'][number]>>();

function entryOf(b: Board, id: string): Board['rows'][number] | undefined {
  let index = rowIndexes.get(b.rows);
  if (!index) rowIndexes.set(b.rows, (index = new Map(b.rows.map((r) => [r.row.id, r]))));
  return index.get(id);
}

export function findRow(b: Board, id: string): SessionRow | undefined {
  return entryOf(b, id)?.row;
}

/** The row other than `except` that holds Riff `riff`: one owner per Riff. */
export function riffHolder(b: Board, riff: string, except?: string): SessionRow | undefined {
  return b.rows.find(({ row }) => row.id !== except && row.riffs.includes(riff))?.row;
}

/** Every id the board holds, readable or not. */
export function takenIds(b: Board): Set<string> {
  return new Set([...b.rows.map((r) => r.row.id), ...b.brokenIds]);
}

/**
 * The board with `row` in place of the row of the same id (only changed cells are
 * rewritten), or added after the last row when the id has none.
 */
export const withRow = (b: Board, row: SessionRow): string => editRows(b, new Map([[row.id, row]]));

/** The board without the row of `id` (unchanged text when there is none). */
export const withoutRow = (b: Board, id: string): string => (entryOf(b, id) ? editRows(b, new Map([[id, null]])) : renderBoard(b));

/**
 * Many rows changed in one pass over the lines (a board of 10k rows edited row by row, one
 * parse each, took minutes): `set` holds each id's new row (only changed cells rewritten), null
 * to remove it; rows of ids the board lacks are added after the last row, in order. `under`
 * holds lines to put right below an id's row. The text is what one withRow or withoutRow per
 * id gives, the changes and removals made before the additions.
 */
export function editRows(b: Board, set: Map<string, SessionRow | null>, under = new Map<string, string[]>()): string {
  const edits = new Map<number, string[]>();
  const added: string[] = [];
  for (const id of new Set([...set.keys(), ...under.keys()])) {
    const at = entryOf(b, id);
    const row = set.get(id);
    const below = under.get(id) ?? [];
    if (!at) {
      if (row) added.push(renderRow(row), ...below);
      continue;
    }
    const line = b.lines[at.index];
    edits.set(at.index, [...(row === null ? [] : [row === undefined ? line : updateLine(line, at.row, row)]), ...below]);
  }
  const lines = edits.size ? b.lines.flatMap((line, i) => edits.get(i) ?? [line]) : b.lines.slice();
  if (!added.length) return renderBoard({ ...b, lines });
  const at = insertionPoint(lines); // no spread into splice: 100k+ arguments overflow the stack
  return renderBoard({ ...b, lines: [...lines.slice(0, at), ...added, ...lines.slice(at)], finalNewline: true });
}

function updateLine(line: string, before: SessionRow, after: SessionRow): string {
  const cells = splitCells(line)!;
  const old = cellValues(before);
  const now = cellValues(after);
  const lead = line.slice(0, line.indexOf('|'));
  const tail = line.trimEnd().endsWith('|') ? '|' : '';
  const out = cells.map((raw, i) => (old[i] === now[i] ? raw : ` ${now[i]} `));
  return `${lead}|${out.join('|')}${tail}`;
}

function insertionPoint(lines: string[]): number {
  let after = -1; // the last row-like line, readable or not
  lines.forEach((l, i) => {
    const c = splitCells(l);
    if (c && rowId(c)) after = i;
  });
  if (after >= 0) return after + 1;
  const sep = lines.findIndex((l) => /^\s*\|\s*:?-{3,}/.test(l));
  if (sep >= 0) return sep + 1;
  // No table at all: add the header's table lines at the end.
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length) lines.push('');
  lines.push(...BOARD_HEADER.slice(-2));
  return lines.length;
}

/** The whole text of a new board. */
export function emptyBoardText(): string {
  return BOARD_HEADER.join('\n') + '\n';
}

export function isPaused(r: SessionRow): boolean {
  return r.scope.startsWith('paused'); // PAUSED_PREFIX as coord writes it, or any hand-written 'paused …'
}

/**
 * True when `worktreeText` differs from `headText` only by the presence stamp of `id`'s
 * row: the heartbeat's own uncommitted edit, which is coord's and never the person's work.
 */
export function onlyPresenceDiffers(headText: string, worktreeText: string, id: string): boolean {
  if (headText === worktreeText) return true;
  const wt = parseBoard(worktreeText);
  const head = findRow(parseBoard(headText), id);
  const mine = findRow(wt, id);
  if (!head || !mine) return false;
  return withRow(wt, { ...mine, presence: head.presence }) === headText;
}
