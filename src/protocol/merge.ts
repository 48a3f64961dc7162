// Three-way merges of the coordination files that understand them, for git's merge driver:
// the board by row (keyed by session id, cell by cell), an inbox by block (keyed by message
// id, status field by field). Whatever two sides did that coord's verbs or the tutorial's
// hand steps can do merges without a conflict; where both sides set one cell to different
// values, one is kept by a fixed rule and a note says which. Never conflict markers.
import { findRow, parseBoard, renderBoard, renderRow, withoutRow, withRow, type Board, type SessionRow } from './board.js';
import { blockText, insertBlockLines, LEVELS, parseQueueFile, setStatus, type ParsedMessage, type StatusLine } from './message.js';
import { parseStamp } from './stamp.js';

export interface Merged {
  text: string;
  notes: string[];
}

// ---- the board -------------------------------------------------------------------------

type Cell = 'name' | 'lane' | 'claimed' | 'scope';
const CELLS: Cell[] = ['name', 'lane', 'claimed', 'scope'];

/** The lines of a board that are not readable rows: its header, its prose, broken rows. */
const skeleton = (b: Board): string => b.lines.filter((_, i) => !b.rows.some((r) => r.index === i)).join('\n');

/** Merges three versions of the board (`o` the common ancestor; `a` ours, the one git keeps on a tie). */
export function mergeBoard(o: string, a: string, b: string): Merged {
  const [O, A, B] = [o, a, b].map(parseBoard);
  const notes: string[] = [];
  // Start from the side whose non-row text changed (a header edit is kept), A when both or neither did.
  const fromB = skeleton(A) === skeleton(O) && skeleton(B) !== skeleton(O);
  if (!fromB && skeleton(A) !== skeleton(O) && skeleton(B) !== skeleton(O) && skeleton(A) !== skeleton(B)) {
    notes.push('both sides changed the text around the rows: kept ours');
  }
  let text = fromB ? b : a;
  const start = fromB ? B : A;
  const ids = [...new Set([...A.rows, ...B.rows].map((r) => r.row.id))];
  for (const id of ids) {
    const [ro, ra, rb] = [findRow(O, id), findRow(A, id), findRow(B, id)];
    let final: SessionRow | null;
    let twin: SessionRow | null = null;
    if (ra && rb) {
      if (ro) final = mergeRow(ro, ra, rb, notes);
      else {
        final = ra;
        if (!sameRow(ra, rb)) {
          twin = rb;
          notes.push(`${id} was added on both sides: kept both rows`);
        }
      }
    } else if (ra || rb) {
      const kept = (ra ?? rb)!;
      // Added on one side: kept. Removed on one side: stays removed, whatever the other did.
      final = ro ? null : kept;
      if (ro && !sameRow(ro, kept) && !onlyPresence(ro, kept))
        notes.push(`${id} was removed on one side and changed on the other: it stays removed`);
    } else final = null;
    // Only rows that end up other than in the text we start from are rewritten (one parse each).
    const there = findRow(start, id);
    if (twin || (final ? !there || !sameRow(there, final) : there)) text = place(text, id, final, twin);
  }
  return { text, notes };
}

/** `text` with `id`'s row set to `row` (null: removed), and a second row `twin` after it. */
function place(text: string, id: string, row: SessionRow | null, twin: SessionRow | null): string {
  const board = parseBoard(text);
  const now = findRow(board, id);
  if (!row) return now ? withoutRow(board, id) : text;
  let out = now && sameRow(now, row) ? text : withRow(board, row);
  if (twin) {
    const b = parseBoard(out);
    const at = b.rows.find((r) => r.row.id === id)!.index;
    const lines = b.lines.slice();
    lines.splice(at + 1, 0, renderRow(twin));
    out = renderBoard({ ...b, lines });
  }
  return out;
}

