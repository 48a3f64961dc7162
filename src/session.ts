// What several verbs need to know about a session in this clone: which of a worktree's
// changes are the person's own, the commits a branch holds that are not published, and
// the note `start` keeps while a claim has no worktree yet.
import { commitsBetween, ignoredFiles, ignoredMatching, showFile, worktreeStatus } from './git.js';
import { join, oneLine, readText, writeHazard } from './host.js';
import { boardName, boardRef } from './blackboard.js';
import type { Context } from './context.js';
import { fs, path } from './sys.js';
import { findRow, onlyPresenceDiffers, parseBoard } from './protocol/board.js';
import { BOARD_PATH, WORKTREE_INCLUDE } from './protocol/layout.js';
import { isSessionId } from './protocol/ids.js';

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
export function describeUnpublished(ctx: Context, branch: string): string | null {
  const commits = unpublishedCommits(ctx, branch);
  if (!commits.length) return null;
  const shown = commits
    .slice(0, 3)
    .map((c) => `${c.sha.slice(0, 7)} ${c.subject}`)
    .join('; ');
  return `${branch} has ${commits.length} commit(s) not on ${boardName(ctx)} (${shown}${commits.length > 3 ? '; …' : ''})`;
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
        `coord: not copying ${oneLine(rel)} (${WORKTREE_INCLUDE}) into the new worktree: ${hazard.why}. ` +
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
