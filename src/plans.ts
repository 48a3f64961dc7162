// The heart of every writing verb, as a pure function: a view of the newest blackboard and
// the verb's arguments in, the files to write and the commit subject out. No I/O and no
// clock (the caller passes `now`), so each one is tested as a table (test/unit/plans.test.mjs)
// and re-applied by publish.ts on every attempt.
import { CoordError, UsageError } from './errors.js';
import {
  editRows,
  emptyBoardText,
  findRow,
  laneFor,
  parseBoard,
  PAUSED_PREFIX,
  riffHolder,
  takenIds,
  withoutRow,
  withRow,
  type Board,
  type SessionRow,
} from './protocol/board.js';
import { firstFreeName, lowestFreeId } from './protocol/ids.js';
import { archiveFile, BOARD_PATH, queueFile } from './protocol/layout.js';
import { visible } from './protocol/display.js';
import { archiveHeader, findMessage, firstWords, type Located } from './protocol/mailbox.js';
import { parseStamp } from './protocol/stamp.js';
import {
  advanceStatus,
  appendBlock,
  blockTexts,
  insertAfter,
  LEVELS,
  NEW_STATUS,
  parseQueueFile,
  setStatus,
  withoutBlocks,
  type Level,
  type Message,
} from './protocol/message.js';
import {
  inForce,
  untilMs,
  parseReservations,
  refuseClash,
  RESERVATIONS_PATH,
  withReservations,
  type Reservation,
} from './protocol/reservations.js';
import { coordSubject } from './protocol/subject.js';
import type { Plan, View } from './protocol/view.js';

const boardOf = (view: View): Board => parseBoard(view.read(BOARD_PATH) ?? '');
const onBoard = (board: Board): string => board.rows.map((r) => r.row.id).join(', ') || 'none';
const boardFile = (text: string) => new Map<string, string | null>([[BOARD_PATH, text]]);
const nothing = () => new Map<string, string | null>();

// ---- the board -----------------------------------------------------------------------

export interface ClaimOptions {
  /** Claim exactly this id (`start --as`), else the lowest free one. */
  wanted?: string;
  name?: string;
  scope: string;
  riff?: string;
  /** The blackboard branch, for the lane cell. */
  branch: string;
  /** Ids with a branch or worktree left over in this clone: never handed out. */
  leftovers: Set<string>;
  now: string;
}

/** `start`: a new row with the lowest free id (or `wanted`) and the first free name. */
export function planClaim(view: View, o: ClaimOptions): Plan<SessionRow> {
  const board = parseBoard(view.read(BOARD_PATH) ?? emptyBoardText());
  const taken = takenIds(board);
  let id: string;
  if (o.wanted) {
    if (taken.has(o.wanted))
      throw new CoordError(`${o.wanted} is already on the board: pick another id, or leave out --as to get the lowest free one.`);
    if (o.leftovers.has(o.wanted))
      throw new CoordError(`A branch or worktree of ${o.wanted} is left over in this clone: remove it (coord doctor) or pick another id.`);
    id = o.wanted;
  } else {
    id = lowestFreeId(new Set([...taken, ...o.leftovers]));
  }
  const names = new Set([...board.rows.map((r) => r.row.name), ...board.brokenNames].map((n) => n.toLowerCase()));
  if (o.name && names.has(o.name.toLowerCase()))
    throw new CoordError(`The name '${o.name}' is taken on the board: choose another with --name, or leave it out.`);
  if (o.riff) refuseHeld(board, o.riff, id);
  const row: SessionRow = {
    id,
    name: o.name ?? firstFreeName(names),
    riffs: o.riff ? [o.riff] : [],
    lane: laneFor(id, o.branch),
    claimed: o.now,
    presence: o.now,
    presenceNote: '',
    scope: o.scope,
  };
  return { files: boardFile(withRow(board, row)), subject: coordSubject(id, `claim ${id} at ${o.now}`), value: row };
}

/** A change of `id`'s row, its presence refreshed to `now` (every write is a sign of life). */
export function planRowUpdate(
  view: View,
  id: string,
  what: string,
  change: (row: SessionRow) => SessionRow,
  now: string,
): Plan<SessionRow> {
  const board = boardOf(view);
  const row = findRow(board, id);
  if (!row)
    throw new CoordError(`${id} has no row on the board (${BOARD_PATH}): claim a session with 'coord start', or check 'coord status'.`);
  const next = { ...change(row), presence: now };
  return { files: boardFile(withRow(board, next)), subject: coordSubject(id, what), value: next };
}

