// Shared steps of the verbs that act on the speaking session: its row, its worktree.
import { CoordError } from './errors.js';
import { publish, type Published } from './publish.js';
import { git, run } from './git.js';
import { join, readText } from './host.js';
import { BOARD_PATH, findRow, onlyPresenceDiffers, parseBoard, withRow, type SessionRow } from './protocol/board.js';
import { stamp } from './protocol/stamp.js';
import { boardName, type Context } from './context.js';

/** The subject of a coordination commit: `[sA] docs(ai-sessions): <what>`. */
export function coordSubject(id: string, what: string): string {
  return `[${id}] docs(ai-sessions): ${what}`;
}

/**
 * Publishes a change of `id`'s row (presence refreshed to now: every write is a sign of
 * life). Fails clearly when the board has no row for it.
 */
export function updateRow(ctx: Context, id: string, what: string, change: (row: SessionRow) => SessionRow): Published<SessionRow> {
  return publish(ctx, (snap) => {
    const board = parseBoard(snap.read(BOARD_PATH) ?? '');
    const row = findRow(board, id);
    if (!row) throw new CoordError(`${id} has no row on the board (${boardName(ctx)}:${BOARD_PATH}): claim a session with 'coord start', or check 'coord status'.`);
    const next = { ...change(row), presence: stamp() };
    return { files: new Map([[BOARD_PATH, withRow(board, next)]]), subject: coordSubject(id, what), value: next };
  });
}

/** Text for a board cell or a subject typed by a person: one line, no control characters. */
export function cleanText(s: string, what: string, max = 200): string {
  const t = s.replace(/\s+/g, ' ').trim();
  if (!t) throw new CoordError(`The ${what} is empty: give some text.`, 2);
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s)) throw new CoordError(`The ${what} holds a control character: use plain text.`, 2);
  if (t.length > max) throw new CoordError(`The ${what} is ${t.length} characters long; keep it under ${max}.`, 2);
  return t;
}

export interface WorktreeChanges {
  /** Files with the person's own uncommitted changes. */
  mine: string[];
  /** The presence stamp of the heartbeat's own uncommitted edit of the board, if that is all the board holds. */
  presence: string | null;
}

/**
 * Uncommitted changes in worktree `dir`, telling the person's own from coord's: an edit of
 * the board that moves only `id`'s presence stamp is the heartbeat's, never the person's
 * work. Close, sync and doctor all decide by this one rule.
 */
export function worktreeChanges(dir: string, id: string | null, untracked: 'no' | 'normal' | 'all'): WorktreeChanges {
  const files = git(['status', '--porcelain', '-z', `--untracked-files=${untracked}`], { cwd: dir }).split('\0').filter(Boolean).map((e) => e.slice(3));
  const mine = files.filter((f) => f !== BOARD_PATH);
  let presence: string | null = null;
  if (files.includes(BOARD_PATH)) {
    const head = run(['show', `HEAD:${BOARD_PATH}`], { cwd: dir }).stdout;
    const text = readText(join(dir, BOARD_PATH));
    if (id && text !== null && onlyPresenceDiffers(head, text, id)) presence = findRow(parseBoard(text), id)?.presence ?? null;
    if (presence === null) mine.push(BOARD_PATH);
  }
  return { mine, presence };
}
