// The one path that changes coordination files on the blackboard branch. A change is a
// plan: a pure function from a view of the newest blackboard to the files it rewrites (see
// plans.ts). Each attempt re-reads the branch, re-applies the plan, commits on top without
// touching any worktree, and publishes with a compare-and-swap (a push, or update-ref
// locally). When the branch moved, it tries again; the server's policy refusals and network
// failures stop at once.
//
// Contention (docs/explanation.md, "Many writers at once"): the coord processes of one clone
// publish one at a time, holding a lock in the shared git dir from the fetch to the push, so
// they never race each other to the remote. Writers of other clones can still win a race; the
// pause before trying again is drawn from a range that starts at the push time just seen and
// widens with each loss (decorrelated jitter), so the losers of one round spread out.
import { CoordError } from './errors.js';
import { casRef, commitFiles, committerIdent, listWorktrees, moveWorktree, pushRef, worktreeStatus } from './git.js';
import { boardName, GUARD_FILES, publishedOn, refresh, Snapshot } from './blackboard.js';
import type { Context } from './context.js';
import { takeLock, type HeldLock } from './lock.js';
import { crashPoint, path, sleepMs } from './sys.js';
import type { Plan } from './protocol/view.js';
import { entryKind, isRegularFile, parentDirs } from './protocol/layout.js';
import { coordMessage } from './protocol/subject.js';

export const MAX_ATTEMPTS = 40;
/** The lock file in the git dir all worktrees of a clone share. */
export const LOCK_FILE = 'coord-publish.lock';
/** The longest pause between two attempts. */
const MAX_PAUSE_MS = 10_000;
/** The shortest push time the pause is shaped by (a local remote answers in a few ms). */
const MIN_PUSH_MS = 20;

export interface Published<T> {
  sha: string | null;
  value: T;
  attempts: number;
}

export interface PublishOptions<T> {
  /** Runs once per attempt after the plan and before its commit goes out (start notes the id it is claiming). */
  beforePush?: (value: T) => void;
}

/** Applies `plan` to the newest blackboard and publishes it; see the module comment. */
export function publish<T>(ctx: Context, plan: (snap: Snapshot) => Plan<T>, opts: PublishOptions<T> = {}): Published<T> {
  const ident = committerIdent(ctx.repo.top);
  const lock = publishLock(ctx);
  try {
    return attempts(ctx, plan, opts, ident, lock);
  } finally {
    lock?.release();
  }
}

function attempts<T>(
  ctx: Context,
  plan: (snap: Snapshot) => Plan<T>,
  opts: PublishOptions<T>,
  ident: string,
  lock: HeldLock | null,
): Published<T> {
  const cwd = ctx.repo.top;
  let pushMs = MIN_PUSH_MS;
  let pause = 0;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    lock?.touch();
    const { sha: base } = refresh(ctx);
    crashPoint('after-fetch');
    const snap = new Snapshot(ctx, base);
    snap.alsoRead(GUARD_FILES); // so the guard's cache follows this write at no extra process
    const { files, subject, value } = plan(snap);
    const changed = new Map([...files].filter(([p, c]) => snap.read(p) !== c));
    if (changed.size === 0) return { sha: base, value, attempts: attempt };
    refuseNonFiles(ctx, snap, [...changed.keys()]);
    opts.beforePush?.(value);
    const sha = commitFiles(cwd, base, changed, coordMessage(subject, ctx.cfg.skipCi), ident);
    crashPoint('after-commit');
    lock?.touch();
    if (ctx.hasRemote) {
      const started = Date.now();
      const out = pushRef(cwd, ctx.cfg.remote, sha, ctx.cfg.branch, ctx.cfg.timeoutMs);
      pushMs = Math.max(pushMs, Date.now() - started);
      if (out.kind === 'ok') {
        publishedOn(snap, sha, changed);
        crashPoint('after-publish');
        return { sha, value, attempts: attempt };
      }
      if (out.kind === 'refused') {
        throw new CoordError(
          `${ctx.cfg.remote} refused the update of ${ctx.cfg.branch}: ${out.detail}. Nothing was published; if ` +
            `${ctx.cfg.branch} is protected, point coord at a branch sessions may push to ("branch" in .coord.json).`,
        );
      }
      if (out.kind === 'failed')
        throw new CoordError(
          `Could not publish to ${boardName(ctx)}: ${out.detail}. Nothing was published; check the network and ` +
            `credentials, then run again.`,
        );
    } else {
      const following = checkedOutElsewhere(ctx, [...changed.keys()]);
      if (casRef(cwd, `refs/heads/${ctx.cfg.branch}`, sha, base)) {
        publishedOn(snap, sha, changed);
        crashPoint('after-publish');
        for (const dir of following) {
          try {
            moveWorktree(dir, base!, sha);
          } catch (e) {
            throw new CoordError(
              `Published to ${boardName(ctx)}, but the checkout of ${ctx.cfg.branch} in '${dir}' could not follow ` +
                `(${(e as Error).message}): run git status there; git checkout -- ${[...changed.keys()].join(' ')} ` +
                `brings the files up to date.`,
            );
          }
        }
        return { sha, value, attempts: attempt };
      }
    }
    pause = nextPause(pause, pushMs);
    sleepMs(pause);
  }
  throw new CoordError(
    `Gave up after ${MAX_ATTEMPTS} attempts: ${boardName(ctx)} kept moving under us. Nothing was published; run the command again.`,
  );
}

