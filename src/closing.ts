// Closing a session in this clone: the row off the board, then its worktree and branch,
// refusing first — changing nothing — whenever that would lose work. `close` and Claude Code's
// WorktreeRemove hook both go through here.
import { refresh } from './blackboard.js';
import type { Context } from './context.js';
import { CoordError } from './errors.js';
import { branchExists, deleteBranch, GitError, listWorktrees, removeWorktree } from './git.js';
import { planClose, type Closed } from './plans.js';
import { publish, type Published } from './publish.js';
import { describeUnpublished, ignoredLosses, worktreeChanges } from './session.js';
import { crashPoint } from './sys.js';
import { findWorktree, operationInProgress } from './worktree.js';
import { visible } from './protocol/display.js';
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
    const { remote, branch: board } = ctx.cfg;
    const why: string[] = [];
    const how: string[] = [];
    if (wt && !keepWorktree) {
      const mine = worktreeChanges(wt.dir, id, 'all').mine;
      if (mine.length) {
        why.push(`${wt.dir} has uncommitted changes (${listed(mine)})`);
        how.push(`commit and publish them (git push ${remote} HEAD:${board}), or keep the worktree (--keep-worktree)`);
      }
      const ignored = o.discardIgnored ? [] : ignoredLosses(wt.dir, mainRoot);
      if (ignored.length) {
        why.push(`${wt.dir} holds files git ignores (${listed(ignored)})`);
        how.push('move them out, keep the worktree (--keep-worktree), or delete them with it (--discard-ignored)');
      }
    }
    const unpublished = hasBranch && !keepBranch ? describeUnpublished(ctx, branch) : null;
    if (unpublished) {
      why.push(unpublished);
      how.push(`publish them (git push ${remote} HEAD:${board}), or keep the branch (--keep-branch)`);
    }
    if (why.length) throw new CoordError(`Not closing ${id}: ${why.join('; ')}. To go on: ${how.join('; ')}; or drop all of it (--force).`);
  }
  const closed = publish(ctx, (snap) => planClose(snap, id, o.releaseRiffs || force));
  let worktreeRemoved = false;
  let branchDeleted = false;
  if (wt && !keepWorktree) {
    try {
      removeWorktree(mainRoot, wt.dir);
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      throw new CoordError(
        `Closed ${id} on the board, but removing ${wt.dir} failed (${e.detail}): remove it with git worktree remove --force ${wt.dir}.`,
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

const listed = (files: string[]) => files.slice(0, 5).map(visible).join(', ') + (files.length > 5 ? ` and ${files.length - 5} more` : '');

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
