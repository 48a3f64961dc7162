// Who is alive: the board's presence stamps, plus the newest [sX] commit in history, so
// liveness survives a missing heartbeat hook. Reads the session branches and a window of
// the blackboard branch only: the cost does not grow with the length of history. Every verb
// that judges liveness (status, prime, inbox, reap, doctor) reads it through boardHistory.
import { filesChanged, listBranches, subjectsSince, type ChangedIn } from './git.js';
import { boardRef } from './blackboard.js';
import { withSettings, type Context } from './context.js';
import { UsageError } from './errors.js';
import { isPaused, type SessionRow } from './protocol/board.js';
import { sessionBranch, sessionOfBranch } from './protocol/layout.js';
import { parseDuration, parseStamp } from './protocol/stamp.js';
import { sessionOfSubject } from './protocol/subject.js';

export type State = 'live' | 'idle' | 'stale' | 'paused';

export interface History {
  /** Unix ms of the newest `[sX]` commit per session id: session branch tips, then the blackboard's history. */
  last: Map<string, number>;
  /** With `files`: the blackboard's commits read, with the files each changed. */
  changed: ChangedIn[];
}

/**
 * The one liveness read: the newest `[sX]` commit of each session, and with `files` what each
 * commit changed. History is read within a window (the stale threshold, at least a week) and,
 * when the rows are known, only since the oldest claim among them (a commit older than a row's
 * claim never changes its state; all of the window when a claim cannot be read). `rows` null:
 * whatever rows the caller will judge later (reap plans against a newer board), so the whole
 * window; no rows: no history read.
 */
export function boardHistory(ctx: Context, rows: SessionRow[] | null, files: boolean): History {
  const last = new Map<string, number>();
  const note = (id: string | null, t: number) => {
    if (id && t > (last.get(id) ?? 0)) last.set(id, t);
  };
  for (const b of listBranches(ctx.repo.top, sessionBranch(''))) note(sessionOfBranch(b.name), b.time * 1000);
  if (rows && !rows.length) return { last, changed: [] };
  const windowStart = Date.now() - Math.max(ctx.cfg.staleMs, 7 * 86400e3);
  const claims = (rows ?? []).map((r) => parseStamp(r.claimed));
  const oldest = !rows || claims.some((c) => c === null) ? windowStart : Math.max(windowStart, Math.min(...(claims as number[])));
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
export function stateOf(
  row: SessionRow,
  lastCommit: number | undefined,
  ctx: Context,
  now = Date.now(),
): { state: State; newest: number | null } {
  const times = [parseStamp(row.presence), parseStamp(row.claimed), lastCommit ?? null].filter((t): t is number => t !== null);
  const newest = times.length ? Math.max(...times) : null;
  if (isPaused(row)) return { state: 'paused', newest };
  if (newest === null) return { state: 'stale', newest };
  const ageMs = now - newest;
  // Stale first: a stale threshold below the live one (reap --older-than 10m) still counts.
  return { state: ageMs > ctx.cfg.staleMs ? 'stale' : ageMs < ctx.cfg.liveMs ? 'live' : 'idle', newest };
}

/**
 * The context with the live and stale thresholds a verb's flags give (`live`, `stale`: the
 * values; `flags`: their names for errors, e.g. --older-than).
 */
export function withThresholds(
  ctx: Context,
  values: { live?: string; stale?: string },
  flags: { live?: string; stale?: string } = {},
): Context {
  const ms = (which: 'live' | 'stale'): number | undefined => {
    const value = values[which];
    if (value === undefined) return undefined;
    const parsed = parseDuration(value);
    if (parsed === null || parsed <= 0)
      throw new UsageError(`--${flags[which] ?? which} '${value}' is not a duration: use forms like 30m, 24h, 7d.`);
    return parsed;
  };
  const liveMs = ms('live');
  const staleMs = ms('stale');
  return withSettings(ctx, { ...(liveMs === undefined ? {} : { liveMs }), ...(staleMs === undefined ? {} : { staleMs }) });
}
