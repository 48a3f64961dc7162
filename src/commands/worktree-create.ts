// coord worktree-create: Claude Code's WorktreeCreate hook (claude --worktree, subagents with
// worktree isolation). Claims a session exactly as start does and prints only the new
// worktree's absolute path on stdout, which is what Claude Code reads; all else goes to stderr.
import type { Parsed, VerbSpec } from '../args.js';
import { claimSession } from '../claim.js';
import type { Context } from '../context.js';
import { hookCwd, hookInput } from '../hookinput.js';
import { err, out } from '../output.js';
import { cellText, DEFAULT_SCOPE } from '../protocol/board.js';

export const spec: VerbSpec = {
  name: 'worktree-create',
  summary: "Claude Code's WorktreeCreate hook: claim a session, make its worktree, print its path",
  usage: '',
  description:
    'Reads the hook\'s JSON on stdin ({"cwd","name",…}), claims the lowest free id as coord start does\n' +
    "(race-safe; the name Claude Code suggests becomes the row's scope), makes ../<repo>-<id>, and\n" +
    'prints only that absolute path on stdout. On a failure it exits 1 with one line on stderr and\n' +
    'leaves nothing claimed. Installed by coord init --claude.',
  flags: [],
  positionals: [0, 0],
  group: 'plumbing',
  needs: 'repo',
  at: () => ({ cwd: hookCwd(hookInput()) }),
};

export function run(ctx: Context, _p: Parsed): number {
  const input = hookInput();
  const slug = typeof input.name === 'string' && input.name.trim() ? input.name : null;
  let scope = DEFAULT_SCOPE;
  try {
    if (slug) scope = cellText(slug, 'worktree name', 200);
  } catch {
    /* an odd name: the default scope */
  }
  const claimed = claimSession(ctx, { scope }, (line) => err(line), true);
  err(
    `coord: ${claimed.row.id} · ${claimed.row.name} claimed for Claude Code's worktree${slug ? ` '${slug}'` : ''} ` +
      `(branch ${claimed.branch}).`,
  );
  out(claimed.dir);
  return 0;
}