/** `scope`: the scope cell of my row. */
export const planScope = (view: View, id: string, scope: string, now: string): Plan<SessionRow> =>
  planRowUpdate(view, id, `scope ${id}: ${firstWords(scope, 50)}`, (row) => ({ ...row, scope }), now);

/** One owner per Riff: refuses when a row other than `id`'s holds `riff`. */
function refuseHeld(board: Board, riff: string, id: string): void {
  const holder = riffHolder(board, riff, id);
  if (holder)
    throw new CoordError(
      `Riff ${riff} is held by ${holder.id} (${visible(holder.name)}): one session owns a Riff; ask ${holder.id} to hand it ` +
        `over (coord send ${holder.id} --type question --ref ${riff} -m "…").`,
    );
}

export type RiffChange = { set: string } | { add: string } | { drop: string } | { none: true };

/** `riff`: set, add, drop or clear the Riffs of my row. */
export function planRiff(view: View, id: string, change: RiffChange, now: string): Plan<SessionRow> {
  const what =
    'set' in change
      ? `${id} takes Riff ${change.set}`
      : 'add' in change
        ? `${id} adds Riff ${change.add}`
        : 'drop' in change
          ? `${id} drops Riff ${change.drop}`
          : `${id} clears its Riff`;
  const board = boardOf(view);
  if ('set' in change) refuseHeld(board, change.set, id);
  if ('add' in change) refuseHeld(board, change.add, id);
  return planRowUpdate(
    view,
    id,
    what,
    (row) => {
      let riffs = row.riffs;
      if ('set' in change) riffs = [change.set];
      if ('add' in change) riffs = riffs.includes(change.add) ? riffs : [...riffs, change.add];
      if ('drop' in change) {
        if (!riffs.includes(change.drop))
          throw new UsageError(`${id} does not hold Riff ${change.drop} (it holds ${riffs.join(', ') || 'none'}).`);
        riffs = riffs.filter((x) => x !== change.drop);
      }
      if ('none' in change) riffs = [];
      return { ...row, riffs };
    },
    now,
  );
}

/** `close --pause`: my row stays, its scope says when I am back. */
export const planPause = (view: View, id: string, eta: string, now: string): Plan<SessionRow> =>
  planRowUpdate(view, id, `pause ${id} — resuming ${eta}`, (row) => ({ ...row, scope: `${PAUSED_PREFIX}${eta}` }), now);

/** `close` (and doctor's release of an unfinished claim): `id`'s row off the board; value: whether it was there. */
export function planRemoveRow(view: View, id: string, what: string): Plan<boolean> {
  const board = boardOf(view);
  const row = findRow(board, id);
  const had = !!row;
  const files = had ? boardFile(withoutRow(board, id)) : nothing();
  dropReservationsOf(view, [id], files);
  if (row) archiveMailOf(view, [row], 'released', files);
  return { files, subject: coordSubject(id, what), value: had };
}

export interface Closed {
  had: boolean;
  released: string[];
  unresolved: number;
}

/**
 * `close`: my row off the board. A row holding Riffs is refused unless `releaseRiffs` (the
 * subject then says what was let go); value: whether there was a row, what was released, and
 * how many messages to me are left unresolved.
 */
export function planClose(view: View, id: string, releaseRiffs: boolean): Plan<Closed> {
  const board = boardOf(view);
  const row = findRow(board, id);
  const riffs = row?.riffs ?? [];
  if (riffs.length && !releaseRiffs) {
    throw new CoordError(
      `${id} holds Riff ${riffs.join(', ')}: hand it over first (coord handoff <sX> --riff ${riffs[0]} -m "…"), or ` +
        `close --release-riffs to let it go with the row.`,
    );
  }
  const unresolved = view.mailbox().messages.filter((m) => m.to === id && !m.status.resolved).length;
  const what = `self-close ${id}${riffs.length ? `, releasing Riff ${riffs.join(', ')}` : ''}`;
  const files = row ? boardFile(withoutRow(board, id)) : nothing();
  dropReservationsOf(view, [id], files);
  if (row) archiveMailOf(view, [row], 'closed', files);
  return { files, subject: coordSubject(id, what), value: { had: !!row, released: riffs, unresolved } };
}

