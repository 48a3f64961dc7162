// What several verbs need to know about a session in this clone: which of a worktree's
// changes are the person's own, the commits a branch holds that are not published, and
// the note `start` keeps while a claim has no worktree yet.
import {
  commitsBetween,
  commitsNotOnRemotes,
  hashFiles,
  ignoredFiles,
  ignoredMatching,
  isIgnored,
  removeWorktree,
  restoreFile,
  showFile,
  unusualIndexEntries,
  worktreeStatus,
} from './git.js';
import { join, readText, writeHazard, writeText } from './host.js';
import { boardName, boardRef } from './blackboard.js';
import type { Context } from './context.js';
import { fs, path } from './sys.js';
import { findRow, onlyPresenceDiffers, parseBoard } from './protocol/board.js';
import { visible } from './protocol/display.js';
import { BOARD_PATH, WORKTREE_INCLUDE } from './protocol/layout.js';
import { isSessionId } from './protocol/ids.js';
import { CLAIM_RECORD, renderClaimRecord, type ClaimRecord } from './protocol/seat.js';

export interface WorktreeChanges {
  /** Files with the person's own uncommitted changes. */
  mine: string[];
  /** The presence stamp of the heartbeat's own uncommitted edit of the board, if that is all the board holds. */
  presence: string | null;
}

/**
 * Uncommitted changes in worktree `dir`, telling the person's own from coord's: an edit of
 * the board that moves only `id`'s presence stamp is the heartbeat's, never the person's
 * work. Close, sync and doctor all decide by this one rule.
 */
export function worktreeChanges(dir: string, id: string | null, untracked: 'no' | 'normal' | 'all'): WorktreeChanges {
  const files = worktreeStatus(dir, untracked).map((e) => e.path);
  const mine = files.filter((f) => f !== BOARD_PATH);
  let presence: string | null = null;
  if (files.includes(BOARD_PATH)) {
    const head = showFile(dir, 'HEAD', BOARD_PATH) ?? '';
    const text = readText(join(dir, BOARD_PATH));
    if (id && text !== null && onlyPresenceDiffers(head, text, id)) presence = findRow(parseBoard(text), id)?.presence ?? null;
    if (presence === null) mine.push(BOARD_PATH);
  }
  return { mine, presence };
}

/** The commits of local branch `branch` that are not on the blackboard branch, newest first (throws when either cannot be read). */
export function unpublishedCommits(ctx: Context, branch: string): { sha: string; subject: string }[] {
  return commitsBetween(ctx.repo.top, boardRef(ctx), `refs/heads/${branch}`);
}

/** "N commit(s) not on origin/main (abc1234 subject; …)", or null when there are none. */
function describeUnpublished(ctx: Context, branch: string): string | null {
  const commits = unpublishedCommits(ctx, branch);
  if (!commits.length) return null;
  const shown = commits
    .slice(0, 3)
    .map((c) => `${c.sha.slice(0, 7)} ${visible(c.subject)}`)
    .join('; ');
  return `${commits.length} commit(s) not on ${boardName(ctx)} (${shown}${commits.length > 3 ? '; …' : ''})`;
}

// ---- files git ignores ----------------------------------------------------------------
// A worktree holds files git does not track and ignores (`.env`, local config, build output).
// Removing the worktree deletes them, so close names them first. `.worktreeinclude` lists
// those a new worktree gets copies of from the main checkout: an unchanged copy is no loss.

/** The ignored files of the checkout at `dir` that its `.worktreeinclude` names (none without the file). */
export function includedFiles(dir: string): string[] {
  const patterns = path().join(dir, WORKTREE_INCLUDE);
  return fs().existsSync(patterns) ? ignoredMatching(dir, patterns) : [];
}

/**
 * Copies the files `.worktreeinclude` names from the main checkout into a new worktree:
 * regular files only, never over a file that is there, never through a symbolic link on either
 * side (a collaborator's committed `.env` link would carry the secret into a tracked file, or out
 * of the repository): such a file is skipped, with a line for `skip`. Returns what was copied.
 */
export function copyIncluded(mainRoot: string, worktree: string, skip: (line: string) => void = () => {}): string[] {
  const copied: string[] = [];
  for (const rel of includedFiles(mainRoot)) {
    const from = path().join(mainRoot, rel);
    const to = path().join(worktree, rel);
    if (writeHazard(mainRoot, rel)) continue; // not a regular file in the main checkout: nothing of the person's to copy
    const hazard = writeHazard(worktree, rel);
    if (hazard) {
      skip(
        `coord: not copying ${visible(rel)} (${WORKTREE_INCLUDE}) into the new worktree: ${hazard.why}. ` +
          `Copy it by hand if it belongs there.`,
      );
      continue;
    }
    if (fs().existsSync(to)) continue;
    fs().mkdirSync(path().dirname(to), { recursive: true });
    fs().copyFileSync(from, to, fs().constants.COPYFILE_EXCL);
    fs().chmodSync(to, fs().statSync(from).mode & 0o777);
    copied.push(rel);
  }
  return copied;
}

