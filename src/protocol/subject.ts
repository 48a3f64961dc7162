// The commit-subject rule: in a session's worktree every subject starts with `[sX]`.
// One function decides; the commit-msg hook and its tests both call it. coord's own
// commits follow it too (`coordSubject`).
import { SESSION_ID_PATTERN } from './ids.js';
import { SH_GIT_DIR, shInProgress, shSessionOfHead } from './sh.js';

export type SubjectVerdict = { ok: true } | { ok: false; message: string };

export interface SubjectContext {
  session: string | null; // the worktree's session id, null outside a session worktree
  worktree: string; // the worktree directory's name, for the message
  branch: string | null; // the branch checked out there (for the outside-a-session message)
}

const PREFIX_RE = new RegExp(`^\\[(${SESSION_ID_PATTERN})\\]`);

/** The session whose prefix starts `subject` (`[sA] …` → `sA`), or null. */
export function sessionOfSubject(subject: string): string | null {
  return PREFIX_RE.exec(subject)?.[1] ?? null;
}

/** The subject of coord's own commits: `[sA] docs(ai-sessions): <what>` (no prefix when no session speaks). */
export function coordSubject(id: string | null, what: string): string {
  return `${id ? `[${id}] ` : ''}docs(ai-sessions): ${what}`;
}

/**
 * The marker GitHub Actions and GitLab CI both honour anywhere in a commit message: the push
 * that brings the commit starts no CI run. It goes in the body, so the subject keeps the
 * form every reader of history parses.
 */
export const CI_SKIP_MARKER = '[skip ci]';

/** The whole message of a coord commit: the subject, then (with `skipCi`) a blank line and the CI-skip marker. */
export function coordMessage(subject: string, skipCi: boolean): string {
  return skipCi ? `${subject}\n\n${CI_SKIP_MARKER}\n` : `${subject}\n`;
}
const WRAPPERS = ['fixup', 'squash', 'amend'];
const WRAPPERS_RE = new RegExp(`^(${WRAPPERS.join('|')})! `);

/** The first line git will keep as the subject: skips blank lines and `#` comments. */
export function subjectOf(message: string): string {
  for (const line of message.split(/\r?\n/)) {
    if (line.startsWith('#')) continue;
    if (line.trim() === '') continue;
    return line.trim();
  }
  return '';
}

/** Whether `subject` may be committed in the worktree described by `ctx`. */
export function checkSubject(subject: string, ctx: SubjectContext): SubjectVerdict {
  // fixup!/squash!/amend! follow the rule of the subject they wrap.
  while (WRAPPERS_RE.test(subject)) subject = subject.replace(WRAPPERS_RE, '');
  // git writes these itself: merges, and reverts (the worktree tells who reverted).
  if (/^Merge (branch|remote-tracking branch|commit|tag|pull request|[0-9a-f]{7,})/.test(subject)) return { ok: true };
  if (/^Revert "/.test(subject) || /^Reapply "/.test(subject)) return { ok: true };
  if (subject === '') return { ok: true }; // git itself refuses an empty message
  const m = PREFIX_RE.exec(subject);
  if (ctx.session) {
    if (m && m[1] === ctx.session) return { ok: true };
    if (m) {
      return {
        ok: false,
        message: `commit subject prefix [${m[1]}] does not match worktree '${ctx.worktree}' (expected [${ctx.session}]).`,
      };
    }
    return { ok: false, message: `commit subject has no session prefix: start it with [${ctx.session}] (worktree '${ctx.worktree}').` };
  }
  if (m) {
    const where = ctx.branch ? `branch '${ctx.branch}'` : 'a detached HEAD';
    return {
      ok: false,
      message:
        `commit subject prefix [${m[1]}] used outside a session worktree ('${ctx.worktree}', ${where}): ` +
        `commit from that session's worktree, or drop the prefix.`,
    };
  }
  return { ok: true };
}

/**
 * The commit-msg hook's fast path as a POSIX sh script, built from the rules above. It
 * exits 0 only when `checkSubject` certainly accepts (the common case: a session worktree
 * and a subject starting with its own prefix, or an ordinary subject elsewhere); for
 * anything else it exits 1 and coord decides, and explains any refusal.
 */
export function prefixGuardScript(): string {
  const wrappers = WRAPPERS.map((w) => `'${w}! '*`).join('|');
  return `#!/bin/sh
# coord's commit-msg fast path, written by 'coord init' from coord's commit-subject rule:
# do not edit (run 'coord init' again). Exit 0: the subject certainly passes. Exit 1: let
# 'coord check-prefix' decide, which explains any refusal.
[ -r "$1" ] || exit 1
${SH_GIT_DIR}
${shInProgress('exit 1')}
s=
while IFS= read -r line || [ -n "$line" ]; do
  case $line in '#'*) continue ;; *[![:space:]]*) s=$line; break ;; esac
done < "$1"
${shSessionOfHead(
  'id',
  `[ -z "\${COORD_SESSION:-}" ] || exit 1
    case $s in ${wrappers}) exit 1 ;; [ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789]*) exit 0 ;; esac
    exit 1`,
)}
case $s in "[$id]"*) exit 0 ;; esac
exit 1
`;
}