/** Adds to `files` the reservations table without the rows of `ids` (when it has any): they end with their session. */
function dropReservationsOf(view: View, ids: string[], files: Map<string, string | null>): void {
  if (!ids.length) return;
  const text = view.read(RESERVATIONS_PATH);
  const gone = new Set(ids);
  if (text === null || !parseReservations(text).rows.some((r) => gone.has(r.res.session))) return;
  files.set(
    RESERVATIONS_PATH,
    withReservations(text, [], (r) => gone.has(r.session)),
  );
}

/**
 * Adds to `files` the move of every block addressed to one of `rows` out of the live queues
 * into that session's archive file, so that a later session given the same id starts with an
 * empty inbox; nothing is deleted, the blocks keep their bytes (and so their ids).
 */
function archiveMailOf(view: View, rows: SessionRow[], why: string, files: Map<string, string | null>): void {
  if (!rows.length) return;
  const byId = new Map(rows.map((r) => [r.id, r]));
  moveToArchive(view, files, (m) => {
    const row = byId.get(m.to);
    return row ? { path: archiveFile(row.id, row.claimed), header: archiveHeader(row.id, row.name, row.claimed, why) } : null;
  });
}

/** Where an archived block goes: the archive file and the first line it gets when new. */
type ArchiveTarget = { path: string; header: string } | null;

/** Moves every block `target` names a file for, one pass per file; value: how many moved. */
function moveToArchive(view: View, files: Map<string, string | null>, target: (m: Located) => ArchiveTarget): number {
  const byFile = new Map<string, { m: Located; to: NonNullable<ArchiveTarget> }[]>();
  for (const m of view.mailbox().messages) {
    const to = target(m);
    if (!to) continue;
    if (!byFile.has(m.file)) byFile.set(m.file, []);
    byFile.get(m.file)!.push({ m, to });
  }
  const archived = new Map<string, { header: string; blocks: string[][] }>();
  let moved = 0;
  for (const [file, list] of byFile) {
    const text = view.read(file) ?? '';
    const ms = list.map((x) => x.m);
    const texts = blockTexts(text, ms);
    list.forEach(({ to }, i) => {
      if (!archived.has(to.path)) archived.set(to.path, { header: to.header, blocks: [] });
      archived.get(to.path)!.blocks.push(texts[i]);
    });
    moved += ms.length;
    const rest = withoutBlocks(text, ms);
    files.set(file, parseQueueFile(rest).messages.length || rest.trim() ? rest : null);
  }
  for (const [path, { header, blocks }] of archived) {
    // Appended in one go (not block by block: each insert would scan the whole file again).
    const had = (view.read(path) ?? `${header}\n`).replace(/\s+$/, '');
    files.set(path, `${had}\n\n${blocks.map((b) => b.join('\n')).join('\n\n')}\n`);
  }
  return moved;
}

export interface Reaped {
  ids: string[];
  /** Resolved messages older than the cut-off moved to the archive. */
  resolved: number;
}

/**
 * `reap`: every row `isStale` picks, off the board in one commit, their mail archived; and
 * messages resolved before `resolvedBefore` (ms) leave the live queues for the archive, so
 * the files every read parses stay small. Value: the ids reaped and how many resolved moved.
 */
export function planReap(
  view: View,
  speaker: string | null,
  isStale: (row: SessionRow) => boolean,
  resolvedBefore: number | null = null,
): Plan<Reaped> {
  const board = boardOf(view);
  const rows = board.rows.filter(({ row }) => isStale(row)).map((r) => r.row);
  const ids = rows.map((r) => r.id);
  const files = ids.length ? boardFile(editRows(board, new Map(ids.map((id) => [id, null])))) : nothing();
  dropReservationsOf(view, ids, files);
  const gone = new Map(rows.map((r) => [r.id, r]));
  const live = new Map(board.rows.map((r) => [r.row.id, r.row]));
  let resolved = 0;
  moveToArchive(view, files, (m) => {
    const row = gone.get(m.to);
    if (row) return { path: archiveFile(row.id, row.claimed), header: archiveHeader(row.id, row.name, row.claimed, 'reaped') };
    const at = m.status.resolved ? parseStamp(m.status.resolved) : null;
    if (resolvedBefore === null || at === null || at >= resolvedBefore) return null;
    resolved++;
    // Resolved mail of a session still here (or of an id on no row): a file of its own, apart from its mail when it leaves.
    const seat = live.get(m.to);
    const claimed = seat?.claimed ?? 'resolved';
    return {
      path: archiveFile(m.to, claimed).replace(/\.md$/, '-resolved.md'),
      header: archiveHeader(m.to, seat?.name ?? '?', claimed, 'resolved'),
    };
  });
  const what = [ids.length ? `reap stale ${ids.join(', ')}` : '', resolved ? `archive ${resolved} resolved message(s)` : ''];
  return { files, subject: coordSubject(speaker, what.filter(Boolean).join('; ') || 'reap stale'), value: { ids, resolved } };
}

