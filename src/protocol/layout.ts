// Where coord's files live in a repository, and how sessions name their branches and
// worktrees: every path and name coord derives from a session id is built here.
import { SESSION_ID_RE } from './ids.js';

/** The folder of the coordination files on the blackboard branch. */
export const SESSIONS_DIR = 'docs/ai/sessions';
/** The scoreboard. */
export const BOARD_PATH = `${SESSIONS_DIR}/active.md`;
/** The inboxes, one file per recipient. */
export const QUEUE_DIR = `${SESSIONS_DIR}/queue`;
/** The team's settings, committed at the top of the repository. */
export const CONFIG_FILE = '.coord.json';
/** The committed copy of coord that the hooks run. */
export const SCRIPT_PATH = 'infrastructure/scripts/coord.mjs';
/** The commit-msg hook's sh fast path. */
export const GUARD_PATH = 'infrastructure/scripts/coord-prefix-guard.sh';
/** The pre-commit hook's sh fast path (the reservation guard). */
export const RESERVED_GUARD_PATH = 'infrastructure/scripts/coord-reserved-guard.sh';
/** The post-commit hook's sh fast path (the heartbeat). */
export const HEARTBEAT_PATH = 'infrastructure/scripts/coord-heartbeat.sh';
/** coord's commitlint parser preset (its header pattern skips the `[sX] ` prefix), when the team runs commitlint. */
export const COMMITLINT_PRESET_PATH = 'infrastructure/scripts/coord-commitlint-preset.cjs';
/** The old habit's entry point, kept as a wrapper around `coord start`. */
export const START_SCRIPT_PATH = 'infrastructure/scripts/start-session.sh';

/** Gitignore-style patterns of ignored files a new worktree gets copies of (Claude Code's convention). */
export const WORKTREE_INCLUDE = '.worktreeinclude';

/** Files in a worktree's git dir that mean an operation is in progress, and its name. */
export const IN_PROGRESS: [string, string][] = [
  ['rebase-merge', 'rebase'],
  ['rebase-apply', 'rebase'],
  ['MERGE_HEAD', 'merge'],
  ['CHERRY_PICK_HEAD', 'cherry-pick'],
  ['REVERT_HEAD', 'revert'],
  ['BISECT_LOG', 'bisect'],
];

/** True for a git tree mode of a regular file (not a directory, symbolic link or submodule). */
export const isRegularFile = (mode: string): boolean => mode === '100644' || mode === '100755';

/** What a non-file tree entry is, for messages. */
export const entryKind = (mode: string): string =>
  mode === '040000'
    ? 'a directory'
    : mode === '120000'
      ? 'a symbolic link'
      : mode === '160000'
        ? 'a submodule'
        : `an entry of mode ${mode}`;

/** `a/b/c.md` → `a`, `a/b`: the directories a file's path goes through. */
export function parentDirs(file: string): string[] {
  const parts = file.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** The inbox of session `id`: `docs/ai/sessions/queue/to-<id>.md`. */
export const queueFile = (id: string): string => `${QUEUE_DIR}/to-${id}.md`;

/** True for a file name in the queue folder that is an inbox (`to-<anything>.md`). */
export const isQueueFileName = (name: string): boolean => name.startsWith('to-') && name.endsWith('.md');

const BRANCH_PREFIX = 'session-';

/** The branch of session `id`: `session-<id>`. */
export const sessionBranch = (id: string): string => `${BRANCH_PREFIX}${id}`;

/** The session a branch belongs to (`session-sA` → `sA`), or null for any other branch. */
export function sessionOfBranch(branch: string | null): string | null {
  if (!branch?.startsWith(BRANCH_PREFIX)) return null;
  const id = branch.slice(BRANCH_PREFIX.length);
  return SESSION_ID_RE.test(id) ? id : null;
}

/** The worktree of session `id`: a sibling of the main checkout, `<main>-<id>`. */
export const sessionWorktree = (mainRoot: string, id: string): string => `${mainRoot}-${id}`;

/** The session whose worktree a sibling directory named `entry` would be, or null. */
export function sessionOfWorktreeName(mainName: string, entry: string): string | null {
  if (!entry.startsWith(`${mainName}-`)) return null;
  const id = entry.slice(mainName.length + 1);
  return SESSION_ID_RE.test(id) ? id : null;
}

/** Where a closed or reaped session's mail goes: never read as an inbox, kept on the blackboard branch. */
export const ARCHIVE_DIR = `${SESSIONS_DIR}/archive`;

/** The archive of the session `id` claimed at `claimed`: `archive/to-<id>-<claimed, digits only>.md`, one per session, not per seat. */
export const archiveFile = (id: string, claimed: string): string =>
  `${ARCHIVE_DIR}/to-${id}-${claimed.replace(/[^0-9A-Za-z]/g, '') || 'unknown'}.md`;
