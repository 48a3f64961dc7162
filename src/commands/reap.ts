// coord reap: take stale sessions off the board in one commit. Never deletes their work:
// a worktree of a reaped session on this machine is reported and kept.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { boardName, openContext } from '../context.js';
import { CoordError } from '../errors.js';
import { listWorktrees } from '../git.js';
import { json, out } from '../output.js';
import { publish, refresh, Snapshot } from '../publish.js';
import { lastCommits, stateOf } from '../liveness.js';
import { BOARD_PATH, parseBoard, withoutRow } from '../protocol/board.js';
import { age, parseDuration } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'reap',
  summary: 'remove stale sessions (no presence, no [sX] commit for a while) from the board, one commit',
  usage: '[--older-than DURATION] [--include-paused] [--dry-run] [--json]',
  description: 'A session is stale when the newest of its presence stamp, its claim and its last [sX] commit\n' +
    'is older than --older-than (default: the stale threshold, 24h). Paused sessions are kept\n' +
    'unless --include-paused. Their worktrees and branches here are kept and listed.',
  flags: [
    { name: 'older-than', value: 'DURATION', help: 'staleness threshold (default 24h or "stale" in .coord.json)' },
    { name: 'include-paused', help: 'reap paused sessions too' },
    { name: 'dry-run', help: 'say what would be removed, change nothing' },
    { name: 'json', help: 'print {"reaped":[ids],"kept":[worktree dirs],"dryRun","commit"}' },
  ],
  positionals: [0, 0],
};

export function run(p: Parsed): number {
  const ctx = openContext(process.cwd(), str(p, 'as'));
  const older = str(p, 'older-than');
  if (older !== undefined) {
    const ms = parseDuration(older);
    if (ms === null || ms <= 0) throw new CoordError(`--older-than '${older}' is not a duration: use forms like 12h, 3d.`, 2);
    ctx.cfg.staleMs = ms;
  }
  const commits = lastCommits(ctx);
  const pick = (board: ReturnType<typeof parseBoard>) => board.rows.filter(({ row }) => {
    const { state, newest } = stateOf(row, commits.get(row.id), ctx);
    if (state === 'stale') return true;
    return state === 'paused' && bool(p, 'include-paused') && (newest === null || Date.now() - newest > ctx.cfg.staleMs);
  }).map((r) => r.row.id);
  let reaped: string[];
  let sha: string | null = null;
  if (bool(p, 'dry-run')) {
    const fetched = refresh(ctx, true);
    reaped = pick(parseBoard(new Snapshot(ctx, fetched.sha).read(BOARD_PATH) ?? ''));
  } else {
    const r = publish(ctx, (snap) => {
      let text = snap.read(BOARD_PATH) ?? '';
      const ids = pick(parseBoard(text));
      for (const id of ids) text = withoutRow(parseBoard(text), id);
      const who = ctx.session ? `[${ctx.session}] ` : '';
      return { files: ids.length ? new Map([[BOARD_PATH, text]]) : new Map(), subject: `${who}docs(ai-sessions): reap stale ${ids.join(', ')}`, value: ids };
    });
    reaped = r.value;
    sha = reaped.length ? r.sha : null;
  }
  const kept = listWorktrees(ctx.repo.top).filter((w) => reaped.some((id) => w.branch === `session-${id}`)).map((w) => w.dir);
  if (bool(p, 'json')) { json({ reaped, kept, dryRun: bool(p, 'dry-run'), commit: sha }); return 0; }
  if (!reaped.length) { out(`No stale sessions on ${boardName(ctx)} (older than ${age(ctx.cfg.staleMs)}).`); return 0; }
  out(`${bool(p, 'dry-run') ? 'Would remove' : 'Removed'} ${reaped.join(', ')} from the board on ${boardName(ctx)}.`);
  for (const dir of kept) out(`Kept worktree ${dir} (its work is never deleted; coord close --as <id> there when done).`);
  return 0;
}
