// coord close: take my row off the board (or pause it), then remove my worktree and branch.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { boardName } from '../blackboard.js';
import { closeSession } from '../closing.js';
import type { SessionContext } from '../context.js';
import { out, report, type Report } from '../output.js';
import { planPause } from '../plans.js';
import { publish } from '../publish.js';
import { path } from '../sys.js';
import { cellText } from '../protocol/board.js';
import { sessionBranch } from '../protocol/layout.js';
import { stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'close',
  summary: 'self-close: remove my row (or --pause), publish, remove my worktree and branch',
  usage: '[--pause ETA] [--keep-branch] [--keep-worktree] [--discard-ignored] [--release-riffs] [--force] [--json]',
  description:
    'Refuses, changing nothing, when the worktree holds uncommitted work, files git ignores\n' +
    '(.env, build output), edits hidden by skip-worktree or assume-unchanged, or a submodule commit\n' +
    'none of its remotes has, when the branch holds commits that are not on the blackboard branch, when\n' +
    'my row holds a Riff, or while a rebase or a detached HEAD is in the worktree; it names what and\n' +
    "how to go on. The heartbeat's own edit of the board, and unchanged copies of the files\n" +
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
  group: 'sessions',
  needs: 'session',
};

export function run(ctx: SessionContext, p: Parsed): Report {
  const id = ctx.session;
  const branch = sessionBranch(id);
  const pause = str(p, 'pause');
  if (pause !== undefined) {
    const eta = cellText(pause, 'ETA', 80);
    const r = publish(ctx, (snap) => planPause(snap, id, eta, stamp()));
    return report({ id, paused: eta, worktreeRemoved: false, branchDeleted: false, commit: r.sha }, () =>
      out(`${id} paused — resuming ${eta}. Your worktree stays; 'coord scope …' resumes.`),
    );
  }
  const { closed, worktreeRemoved, branchDeleted, dir } = closeSession(ctx, id, {
    keepWorktree: bool(p, 'keep-worktree'),
    keepBranch: bool(p, 'keep-branch'),
    force: bool(p, 'force'),
    discardIgnored: bool(p, 'discard-ignored'),
    releaseRiffs: bool(p, 'release-riffs'),
  });
  const { had, released, unresolved } = closed.value;
  return report({ id, paused: null, worktreeRemoved, branchDeleted, released, unresolved, commit: had ? closed.sha : null }, () => {
    out(
      had
        ? `${id} closed: its row is off the board on ${boardName(ctx)}.`
        : `${id} had no row on ${boardName(ctx)} (already closed); cleaned up what was left.`,
    );
    if (released.length) out(`Released Riff ${released.join(', ')}: no session holds it now.`);
    if (unresolved) out(`${unresolved} message(s) to ${id} are left unresolved; their senders see ${id} as closed in coord inbox --sent.`);
    if (worktreeRemoved) out(`Removed worktree ${dir}.`);
    if (branchDeleted) out(`Deleted branch ${branch}.`);
    if (worktreeRemoved && dir && isInside(ctx.cwd, dir)) out(`Your shell is still in the removed directory: cd ${ctx.repo.mainRoot}`);
  });
}

function isInside(dir: string, parent: string): boolean {
  const rel = path().relative(parent, dir);
  return rel === '' || (!rel.startsWith('..') && !path().isAbsolute(rel));
}
