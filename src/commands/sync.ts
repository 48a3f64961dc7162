// coord sync: bring the blackboard branch into my worktree. The heartbeat's uncommitted
// presence edit is set aside and put back on top, so it never blocks or conflicts.
import { bool, type Parsed, type VerbSpec } from '../args.js';
import { boardName, boardRef, refresh } from '../blackboard.js';
import type { Context } from '../context.js';
import { CoordError } from '../errors.js';
import { fastForward, GitError, headSha, mergeBase, rebaseOnto, restoreFile } from '../git.js';
import { writeHazard } from '../host.js';
import { out, report, type Report } from '../output.js';
import { fs, path } from '../sys.js';
import { findWorktree, headCommit, operationInProgress } from '../worktree.js';
import { findRow, parseBoard, withRow } from '../protocol/board.js';
import { visible } from '../protocol/display.js';
import { BOARD_PATH } from '../protocol/layout.js';
import { worktreeChanges } from '../session.js';
import { parseStamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'sync',
  summary: 'bring the blackboard branch into my worktree (fast-forward or rebase), keeping my presence edit',
  usage: '[--autostash] [--json]',
  description:
    'Fast-forwards when it can, else rebases my commits onto the newest blackboard branch.\n' +
    'Refuses, changing nothing, when your own uncommitted edits would be in the way (names them;\n' +
    "--autostash sets them aside and puts them back). The heartbeat's edit never makes it refuse.",
  flags: [
    { name: 'autostash', help: 'stash my own uncommitted edits around the rebase' },
    { name: 'json', help: 'print {"before","after","how"}' },
  ],
  positionals: [0, 0],
  group: 'sessions',
  needs: 'speaker',
};

export function run(ctx: Context, p: Parsed): Report {
  const top = ctx.repo.top;
  const op = operationInProgress(ctx.repo.gitDir);
  if (op)
    throw new CoordError(`A ${op} is in progress in ${top}: finish it (git ${op} --continue) or abort it (git ${op} --abort), then sync.`);
  if (!ctx.repo.branch)
    throw new CoordError(`HEAD is detached in ${top}: check out your session branch (git switch session-<id>) and sync again.`);
  const { sha: targetSha } = refresh(ctx);
  const target = boardRef(ctx);
  const before = headCommit(ctx.repo) ?? headSha(top);
  const id = ctx.session;

  // Set the heartbeat's edit aside: it is coord's own, and goes back on top afterwards.
  const boardFile = path().join(top, BOARD_PATH);
  const { mine, presence } = worktreeChanges(top, id, 'no');
  const autostash = bool(p, 'autostash');
  if (mine.length && !autostash) {
    throw new CoordError(
      `Your uncommitted edits would be in the way (${mine.slice(0, 5).map(visible).join(', ')}${mine.length > 5 ? ', …' : ''}): ` +
        `commit them, or run coord sync --autostash. Nothing was changed.`,
    );
  }
  if (presence !== null) restoreFile(top, BOARD_PATH);
  const restorePresence = () => {
    if (presence === null || !id || writeHazard(top, BOARD_PATH)) return; // never through a symbolic link
    let text: string;
    try {
      text = fs().readFileSync(boardFile, 'utf8');
    } catch {
      return;
    }
    const board = parseBoard(text);
    const row = findRow(board, id);
    if (row && (parseStamp(row.presence) ?? 0) < (parseStamp(presence) ?? 0))
      fs().writeFileSync(boardFile, withRow(board, { ...row, presence }));
  };

  let how: 'up-to-date' | 'fast-forward' | 'rebase';
  const base = mergeBase(top, 'HEAD', target);
  if (base === targetSha) how = 'up-to-date';
  else if (base === before) how = 'fast-forward';
  else how = 'rebase';
  if (how === 'fast-forward') {
    try {
      fastForward(top, target, autostash);
    } catch (e) {
      restorePresence();
      if (!(e instanceof GitError)) throw e;
      throw new CoordError(`Fast-forward to ${boardName(ctx)} failed: ${e.detail}. Nothing was changed.`);
    }
  } else if (how === 'rebase') {
    const r = rebaseOnto(top, target, autostash);
    if (!r.ok) {
      restorePresence();
      throw new CoordError(
        `Rebasing onto ${boardName(ctx)} stopped on a ` +
          `conflict${r.conflicts.length ? ` in ${r.conflicts.map(visible).join(', ')}` : ` (${r.detail})`}; it was undone, ` +
          `nothing changed. Resolve it by hand: git rebase ${boardName(ctx)}.`,
      );
    }
  }
  restorePresence();
  const after = how === 'up-to-date' ? before : (headCommit(findWorktree(top)!) ?? headSha(top));
  const said =
    how === 'up-to-date'
      ? `Already up to date with ${boardName(ctx)}.`
      : `${how === 'rebase' ? 'Rebased onto' : 'Fast-forwarded to'} ${boardName(ctx)} (${after.slice(0, 7)}).`;
  return report({ before, after, how }, () => out(said));
}
