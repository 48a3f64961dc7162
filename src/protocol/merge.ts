// Three-way merges of the coordination files that understand them, for git's merge driver:
// the board by row (keyed by session id, cell by cell), an inbox by block (keyed by message
// id, status field by field). Whatever two sides did that coord's verbs or the tutorial's
// hand steps can do merges without a conflict; where both sides set one cell to different
// values, one is kept by a fixed rule and a note says which. Never conflict markers.
import { editRows, findRow, parseBoard, renderRow, type Board, type SessionRow } from './board.js';
import { blockTexts, editBlocks, LEVELS, parseQueueFile, type BlockEdits, type ParsedMessage, type StatusLine } from './message.js';
import { parseStamp } from './stamp.js';

export interface Merged {
  text: string;
  notes: string[];
}

// ---- the board -------------------------------------------------------------------------

type Cell = 'name' | 'lane' | 'claimed' | 'scope';
const CELLS: Cell[] = ['name', 'lane', 'claimed', 'scope'];

/** The lines of a board that are not readable rows: its header, its prose, broken rows. */
function skeleton(b: Board): string {
  const rows = new Set(b.rows.map((r) => r.index));
  return b.lines.filter((_, i) => !rows.has(i)).join('\n');
}

/** Merges three versions of the board (`o` the common ancestor; `a` ours, the one git keeps on a tie). */
export function mergeBoard(o: string, a: string, b: string): Merged {
  const [O, A, B] = [o, a, b].map(parseBoard);
  const [sO, sA, sB] = [O, A, B].map(skeleton);
  const notes: string[] = [];
  // Start from the side whose non-row text changed (a header edit is kept), A when both or neither did.
  const fromB = sA === sO && sB !== sO;
  if (!fromB && sA !== sO && sB !== sO && sA !== sB) notes.push('both sides changed the text around the rows: kept ours');
  const start = fromB ? B : A;
  // Only rows that end up other than in the text we start from are rewritten, all in one pass.
  const set = new Map<string, SessionRow | null>();
  const twins = new Map<string, string[]>();
  const ids = [...new Set([...A.rows, ...B.rows].map((r) => r.row.id))];
  for (const id of ids) {
    const [ro, ra, rb] = [findRow(O, id), findRow(A, id), findRow(B, id)];
    let final: SessionRow | null;
    if (ra && rb) {
      if (ro) final = mergeRow(ro, ra, rb, notes);
      else {
        final = ra;
        if (!sameRow(ra, rb)) {
          twins.set(id, [renderRow(rb)]);
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
    const there = findRow(start, id);
    if (final ? !there || !sameRow(there, final) : there) set.set(id, final);
  }
  return { text: set.size || twins.size ? editRows(start, set, twins) : fromB ? b : a, notes };
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
  // Status lines of blocks on both sides: field by field, a stamp over the placeholder.
  const status = new Map<string, StatusLine>();
  for (const mb of B) {
    const ma = inA.get(mb.id);
    if (!ma) continue;
    const merged = mergeStatus(ma.status, mb.status, ma.id, notes);
    if (LEVELS.some((l) => merged[l] !== ma.status[l])) status.set(ma.id, merged);
  }
  // Blocks only B added, in B's order, each after the block it follows in B; among blocks new
  // on both sides after that one, in order of stamp and id, so either side's merge agrees. The
  // merged order is a linked list of ids (null: the start), so each block is placed without a
  // parse of the text so far; the text is written once at the end.
  const isNew = (id: string) => !inO.has(id);
  const stamps = new Map([...A, ...B].map((m) => [m.id, m.stamp]));
  const key = (id: string) => `${stamps.get(id)} ${id}`;
  const next = new Map<string | null, string | null>([[null, A[0]?.id ?? null]]);
  A.forEach((m, i) => next.set(m.id, A[i + 1]?.id ?? null));
  const added = new Map<string, ParsedMessage>();
  let pred: string | null = null; // the last block of B so far that is in the merged text
  for (const mb of B) {
    if (next.has(mb.id)) {
      pred = mb.id;
      continue;
    }
    if (inO.has(mb.id)) continue; // removed by A: stays removed
    let prev = pred;
    let at = next.get(prev)!;
    while (at !== null && isNew(at) && key(at) <= key(mb.id)) [prev, at] = [at, next.get(at)!];
    next.set(prev, mb.id);
    next.set(mb.id, at);
    added.set(mb.id, mb);
    pred = mb.id;
  }
  let text = a;
  if (status.size || added.size) {
    const lines = blockTexts(b, [...added.values()]);
    const blockOf = new Map([...added.keys()].map((id, i) => [id, lines[i]]));
    const edits: BlockEdits = { status, atStart: [], under: new Map() };
    let chain = edits.atStart; // the blocks placed before A's first block, then under each of A's blocks
    for (let id = next.get(null)!; id !== null; id = next.get(id)!) {
      const block = blockOf.get(id);
      if (block) chain.push(block);
      else edits.under.set(id, (chain = []));
    }
    text = editBlocks(a, A, edits);
  }
  const inB = new Set(B.map((m) => m.id));
  const removed = O.filter((m) => inA.has(m.id) && !inB.has(m.id));
  if (removed.length) notes.push(`kept ${removed.length} block(s) removed on one side only (${removed.map((m) => m.id).join(', ')})`);
  return { text, notes };
}

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