// ---- reservations --------------------------------------------------------------------

export interface ReserveOptions {
  me: string;
  paths: string[];
  until: string;
  note: string;
  staleMs: number;
  now: string;
  nowMs: number;
}

/**
 * `reserve`: a row per path (mine again for a path I hold: its time and note replaced),
 * refused whole when any path meets another session's reservation in force. Rows that ended
 * (their time passed, or their session left the board) are cleared on the way; my presence
 * is refreshed, since a reservation counts only while its session is.
 */
export function planReserve(view: View, o: ReserveOptions): Plan<Reservation[]> {
  const board = boardOf(view);
  const row = findRow(board, o.me);
  if (!row)
    throw new CoordError(
      `${o.me} has no row on the board (${BOARD_PATH}): only a session on the board can reserve; claim one with 'coord start'.`,
    );
  const text = view.read(RESERVATIONS_PATH);
  const table = parseReservations(text ?? '');
  const held = inForce(table, board, o.staleMs, o.nowMs);
  const name = (id: string) => {
    const n = findRow(board, id)?.name;
    return n ? ` (${visible(n)})` : '';
  };
  for (const p of o.paths) refuseClash(held, o.me, p, name);
  const add = o.paths.map((path) => ({ path, session: o.me, until: o.until, note: o.note }));
  const asked = new Set(o.paths);
  const ended = (r: Reservation) => !findRow(board, r.session) || (untilMs(r.until) ?? 0) <= o.nowMs;
  const next = withReservations(text, add, (r) => (r.session === o.me && asked.has(r.path)) || ended(r));
  const files = new Map<string, string | null>([
    [RESERVATIONS_PATH, next],
    [BOARD_PATH, withRow(board, { ...row, presence: o.now })],
  ]);
  return { files, subject: coordSubject(o.me, `reserve ${o.paths.join(', ')} until ${o.until}`), value: add };
}

export interface ReleaseOptions {
  me: string;
  paths: string[];
}

/** `release`: my rows for `paths`, or all of mine when none are named; value: the rows removed. */
export function planRelease(view: View, o: ReleaseOptions): Plan<Reservation[]> {
  const text = view.read(RESERVATIONS_PATH);
  const mine = parseReservations(text ?? '')
    .rows.map((r) => r.res)
    .filter((r) => r.session === o.me);
  const held = new Set(mine.map((r) => r.path));
  const unknown = o.paths.filter((p) => !held.has(p));
  if (unknown.length) {
    throw new UsageError(
      `You (${o.me}) hold no reservation of ${unknown.join(', ')}; yours: ${mine.map((r) => r.path).join(', ') || 'none'}.`,
    );
  }
  const named = new Set(o.paths);
  const gone = mine.filter((r) => !named.size || named.has(r.path));
  const paths = new Set(gone.map((r) => r.path));
  const files = gone.length
    ? new Map<string, string | null>([[RESERVATIONS_PATH, withReservations(text, [], (r) => r.session === o.me && paths.has(r.path))]])
    : nothing();
  return { files, subject: coordSubject(o.me, `release ${gone.map((r) => r.path).join(', ') || 'nothing'}`), value: gone };
}

// ---- messages ------------------------------------------------------------------------

export interface SendOptions {
  me: string;
  to: string;
  type: string;
  ref: string;
  body: string;
  now: string;
}

/** `send`: a block appended to the recipient's inbox; a short message id in `ref` is completed. */
export function planSend(view: View, o: SendOptions): Plan<{ id: string; file: string; ref: string }> {
  const board = boardOf(view);
  if (o.to !== o.me && !findRow(board, o.to))
    throw new CoordError(`No session ${o.to} on the board (on it: ${onBoard(board)}). Send to one of those, or check 'coord status'.`);
  let ref = o.ref;
  if (/^[0-9a-f]{4,9}$/.test(ref)) {
    const hit = view.mailbox().messages.filter((m) => m.id.startsWith(ref));
    if (hit.length === 1) ref = hit[0].id;
  }
  const file = queueFile(o.to);
  const text = appendBlock(view.read(file) ?? '', {
    stamp: o.now,
    from: o.me,
    to: o.to,
    type: o.type,
    ref,
    status: NEW_STATUS,
    body: o.body,
  });
  const id = parseQueueFile(text).messages.at(-1)!.id;
  return {
    files: new Map([[file, text]]),
    subject: coordSubject(o.me, `${o.type} to ${o.to}: ${firstWords(o.body)}`),
    value: { id, file, ref },
  };
}

