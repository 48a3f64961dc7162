// coord heartbeat: the post-commit hook. Moves this session's presence stamp to the new
// commit's time in the working tree only (never commits); at most one git process.
import type { Parsed, VerbSpec } from '../args.js';
import { commitTime } from '../git.js';
import { join, readText, writeHazard, writeText } from '../host.js';
import { err } from '../output.js';
import { findWorktree, headCommit, hookSession, looseCommitTime, operationInProgress, reflogTime, seatTakenHere } from '../worktree.js';
import { findRow, parseBoard, withRow } from '../protocol/board.js';
import { BOARD_PATH } from '../protocol/layout.js';
import { parseStamp, stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'heartbeat',
  summary: "post-commit hook: set my presence stamp to the last commit's time (working tree only)",
  usage: '',
  description:
    "Edits only the presence cell of this session's row in docs/ai/sessions/active.md and leaves\n" +
    'the edit uncommitted. Silent and harmless outside a session, without a row, or during a\n' +
    'rebase, merge, cherry-pick or revert (the next plain commit catches up).',
  flags: [],
  positionals: [0, 0],
  group: 'plumbing',
  needs: 'nothing',
};

export function run(_p: Parsed): number {
  const w = findWorktree();
  if (!w || operationInProgress(w.gitDir)) return 0;
  const id = hookSession(w);
  if (!id) return 0;
  const file = join(w.top, BOARD_PATH);
  // A board that is a symbolic link (or under one) may lead anywhere: never written through, and said so.
  const hazard = writeHazard(w.top, BOARD_PATH);
  if (hazard) {
    err(
      `coord heartbeat: ${hazard.why}; presence not updated. Put the real file back: remove ${hazard.at} ` +
        `(git rm, or rm when git does not track it), then git checkout <blackboard branch> -- ${BOARD_PATH}.`,
    );
    return 1;
  }
  const text = readText(file);
  if (text === null) return 0;
  const board = parseBoard(text);
  const row = findRow(board, id);
  if (!row) return 0;
  if (seatTakenHere(w, id, row)) return 0; // that row is another session's claim now: its presence is not ours to move
  const sha = headCommit(w);
  // Cheapest first: the reflog line git just wrote, then the loose object (zlib), then git.
  let seconds = sha ? (reflogTime(w, sha) ?? looseCommitTime(w, sha)) : null;
  if (seconds === null) {
    seconds = commitTime(w.top, 'HEAD') ?? Math.floor(Date.now() / 1000);
  }
  const next = stamp(seconds * 1000);
  const current = parseStamp(row.presence);
  if (current !== null && current >= parseStamp(next)!) return 0; // already this minute, or newer: never go back
  writeText(file, withRow(board, { ...row, presence: next }));
  return 0;
}