/**
 * Ignored files in worktree `dir` that removing it would destroy: everything git ignores
 * there except unchanged copies of the main checkout's `.worktreeinclude` files.
 */
export function ignoredLosses(dir: string, mainRoot: string): string[] {
  const copies = new Set(includedFiles(dir).filter((rel) => sameFile(path().join(dir, rel), path().join(mainRoot, rel))));
  const losses: string[] = [];
  for (const entry of ignoredFiles(dir)) {
    if (!entry.endsWith('/')) {
      if (!copies.has(entry)) losses.push(entry);
      continue;
    }
    // A wholly ignored directory: no loss only when all it holds is unchanged copies.
    if (![...copies].some((c) => c.startsWith(entry)) || ignoredFiles(dir, entry).some((f) => !copies.has(f))) losses.push(entry);
  }
  return losses;
}

function sameFile(a: string, b: string): boolean {
  try {
    return fs().readFileSync(a).equals(fs().readFileSync(b));
  } catch {
    return false;
  }
}

// ---- what would be lost --------------------------------------------------------------
// One rule for close, the WorktreeRemove hook and doctor --fix: removing a worktree and
// deleting its branch loses uncommitted changes, files git ignores, commits not on the
// blackboard branch, commits of a submodule that no remote of its own has (its repository
// lives in the worktree's git dir and goes with it), and edits git hides (skip-worktree,
// assume-unchanged). A worktree with any of them is never removed without the person's --force.

export interface Loss {
  /** Where it is: a worktree, a submodule in it, a branch. */
  subject: string;
  /** What would be lost there, the rest of a sentence after the subject: "holds uncommitted changes (a.txt)". */
  lost: string;
  /** How to keep it, with close's flags. */
  how: string;
}

/** One loss as a sentence, in words a person understands. */
export const lossText = (l: Loss): string => `${l.subject} ${l.lost}`;

export interface AtRisk {
  /** The worktree that would be removed, or null. */
  dir: string | null;
  /** Its session: the heartbeat's presence edit of the board is never the person's work. */
  id: string | null;
  /** The branch that would be deleted, or null. */
  branch: string | null;
  /** Whether files git ignores count (false: the person said --discard-ignored). */
  ignored: boolean;
}

/** Everything removing `r.dir` and deleting `r.branch` would lose (see above); [] when nothing. */
export function workAtRisk(ctx: Context, r: AtRisk): Loss[] {
  const { remote, branch: board } = ctx.cfg;
  const losses = r.dir ? checkoutLosses(r.dir, r.id, ctx.repo.mainRoot, r.ignored, `git push ${remote} HEAD:${board}`) : [];
  if (r.branch) {
    let unpublished: string | null;
    try {
      unpublished = describeUnpublished(ctx, r.branch);
    } catch (e) {
      unpublished = `commits git could not compare with ${boardName(ctx)} (${(e as Error).message})`;
    }
    if (unpublished)
      losses.push({
        subject: r.branch,
        lost: `has ${unpublished}`,
        how: `publish them (git push ${remote} HEAD:${board}), or keep the branch (--keep-branch)`,
      });
  }
  return losses;
}

const KEEP = 'keep the worktree (--keep-worktree)';

