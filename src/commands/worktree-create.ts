// coord worktree-create: Claude Code's WorktreeCreate hook (claude --worktree, subagents with
// worktree isolation). Claims a session exactly as start does and prints only the new
// worktree's absolute path on stdout, which is what Claude Code reads; all else goes to stderr.
import type { Parsed, VerbSpec } from '../args.js';
import { claimSession } from '../claim.js';
import type { Context } from '../context.js';
import { refresh, Snapshot } from '../blackboard.js';
import { clientWorktrees, hookClient, writeClientRecord } from '../clientrecord.js';
import { CoordError } from '../errors.js';
import { hookCwd, hookInput, readHookInput } from '../hookinput.js';
import { err, out } from '../output.js';
import { cellText, DEFAULT_SCOPE, findRow, parseBoard } from '../protocol/board.js';
import { seatOf } from '../protocol/seat.js';
import { BOARD_PATH } from '../protocol/layout.js';
import { findWorktree } from '../worktree.js';

export const spec: VerbSpec = {
  name: 'worktree-create',
  summary: "Claude Code's WorktreeCreate hook: claim a session, make its worktree, print its path",
  usage: '',
  description:
    'Reads the hook\'s JSON on stdin ({"cwd","name",…}), claims the lowest free id as coord start does\n' +
    "(race-safe; the name Claude Code suggests becomes the row's scope), makes ../<repo>-<id>, and\n" +
    'prints only that absolute path on stdout. A name a live session of this clone already has (its\n' +
    'row on the board, its worktree here) gives that worktree back and claims nothing. On a failure,\n' +
    'or stdin that is not a JSON object, it exits 1 with one line on stderr and leaves nothing claimed.\n' +
    'Installed by coord init --claude.',
  flags: [],
  positionals: [0, 0],
  group: 'plumbing',
  needs: 'repo',
  at: () => {
    const read = readHookInput();
    if ('problem' in read)
      throw new CoordError(
        `WorktreeCreate needs the hook's JSON object on stdin, but ${read.problem}: nothing was claimed. Claude Code ` +
          `passes it; by hand, run echo '{"name":"<name>"}' | coord worktree-create.`,
      );
    return { cwd: hookCwd(read.input) };
  },
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
  const again = slug ? liveWorktreeNamed(ctx, slug) : null;
  if (again) {
    err(`coord: ${again.id} already works in Claude Code's worktree '${slug}': returning it, nothing claimed.`);
    out(again.dir);
    return 0;
  }
  const claimed = claimSession(ctx, { scope }, (line) => err(line), true);
  const gitDir = findWorktree(claimed.dir)?.gitDir;
  try {
    if (gitDir) {
      const rec = { name: slug, sha: claimed.sha, at: Date.now(), client: hookClient() };
      writeClientRecord(gitDir, rec);
    }
  } catch (e) {
    // The session works without it; only finding it again by name and reap --abandoned need it.
    err(`coord: could not note Claude Code's worktree name in ${gitDir} (${(e as Error).message}); the session is claimed.`);
  }
  err(
    `coord: ${claimed.row.id} · ${claimed.row.name} claimed for Claude Code's worktree${slug ? ` '${slug}'` : ''} ` +
      `(branch ${claimed.branch}).`,
  );
  out(claimed.dir);
  return 0;
}

/** The worktree of this clone that WorktreeCreate made for `name` and whose claim is still on the board, or null. */
function liveWorktreeNamed(ctx: Context, name: string): { id: string; dir: string } | null {
  const named = clientWorktrees(ctx.repo.commonDir).filter(({ rec }) => rec.name === name);
  if (!named.length) return null;
  const board = parseBoard(new Snapshot(ctx, refresh(ctx).sha).read(BOARD_PATH) ?? '');
  const live = named.find(({ claim }) => seatOf(claim, findRow(board, claim.id)).kind === 'own');
  return live ? { id: live.claim.id, dir: live.w.top } : null;
}
