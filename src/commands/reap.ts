// coord reap: take stale sessions off the board in one commit. Never deletes their work:
// a worktree of a reaped session on this machine is reported and kept.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { boardName, refresh, Snapshot } from '../blackboard.js';
import type { Context } from '../context.js';
import { listWorktrees } from '../git.js';
import { out, report, type Report } from '../output.js';
import { planReap } from '../plans.js';
import { publish } from '../publish.js';
import { boardHistory, stateOf, withThresholds } from '../liveness.js';
import type { SessionRow } from '../protocol/board.js';
import { sessionBranch } from '../protocol/layout.js';
import { age } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'reap',
  summary: 'remove stale sessions (no presence, no [sX] commit for a while) from the board, one commit',
  usage: '[--older-than DURATION] [--include-paused] [--dry-run] [--json]',
  description:
    'A session is stale when the newest of its presence stamp, its claim and its last [sX] commit\n' +
    'is older than --older-than (default: the stale threshold, 24h). Paused sessions are kept\n' +
    'unless --include-paused. Their worktrees and branches here are kept and listed. Their mail, and\n' +
    'messages resolved longer ago than "archiveAfter" (default 7d), move to docs/ai/sessions/archive/.',
  flags: [
    { name: 'older-than', value: 'DURATION', help: 'staleness threshold (default 24h or "stale" in .coord.json)' },
    { name: 'include-paused', help: 'reap paused sessions too' },
    { name: 'dry-run', help: 'say what would be removed, change nothing' },
    { name: 'json', help: 'print {"reaped":[ids],"kept":[worktree dirs],"archivedResolved","dryRun","commit"}' },
  ],
  positionals: [0, 0],
  group: 'sessions',
  needs: 'speaker',
};

export function run(opened: Context, p: Parsed): Report {
  const ctx = withThresholds(opened, { stale: str(p, 'older-than') }, { stale: 'older-than' });
  const commits = boardHistory(ctx, null, false).last; // the rows are judged on the board the plan reads
  const isStale = (row: SessionRow) => {
    const { state, newest } = stateOf(row, commits.get(row.id), ctx);
    if (state === 'stale') return true;
    return state === 'paused' && bool(p, 'include-paused') && (newest === null || Date.now() - newest > ctx.cfg.staleMs);
  };
  // Resolved messages older than archiveAfter leave the live queues too, in the same commit.
  const resolvedBefore = Date.now() - ctx.cfg.archiveAfterMs;
  let reaped: string[];
  let resolved: number;
  let sha: string | null = null;
  if (bool(p, 'dry-run')) {
    const fetched = refresh(ctx, true);
    ({ ids: reaped, resolved } = planReap(new Snapshot(ctx, fetched.sha), ctx.session, isStale, resolvedBefore).value);
  } else {
    const r = publish(ctx, (snap) => planReap(snap, ctx.session, isStale, resolvedBefore));
    ({ ids: reaped, resolved } = r.value);
    sha = reaped.length || resolved ? r.sha : null;
  }
  const kept = listWorktrees(ctx.repo.top)
    .filter((w) => reaped.some((id) => w.branch === sessionBranch(id)))
    .map((w) => w.dir);
  return report({ reaped, kept, archivedResolved: resolved, dryRun: bool(p, 'dry-run'), commit: sha }, () => {
    const moved = bool(p, 'dry-run') ? 'Would move' : 'Moved';
    if (resolved) out(`${moved} ${resolved} message(s) resolved over ${age(ctx.cfg.archiveAfterMs)} ago to the archive.`);
    if (!reaped.length) return out(`No stale sessions on ${boardName(ctx)} (older than ${age(ctx.cfg.staleMs)}).`);
    out(`${bool(p, 'dry-run') ? 'Would remove' : 'Removed'} ${reaped.join(', ')} from the board on ${boardName(ctx)}.`);
    for (const dir of kept) out(`Kept worktree ${dir} (its work is never deleted; coord close --as <id> there when done).`);
  });
}
