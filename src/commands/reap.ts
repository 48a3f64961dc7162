// coord reap: take stale sessions off the board in one commit. Never deletes their work:
// a worktree of a reaped session on this machine is reported and kept.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { boardName, refresh, Snapshot } from '../blackboard.js';
import type { Context } from '../context.js';
import { clientAlive, clientWorktrees } from '../clientrecord.js';
import { closeSession } from '../closing.js';
import { CoordError, UsageError } from '../errors.js';
import { listWorktrees, resolveCommit } from '../git.js';
import { out, report, type Report } from '../output.js';
import { planReap } from '../plans.js';
import { publish } from '../publish.js';
import { boardHistory, stateOf, withThresholds } from '../liveness.js';
import { findRow, parseBoard, type SessionRow } from '../protocol/board.js';
import { seatOf } from '../protocol/seat.js';
import { BOARD_PATH, sessionBranch } from '../protocol/layout.js';
import { RESERVATIONS_PATH } from '../protocol/reservations.js';
import { age, parseDuration, parseStamp } from '../protocol/stamp.js';
import { lossText, workAtRisk } from '../session.js';

export const spec: VerbSpec = {
  name: 'reap',
  summary: 'remove stale sessions (no presence, no [sX] commit for a while) from the board, one commit',
  usage: '[--older-than DURATION] [--include-paused] [--dry-run] [--json] | --abandoned [--idle DURATION] [--dry-run] [--json]',
  description:
    'A session is stale when the newest of its presence stamp, its claim and its last [sX] commit\n' +
    'is older than --older-than (default: the stale threshold, 24h). Paused sessions are kept\n' +
    'unless --include-paused. Their worktrees and branches here are kept and listed. Their mail, and\n' +
    'messages resolved longer ago than "archiveAfter" (default 7d), move to docs/ai/sessions/archive/.\n' +
    "--abandoned instead closes, as close does, the sessions of this clone Claude Code's WorktreeCreate\n" +
    'made whose client never called WorktreeRemove (claude -p): only when the client process is gone,\n' +
    "the branch has no commit since the claim, the worktree holds nothing of anyone's (the rule close\n" +
    'uses) and nothing moved for --idle (default 1h). Any other is kept and the reason said.',
  flags: [
    { name: 'abandoned', help: "close this clone's Claude Code sessions whose client is gone and that did nothing" },
    { name: 'idle', value: 'DURATION', help: 'with --abandoned: how long since the claim or presence (default 1h)' },
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
  if (bool(p, 'abandoned')) {
    if (str(p, 'older-than') !== undefined || bool(p, 'include-paused'))
      throw new UsageError('--abandoned takes --idle, not --older-than or --include-paused: run coord reap --abandoned --idle 2h.');
    return reapAbandoned(opened, p);
  }
  if (str(p, 'idle') !== undefined) throw new UsageError('--idle goes with --abandoned: run coord reap --abandoned --idle 2h.');
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
  // The board and the reservations join the inboxes' read (the mail of reaped sessions moves): one git process for all.
  const plan = (snap: Snapshot) => {
    snap.mailbox([BOARD_PATH, RESERVATIONS_PATH]);
    return planReap(snap, ctx.session, isStale, resolvedBefore);
  };
  if (bool(p, 'dry-run')) {
    const fetched = refresh(ctx, true);
    ({ ids: reaped, resolved } = plan(new Snapshot(ctx, fetched.sha)).value);
  } else {
    const r = publish(ctx, plan);
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

const DEFAULT_IDLE = '1h';

/** Why the session of `entry`'s worktree is not abandoned, or null when closing it loses nothing and no one is at it. */
function whyKept(ctx: Context, entry: ReturnType<typeof clientWorktrees>[number], row: SessionRow, idleMs: number): string | null {
  const { w, rec, claim } = entry;
  if (!rec.client) return 'coord does not know its client process';
  if (clientAlive(rec.client)) return `its client (pid ${rec.client.pid}) still runs`;
  const head = resolveCommit(w.top, 'HEAD');
  if (head !== rec.sha) return 'its branch has commits since the claim';
  const moved = Math.max(rec.at, parseStamp(row.presence) ?? 0);
  if (Date.now() - moved < idleMs) return `it was active ${age(Date.now() - moved)} ago (less than --idle ${age(idleMs)})`;
  const losses = workAtRisk(ctx, { dir: w.top, id: claim.id, branch: w.branch, ignored: true });
  return losses.length ? losses.map(lossText).join('; ') : null;
}

function reapAbandoned(ctx: Context, p: Parsed): Report {
  const idle = str(p, 'idle') ?? DEFAULT_IDLE;
  const idleMs = parseDuration(idle);
  if (idleMs === null) throw new UsageError(`--idle '${idle}' is not a duration: use forms like 30m, 2h, 1d.`);
  const dryRun = bool(p, 'dry-run');
  const board = parseBoard(new Snapshot(ctx, refresh(ctx).sha).read(BOARD_PATH) ?? '');
  const closed: string[] = [];
  const kept: { id: string; dir: string; why: string }[] = [];
  for (const entry of clientWorktrees(ctx.repo.commonDir)) {
    const { w, claim } = entry;
    const row = findRow(board, claim.id);
    // Off the board, or the seat claimed anew: not the session this worktree's claim speaks for.
    if (!row || seatOf(claim, row).kind !== 'own' || claim.id === ctx.session) continue;
    let why = whyKept(ctx, entry, row, idleMs);
    if (!why && !dryRun) {
      const options = { keepWorktree: false, keepBranch: false, force: false, discardIgnored: false, releaseRiffs: false };
      try {
        closeSession(ctx, claim.id, options);
      } catch (e) {
        if (!(e instanceof CoordError)) throw e;
        why = e.message;
      }
    }
    if (why) kept.push({ id: claim.id, dir: w.top, why });
    else closed.push(claim.id);
  }
  return report({ abandoned: closed, kept, dryRun }, () => {
    if (!closed.length) out('No abandoned Claude Code sessions in this clone.');
    else out(`${dryRun ? 'Would close' : 'Closed'} ${closed.join(', ')}: their client is gone and they did nothing for ${age(idleMs)}.`);
    for (const k of kept) out(`Kept ${k.id} (${k.dir}): ${k.why.replace(/\.$/, '')}.`);
  });
}