/** The losses inside one checkout: the worktree itself, or (with `mainRoot` null) a submodule in it, and its submodules in turn. */
function checkoutLosses(dir: string, id: string | null, mainRoot: string | null, ignored: boolean, push: string): Loss[] {
  const losses: Loss[] = [];
  // coord's link to the main checkout's node_modules is no one's work: removing it loses nothing.
  const link = mainRoot && isDepsLink(mainRoot, dir) ? DEPS_DIR : null;
  const mine = worktreeChanges(dir, id, 'all').mine.filter((f) => f !== link);
  if (mine.length)
    losses.push({
      subject: dir,
      lost: `holds uncommitted changes (${listed(mine)})`,
      how: `commit and publish them (${push}), or ${KEEP}`,
    });
  const dropped = (!ignored ? [] : mainRoot ? ignoredLosses(dir, mainRoot) : ignoredFiles(dir)).filter((f) => f !== link);
  if (dropped.length)
    losses.push({
      subject: dir,
      lost: `holds files git ignores (${listed(dropped)})`,
      how: `move them out, ${KEEP}, or delete them with it (--discard-ignored)`,
    });
  const entries = unusualIndexEntries(dir);
  const hidden = hiddenEdits(
    dir,
    entries.filter((e) => e.mode !== '160000'),
  );
  if (hidden.length)
    losses.push({
      subject: dir,
      lost: `holds edits git status does not show, of files marked skip-worktree or assume-unchanged (${listed(hidden)})`,
      how: `commit them (git update-index --no-skip-worktree --no-assume-unchanged <file> shows them), or ${KEEP}`,
    });
  for (const sub of entries.filter((e) => e.mode === '160000')) {
    const at = path().join(dir, sub.path);
    if (!fs().existsSync(path().join(at, '.git'))) continue; // not checked out: nothing of it lives here
    try {
      const n = commitsNotOnRemotes(at);
      if (n)
        losses.push({
          subject: `submodule ${sub.path} in ${dir}`,
          lost: `holds ${n} commit(s) that none of its remotes has`,
          how: `push them (git -C ${at} push), or ${KEEP}`,
        });
      losses.push(...checkoutLosses(at, null, null, ignored, `git -C ${at} push`));
    } catch (e) {
      losses.push({
        subject: `submodule ${sub.path} in ${dir}`,
        lost: `holds something that could not be checked (${(e as Error).message})`,
        how: `look at it (git -C ${at} status), or ${KEEP}`,
      });
    }
  }
  return losses;
}

/** The skip-worktree and assume-unchanged files of `entries` whose file in `dir` differs from the index: an edit git status hides. */
function hiddenEdits(dir: string, entries: { tag: string; mode: string; sha: string; path: string }[]): string[] {
  const present = entries.filter((e) => e.tag !== 'H' && isFileAt(path().join(dir, e.path)));
  // hash-object reads one path a line: a name with a newline cannot be asked, so it counts as changed.
  const askable = present.filter((e) => !e.path.includes('\n'));
  const shas = hashFiles(
    dir,
    askable.map((e) => e.path),
  );
  return [...askable.filter((e, i) => shas[i] !== e.sha), ...present.filter((e) => e.path.includes('\n'))].map((e) => e.path);
}

/** A regular file (not a link) is at `p`: a sparse checkout's skip-worktree files are simply absent. */
function isFileAt(p: string): boolean {
  try {
    return fs().lstatSync(p).isFile();
  } catch {
    return false;
  }
}

const listed = (files: string[]) => files.slice(0, 5).map(visible).join(', ') + (files.length > 5 ? ` and ${files.length - 5} more` : '');

/**
 * Removes worktree `dir` of session `id` after `workAtRisk` found nothing to lose there (or the
 * person said --force). Without `force`, git's own check runs too; the heartbeat's edit of the
 * board is put back first, so that it does not stop git. Returns git's refusal, or null when removed.
 */
export function removeSessionWorktree(mainRoot: string, dir: string, id: string, force: boolean): string | null {
  // coord's link goes first, by itself: git's removal must never reach into the main checkout's node_modules.
  const linked = isDepsLink(mainRoot, dir);
  if (linked) fs().unlinkSync(path().join(dir, DEPS_DIR));
  if (force) return (removeWorktree(mainRoot, dir, true), null);
  if (worktreeChanges(dir, id, 'no').presence !== null) restoreFile(dir, BOARD_PATH);
  const r = removeWorktree(mainRoot, dir, false);
  if (r.ok) return null;
  if (linked && !r.containsSubmodules) linkDependencies(mainRoot, dir, null); // the worktree stays: so do its hooks' dependencies
  // git refuses every worktree with a submodule checked out; workAtRisk has just looked into each one.
  if (r.containsSubmodules) return (removeWorktree(mainRoot, dir, true), null);
  return r.detail;
}

// ---- the claim note ------------------------------------------------------------------
// The id this clone is claiming, kept in the git dir until its worktree exists: if start is
// killed after publishing, `coord doctor` can tell this clone's orphaned claim from another
// clone's live session. One file per process: `<common git dir>/coord/claiming-<pid>`.

const claimDir = (ctx: Context) => path().join(ctx.repo.commonDir, 'coord');
const CLAIM_FILE_RE = /^claiming-(\d+)$/;

/** Notes that this process is claiming `id`; `null` clears the note. A lost race's note is replaced by the next attempt's. */
export function markClaim(ctx: Context, id: string | null): void {
  const file = path().join(claimDir(ctx), `claiming-${process.pid}`);
  if (id === null) {
    fs().rmSync(file, { force: true });
    return;
  }
  fs().mkdirSync(claimDir(ctx), { recursive: true });
  fs().writeFileSync(file, `${id}\n`);
}

export interface ClaimNote {
  file: string;
  name: string;
  pid: number;
  id: string | null;
}

