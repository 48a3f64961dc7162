// The POSIX sh every generated hook script shares (the pre-commit, commit-msg and post-commit
// fast paths): where the git dir and the common dir are, and which session's branch HEAD is
// on. One home, so the three scripts cannot drift apart; each piece exits 1 ("let coord
// decide") on anything it does not recognise.
import { IN_PROGRESS, sessionBranch } from './layout.js';

/** A session id as an sh `case` pattern (the SESSION_ID_PATTERN of ids.ts, spelled out). */
export const SH_SESSION_ID = [1, 2, 3].map((n) => 's' + '[ABCDEFGHIJKLMNOPQRSTUVWXYZ]'.repeat(n)).join('|');

/** Sets `d` to the git dir: $GIT_DIR (as git gives it to hooks), a `.git` folder, or a linked worktree's `.git` file. */
export const SH_GIT_DIR = `if [ -n "\${GIT_DIR:-}" ]; then d=$GIT_DIR
elif [ -d .git ]; then d=.git
elif [ -f .git ]; then IFS= read -r l < .git || exit 1; d=\${l#gitdir: }
else exit 1; fi`;

/** Sets `c` to the common dir of the worktrees (where refs and coord's shared files live). */
export const SH_COMMON_DIR = `c=$d
if [ -f "$d/commondir" ]; then
  IFS= read -r l < "$d/commondir" || exit 1
  case $l in /*) c=$l ;; *) c=$d/$l ;; esac
fi`;

/** Runs `then` (a command) when a rebase, merge, cherry-pick, revert or bisect is in progress in `$d`. */
export const shInProgress = (then: string): string =>
  `for m in ${IN_PROGRESS.map(([file]) => file).join(' ')}; do [ -e "$d/$m" ] && ${then}; done`;

/**
 * Sets `variable` to the session whose branch HEAD is on; outside a session branch, runs
 * `outside` (which must exit). A reftable repository's placeholder HEAD exits 1: only git
 * can read that HEAD.
 */
export function shSessionOfHead(variable: string, outside: string): string {
  const branch = `ref: refs/heads/${sessionBranch('')}`;
  return `IFS= read -r h < "$d/HEAD" || exit 1
case $h in
  '${branch}'*)
    ${variable}=\${h#'${branch}'}
    case $${variable} in ${SH_SESSION_ID}) ;; *) exit 1 ;; esac ;;
  'ref: refs/heads/.invalid') exit 1 ;;
  *) ${outside} ;;
esac`;
}