/**
 * The pause after a lost race: uniform between one push time and three times the last
 * pause, capped. Losers of the same round draw apart, and keep drawing apart while they
 * keep losing; the push time sets the scale, so a slow remote gets proportionally longer
 * pauses and a fast one short ones.
 */
export function nextPause(last: number, pushMs: number): number {
  const low = Math.min(pushMs, MAX_PAUSE_MS);
  const high = Math.min(8 * pushMs, MAX_PAUSE_MS, 3 * Math.max(last, low));
  return low + Math.random() * Math.max(0, high - low);
}

/**
 * Waits for the other coord processes of this clone to finish publishing, then holds the
 * clone's publish lock. Null when the lock file cannot be made (a read-only git dir): then
 * this process races like a writer of another clone, and the CAS still decides.
 */
function publishLock(ctx: Context): HeldLock | null {
  const file = path().join(ctx.repo.commonDir, LOCK_FILE);
  // A holder refreshes the lock before each fetch and each push; between two refreshes it
  // waits at most one network operation and one pause.
  const out = takeLock(file, { staleMs: ctx.cfg.timeoutMs + MAX_PAUSE_MS + 5_000, patienceMs: 4 * ctx.cfg.timeoutMs });
  if (out.kind === 'held') return out.lock;
  if (out.kind === 'unusable') return null;
  const who = out.holder ? `process ${out.holder.pid}${out.holder.host ? ` on ${out.holder.host}` : ''}` : 'a process';
  throw new CoordError(
    `Another coord ${who} has been publishing from this clone for ${Math.round(out.heldMs / 1000)} s and is not ` +
      `done: waited for it, gave up. Nothing was published; run again once it has finished (if no coord is running, remove ${file}).`,
  );
}

/**
 * A coordination path that is a directory, a symbolic link or a submodule on the branch (or
 * lies under something that is not a folder) is never replaced: writing a file there would
 * delete what it holds. Read from the snapshot's trees: no extra git process.
 */
function refuseNonFiles(ctx: Context, snap: Snapshot, files: string[]): void {
  for (const file of files) {
    for (const dir of parentDirs(file)) {
      const mode = snap.modeOf(dir);
      if (mode === null) break; // not there yet: created with the file
      if (mode !== '040000') refuse(ctx, `${dir} is ${entryKind(mode)}, not a folder`);
    }
    const mode = snap.modeOf(file);
    if (mode !== null && !isRegularFile(mode)) refuse(ctx, `${file} is ${entryKind(mode)}, not a file`);
  }
}

function refuse(ctx: Context, what: string): never {
  throw new CoordError(
    `On ${boardName(ctx)}, ${what}: coord never replaces it. Move it out of the way on ${ctx.cfg.branch} (git mv ` +
      `or git rm, commit, push), then run this again. Nothing was published.`,
  );
}

/**
 * Worktrees that have the (local) blackboard branch checked out: moving the branch under
 * them would leave them showing the change reversed, so they are brought along. Refuses
 * when the person has edits of their own in the files about to change there.
 */
function checkedOutElsewhere(ctx: Context, paths: string[]): string[] {
  const dirs = listWorktrees(ctx.repo.top)
    .filter((w) => w.branch === ctx.cfg.branch)
    .map((w) => w.dir);
  for (const d of dirs) {
    const dirty = worktreeStatus(d, 'normal', paths);
    if (dirty.length) {
      throw new CoordError(
        `${ctx.cfg.branch} is checked out in '${d}' with uncommitted edits of ` +
          `${dirty.map((e) => e.path).join(', ')}: commit or stash them there, then run again.`,
      );
    }
  }
  return dirs;
}