/** Every claim note of this clone; `id` is null when the note does not hold a session id. */
export function claimNotes(ctx: Context): ClaimNote[] {
  const dir = claimDir(ctx);
  const names = fs().existsSync(dir) ? fs().readdirSync(dir) : [];
  return names.flatMap((name) => {
    const m = CLAIM_FILE_RE.exec(name);
    if (!m) return [];
    const file = path().join(dir, name);
    const text = readText(file)?.trim() ?? '';
    return [{ file, name, pid: Number(m[1]), id: isSessionId(text) ? text : null }];
  });
}

/** The warning for hook scripts the blackboard branch lacks: every other clone's hooks would run without coord. */
export function missingScriptsWarning(ctx: Context, missing: string[]): string {
  return (
    `coord: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not on ${boardName(ctx)}: the hooks of ` +
    `every clone that pulls it run without coord. ` +
    `Commit and push ${missing.length > 1 ? 'them' : 'it'} from the clone that has ` +
    `${missing.length > 1 ? 'them' : 'it'}: git add ${missing.join(' ')} && git commit -m "chore: onboard coord" ` +
    `&& git push ${ctx.cfg.remote} HEAD:${ctx.cfg.branch}`
  );
}

// ---- the main checkout's node_modules --------------------------------------------------
// lefthook 1 from npm writes hooks that look for its binary under `<top>/node_modules`, and the
// team's own hooks (eslint through npx) need their dependencies there too, but a session worktree
// has none: so start links the main checkout's. The link is coord's, never the person's work:
// close removes it without asking, and only the link, never what it points to.

export const DEPS_DIR = 'node_modules';

/** True when `<dir>/node_modules` is the link coord makes: a symbolic link to the main checkout's node_modules. */
export function isDepsLink(mainRoot: string, dir: string): boolean {
  if (path().resolve(dir) === path().resolve(mainRoot)) return false;
  try {
    return fs().readlinkSync(path().join(dir, DEPS_DIR)) === path().join(mainRoot, DEPS_DIR);
  } catch {
    return false;
  }
}

/**
 * Links `<worktree>/node_modules` to the main checkout's when that is a directory and the worktree
 * has nothing by that name (nothing is ever replaced). A `node_modules/` pattern matches directories
 * only, so when git would not ignore the link, `commonDir`'s info/exclude gets `/node_modules` first
 * (null: the caller has checked): the link is never committed. Returns true when it linked.
 */
export function linkDependencies(mainRoot: string, worktree: string, commonDir: string | null): boolean {
  if (!canLinkDependencies(mainRoot, worktree)) return false;
  const target = path().join(mainRoot, DEPS_DIR);
  const link = path().join(worktree, DEPS_DIR);
  if (commonDir && !isIgnored(worktree, DEPS_DIR)) {
    const exclude = path().join(commonDir, 'info', 'exclude');
    fs().mkdirSync(path().dirname(exclude), { recursive: true });
    const text = readText(exclude) ?? '';
    const lead = text && !text.endsWith('\n') ? '\n' : '';
    fs().appendFileSync(exclude, `${lead}# coord: the link to the main checkout's node_modules in session worktrees\n/${DEPS_DIR}\n`);
  }
  fs().symlinkSync(target, link, 'dir');
  if (commonDir && !isIgnored(worktree, DEPS_DIR)) {
    fs().unlinkSync(link); // a negation in the team's .gitignore wins over info/exclude: better no link than a committed one
    throw new Error(`Git would not ignore ${link} (a !${DEPS_DIR} pattern in .gitignore?), so it was not linked`);
  }
  return true;
}

/** Whether `linkDependencies` would link: the main checkout has a node_modules directory, the worktree nothing by that name. */
export function canLinkDependencies(mainRoot: string, worktree: string): boolean {
  if (path().resolve(worktree) === path().resolve(mainRoot) || !isDirectory(path().join(mainRoot, DEPS_DIR))) return false;
  return !lexists(path().join(worktree, DEPS_DIR)) && !writeHazard(worktree, DEPS_DIR);
}

function isDirectory(p: string): boolean {
  try {
    return fs().statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function lexists(p: string): boolean {
  try {
    fs().lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Keeps the claim a linked worktree at `top` was made for in its own git dir (start,
 * WorktreeCreate), where verbs and hooks read it without the network: the git dir its `.git`
 * file names, whatever GIT_DIR says.
 */
export function writeClaimRecord(top: string, record: ClaimRecord): void {
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(readText(join(top, '.git')) ?? '');
  if (!m) throw new Error(`${join(top, '.git')} names no git dir`);
  writeText(join(path().resolve(top, m[1]), CLAIM_RECORD), renderClaimRecord(record));
}
