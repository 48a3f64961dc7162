// The one path that changes coordination files on the blackboard branch. A change is a
// plan: a pure function from a snapshot of the newest main to the files it rewrites. Each
// attempt re-reads main, re-applies the plan, commits on top without touching any
// worktree, and publishes with a compare-and-swap (a push, or update-ref locally). When
// main moved, it tries again; the server's policy refusals and network failures stop at once.
import { CoordError } from './errors.js';
import { casRef, commitFiles, committerIdent, git, gitMaybe, listWorktrees, pushRef, readObjects, run } from './git.js';
import { boardName, boardRef, type Context } from './context.js';
import { crashPoint, sleepMs } from './sys.js';
import { readRef } from './worktree.js';

export const MAX_ATTEMPTS = 40;

/** The blackboard at one commit, read lazily and at most once per file. */
export class Snapshot {
  private cache = new Map<string, string | null>();
  constructor(readonly ctx: Context, readonly sha: string | null) {}

  /** Reads several files in one git process. */
  preload(paths: string[]): void {
    const todo = paths.filter((p) => !this.cache.has(p));
    if (!this.sha) { todo.forEach((p) => this.cache.set(p, null)); return; }
    const objs = readObjects(this.ctx.repo.top, todo.map((p) => `${this.sha}:${p}`));
    todo.forEach((p, i) => this.cache.set(p, objs[i]?.type === 'blob' ? objs[i]!.content : null));
  }

  /** A file's text at this commit, or null when it is not there. */
  read(path: string): string | null {
    if (!this.cache.has(path)) this.preload([path]);
    return this.cache.get(path) ?? null;
  }

  /** Files directly under `dir` at this commit, with their blob ids. */
  list(dir: string): { name: string; blob: string }[] {
    if (!this.sha) return [];
    const out = gitMaybe(['ls-tree', `${this.sha}:${dir}`], { cwd: this.ctx.repo.top }) ?? '';
    return out.split('\n').map((l) => /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(l)).filter((m) => m !== null).map((m) => ({ name: m![2], blob: m![1] }));
  }
}

export interface Fetched { sha: string | null; offline: string | null }

/**
 * Brings the newest blackboard branch in (fetch from the remote, if any) and returns its
 * commit. With `offlineOk`, a failed fetch falls back to what was fetched last.
 */
export function refresh(ctx: Context, offlineOk = false): Fetched {
  const ref = boardRef(ctx);
  let offline: string | null = null;
  if (ctx.hasRemote) {
    const { remote, branch, timeoutMs } = ctx.cfg;
    for (let attempt = 1; ; attempt++) {
      const r = run(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', remote, `+refs/heads/${branch}:${ref}`], { cwd: ctx.repo.top, timeoutMs });
      if (r.code === 0) break;
      if (/couldn't find remote ref/i.test(r.stderr)) {
        throw new CoordError(`${remote} has no branch '${branch}': push one first (git push ${remote} HEAD:${branch}), or name the blackboard branch in .coord.json ({"branch": "…"}).`);
      }
      // Other coord processes of this clone fetch and write objects at the same moment: their traces are passing.
      if (/cannot lock ref|unable to update local ref|\.lock': File exists|did not send all necessary objects|bad object|unable to read/i.test(r.stderr) && attempt < 8) {
        sleepMs(20 + Math.random() * 100 * attempt);
        continue;
      }
      const why = r.code === 124 ? `no answer within ${Math.round(timeoutMs / 1000)} s` : (r.stderr.trim().split('\n').pop() ?? 'unknown error');
      offline = `could not reach ${remote} (${why})`;
      if (!offlineOk) throw new CoordError(`Cannot fetch ${remote}/${branch}: ${offline}. Nothing was changed; check the network or the remote's URL (git remote -v) and run again.`);
      break;
    }
  }
  const sha = readRef(ctx.repo.commonDir, ref) ?? gitMaybe(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: ctx.repo.top });
  if (!sha && !offline && !ctx.hasRemote && run(['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: ctx.repo.top }).code !== 0) {
    throw new CoordError(`This repository has no commits yet: make a first commit on ${ctx.cfg.branch} (git commit --allow-empty -m "init"), then run this again.`);
  }
  if (!sha && !ctx.hasRemote) throw new CoordError(`There is no branch '${ctx.cfg.branch}' here: create it, or name the blackboard branch in .coord.json ({"branch": "…"}).`);
  return { sha, offline };
}

/** What a plan returns: the files to write (null deletes), the commit subject, and a value for the caller. */
export interface Plan<T> { files: Map<string, string | null>; subject: string; value: T }

export interface Published<T> { sha: string | null; value: T; attempts: number }

/** Applies `plan` to the newest blackboard and publishes it; see the module comment. */
export function publish<T>(ctx: Context, plan: (snap: Snapshot) => Plan<T>): Published<T> {
  const cwd = ctx.repo.top;
  const ident = committerIdent(cwd);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const { sha: base } = refresh(ctx);
    crashPoint('after-fetch');
    const snap = new Snapshot(ctx, base);
    const { files, subject, value } = plan(snap);
    const changed = new Map([...files].filter(([p, c]) => snap.read(p) !== c));
    if (changed.size === 0) return { sha: base, value, attempts: attempt };
    const sha = commitFiles(cwd, base, changed, subject + '\n', ident);
    crashPoint('after-commit');
    if (ctx.hasRemote) {
      const out = pushRef(cwd, ctx.cfg.remote, sha, ctx.cfg.branch, ctx.cfg.timeoutMs);
      if (out.kind === 'ok') { crashPoint('after-publish'); return { sha, value, attempts: attempt }; }
      if (out.kind === 'refused') {
        throw new CoordError(`${ctx.cfg.remote} refused the update of ${ctx.cfg.branch}: ${out.detail}. Nothing was published; if ${ctx.cfg.branch} is protected, point coord at a branch sessions may push to ("branch" in .coord.json).`);
      }
      if (out.kind === 'failed') throw new CoordError(`Could not publish to ${boardName(ctx)}: ${out.detail}. Nothing was published; check the network and credentials, then run again.`);
    } else {
      const guard = checkedOutElsewhere(ctx, [...changed.keys()]);
      if (casRef(cwd, `refs/heads/${ctx.cfg.branch}`, sha, base)) {
        crashPoint('after-publish');
        for (const dir of guard) run(['read-tree', '-m', '-u', base!, sha], { cwd: dir });
        return { sha, value, attempts: attempt };
      }
    }
    sleepMs(Math.random() * 40 * Math.min(attempt, 10) + 10); // jitter grows with contention, capped
  }
  throw new CoordError(`Gave up after ${MAX_ATTEMPTS} attempts: ${boardName(ctx)} kept moving under us. Nothing was published; run the command again.`);
}

/**
 * Worktrees that have the (local) blackboard branch checked out: moving the branch under
 * them would leave them showing the change reversed, so they are brought along. Refuses
 * when the person has edits of their own in the files about to change there.
 */
function checkedOutElsewhere(ctx: Context, paths: string[]): string[] {
  const dirs = listWorktrees(ctx.repo.top).filter((w) => w.branch === ctx.cfg.branch).map((w) => w.dir);
  for (const d of dirs) {
    const dirty = git(['status', '--porcelain', '--', ...paths], { cwd: d }).trim();
    if (dirty) {
      throw new CoordError(`${ctx.cfg.branch} is checked out in '${d}' with uncommitted edits of ${dirty.split('\n').map((l) => l.slice(3)).join(', ')}: commit or stash them there, then run again.`);
    }
  }
  return dirs;
}