export interface AdvanceOptions {
  me: string;
  prefix: string;
  level: Level;
  verb: string;
  now: string;
}

/** `seen`, `ack`, `resolve`: the recipient stamps its message's status line up to `level`. */
export function planAdvance(view: View, o: AdvanceOptions): Plan<{ id: string; status: Message['status'] }> {
  const m = findMessage(view.mailbox(), o.prefix);
  if (m.to !== o.me)
    throw new CoordError(`Message ${m.id} is addressed to ${m.to}, not to you (${o.me}): only ${m.to} may mark it ${o.level}.`);
  const status = advanceStatus(m.status, o.level, o.now);
  const same = LEVELS.every((l) => status[l] === m.status[l]);
  return {
    files: same ? nothing() : new Map([[m.file, setStatus(view.read(m.file)!, m, status)]]),
    subject: coordSubject(o.me, `${o.verb} ${m.id} from ${m.from}`),
    value: { id: m.id, status },
  };
}

export interface ReplyOptions {
  me: string;
  prefix: string;
  body: string;
  resolve: boolean;
  now: string;
}

/** `reply`: an answer block right under the question, the question acked (or resolved), one commit. */
export function planReply(view: View, o: ReplyOptions): Plan<{ id: string; to: string; ref: string }> {
  const q = findMessage(view.mailbox(), o.prefix);
  if (q.to !== o.me)
    throw new CoordError(
      `Message ${q.id} is addressed to ${q.to}, not to you (${o.me}): only ${q.to} may reply to it. To write to ` +
        `its sender, use coord send ${q.from}.`,
    );
  const status = advanceStatus(q.status, o.resolve ? 'resolved' : 'acked', o.now);
  const answer: Message = { stamp: o.now, from: o.me, to: q.from, type: 'answer', ref: q.id, status: NEW_STATUS, body: o.body };
  const text = insertAfter(setStatus(view.read(q.file)!, q, status), q, answer);
  const id = parseQueueFile(text).messages.find((m) => m.ref === q.id && m.from === o.me && m.body === o.body && m.stamp === o.now)!.id;
  return {
    files: new Map([[q.file, text]]),
    subject: coordSubject(o.me, `answer to ${q.from} on ${q.id}: ${firstWords(o.body)}`),
    value: { id, to: q.from, ref: q.id },
  };
}

export interface HandoffOptions {
  me: string;
  to: string;
  riff: string;
  body: string;
  now: string;
}

/** `handoff`: the handoff block and the Riff moved between rows, in one commit (never two holders). */
export function planHandoff(view: View, o: HandoffOptions): Plan<{ id: string }> {
  let board = boardOf(view);
  const mine = findRow(board, o.me);
  const theirs = findRow(board, o.to);
  if (!mine) throw new CoordError(`You (${o.me}) have no row on the board: only a session on the board can hand off a Riff.`);
  if (!theirs) throw new CoordError(`No session ${o.to} on the board (on it: ${onBoard(board)}). Hand off to one of those.`);
  if (!mine.riffs.includes(o.riff))
    throw new CoordError(
      `You (${o.me}) do not hold Riff ${o.riff} (you hold: ${mine.riffs.join(', ') || 'none'}): only its holder can hand it off.`,
    );
  board = parseBoard(withRow(board, { ...mine, riffs: mine.riffs.filter((x) => x !== o.riff), presence: o.now }));
  const boardText = withRow(board, { ...theirs, riffs: theirs.riffs.includes(o.riff) ? theirs.riffs : [...theirs.riffs, o.riff] });
  const file = queueFile(o.to);
  const text = appendBlock(view.read(file) ?? '', {
    stamp: o.now,
    from: o.me,
    to: o.to,
    type: 'handoff',
    ref: o.riff,
    status: NEW_STATUS,
    body: o.body,
  });
  const id = parseQueueFile(text).messages.at(-1)!.id;
  return {
    files: new Map([
      [BOARD_PATH, boardText],
      [file, text],
    ]),
    subject: coordSubject(o.me, `handoff ${o.riff} to ${o.to}: ${firstWords(o.body)}`),
    value: { id },
  };
}
