// coord close: take my row off the board (or pause it), then remove my worktree and branch.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { boardName, boardRef, openContext, requireSession, type Context } from '../context.js';
import { CoordError } from '../errors.js';
import { listWorktrees, run as runGit } from '../git.js';
import { json, out } from '../output.js';
import { publish, refresh } from '../publish.js';
import { cleanText, coordSubject, updateRow, worktreeChanges } from '../session.js';
import { crashPoint, path } from '../sys.js';
import { BOARD_PATH, findRow, parseBoard, PAUSED_PREFIX, withoutRow } from '../protocol/board.js';

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
  const ctx = openContext(cwd, p.flags.as as string | undefined);
  const id = requireSession(ctx);
  const branch = `session-${id}`;
  const pause = str(p, 'pause');
  if (pause !== undefined) {
    const eta = cleanText(pause, 'ETA', 80);
    const r = updateRow(ctx, id, `pause ${id} — resuming ${eta}`, (row) => ({ ...row, scope: `${PAUSED_PREFIX}${eta}` }));
    if (bool(p, 'json')) json({ id, paused: eta, worktreeRemoved: false, branchDeleted: false, commit: r.sha });
    else out(`${id} paused — resuming ${eta}. Your worktree stays; 'coord scope …' resumes.`);
    return 0;
  }
  const wt = listWorktrees(ctx.repo.top).find((w) => w.branch === branch);
  const keepWorktree = bool(p, 'keep-worktree');
  const keepBranch = keepWorktree || bool(p, 'keep-branch');
  const hasBranch = runGit(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: ctx.repo.top }).code === 0;
  // Look before publishing anything: a refusal must leave everything as it was.
  const losses: string[] = [];
  if (!bool(p, 'force')) {
    refresh(ctx);
    if (wt && !keepWorktree) losses.push(...uncommitted(wt.dir, id));
    if (hasBranch && !keepBranch) losses.push(...unpublished(ctx, branch));
    if (losses.length) {
      throw new CoordError(`Not closing ${id}: ${losses.join('; ')}. Commit and publish it (git push ${ctx.cfg.remote} HEAD:${ctx.cfg.branch}), keep it (--keep-worktree / --keep-branch), or drop it (--force).`);
    }
  }
  const closed = publish(ctx, (snap) => {
    const board = parseBoard(snap.read(BOARD_PATH) ?? '');
    const had = !!findRow(board, id);
    return { files: had ? new Map([[BOARD_PATH, withoutRow(board, id)]]) : new Map(), subject: coordSubject(id, `self-close ${id}`), value: had };
  });
  const mainRoot = ctx.repo.mainRoot;
  let worktreeRemoved = false;
  let branchDeleted = false;
  if (wt && !keepWorktree) {
    const r = runGit(['worktree', 'remove', '--force', wt.dir], { cwd: mainRoot });
    if (r.code !== 0) throw new CoordError(`Closed ${id} on the board, but removing ${wt.dir} failed (${r.stderr.trim().split('\n').pop()}): remove it with git worktree remove --force ${wt.dir}.`);
    worktreeRemoved = true;
    crashPoint('after-worktree-remove');
  }
  if (hasBranch && !keepBranch) {
    const r = runGit(['branch', '-D', branch], { cwd: mainRoot });
    if (r.code !== 0) throw new CoordError(`Closed ${id}, but deleting branch ${branch} failed (${r.stderr.trim().split('\n').pop()}): delete it with git branch -D ${branch}.`);
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

/** Commits on the session branch that are not on the blackboard branch. */
function unpublished(ctx: Context, branch: string): string[] {
  const log = runGit(['log', '--format=%h %s', `${boardRef(ctx)}..refs/heads/${branch}`], { cwd: ctx.repo.top });
  const commits = log.code === 0 ? log.stdout.trim().split('\n').filter(Boolean) : [];
  if (!commits.length) return [];
  return [`${branch} has ${commits.length} commit(s) not on ${boardName(ctx)} (${commits.slice(0, 3).join('; ')}${commits.length > 3 ? '; …' : ''})`];
}

function isInside(dir: string, parent: string): boolean {
  const rel = path().relative(parent, dir);
  return rel === '' || (!rel.startsWith('..') && !path().isAbsolute(rel));
}
