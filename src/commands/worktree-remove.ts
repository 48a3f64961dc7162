// coord worktree-remove: Claude Code's WorktreeRemove hook. Closes the session the worktree
// belongs to as close does, and never loses work: with uncommitted, ignored or unpublished
// work, or a Riff held, it refuses (exit 1, the reason on stderr), so the worktree stays.
import type { Parsed, VerbSpec } from '../args.js';
import { closeSession } from '../closing.js';
import type { SessionContext } from '../context.js';
import { CoordError } from '../errors.js';
import { readHookInput } from '../hookinput.js';
import { err } from '../output.js';
import { fs } from '../sys.js';
import { findWorktree } from '../worktree.js';

export const spec: VerbSpec = {
  name: 'worktree-remove',
  summary: "Claude Code's WorktreeRemove hook: close the session of that worktree, refusing if work would be lost",
  usage: '',
  description:
    'Reads the hook\'s JSON on stdin ({"worktree_path",…}). For a coord session\'s worktree it closes\n' +
    'the session as coord close does: row off the board, worktree and branch removed. It refuses,\n' +
    'changing nothing, when that would lose work or drop a Riff (exit 1, the reason on stderr); the\n' +
    'worktree then stays for the person (coord doctor and reap see it). Installed by coord init --claude.',
  flags: [],
  positionals: [0, 0],
  group: 'plumbing',
  needs: 'session',
  at: () => {
    const read = readHookInput();
    if ('problem' in read)
      throw new CoordError(`WorktreeRemove needs the hook's JSON object on stdin, but ${read.problem}: nothing was removed.`);
    const dir = typeof read.input.worktree_path === 'string' ? read.input.worktree_path : null;
    if (!dir) throw new CoordError('WorktreeRemove gave no worktree_path on stdin: nothing was removed.');
    if (!fs().existsSync(dir)) return { done: `${dir} is gone already; nothing to close.` };
    const w = findWorktree(dir);
    if (!w?.session) {
      throw new CoordError(
        `${dir} is not a coord session's worktree (its branch is ${w?.branch ?? 'unknown'}): coord leaves it alone; ` +
          'remove it with git worktree remove if you are done with it.',
      );
    }
    return { cwd: w.mainRoot, as: w.session };
  },
};

export function run(ctx: SessionContext, _p: Parsed): number {
  const id = ctx.session;
  const options = { keepWorktree: false, keepBranch: false, force: false, discardIgnored: false, releaseRiffs: false };
  const { closed } = closeSession(ctx, id, options);
  err(`coord: ${id} closed${closed.value.had ? '' : ' (it had no row left)'}; its worktree and branch are removed.`);
  return 0;
}
