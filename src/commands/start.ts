// coord start: claim a session (id, name, row on the board) and make its worktree.
import { str, type Parsed, type VerbSpec } from '../args.js';
import { openContext, boardName, claimMarkFile, type Context } from '../context.js';
import { CoordError, UsageError } from '../errors.js';
import { git, run as runGit } from '../git.js';
import { json, out } from '../output.js';
import { publish, type Published } from '../publish.js';
import { coordSubject, cleanText } from '../session.js';
import { crashPoint, fs, path } from '../sys.js';
import { BOARD_PATH, DEFAULT_SCOPE, emptyBoardText, laneFor, parseBoard, takenIds, withRow, type SessionRow } from '../protocol/board.js';
import { badName, checkId, firstFreeName, lowestFreeId } from '../protocol/ids.js';
import { stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'start',
  summary: 'claim a session: lowest free id, a name, a row on the board, a worktree and branch',
  usage: '[--scope TEXT] [--riff ID] [--name NAME] [--json]',
  description: 'Fetches the blackboard branch, picks the lowest free id (sA, sB, …) and the first free name,\n' +
    'publishes the claim row, then creates ../<repo>-<id> on branch session-<id> at that commit.\n' +
    'Race-safe: when another session publishes first, it re-reads the board and picks again.\n' +
    'COORD_SESSION does not apply: start always claims a new session.',
  flags: [
    { name: 'scope', value: 'TEXT', help: 'what this session works on (default: scope TBD)' },
    { name: 'riff', value: 'ID', help: 'the Riff (work item) this session owns' },
    { name: 'name', value: 'NAME', help: 'display name instead of the next one from the pool' },
    { name: 'as', value: 'ID', help: 'claim exactly this id (fails if it is taken) instead of the lowest free one' },
    { name: 'json', help: 'print {"id","name","worktree","branch","claimed","commit"}' },
  ],
  positionals: [0, 0],
};

export function run(p: Parsed): number {
  const ctx = openContext(process.cwd());
  const wanted = str(p, 'as');
  if (wanted && checkId(wanted)) throw new UsageError(`${checkId(wanted)}.`);
  const name = str(p, 'name');
  if (name !== undefined && badName(name)) throw new UsageError(`Name '${name.slice(0, 40)}' cannot go on the board: ${badName(name)}.`);
  const scope = str(p, 'scope') !== undefined ? cleanText(str(p, 'scope')!, 'scope') : DEFAULT_SCOPE;
  const riff = str(p, 'riff') !== undefined ? cleanText(str(p, 'riff')!, 'Riff id', 80) : undefined;
  if (riff && /[,|]/.test(riff)) throw new UsageError(`A Riff id cannot hold ',' or '|': '${riff}'.`);

  // Ids whose branch or worktree directory already exists here are skipped: a leftover never gets reused silently.
  const localBranches = new Set(git(['for-each-ref', '--format=%(refname:lstrip=2)', 'refs/heads/'], { cwd: ctx.repo.top }).split('\n').filter((b) => b.startsWith('session-')).map((b) => b.slice(8)));
  const worktreeOf = (id: string) => `${ctx.repo.mainRoot}-${id}`;
  const leftover = (id: string) => localBranches.has(id) || fs().existsSync(worktreeOf(id));
  if (!p.flags.json) out(`fetching ${boardName(ctx)} and claiming the lowest free id ...`);

  let claim: Published<SessionRow>;
  try {
    claim = publish(ctx, (snap) => {
      const board = parseBoard(snap.read(BOARD_PATH) ?? emptyBoardText());
      const taken = takenIds(board);
      let id: string;
      if (wanted) {
        if (taken.has(wanted)) throw new CoordError(`${wanted} is already on the board: pick another id, or leave out --as to get the lowest free one.`);
        if (leftover(wanted)) throw new CoordError(`session-${wanted} or ${worktreeOf(wanted)} already exists here: remove it (coord doctor) or pick another id.`);
        id = wanted;
      } else {
        for (const t of localBranches) taken.add(t);
        id = lowestFreeId(taken);
        while (leftover(id)) { taken.add(id); id = lowestFreeId(taken); }
      }
      const names = new Set([...board.rows.map((r) => r.row.name), ...board.brokenNames].map((n) => n.toLowerCase()));
      if (name && names.has(name.toLowerCase())) throw new CoordError(`The name '${name}' is taken on the board: choose another with --name, or leave it out.`);
      markClaim(ctx, id);
      const now = stamp();
      const row = { id, name: name ?? firstFreeName(names), riffs: riff ? [riff] : [], lane: laneFor(id, ctx.cfg.branch), claimed: now, presence: now, presenceNote: '', scope };
      return { files: new Map([[BOARD_PATH, withRow(board, row)]]), subject: coordSubject(id, `claim ${id} at ${now}`), value: row };
    });
  } catch (e) {
    markClaim(ctx, null); // nothing was published: no claim to remember
    throw e;
  }
  const row = claim.value;
  const dir = worktreeOf(row.id);
  const branch = `session-${row.id}`;
  const made = runGit(['worktree', 'add', '--quiet', '--no-track', '-b', branch, dir, claim.sha!], { cwd: ctx.repo.top });
  if (made.code !== 0) {
    throw new CoordError(`Claimed ${row.id} on the board, but creating the worktree failed (${made.stderr.trim().split('\n').pop()}). ` +
      `Make it yourself: git worktree add --no-track -b ${branch} ${dir} ${claim.sha!.slice(0, 12)} — or release the claim: coord close --as ${row.id}.`);
  }
  crashPoint('after-worktree');
  markClaim(ctx, null);
  if (p.flags.json) {
    json({ id: row.id, name: row.name, worktree: dir, branch, claimed: row.claimed, commit: claim.sha });
    return 0;
  }
  const bar = '='.repeat(36);
  out([
    `[${branch} ${claim.sha!.slice(0, 7)}] ${coordSubject(row.id, `claim ${row.id} at ${row.claimed}`)}`,
    bar,
    `Session ${row.id} claimed.`,
    `Name:     ${row.name}`,
    `Worktree: ${dir}`,
    `Branch:   ${branch}`,
    'Next:',
    `  cd ${dir}`,
    bar,
  ].join('\n'));
  return 0;
}

/**
 * The id this clone is claiming, kept in the git dir until its worktree exists: if start is
 * killed after publishing, `coord doctor` can tell this clone's orphaned claim from another
 * clone's live session. `null` clears it; a lost race's mark is replaced by the next attempt's.
 */
function markClaim(ctx: Context, id: string | null): void {
  const file = claimMarkFile(ctx);
  if (id === null) { fs().rmSync(file, { force: true }); return; }
  fs().mkdirSync(path().dirname(file), { recursive: true });
  fs().writeFileSync(file, `${id}\n`);
}
