// coord merge-driver: git's merge driver for the coordination files, set up per clone by
// init, start and doctor --fix. git calls it with three temp files and the path; the merged
// text goes into the second file. Exit 0 when merged (always, for files it understands).
import type { Parsed, VerbSpec } from '../args.js';
import { mergeFileInPlace } from '../git.js';
import { err } from '../output.js';
import { fs } from '../sys.js';
import { cwd } from '../host.js';
import { visible } from '../protocol/display.js';
import { ARCHIVE_DIR, BOARD_PATH, isQueueFileName, QUEUE_DIR } from '../protocol/layout.js';
import { mergeBoard, mergeQueue, type Merged } from '../protocol/merge.js';

export const spec: VerbSpec = {
  name: 'merge-driver',
  summary: "git's merge driver for the board and the inboxes (git runs it; set up by init and start)",
  usage: '<base> <ours> <theirs> <path>',
  description:
    'Merges the board by row (cell by cell, the newer presence stamp) and an inbox by block (status\n' +
    'field by field), writing the result into <ours>. Where both sides set one cell to different\n' +
    'values it keeps one by a fixed rule and says so on stderr. Any other file, or text it cannot\n' +
    "read, gets git's own line merge. Configured as merge.coord.driver; .gitattributes names the files.",
  flags: [],
  positionals: [4, 4],
  group: 'plumbing',
  needs: 'nothing',
};

export function run(p: Parsed): number {
  const [base, ours, theirs, file] = p.args;
  const read = (f: string) => fs().readFileSync(f, 'utf8');
  let merged: Merged | null = null;
  try {
    if (file === BOARD_PATH) merged = mergeBoard(read(base), read(ours), read(theirs));
    else if (
      (file.startsWith(`${QUEUE_DIR}/`) && isQueueFileName(file.slice(QUEUE_DIR.length + 1))) ||
      (file.startsWith(`${ARCHIVE_DIR}/`) && isQueueFileName(file.slice(ARCHIVE_DIR.length + 1)))
    )
      merged = mergeQueue(read(base), read(ours), read(theirs));
  } catch (e) {
    err(`coord merge-driver: ${file}: ${(e as Error).message}; falling back to git's line merge.`);
  }
  if (!merged) return mergeFileInPlace(cwd(), ours, base, theirs) > 0 ? 1 : 0;
  fs().writeFileSync(ours, merged.text);
  // A note quotes the cells it chose between: text any session wrote, shown on one line.
  for (const note of merged.notes) err(`coord merge-driver: ${file}: ${visible(note)}`);
  return 0;
}
