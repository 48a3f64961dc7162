// Everything a verb needs to know about where it runs: the worktree (one model, see
// worktree.ts), the team's settings, whether there is a remote, which session speaks, and
// the run's own record of what it fetched and published. cli.ts opens it once per run.
import { CoordError, UsageError } from './errors.js';
import { remoteUrl, repoPaths } from './git.js';
import { claimRecord, worktreeAt, type Worktree } from './worktree.js';
import { loadConfig, type Config } from './config.js';
import { speakingSession } from './protocol/ids.js';
import type { ClaimRecord } from './protocol/seat.js';

/** What the guard's cache is written from: a blackboard commit's files (a Snapshot is one). */
export interface FileSource {
  readAll(paths: string[]): void;
  read(path: string): string | null;
}

/**
 * One run's record of the blackboard: what it fetched or published last while the guard's
 * cache is behind it (cli.ts brings the cache up to it once the verb is done), and what it
 * published, so an error after a publish never says "nothing was published".
 */
export interface RunState {
  board: { sha: string; files?: FileSource } | null;
  published: string | null;
}

export interface Context {
  /** The directory the run was opened in (the person's, which may lie below the worktree's top). */
  cwd: string;
  repo: Worktree;
  cfg: Readonly<Config>;
  hasRemote: boolean;
  /** The session speaking (see `speakingSession` for who wins). */
  session: string | null;
  /**
   * The claim this worktree made, when the session speaking is the worktree's own: every publish
   * checks it still holds that seat (publish.ts). Null outside one, or in a worktree claimed before the record.
   */
  claim: ClaimRecord | null;
  /** Shared by every copy of this context (`withSettings`): one run, one record. */
  run: RunState;
}

export interface OpenOptions {
  /** The verb's --as value. */
  as?: string;
  /** False for verbs that never act as a session (start claims a new one): COORD_SESSION is not read. */
  identity?: boolean;
}

/** Opens the repository around `cwd` (two git processes). */
export function openContext(cwd: string, opts: OpenOptions = {}): Context {
  const paths = repoPaths(cwd);
  const repo = worktreeAt(paths.top, paths.gitDir, paths.commonDir);
  const cfg = loadConfig(repo.top);
  const hasRemote = remoteUrl(repo.top, cfg.remote) !== null;
  let session = repo.session;
  let claim: ClaimRecord | null = null;
  if (opts.identity !== false) {
    const who = speakingSession({ flag: opts.as, worktree: repo.session, env: process.env.COORD_SESSION });
    if ('error' in who) throw new UsageError(who.error);
    session = who.id;
    // A person acting for another seat (--as) is not this worktree's session: no record to hold them to.
    if (session && session === repo.session) claim = claimRecord(repo);
  }
  return { cwd, repo, cfg, hasRemote, session, claim, run: { board: null, published: null } };
}

/** The context of a verb whose spec needs a session: the runner has checked there is one. */
export type SessionContext = Context & { session: string };

/** The same context with some settings changed for this run (a verb's --stale, a hook's shorter timeout). */
export function withSettings(ctx: Context, change: Partial<Config>): Context {
  return { ...ctx, cfg: { ...ctx.cfg, ...change } };
}

/** The session speaking, or a clear error saying how to name one. */
export function requireSession(ctx: Context): string {
  if (ctx.session) return ctx.session;
  throw new CoordError(
    `This is not a session worktree ('${ctx.repo.name}'${ctx.repo.branch ? `, branch '${ctx.repo.branch}'` : ''}): ` +
      `cd into your session's worktree, or pass --as <id> (see 'coord status').`,
  );
}
