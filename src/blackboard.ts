// The read side of the blackboard branch: bring the newest commit in (`refresh`) and read
// its coordination files (`Snapshot`). Read-only verbs use only this; publish.ts builds
// its attempts on it.
import { CoordError } from './errors.js';
import { fetchBranch, listTree, readObjects, resolveCommit } from './git.js';
import { readMailbox } from './mailbox.js';
import { sleepMs } from './sys.js';
import { readRef } from './worktree.js';
import type { Context } from './context.js';
import type { Mailbox } from './protocol/mailbox.js';
import type { View } from './protocol/view.js';
import { GUARD_PATH, isRegularFile, parentDirs, SCRIPT_PATH } from './protocol/layout.js';

const HOOK_SCRIPTS = [SCRIPT_PATH, GUARD_PATH];
/** The folder of the hook scripts, for preload: read with the board at no extra cost. */
export const SCRIPTS_DIR = `${SCRIPT_PATH.slice(0, SCRIPT_PATH.lastIndexOf('/'))}/`;

/** Where the blackboard branch is read from: the remote-tracking ref, or the local branch. */
export function boardRef(ctx: Context): string {
  return ctx.hasRemote ? `refs/remotes/${ctx.cfg.remote}/${ctx.cfg.branch}` : `refs/heads/${ctx.cfg.branch}`;
}

/** How people name the blackboard in messages: `origin/main` or `main`. */
export function boardName(ctx: Context): string {
  return ctx.hasRemote ? `${ctx.cfg.remote}/${ctx.cfg.branch}` : ctx.cfg.branch;
}

/** The blackboard at one commit, read lazily and at most once per file. */
export class Snapshot implements View {
  private cache = new Map<string, string | null>();
  /** Folder → its entries' modes, read with the files below it. */
  private trees = new Map<string, Map<string, string>>();
  private box: Mailbox | undefined;
  constructor(readonly ctx: Context, readonly sha: string | null) {}

  /** Reads several files, and the folders they lie in, in one git process; a path ending in `/` names a folder only. */
  preload(paths: string[]): void {
    const folders = paths.filter((p) => p.endsWith('/')).map((p) => p.slice(0, -1));
    paths = [...paths.filter((p) => !p.endsWith('/')), ...folders.map((f) => `${f}/.`)];
    const todo = paths.filter((p) => !p.endsWith('/.') && !this.cache.has(p));
    if (!this.sha) { todo.forEach((p) => this.cache.set(p, null)); return; }
    const dirs = [...new Set(paths.flatMap((p) => ['', ...parentDirs(p)]))].filter((d) => !this.trees.has(d));
    if (!todo.length && !dirs.length) return;
    const objs = readObjects(this.ctx.repo.top, [...todo, ...dirs].map((p) => `${this.sha}:${p}`));
    dirs.forEach((d, i) => this.trees.set(d, new Map((objs[todo.length + i]?.entries ?? []).map((e) => [e.name, e.mode]))));
    todo.forEach((p, i) => this.cache.set(p, objs[i]?.type === 'blob' && this.modeOf(p) !== '120000' ? objs[i]!.content : null));
  }

  /** The files coord's hooks run in every clone that this commit lacks (so clones pulling it run hooks without coord). */
  missingScripts(): string[] {
    return this.sha ? HOOK_SCRIPTS.filter((p) => this.modeOf(p) === null) : [];
  }

  /** The tree mode of `path` at this commit ('100644', '040000', '120000', …), or null when nothing is there. */
  modeOf(path: string): string | null {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    if (!this.trees.has(dir)) this.preload([path]);
    return this.trees.get(dir)?.get(path.slice(slash + 1)) ?? null;
  }

  /** A regular file's text at this commit, or null when there is none (absent, a folder, a link). */
  read(path: string): string | null {
    if (!this.cache.has(path)) this.preload([path]);
    return this.cache.get(path) ?? null;
  }

  /** Files directly under `dir` at this commit, with their blob ids. */
  list(dir: string): { name: string; blob: string }[] {
    if (!this.sha) return [];
    return listTree(this.ctx.repo.top, this.sha, dir).filter((e) => isRegularFile(e.mode)).map((e) => ({ name: e.name, blob: e.id }));
  }

  /** Every message in every inbox at this commit (read once; `alsoRead` joins the same git process). */
  mailbox(alsoRead: string[] = []): Mailbox {
    this.box ??= readMailbox(this, alsoRead);
    return this.box;
  }
}

export interface Fetched { sha: string | null; offline: string | null }

/**
 * Brings the newest blackboard branch in (fetch from the remote, if any) and returns its
 * commit. With `offlineOk`, a failed fetch falls back to what was fetched last.
 */
export function refresh(ctx: Context, offlineOk = false): Fetched {
  const ref = boardRef(ctx);
  const top = ctx.repo.top;
  let offline: string | null = null;
  if (ctx.hasRemote) {
    const { remote, branch, timeoutMs } = ctx.cfg;
    for (let attempt = 1; ; attempt++) {
      const r = fetchBranch(top, remote, branch, ref, timeoutMs);
      if (r.kind === 'ok') break;
      if (r.kind === 'missing') {
        throw new CoordError(`${remote} has no branch '${branch}': push one first (git push ${remote} HEAD:${branch}), or name the blackboard branch in .coord.json ({"branch": "…"}).`);
      }
      // Other coord processes of this clone fetch and write objects at the same moment: their traces are passing.
      if (r.kind === 'busy' && attempt < 8) { sleepMs(20 + Math.random() * 100 * attempt); continue; }
      offline = `could not reach ${remote} (${r.detail})`;
      if (!offlineOk) throw new CoordError(`Cannot fetch ${remote}/${branch}: ${offline}. Nothing was changed; check the network or the remote's URL (git remote -v) and run again.`);
      break;
    }
  }
  const sha = readRef(ctx.repo.commonDir, ref) ?? resolveCommit(top, ref);
  if (!sha && !ctx.hasRemote) {
    if (resolveCommit(top, 'HEAD') === null && !offline) {
      throw new CoordError(`This repository has no commits yet: make a first commit on ${ctx.cfg.branch} (git commit --allow-empty -m "init"), then run this again.`);
    }
    throw new CoordError(`There is no branch '${ctx.cfg.branch}' here: create it, or name the blackboard branch in .coord.json ({"branch": "…"}).`);
  }
  return { sha, offline };
}
