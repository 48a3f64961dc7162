// coord start: claim a session (id, name, row on the board) and make its worktree.
import { str, type Parsed, type VerbSpec } from '../args.js';
import { boardName } from '../blackboard.js';
import { claimSession } from '../claim.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { err, out, report, type Report } from '../output.js';
import { cellText, DEFAULT_SCOPE } from '../protocol/board.js';
import { badName, checkId, checkRiffId } from '../protocol/ids.js';
import { WORKTREE_INCLUDE } from '../protocol/layout.js';
import { coordSubject } from '../protocol/subject.js';

export const spec: VerbSpec = {
  name: 'start',
  summary: 'claim a session: lowest free id, a name, a row on the board, a worktree and branch',
  usage: '[--scope TEXT] [--riff ID] [--name NAME] [--json]',
  description:
    'Fetches the blackboard branch, picks the lowest free id (sA, sB, …) and the first free name,\n' +
    'publishes the claim row, then creates ../<repo>-<id> on branch session-<id> at that commit.\n' +
    'Race-safe: when another session publishes first, it re-reads the board and picks again.\n' +
    'Files git ignores that .worktreeinclude names (.env, local config) are copied from the main\n' +
    "checkout into the new worktree; its node_modules is linked to the main checkout's, where the\n" +
    "hooks look for lefthook and the team's tools (git ignores the link; close removes only it).\n" +
    'COORD_SESSION does not apply: start always claims a new session.',
  flags: [
    { name: 'scope', value: 'TEXT', help: 'what this session works on (default: scope TBD)' },
    { name: 'riff', value: 'ID', help: 'the Riff (work item) this session owns' },
    { name: 'name', value: 'NAME', help: 'display name instead of the next one from the pool' },
    { name: 'as', value: 'ID', help: 'claim exactly this id (fails if it is taken) instead of the lowest free one' },
    { name: 'json', help: 'print {"id","name","worktree","branch","claimed","commit","copied"}' },
  ],
  positionals: [0, 0],
  group: 'sessions',
  needs: 'repo',
};

export function run(ctx: Context, p: Parsed): Report {
  const wanted = str(p, 'as');
  if (wanted !== undefined && checkId(wanted)) throw new UsageError(`${checkId(wanted)}.`);
  const name = str(p, 'name');
  if (name !== undefined && badName(name)) throw new UsageError(`Name '${name.slice(0, 40)}' cannot go on the board: ${badName(name)}.`);
  const scope = str(p, 'scope') !== undefined ? cellText(str(p, 'scope')!, 'scope') : DEFAULT_SCOPE;
  const riff = str(p, 'riff');
  if (riff !== undefined && checkRiffId(riff)) throw new UsageError(`--riff: ${checkRiffId(riff)}.`);

  if (!p.flags.json) out(`fetching ${boardName(ctx)} and claiming the lowest free id ...`);
  const { row, dir, branch, sha, copied, configured, linked } = claimSession(ctx, { wanted, name, scope, riff }, (line) => err(line));
  return report({ id: row.id, name: row.name, worktree: dir, branch, claimed: row.claimed, commit: sha, copied }, () => {
    const bar = '='.repeat(36);
    const copiedList = copied.length > 4 ? `${copied.slice(0, 4).join(', ')} and ${copied.length - 4} more` : copied.join(', ');
    out(
      [
        `[${branch} ${sha.slice(0, 7)}] ${coordSubject(row.id, `claim ${row.id} at ${row.claimed}`)}`,
        bar,
        `Session ${row.id} claimed.`,
        `Name:     ${row.name}`,
        `Worktree: ${dir}`,
        `Branch:   ${branch}`,
        ...(configured.length ? [`Set up:   this clone merges the coordination files with coord (${configured.join(', ')})`] : []),
        ...(copied.length ? [`Copied:   ${copiedList} (named in ${WORKTREE_INCLUDE})`] : []),
        ...(linked ? [`Linked:   node_modules to the main checkout's (the hooks run from it; close removes the link)`] : []),
        'Next:',
        `  cd ${dir}`,
        bar,
      ].join('\n'),
    );
  });
}
