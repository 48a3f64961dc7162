// coord check-prefix: the commit-msg hook. Starts no process: the worktree, branch and
// operation in progress are read from the files git keeps.
import type { Parsed, VerbSpec } from '../args.js';
import { CoordError } from '../errors.js';
import { err } from '../output.js';
import { readText } from '../host.js';
import { findWorktree, hookSession, operationInProgress } from '../worktree.js';
import { checkSubject, subjectOf } from '../protocol/subject.js';

export const spec: VerbSpec = {
  name: 'check-prefix',
  summary: "commit-msg hook: the subject must carry this worktree's [sX] prefix",
  usage: '<commit-msg-file>',
  description:
    'In a session worktree the subject must start with [<id>]; outside one a [sX] prefix is refused.\n' +
    'Merges, reverts and fixup!/squash!/amend! of a passing subject pass; so does anything during a rebase.',
  flags: [],
  positionals: [1, 1],
  group: 'plumbing',
  needs: 'nothing',
};

export function run(p: Parsed): number {
  const file = p.args[0];
  const text = readText(file);
  if (text === null) {
    throw new CoordError(`Cannot read the commit message file '${file}': run as a commit-msg hook (coord check-prefix {1}).`);
  }
  const w = findWorktree();
  if (!w) return 0; // not in a repository: nothing to check against
  if (operationInProgress(w.gitDir) === 'rebase') return 0; // replayed commits were checked when made
  const verdict = checkSubject(subjectOf(text), { session: hookSession(w), worktree: w.name, branch: w.branch });
  if (verdict.ok) return 0;
  err(verdict.message);
  return 1;
}
