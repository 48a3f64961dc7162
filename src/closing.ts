// Closing a session in this clone: the row off the board, then its worktree and branch,
// refusing first — changing nothing — whenever that would lose work. `close` and Claude Code's
// WorktreeRemove hook both go through here.
import { refresh } from './blackboard.js';
import type { Context } from './context.js';
import { CoordError } from './errors.js';
import { branchExists, deleteBranch, GitError, listWorktrees } from './git.js';
import { planClose, type Closed } from './plans.js';
import { publish, type Published } from './publish.js';
import { lossText, removeSessionWorktree, workAtRisk } from './session.js';
import { crashPoint } from './sys.js';
import { findWorktree, operationInProgress } from './worktree.js';
import { sessionBranch, sessionWorktree } from './protocol/layout.js';

export interface CloseOptions {
  keepWorktree: boolean;
  keepBranch: boolean;
  force: boolean;
  discardIgnored: boolean;
  releaseRiffs: boolean;
}
export interface ClosedSession {
  closed: Published<Closed>;
  worktreeRemoved: boolean;
  branchDeleted: boolean;
  dir: string | null;
}

/** Closes session `id` (see the module comment); throws a CoordError naming what would be lost, with nothing changed. */
export function closeSession(ctx: Context, id: string, o: CloseOptions): ClosedSession {
  const branch = sessionBranch(id);
  const mainRoot = ctx.repo.mainRoot;
  const home = sessionWorktree(mainRoot, id);
  const wt = listWorktrees(ctx.repo.top).find((w) => w.branch === branch || w.dir === home);
  const keepWorktree = o.keepWorktree;
  const keepBranch = keepWorktree || o.keepBranch;
  const hasBranch = branchExists(ctx.repo.top, branch);
  const force = o.force;
  if (wt && !keepWorktree && !force) refuseMidOperation(id, wt.dir, branch);
  // Look before publishing anything: a refusal must leave everything as it was.
  if (!force) {
    refresh(ctx);
    const losses = workAtRisk(ctx, {
      dir: wt && !keepWorktree ? wt.dir : null,
      id,
      branch: hasBranch && !keepBranch ? branch : null,
      ignored: !o.discardIgnored,
    });
    if (losses.length)
      throw new CoordError(
        `Not closing ${id}: ${losses.map(lossText).join('; ')}. To go on: ${[...new Set(losses.map((l) => l.how))].join('; ')}; ` +
          'or drop all of it (--force).',
      );
  }
  const closed = publish(ctx, (snap) => planClose(snap, id, o.releaseRiffs || force));
  let worktreeRemoved = false;
  let branchDeleted = false;
  if (wt && !keepWorktree) {
    try {
      const refused = removeSessionWorktree(mainRoot, wt.dir, id, force);
      // Something changed there after coord looked: git's own check is the last word.
      if (refused) throw new CoordError(refused);
    } catch (e) {
      if (!(e instanceof CoordError)) throw e;
      const why = e instanceof GitError ? e.detail : e.message;
      throw new CoordError(
        `Closed ${id} on the board, but ${wt.dir} was not removed (${why}): look at git status there, and remove it with ` +
          `git worktree remove ${wt.dir} once nothing in it is needed.`,
      );
    }
    worktreeRemoved = true;
    crashPoint('after-worktree-remove');
  }
  if (hasBranch && !keepBranch) {
    try {
      deleteBranch(mainRoot, branch);
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      throw new CoordError(`Closed ${id}, but deleting branch ${branch} failed (${e.detail}): delete it with git branch -D ${branch}.`);
    }
    branchDeleted = true;
  }
  return { closed, worktreeRemoved, branchDeleted, dir: wt?.dir ?? null };
}

/** Refuses while the session's worktree is mid-rebase (or another operation) or on a detached HEAD: removing it then loses that state. */
function refuseMidOperation(id: string, dir: string, branch: string): void {
  const w = findWorktree(dir);
  if (!w) return;
  const op = operationInProgress(w.gitDir);
  if (op)
    throw new CoordError(
      `Not closing ${id}: a ${op} is in progress in ${dir}. Finish it (git ${op} --continue) or abort it (git ` +
        `${op} --abort) there, then close again.`,
    );
  if (w.branch !== branch)
    throw new CoordError(
      `Not closing ${id}: ${dir} is on ${w.branch ? `branch ${w.branch}` : 'a detached HEAD'}, not ${branch}. ` +
        `Check out ${branch} there (git -C ${dir} switch ${branch}), then close again.`,
    );
}
