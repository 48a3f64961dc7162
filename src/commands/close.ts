// coord close: take my row off the board (or pause it), then remove my worktree and branch.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { boardName, refresh } from '../blackboard.js';
import { openContext, requireSession } from '../context.js';
import { CoordError } from '../errors.js';
import { branchExists, deleteBranch, GitError, listWorktrees, removeWorktree } from '../git.js';
import { json, out } from '../output.js';
import { planPause, planRemoveRow } from '../plans.js';
import { publish } from '../publish.js';
import { describeUnpublished, worktreeChanges } from '../session.js';
import { crashPoint, path } from '../sys.js';
import { cellText } from '../protocol/board.js';
import { sessionBranch } from '../protocol/layout.js';
import { stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'close',
  summary: 'self-close: remove my row (or --pause), publish, remove my worktree and branch',
  usage: '[--pause ETA] [--keep-branch] [--keep-worktree] [--force] [--json]',
  description: 'Refuses, changing nothing, when the worktree holds uncommitted work or the branch holds\n' +
    'commits that are not on the blackboard branch, and names them (--force to drop them).\n' +
    'The heartbeat\'s own edit of the board is coord\'s and never blocks a close.',
  flags: [
    { name: 'pause', value: 'ETA', help: 'keep the row with scope "paused — resuming ETA"; keep the worktree' },
    { name: 'keep-branch', help: 'remove the worktree but keep the branch session-<id>' },
    { name: 'keep-worktree', help: 'keep the worktree (and so its branch)' },
    { name: 'force', help: 'close even though uncommitted or unpublished work would be lost' },
    { name: 'json', help: 'print {"id","paused","worktreeRemoved","branchDeleted","commit"}' },
  ],
  positionals: [0, 0],
};

export function run(p: Parsed): number {
  const cwd = process.cwd(); // read now: the directory may be the worktree this removes
  const ctx = openContext(cwd, { as: str(p, 'as') });
  const id = requireSession(ctx);
  const branch = sessionBranch(id);
  const pause = str(p, 'pause');
  if (pause !== undefined) {
    const eta = cellText(pause, 'ETA', 80);
    const r = publish(ctx, (snap) => planPause(snap, id, eta, stamp()));
    if (bool(p, 'json')) json({ id, paused: eta, worktreeRemoved: false, branchDeleted: false, commit: r.sha });
    else out(`${id} paused — resuming ${eta}. Your worktree stays; 'coord scope …' resumes.`);
    return 0;
  }
  const wt = listWorktrees(ctx.repo.top).find((w) => w.branch === branch);
  const keepWorktree = bool(p, 'keep-worktree');
  const keepBranch = keepWorktree || bool(p, 'keep-branch');
  const hasBranch = branchExists(ctx.repo.top, branch);
  // Look before publishing anything: a refusal must leave everything as it was.
  const losses: string[] = [];
  if (!bool(p, 'force')) {
    refresh(ctx);
    if (wt && !keepWorktree) losses.push(...uncommitted(wt.dir, id));
    const unpublished = hasBranch && !keepBranch ? describeUnpublished(ctx, branch) : null;
    if (unpublished) losses.push(unpublished);
    if (losses.length) {
      throw new CoordError(`Not closing ${id}: ${losses.join('; ')}. Commit and publish it (git push ${ctx.cfg.remote} HEAD:${ctx.cfg.branch}), keep it (--keep-worktree / --keep-branch), or drop it (--force).`);
    }
  }
  const closed = publish(ctx, (snap) => planRemoveRow(snap, id, `self-close ${id}`));
  const mainRoot = ctx.repo.mainRoot;
  let worktreeRemoved = false;
  let branchDeleted = false;
  if (wt && !keepWorktree) {
    try { removeWorktree(mainRoot, wt.dir); } catch (e) {
      if (!(e instanceof GitError)) throw e;
      throw new CoordError(`Closed ${id} on the board, but removing ${wt.dir} failed (${e.detail}): remove it with git worktree remove --force ${wt.dir}.`);
    }
    worktreeRemoved = true;
    crashPoint('after-worktree-remove');
  }
  if (hasBranch && !keepBranch) {
    try { deleteBranch(mainRoot, branch); } catch (e) {
      if (!(e instanceof GitError)) throw e;
      throw new CoordError(`Closed ${id}, but deleting branch ${branch} failed (${e.detail}): delete it with git branch -D ${branch}.`);
    }
    branchDeleted = true;
  }
  if (bool(p, 'json')) {
    json({ id, paused: null, worktreeRemoved, branchDeleted, commit: closed.value ? closed.sha : null });
    return 0;
  }
  out(closed.value ? `${id} closed: its row is off the board on ${boardName(ctx)}.` : `${id} had no row on ${boardName(ctx)} (already closed); cleaned up what was left.`);
  if (worktreeRemoved) out(`Removed worktree ${wt!.dir}.`);
  if (branchDeleted) out(`Deleted branch ${branch}.`);
  if (worktreeRemoved && isInside(cwd, wt!.dir)) out(`Your shell is still in the removed directory: cd ${mainRoot}`);
  return 0;
}

/** Uncommitted work in a worktree that closing would lose (the heartbeat's edit is not). */
function uncommitted(dir: string, id: string): string[] {
  const { mine } = worktreeChanges(dir, id, 'all');
  if (!mine.length) return [];
  const shown = mine.slice(0, 5).join(', ') + (mine.length > 5 ? ` and ${mine.length - 5} more` : '');
  return [`${dir} has uncommitted changes (${shown})`];
}

function isInside(dir: string, parent: string): boolean {
  const rel = path().relative(parent, dir);
  return rel === '' || (!rel.startsWith('..') && !path().isAbsolute(rel));
}
