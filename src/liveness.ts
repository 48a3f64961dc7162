// Who is alive: the board's presence stamps, plus the newest [sX] commit in history, so
// liveness survives a missing heartbeat hook. Reads the session branches and a window of
// the blackboard branch only: the cost does not grow with the length of history.
import { filesChanged, listBranches, subjectsSince, type ChangedIn } from './git.js';
import { boardRef } from './blackboard.js';
import type { Context } from './context.js';
import { UsageError } from './errors.js';
import { isPaused, type SessionRow } from './protocol/board.js';
import { sessionBranch, sessionOfBranch } from './protocol/layout.js';
import { parseDuration, parseStamp } from './protocol/stamp.js';
import { sessionOfSubject } from './protocol/subject.js';

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
  for (const b of listBranches(ctx.repo.top, sessionBranch(''))) {
    const id = sessionOfBranch(b.name);
    if (id) note(id, b.time * 1000);
  }
  for (const c of subjectsSince(ctx.repo.top, boardRef(ctx), since)) {
    const id = sessionOfSubject(c.subject);
    if (id) note(id, c.time * 1000);
  }
  return found;
}

export interface History {
  /** Unix ms of the newest `[sX]` commit per session id, as lastCommits. */
  last: Map<string, number>;
  /** With `files`: the blackboard's commits read, with the files each changed. */
  changed: ChangedIn[];
}

/**
 * lastCommits for the sessions of `rows`, and with `files` what each commit changed, from one
 * read of the blackboard's history: since the oldest claim among the rows (a commit older than
 * a row's claim never changes its state), at most the window lastCommits reads (all of it when
 * a claim cannot be read). No rows: no history read.
 */
export function boardHistory(ctx: Context, rows: SessionRow[], files: boolean): History {
  const last = new Map<string, number>();
  const note = (id: string | null, t: number) => { if (id && t > (last.get(id) ?? 0)) last.set(id, t); };
  for (const b of listBranches(ctx.repo.top, sessionBranch(''))) note(sessionOfBranch(b.name), b.time * 1000);
  if (!rows.length) return { last, changed: [] };
  const windowStart = Date.now() - Math.max(ctx.cfg.staleMs, 7 * 86400e3);
  const claims = rows.map((r) => parseStamp(r.claimed));
  const oldest = claims.some((c) => c === null) ? windowStart : Math.max(windowStart, Math.min(...(claims as number[])));
  const since = Math.floor(oldest / 1000);
  if (!files) {
    for (const c of subjectsSince(ctx.repo.top, boardRef(ctx), since)) note(sessionOfSubject(c.subject), c.time * 1000);
    return { last, changed: [] };
  }
  const changed = filesChanged(ctx.repo.top, [boardRef(ctx)], since);
  for (const c of changed) note(sessionOfSubject(c.subject), c.time * 1000);
  return { last, changed };
}

/** The state of a row, from the newest of its presence, its last commit and its claim. */
export function stateOf(row: SessionRow, lastCommit: number | undefined, ctx: Context, now = Date.now()): { state: State; newest: number | null } {
  const times = [parseStamp(row.presence), parseStamp(row.claimed), lastCommit ?? null].filter((t): t is number => t !== null);
  const newest = times.length ? Math.max(...times) : null;
  if (isPaused(row)) return { state: 'paused', newest };
  if (newest === null) return { state: 'stale', newest };
  const ageMs = now - newest;
  // Stale first: a stale threshold below the live one (reap --older-than 10m) still counts.
  return { state: ageMs > ctx.cfg.staleMs ? 'stale' : ageMs < ctx.cfg.liveMs ? 'live' : 'idle', newest };
}

/** Sets the live or stale threshold from a --live / --stale / --older-than value (`flag` names it in errors). */
export function overrideThreshold(ctx: Context, which: 'live' | 'stale', value: string | undefined, flag: string = which): void {
  if (value === undefined) return;
  const ms = parseDuration(value);
  if (ms === null || ms <= 0) throw new UsageError(`--${flag} '${value}' is not a duration: use forms like 30m, 24h, 7d.`);
  ctx.cfg[which === 'live' ? 'liveMs' : 'staleMs'] = ms;
}
