// How git learns to merge the coordination files with coord: the attribute lines `init`
// writes into `.gitattributes` (committed, so every clone has them) and the settings each
// clone needs in its own `.git/config` (git never takes a merge driver from the repository).
import { ARCHIVE_DIR, BOARD_PATH, QUEUE_DIR, SCRIPT_PATH } from './layout.js';

export const DRIVER = 'coord';

/** The attribute lines, one per kind of coordination file. */
export const ATTRIBUTE_LINES = [
  `${BOARD_PATH} merge=${DRIVER}`,
  `${QUEUE_DIR}/*.md merge=${DRIVER}`,
  `${ARCHIVE_DIR}/*.md merge=${DRIVER}`,
];
const COMMENT = '# coord: the coordination files merge by row and by block (coord merge-driver); see docs/explanation.md';

/** `text` (a .gitattributes, or '' for none) with coord's lines added unless there; the team's lines stay as they are. */
export function withAttributes(text: string): { text: string; added: string[] } {
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim().replace(/\s+/g, ' ')));
  const added = ATTRIBUTE_LINES.filter((l) => !have.has(l));
  if (!added.length) return { text, added };
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lead = text === '' ? '' : text.endsWith('\n') ? eol : eol + eol;
  return { text: text + lead + [COMMENT, ...added].join(eol) + eol, added };
}

/**
 * The settings a clone needs, for a runtime command (`node`, `deno run -A`): the driver (run
 * by git in the worktree's root, where the committed script is), and autostash for merges
 * and rebases, so that `git pull` in a session worktree carries the heartbeat's uncommitted
 * presence edit across (re-applied through the same driver) instead of refusing.
 */
export function cloneSettings(runtime: string): [string, string][] {
  return [
    [`merge.${DRIVER}.name`, 'coord: board rows and inbox blocks'],
    [`merge.${DRIVER}.driver`, `${runtime} ${SCRIPT_PATH} merge-driver %O %A %B %P`],
    ['merge.autoStash', 'true'],
    ['rebase.autoStash', 'true'],
  ];
}
