// The read side of the blackboard branch: bring the newest commit in (`refresh`) and read
// its coordination files (`Snapshot`). Read-only verbs use only this; publish.ts builds
// its attempts on it.
import { CoordError } from './errors.js';
import { fetchBranch, listTree, readObjects, resolveCommit } from './git.js';
import { readMailbox } from './mailbox.js';
import { writeHazard } from './host.js';
import { fs, path, sleepMs } from './sys.js';
import { readRef } from './worktree.js';
import type { Context } from './context.js';
import type { Mailbox } from './protocol/mailbox.js';
import type { View } from './protocol/view.js';
import { BOARD_PATH, isRegularFile, parentDirs, SCRIPT_PATH } from './protocol/layout.js';
import { HOOK_SCRIPTS } from './protocol/lefthook.js';
import { parseBoard } from './protocol/board.js';
import { GUARD_CACHE, inForce, parseGuardCache, parseReservations, renderGuardCache, RESERVATIONS_PATH } from './protocol/reservations.js';

/** What the pre-commit guard's cache is made from. */
export const GUARD_FILES = [RESERVATIONS_PATH, BOARD_PATH];
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
  /** Files to read with the next read, whatever it asks for. */
  private wanted: string[] = [];
  constructor(
    readonly ctx: Context,
    readonly sha: string | null,
  ) {
    const board = ctx.run.board;
    if (board && board.sha === sha && !board.files) {
      board.files = this;
      this.alsoRead(GUARD_FILES); // the guard's cache is behind this commit: its files join the first read
    }
  }

  /** Has `paths` join the next read, at no extra process. */
  alsoRead(paths: string[]): void {
    this.wanted.push(...paths);
  }

  /** Reads several files, and the folders they lie in, in one git process; a path ending in `/` names a folder only. */
  preload(paths: string[]): void {
    let plan = this.toRead(paths);
    if (!plan) return;
    // Files asked for earlier ride along, but never start a process of their own.
    if (this.wanted.length) {
      plan = this.toRead([...paths, ...this.wanted])!;
      this.wanted = [];
    }
    const { todo, dirs } = plan;
    const objs = readObjects(
      this.ctx.repo.top,
      [...todo, ...dirs].map((p) => `${this.sha}:${p}`),
    );
    dirs.forEach((d, i) => this.trees.set(d, new Map((objs[todo.length + i]?.entries ?? []).map((e) => [e.name, e.mode]))));
    todo.forEach((p, i) => this.cache.set(p, objs[i]?.type === 'blob' && this.modeOf(p) !== '120000' ? objs[i]!.content : null));
  }

  /** The files and folders a read of `paths` still needs, or null when it needs none. */
  private toRead(paths: string[]): { todo: string[]; dirs: string[] } | null {
    const folders = paths.filter((p) => p.endsWith('/')).map((p) => p.slice(0, -1));
    paths = [...paths.filter((p) => !p.endsWith('/')), ...folders.map((f) => `${f}/.`)];
    const todo = paths.filter((p) => !p.endsWith('/.') && !this.cache.has(p));
    if (!this.sha) {
      todo.forEach((p) => this.cache.set(p, null));
      return null;
    }
    const dirs = [...new Set(paths.flatMap((p) => ['', ...parentDirs(p)]))].filter((d) => !this.trees.has(d));
    return todo.length || dirs.length ? { todo, dirs } : null;
  }

  /** Reads the files not read yet, in one git process (none when all were). */
  readAll(paths: string[]): void {
    if (paths.some((p) => !this.cache.has(p))) this.preload(paths);
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
    return listTree(this.ctx.repo.top, this.sha, dir)
      .filter((e) => isRegularFile(e.mode))
      .map((e) => ({ name: e.name, blob: e.id }));
  }

  /** The snapshot of commit `sha`, written on top of this one with `files` (null: deleted): knows the files the guard reads. */
  successor(sha: string, files: Map<string, string | null>): Snapshot {
    const next = new Snapshot(this.ctx, sha);
    for (const p of GUARD_FILES) next.cache.set(p, files.has(p) ? files.get(p)! : this.read(p));
    return next;
  }

  /** Every message in every inbox (read once; `alsoRead` joins the same git process). */
  mailbox(alsoRead: string[] = []): Mailbox {
    this.box ??= readMailbox(this, this.ctx.repo.commonDir, alsoRead);
    return this.box;
  }
}

