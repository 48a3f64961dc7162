// Everything a verb needs to know about where it runs: the repository, the worktree,
// the team's settings, whether there is a remote, and which session is speaking.
import { CoordError, UsageError } from './errors.js';
import { repoPaths, run, type RepoPaths } from './git.js';
import { findWorktree, type Worktree } from './worktree.js';
import { loadConfig, type Config } from './config.js';
import { checkId } from './protocol/ids.js';

export interface Context {
  repo: RepoPaths;
  wt: Worktree;
  cfg: Config;
  hasRemote: boolean;
  /** The session speaking: --as, then COORD_SESSION, then the worktree's branch. */
  session: string | null;
}

/** Opens the repository around `cwd` (two git processes). */
export function openContext(cwd: string, as?: string): Context {
  const repo = repoPaths(cwd);
  const wt = findWorktree(repo.top);
  if (!wt) throw new CoordError(`Cannot read the git layout of '${repo.top}'.`);
  const cfg = loadConfig(repo.top);
  const hasRemote = run(['config', '--get', `remote.${cfg.remote}.url`], { cwd: repo.top }).code === 0;
  const override = as ?? process.env.COORD_SESSION ?? '';
  if (override) {
    const bad = checkId(override);
    if (bad) throw new UsageError(`${bad}${as ? '' : ' (from COORD_SESSION)'}.`);
  }
  return { repo, wt, cfg, hasRemote, session: override || wt.session };
}

/** The session speaking, or a clear error saying how to name one. */
export function requireSession(ctx: Context): string {
  if (ctx.session) return ctx.session;
  throw new CoordError(`This is not a session worktree ('${ctx.wt.name}'${ctx.wt.branch ? `, branch '${ctx.wt.branch}'` : ''}): cd into your session's worktree, or pass --as <id> (see 'coord status').`);
}

/** Where the blackboard branch is read from: the remote-tracking ref, or the local branch. */
export function boardRef(ctx: Context): string {
  return ctx.hasRemote ? `refs/remotes/${ctx.cfg.remote}/${ctx.cfg.branch}` : `refs/heads/${ctx.cfg.branch}`;
}

/** How people name the blackboard in messages: `origin/main` or `main`. */
export function boardName(ctx: Context): string {
  return ctx.hasRemote ? `${ctx.cfg.remote}/${ctx.cfg.branch}` : ctx.cfg.branch;
}

/** Where `start` notes the id it is claiming until the worktree exists (per process). */
export function claimMarkFile(ctx: Context): string {
  return `${ctx.repo.commonDir}/coord/claiming-${process.pid}`;
}
