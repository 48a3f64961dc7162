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
import {
  casRef,
  commitFiles,
  committerIdent,
  isAncestor,
  listWorktrees,
  moveWorktree,
  pushRef,
  remoteBranchTip,
  worktreeStatus,
  type PushOutcome,
} from './git.js';
import { boardName, boardRef, GUARD_FILES, publishedOn, refresh, Snapshot } from './blackboard.js';
import type { Context } from './context.js';
import { takeLock, type HeldLock } from './lock.js';
import { crashPoint, fs, path, sleepMs } from './sys.js';
import type { Plan } from './protocol/view.js';
import { BOARD_PATH, entryKind, isRegularFile, parentDirs } from './protocol/layout.js';
import { findRow, parseBoard } from './protocol/board.js';
import { seatOf, seatTakenText } from './protocol/seat.js';
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
    // The fence is checked on the board the plan read (no git process of its own), and wins over the plan's own refusals.
    let planned: Plan<T>;
    try {
      planned = plan(snap);
    } catch (e) {
      refuseTakenSeat(ctx, snap);
      throw e;
    }
    refuseTakenSeat(ctx, snap);
    const { files, subject, value } = planned;
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
      if (out.kind === 'failed') {
        // A push that failed may still have landed (cut off after the remote took it): ask before saying anything.
        const where = landing(ctx, sha, base, out, lock);
        if (where.kind === 'landed') {
          if (where.tip === sha) {
            casRef(cwd, boardRef(ctx), sha, base); // the killed push could not move it; later reads must see ours
            publishedOn(snap, sha, changed);
          } else ctx.run.published = `${boardName(ctx)} ${sha.slice(0, 7)}`; // refresh read the newer tip
          crashPoint('after-publish');
          return { sha, value, attempts: attempt };
        }
        if (where.kind === 'absent')
          throw new CoordError(
            `Could not publish to ${boardName(ctx)}: ${out.detail}. Nothing was published; check the network and ` +
              `credentials, then run again.`,
          );
        if (where.kind === 'unknown') {
          noteUnconfirmed(ctx, sha, subject);
          throw new UnconfirmedPush(
            `Cannot tell whether ${boardName(ctx)} took commit ${sha.slice(0, 12)} (${subject}): the push failed ` +
              `(${out.detail}) and ${where.detail}. Do not run it again yet: coord doctor asks again and says whether ` +
              `it landed (coord status shows the board meanwhile).`,
            sha,
          );
        }
        // 'lost': the branch moved on without it, so it can never land: a lost race, tried again.
      }
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

/** A push whose outcome coord could not learn: `sha` may or may not be on the blackboard branch. */
export class UnconfirmedPush extends CoordError {
  constructor(
    message: string,
    readonly sha: string,
  ) {
    super(message);
  }
}

type Landing = { kind: 'landed'; tip: string } | { kind: 'absent' } | { kind: 'lost' } | { kind: 'unknown'; detail: string };

/** Failures that happen before git sends anything: the push cannot have landed. */
const BEFORE_SENDING = new RegExp(
  [
    'could not resolve|connection refused|authentication failed|permission denied|does not appear to be a git repository',
    'repository .*not found|could not read username|terminal prompts disabled|no such file or directory',
    'network is unreachable|no route to host|host key verification failed',
  ].join('|'),
  'i',
);

/**
 * Where the commit `sha` (on top of `base`) went after its push failed, asked of the remote
 * itself. A push cut off (timed out, killed) may still be going on there — its server side and
 * its transport outlive the killed git — so the remote is asked again for one more timeout
 * before coord says it cannot tell. The remote's update is a compare-and-swap on `base`: once
 * the branch holds anything else without `sha`, it never will.
 */
function landing(ctx: Context, sha: string, base: string | null, out: PushOutcome & { kind: 'failed' }, lock: HeldLock | null): Landing {
  const { remote, branch, timeoutMs } = ctx.cfg;
  const until = Date.now() + (out.cutOff ? timeoutMs : 0);
  let pause = 100;
  let failed: string | null = null;
  for (;;) {
    lock?.touch();
    const tip = remoteBranchTip(ctx.repo.top, remote, branch, timeoutMs);
    if (tip.kind === 'failed') failed = tip.detail;
    else {
      failed = null;
      if (tip.sha === sha) return { kind: 'landed', tip: sha };
      if (tip.sha !== base) {
        if (tip.sha === null) return { kind: 'lost' };
        try {
          const fetched = refresh(ctx).sha;
          if (fetched && isAncestor(ctx.repo.top, sha, fetched)) return { kind: 'landed', tip: fetched };
          return { kind: 'lost' };
        } catch (e) {
          failed = `fetching ${boardName(ctx)} failed (${(e as Error).message})`;
        }
      } else if (!out.cutOff) return { kind: 'absent' };
    }
    const left = until - Date.now();
    if (left <= 0) break;
    sleepMs(Math.min(pause, left));
    pause = Math.min(2 * pause, 1000);
  }
  if (failed === null) return { kind: 'unknown', detail: `${remote} still shows ${branch} without it, though the remote may yet take it` };
  if (!out.cutOff && BEFORE_SENDING.test(out.detail)) return { kind: 'absent' };
  return { kind: 'unknown', detail: `${remote} could not be asked whether ${branch} has it (${failed})` };
}

const UNCONFIRMED_RE = /^pushed-([0-9a-f]{40,64})$/;
const notesDir = (ctx: Context) => path().join(ctx.repo.commonDir, 'coord');

/** Keeps a note of a push coord could not confirm, in the git dir, for `coord doctor` to settle. */
function noteUnconfirmed(ctx: Context, sha: string, subject: string): void {
  try {
    fs().mkdirSync(notesDir(ctx), { recursive: true });
    fs().writeFileSync(path().join(notesDir(ctx), `pushed-${sha}`), `${subject}\n`);
  } catch {
    // The message names the commit too: the note only spares the person from copying it.
  }
}

/** The pushes of this clone coord could not confirm (noteUnconfirmed), oldest first by name. */
export function unconfirmedPushes(ctx: Context): { file: string; sha: string; subject: string }[] {
  const dir = notesDir(ctx);
  const names = fs().existsSync(dir) ? fs().readdirSync(dir).sort() : [];
  return names.flatMap((name) => {
    const m = UNCONFIRMED_RE.exec(name);
    if (!m) return [];
    const file = path().join(dir, name);
    let subject = '';
    try {
      subject = fs().readFileSync(file, 'utf8').trim();
    } catch {
      // an unreadable note still names its commit
    }
    return [{ file, sha: m[1], subject }];
  });
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

/**
 * The fence: a worktree's session whose seat was reaped and claimed again (here or in another
 * clone) never writes, since its id now names the new holder's row. Checked on the board each
 * attempt reads, so a reap and a claim racing this write are seen before anything goes out.
 */
function refuseTakenSeat(ctx: Context, snap: Snapshot): void {
  if (!ctx.claim) return;
  const seat = seatOf(ctx.claim, findRow(parseBoard(snap.read(BOARD_PATH) ?? ''), ctx.claim.id));
  if (seat.kind === 'taken') throw new CoordError(seatTakenText(ctx.claim, seat.holder, ctx.repo.top));
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
