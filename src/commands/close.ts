// coord close: take my row off the board (or pause it), then remove my worktree and branch.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { boardName, refresh } from '../blackboard.js';
import { openContext, requireSession } from '../context.js';
import { CoordError } from '../errors.js';
import { branchExists, deleteBranch, GitError, listWorktrees, removeWorktree } from '../git.js';
import { json, out } from '../output.js';
import { planClose, planPause } from '../plans.js';
import { publish } from '../publish.js';
import { describeUnpublished, ignoredLosses, worktreeChanges } from '../session.js';
import { findWorktree, operationInProgress } from '../worktree.js';
import { crashPoint, path } from '../sys.js';
import { cellText } from '../protocol/board.js';
import { sessionBranch, sessionWorktree } from '../protocol/layout.js';
import { stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'close',
  summary: 'self-close: remove my row (or --pause), publish, remove my worktree and branch',
  usage: '[--pause ETA] [--keep-branch] [--keep-worktree] [--discard-ignored] [--release-riffs] [--force] [--json]',
  description: 'Refuses, changing nothing, when the worktree holds uncommitted work or files git ignores\n' +
    '(.env, build output), when the branch holds commits that are not on the blackboard branch, when\n' +
    'my row holds a Riff, or while a rebase or a detached HEAD is in the worktree; it names what and\n' +
    'how to go on. The heartbeat\'s own edit of the board, and unchanged copies of the files\n' +
    '.worktreeinclude names, never block a close.',
  flags: [
    { name: 'pause', value: 'ETA', help: 'keep the row with scope "paused — resuming ETA"; keep the worktree' },
    { name: 'keep-branch', help: 'remove the worktree but keep the branch session-<id>' },
    { name: 'keep-worktree', help: 'keep the worktree (and so its branch)' },
    { name: 'discard-ignored', help: 'delete the files git ignores in the worktree with it' },
    { name: 'release-riffs', help: 'let go of the Riffs my row holds (the commit says so)' },
    { name: 'force', help: 'close even though uncommitted, ignored or unpublished work would be lost' },
    { name: 'json', help: 'print {"id","paused","worktreeRemoved","branchDeleted","released","unresolved","commit"}' },
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
  const mainRoot = ctx.repo.mainRoot;
  const home = sessionWorktree(mainRoot, id);
  const wt = listWorktrees(ctx.repo.top).find((w) => w.branch === branch || w.dir === home);
  const keepWorktree = bool(p, 'keep-worktree');
  const keepBranch = keepWorktree || bool(p, 'keep-branch');
  const hasBranch = branchExists(ctx.repo.top, branch);
  const force = bool(p, 'force');
  if (wt && !keepWorktree && !force) refuseMidOperation(id, wt.dir, branch);
  // Look before publishing anything: a refusal must leave everything as it was.
  if (!force) {
    refresh(ctx);
    const { remote, branch: board } = ctx.cfg;
    const why: string[] = [];
    const how: string[] = [];
    if (wt && !keepWorktree) {
      const mine = worktreeChanges(wt.dir, id, 'all').mine;
      if (mine.length) { why.push(`${wt.dir} has uncommitted changes (${listed(mine)})`); how.push(`commit and publish them (git push ${remote} HEAD:${board}), or keep the worktree (--keep-worktree)`); }
      const ignored = bool(p, 'discard-ignored') ? [] : ignoredLosses(wt.dir, mainRoot);
      if (ignored.length) { why.push(`${wt.dir} holds files git ignores (${listed(ignored)})`); how.push('move them out, keep the worktree (--keep-worktree), or delete them with it (--discard-ignored)'); }
    }
    const unpublished = hasBranch && !keepBranch ? describeUnpublished(ctx, branch) : null;
    if (unpublished) { why.push(unpublished); how.push(`publish them (git push ${remote} HEAD:${board}), or keep the branch (--keep-branch)`); }
    if (why.length) throw new CoordError(`Not closing ${id}: ${why.join('; ')}. To go on: ${how.join('; ')}; or drop all of it (--force).`);
  }
  const closed = publish(ctx, (snap) => planClose(snap, id, bool(p, 'release-riffs') || force));
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
    const { had, released, unresolved } = closed.value;
    json({ id, paused: null, worktreeRemoved, branchDeleted, released, unresolved, commit: had ? closed.sha : null });
    return 0;
  }
  const { had, released, unresolved } = closed.value;
  out(had ? `${id} closed: its row is off the board on ${boardName(ctx)}.` : `${id} had no row on ${boardName(ctx)} (already closed); cleaned up what was left.`);
  if (released.length) out(`Released Riff ${released.join(', ')}: no session holds it now.`);
  if (unresolved) out(`${unresolved} message(s) to ${id} are left unresolved; their senders see ${id} as closed in coord inbox --sent.`);
  if (worktreeRemoved) out(`Removed worktree ${wt!.dir}.`);
  if (branchDeleted) out(`Deleted branch ${branch}.`);
  if (worktreeRemoved && isInside(cwd, wt!.dir)) out(`Your shell is still in the removed directory: cd ${mainRoot}`);
  return 0;
}

const listed = (files: string[]) => files.slice(0, 5).join(', ') + (files.length > 5 ? ` and ${files.length - 5} more` : '');

/** Refuses while the session's worktree is mid-rebase (or another operation) or on a detached HEAD: removing it then loses that state. */
function refuseMidOperation(id: string, dir: string, branch: string): void {
  const w = findWorktree(dir);
  if (!w) return;
  const op = operationInProgress(w.gitDir);
  if (op) throw new CoordError(`Not closing ${id}: a ${op} is in progress in ${dir}. Finish it (git ${op} --continue) or abort it (git ${op} --abort) there, then close again.`);
  if (w.branch !== branch) throw new CoordError(`Not closing ${id}: ${dir} is on ${w.branch ? `branch ${w.branch}` : 'a detached HEAD'}, not ${branch}. Check out ${branch} there (git -C ${dir} switch ${branch}), then close again.`);
}

function isInside(dir: string, parent: string): boolean {
  const rel = path().relative(parent, dir);
  return rel === '' || (!rel.startsWith('..') && !path().isAbsolute(rel));
}