export interface Fetched {
  sha: string | null;
  offline: string | null;
}

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
        throw new CoordError(
          `${remote} has no branch '${branch}': push one first (git push ${remote} HEAD:${branch}), or name the ` +
            `blackboard branch in .coord.json ({"branch": "…"}).`,
        );
      }
      // Other coord processes of this clone fetch and write objects at the same moment: their traces are passing.
      if (r.kind === 'busy' && attempt < 8) {
        sleepMs(20 + Math.random() * 100 * attempt);
        continue;
      }
      offline = `could not reach ${remote} (${r.detail})`;
      if (!offlineOk)
        throw new CoordError(
          `Cannot fetch ${remote}/${branch}: ${offline}. Nothing was changed; check the network or the remote's ` +
            `URL (git remote -v) and run again.`,
        );
      break;
    }
  }
  const sha = readRef(ctx.repo.commonDir, ref) ?? resolveCommit(top, ref);
  if (!sha && !ctx.hasRemote) {
    if (resolveCommit(top, 'HEAD') === null && !offline) {
      throw new CoordError(
        `This repository has no commits yet: make a first commit on ${ctx.cfg.branch} (git commit --allow-empty -m ` +
          `"init"), then run this again.`,
      );
    }
    throw new CoordError(
      `There is no branch '${ctx.cfg.branch}' here: create it, or name the blackboard branch in .coord.json ({"branch": "…"}).`,
    );
  }
  if (sha) ctx.run.board = readGuardCache(ctx)?.sha === sha ? null : { sha };
  return { sha, offline };
}

// ---- what the pre-commit guard reads ----------------------------------------------------

const guardCacheFile = (ctx: Context) => path().join(ctx.repo.commonDir, GUARD_CACHE);

/** The guard's cache of this clone, or null when there is none. */
export function readGuardCache(ctx: Context): ReturnType<typeof parseGuardCache> | null {
  try {
    return parseGuardCache(fs().readFileSync(guardCacheFile(ctx), 'utf8'));
  } catch {
    return null;
  }
}

/** publish.ts: this run wrote `base`'s successor; the guard follows it without reading it back. */
export function publishedOn(base: Snapshot, sha: string, files: Map<string, string | null>): void {
  const { ctx } = base;
  ctx.run.published = `${boardName(ctx)} ${sha.slice(0, 7)}`;
  ctx.run.board = { sha, files: base.successor(sha, files) };
}

/**
 * Brings the guard's cache up to the blackboard this process fetched last: the reservations
 * in force, so the pre-commit hook never starts git or touches the network. Run once a verb
 * is done (cli.ts); usually the files were read with the verb's own, at no extra process.
 * Returns the line to say when it refused to write (a symbolic link in the git dir), else null.
 */
export function saveGuardCache(ctx: Context): string | null {
  const board = ctx.run.board;
  if (!board) return null;
  const { sha } = board;
  ctx.run.board = null;
  const snap = board.files ?? new Snapshot(ctx, sha);
  snap.readAll(GUARD_FILES);
  const text = snap.read(RESERVATIONS_PATH);
  const held =
    text === null
      ? []
      : inForce(parseReservations(text), parseBoard(snap.read(BOARD_PATH) ?? ''), ctx.cfg.staleMs, Date.now()).map((r) => ({
          session: r.session,
          ends: Math.floor(r.ends / 1e3),
          path: r.path,
          until: r.until,
          note: r.note,
        }));
  const file = guardCacheFile(ctx);
  // A symbolic link planted in the git dir never carries the cache elsewhere: one at the file itself is
  // replaced by the rename below, one on the folder above is refused (cli.ts prints the line).
  const hazard = writeHazard(ctx.repo.commonDir, GUARD_CACHE);
  if (hazard && hazard.at !== GUARD_CACHE) {
    return (
      `coord: ${hazard.why}, so the pre-commit guard's cache in ${ctx.repo.commonDir} was not updated. ` +
      `Remove ${hazard.at} there (rm, not rm -r); coord makes the folder again.`
    );
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs().mkdirSync(path().dirname(file), { recursive: true });
  fs().rmSync(tmp, { force: true }); // a leftover of a killed run, or a planted link: removed, never followed
  fs().writeFileSync(tmp, renderGuardCache(sha, held), { flag: 'wx' });
  fs().renameSync(tmp, file); // whole or not at all: the hook never reads half a file
  return null;
}
