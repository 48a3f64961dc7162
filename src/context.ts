// Everything a verb needs to know about where it runs: the worktree (one model, see
// worktree.ts), the team's settings, whether there is a remote, and which session speaks.
import { CoordError, UsageError } from './errors.js';
import { remoteUrl, repoPaths } from './git.js';
import { worktreeAt, type Worktree } from './worktree.js';
import { loadConfig, type Config } from './config.js';
import { speakingSession } from './protocol/ids.js';

export interface Context {
  repo: Worktree;
  cfg: Config;
  hasRemote: boolean;
  /** The session speaking (see `speakingSession` for who wins). */
  session: string | null;
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
  if (opts.identity !== false) {
    const who = speakingSession({ flag: opts.as, worktree: repo.session, env: process.env.COORD_SESSION });
    if ('error' in who) throw new UsageError(who.error);
    session = who.id;
  }
  return { repo, cfg, hasRemote, session };
}

/** The session speaking, or a clear error saying how to name one. */
export function requireSession(ctx: Context): string {
  if (ctx.session) return ctx.session;
  throw new CoordError(`This is not a session worktree ('${ctx.repo.name}'${ctx.repo.branch ? `, branch '${ctx.repo.branch}'` : ''}): cd into your session's worktree, or pass --as <id> (see 'coord status').`);
}
