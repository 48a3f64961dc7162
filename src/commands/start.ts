// coord start: claim a session (id, name, row on the board) and make its worktree.
import { str, type Parsed, type VerbSpec } from '../args.js';
import { boardName, SCRIPTS_DIR } from '../blackboard.js';
import { openContext } from '../context.js';
import { CoordError, UsageError } from '../errors.js';
import { addWorktree, GitError, listBranches } from '../git.js';
import { err, json, out } from '../output.js';
import { planClaim } from '../plans.js';
import { publish, type Published } from '../publish.js';
import { copyIncluded, markClaim, missingScriptsWarning } from '../session.js';
import { setUpClone } from '../clonesetup.js';
import { crashPoint, fs, path } from '../sys.js';
import { cellText, DEFAULT_SCOPE, type SessionRow } from '../protocol/board.js';
import { badName, checkId, checkRiffId } from '../protocol/ids.js';
import { BOARD_PATH, sessionBranch, sessionOfBranch, sessionOfWorktreeName, sessionWorktree, WORKTREE_INCLUDE } from '../protocol/layout.js';
import { coordSubject } from '../protocol/subject.js';
import { stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'start',
  summary: 'claim a session: lowest free id, a name, a row on the board, a worktree and branch',
  usage: '[--scope TEXT] [--riff ID] [--name NAME] [--json]',
  description: 'Fetches the blackboard branch, picks the lowest free id (sA, sB, …) and the first free name,\n' +
    'publishes the claim row, then creates ../<repo>-<id> on branch session-<id> at that commit.\n' +
    'Race-safe: when another session publishes first, it re-reads the board and picks again.\n' +
    'Files git ignores that .worktreeinclude names (.env, local config) are copied from the main\n' +
    'checkout into the new worktree.\n' +
    'COORD_SESSION does not apply: start always claims a new session.',
  flags: [
    { name: 'scope', value: 'TEXT', help: 'what this session works on (default: scope TBD)' },
    { name: 'riff', value: 'ID', help: 'the Riff (work item) this session owns' },
    { name: 'name', value: 'NAME', help: 'display name instead of the next one from the pool' },
    { name: 'as', value: 'ID', help: 'claim exactly this id (fails if it is taken) instead of the lowest free one' },
    { name: 'json', help: 'print {"id","name","worktree","branch","claimed","commit","copied"}' },
  ],
  positionals: [0, 0],
};

export function run(p: Parsed): number {
  const ctx = openContext(process.cwd(), { identity: false });
  const wanted = str(p, 'as');
  if (wanted !== undefined && checkId(wanted)) throw new UsageError(`${checkId(wanted)}.`);
  const name = str(p, 'name');
  if (name !== undefined && badName(name)) throw new UsageError(`Name '${name.slice(0, 40)}' cannot go on the board: ${badName(name)}.`);
  const scope = str(p, 'scope') !== undefined ? cellText(str(p, 'scope')!, 'scope') : DEFAULT_SCOPE;
  const riff = str(p, 'riff');
  if (riff !== undefined && checkRiffId(riff)) throw new UsageError(`--riff: ${checkRiffId(riff)}.`);

  // Ids whose branch or worktree directory already exists here are skipped: a leftover never gets reused silently.
  const root = ctx.repo.mainRoot;
  const leftovers = new Set<string>();
  for (const b of listBranches(ctx.repo.top, sessionBranch(''))) { const id = sessionOfBranch(b.name); if (id) leftovers.add(id); }
  for (const entry of fs().readdirSync(path().dirname(root))) { const id = sessionOfWorktreeName(path().basename(root), entry); if (id) leftovers.add(id); }
  if (!p.flags.json) out(`fetching ${boardName(ctx)} and claiming the lowest free id ...`);

  let claim: Published<SessionRow>;
  let missing: string[] = [];
  try {
    claim = publish(ctx, (snap) => {
      snap.preload([BOARD_PATH, SCRIPTS_DIR]); // the hook scripts' folder comes with the board
      missing = snap.missingScripts();
      const plan = planClaim(snap, { wanted, name, scope, riff, branch: ctx.cfg.branch, leftovers, now: stamp() });
      markClaim(ctx, plan.value.id);
      return plan;
    });
  } catch (e) {
    markClaim(ctx, null); // nothing was published: no claim to remember
    throw e;
  }
  const row = claim.value;
  const dir = sessionWorktree(root, row.id);
  const branch = sessionBranch(row.id);
  try {
    addWorktree(ctx.repo.top, dir, branch, claim.sha!);
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    throw new CoordError(`Claimed ${row.id} on the board, but creating the worktree failed (${e.detail}). ` +
      `Make it yourself: git worktree add --no-track -b ${branch} ${dir} ${claim.sha!.slice(0, 12)} — or release the claim: coord close --as ${row.id}.`);
  }
  crashPoint('after-worktree');
  if (missing.length) err(missingScriptsWarning(ctx, missing));
  markClaim(ctx, null);
  let configured: string[] = [];
  try { configured = setUpClone(ctx.repo.top, ctx.repo.commonDir); } catch (e) {
    err(`coord: could not set this clone up to merge the coordination files (${(e as Error).message}): run coord doctor --fix.`);
  }
  let copied: string[] = [];
  try { copied = copyIncluded(root, dir); } catch (e) {
    err(`coord: ${row.id} is claimed and its worktree made, but copying the files ${WORKTREE_INCLUDE} names failed (${(e as Error).message}): copy them by hand.`);
  }
  if (p.flags.json) {
    json({ id: row.id, name: row.name, worktree: dir, branch, claimed: row.claimed, commit: claim.sha, copied });
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
    ...(configured.length ? [`Set up:   this clone merges the coordination files with coord (${configured.join(', ')})`] : []),
    ...(copied.length ? [`Copied:   ${copied.length > 4 ? `${copied.slice(0, 4).join(', ')} and ${copied.length - 4} more` : copied.join(', ')} (named in ${WORKTREE_INCLUDE})`] : []),
    'Next:',
    `  cd ${dir}`,
    bar,
  ].join('\n'));
  return 0;
}
