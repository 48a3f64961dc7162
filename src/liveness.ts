// Who is alive: the board's presence stamps, plus the newest [sX] commit in history, so
// liveness survives a missing heartbeat hook. Reads the session branches and a window of
// the blackboard branch only: the cost does not grow with the length of history.
import { gitMaybe } from './git.js';
import { boardRef, type Context } from './context.js';
import { isPaused, type SessionRow } from './protocol/board.js';
import { parseStamp } from './protocol/stamp.js';

export type State = 'live' | 'idle' | 'stale' | 'paused';

/**
 * Unix ms of the newest `[sX]` commit per session id: session branch tips, and the
 * blackboard branch within a window (the stale threshold, at least a week).
 */
export function lastCommits(ctx: Context): Map<string, number> {
  const windowMs = Math.max(ctx.cfg.staleMs, 7 * 86400e3);
  const since = Math.floor((Date.now() - windowMs) / 1000);
  const found = new Map<string, number>();
  const note = (id: string, t: number) => { if (t > (found.get(id) ?? 0)) found.set(id, t); };
  const branches = gitMaybe(['for-each-ref', '--format=%(committerdate:unix) %(refname:lstrip=2)', 'refs/heads/session-*'], { cwd: ctx.repo.top }) ?? '';
  for (const line of branches.split('\n')) {
    const m = /^(\d+) session-(s[A-Z]+)$/.exec(line);
    if (m) note(m[2], Number(m[1]) * 1000);
  }
  const log = gitMaybe(['log', `--since=${since}`, '--format=%ct %s', boardRef(ctx), '--'], { cwd: ctx.repo.top }) ?? '';
  for (const line of log.split('\n')) {
    const m = /^(\d+) \[(s[A-Z]+)\]/.exec(line);
    if (m) note(m[2], Number(m[1]) * 1000);
  }
  return found;
}

/** The state of a row, from the newest of its presence, its last commit and its claim. */
export function stateOf(row: SessionRow, lastCommit: number | undefined, ctx: Context, now = Date.now()): { state: State; newest: number | null } {
  const times = [parseStamp(row.presence), parseStamp(row.claimed), lastCommit ?? null].filter((t): t is number => t !== null);
  const newest = times.length ? Math.max(...times) : null;
  if (isPaused(row)) return { state: 'paused', newest };
  if (newest === null) return { state: 'stale', newest };
  const ageMs = now - newest;
  return { state: ageMs < ctx.cfg.liveMs ? 'live' : ageMs > ctx.cfg.staleMs ? 'stale' : 'idle', newest };
}