function mergeRow(o: SessionRow, a: SessionRow, b: SessionRow, notes: string[]): SessionRow {
  const row = { ...a };
  for (const cell of CELLS) {
    const v = pick(o[cell], a[cell], b[cell]);
    row[cell] = v ?? later(a[cell], b[cell]);
    if (v === undefined) notes.push(`${a.id}'s ${cell} was set to '${a[cell]}' and to '${b[cell]}': kept '${row[cell]}'`);
  }
  // Presence: the newer stamp wins (with its note); a stamp always beats none.
  const [pa, pb] = [parseStamp(a.presence) ?? -1, parseStamp(b.presence) ?? -1];
  const presence =
    a.presence === o.presence && a.presenceNote === o.presenceNote
      ? b
      : b.presence === o.presence && b.presenceNote === o.presenceNote
        ? a
        : pb > pa
          ? b
          : a;
  row.presence = presence.presence;
  row.presenceNote = presence.presenceNote;
  // Riffs as a set: each side's additions and removals both apply (additions of both, in a fixed order).
  const same = (x: string[], y: string[]) => x.join() === y.join();
  if (same(a.riffs, o.riffs)) row.riffs = b.riffs;
  else if (!same(b.riffs, o.riffs)) {
    const added = [...new Set([...a.riffs, ...b.riffs])].filter((r) => !o.riffs.includes(r)).sort();
    const removed = o.riffs.filter((r) => !a.riffs.includes(r) || !b.riffs.includes(r));
    row.riffs = [...o.riffs, ...added].filter((r) => !removed.includes(r));
  }
  return row;
}

/** The three-way pick of one value; undefined when both sides changed it differently. */
function pick(o: string, a: string, b: string): string | undefined {
  if (a === b || b === o) return a;
  if (a === o) return b;
  return undefined;
}

/** A fixed choice between two values whichever side is ours: the one sorting last. */
const later = (x: string, y: string): string => (x > y ? x : y);

const sameRow = (x: SessionRow, y: SessionRow): boolean => renderRow(x) === renderRow(y);
const onlyPresence = (x: SessionRow, y: SessionRow): boolean => sameRow({ ...x, presence: y.presence, presenceNote: y.presenceNote }, y);

// ---- an inbox ---------------------------------------------------------------------------

/** Merges three versions of a queue file (`o` the common ancestor; `a` ours). */
export function mergeQueue(o: string, a: string, b: string): Merged {
  const [O, A, B] = [o, a, b].map((t) => parseQueueFile(t).messages);
  const inO = new Set(O.map((m) => m.id));
  const inA = new Map(A.map((m) => [m.id, m]));
  const notes: string[] = [];
  let text = a;
  // Status lines of blocks on both sides: field by field, a stamp over the placeholder.
  for (const mb of B) {
    const ma = inA.get(mb.id);
    if (!ma) continue;
    const status = mergeStatus(ma.status, mb.status, ma.id, notes);
    if (LEVELS.some((l) => status[l] !== ma.status[l])) text = setStatus(text, current(text, ma.id), status);
  }
  // Blocks only B added, in B's order, each after the block it follows in B; among blocks new
  // on both sides after that one, in order of stamp and id, so either side's merge agrees.
  const isNew = (m: ParsedMessage) => !inO.has(m.id);
  const key = (m: ParsedMessage) => `${m.stamp} ${m.id}`;
  B.forEach((mb, i) => {
    if (inO.has(mb.id) || inA.has(mb.id)) return;
    const result = parseQueueFile(text).messages; // one parse per block B added: they are few
    const ids = new Set(result.map((m) => m.id));
    if (ids.has(mb.id)) return;
    const pred = B.slice(0, i)
      .reverse()
      .find((m) => ids.has(m.id));
    let at = pred ? result.findIndex((m) => m.id === pred.id) + 1 : 0;
    while (at < result.length && isNew(result[at]) && key(result[at]) <= key(mb)) at++;
    text = insertBlockLines(text, at === 0 ? 'start' : result[at - 1], blockText(b, mb), true);
  });
  const removed = O.filter((m) => inA.has(m.id) && !B.some((x) => x.id === m.id));
  if (removed.length) notes.push(`kept ${removed.length} block(s) removed on one side only (${removed.map((m) => m.id).join(', ')})`);
  return { text, notes };
}

/** `id`'s block as it stands in `text` now. */
const current = (text: string, id: string): ParsedMessage => parseQueueFile(text).messages.find((m) => m.id === id)!;

function mergeStatus(a: StatusLine, b: StatusLine, id: string, notes: string[]): StatusLine {
  const out = { ...a };
  for (const l of LEVELS) {
    const [x, y] = [a[l], b[l]];
    if (x === null || y === null) {
      out[l] = x ?? y;
      continue;
    }
    if (x !== y) {
      out[l] = (parseStamp(x) ?? Infinity) <= (parseStamp(y) ?? Infinity) ? x : y;
      notes.push(`${id} was stamped ${l} ${x} and ${y}: kept the earlier, ${out[l]}`);
    }
  }
  // A later step implies the earlier ones: fill a gap with the step's own stamp.
  for (let i = LEVELS.length - 1; i > 0; i--) if (out[LEVELS[i]] && !out[LEVELS[i - 1]]) out[LEVELS[i - 1]] = out[LEVELS[i]];
  return out;
}
