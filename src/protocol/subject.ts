// The commit-subject rule: in a session's worktree every subject starts with `[sX]`.
// One function decides; the commit-msg hook and its tests both call it.

export type SubjectVerdict = { ok: true } | { ok: false; message: string };

export interface SubjectContext {
  session: string | null; // the worktree's session id, null outside a session worktree
  worktree: string; // the worktree directory's name, for the message
  branch: string | null; // the branch checked out there (for the outside-a-session message)
}

const PREFIX_RE = /^\[(s[A-Z]+)\]/;
const WRAPPERS_RE = /^(fixup|squash|amend)! /;

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
      return { ok: false, message: `commit subject prefix [${m[1]}] does not match worktree '${ctx.worktree}' (expected [${ctx.session}]).` };
    }
    return { ok: false, message: `commit subject has no session prefix: start it with [${ctx.session}] (worktree '${ctx.worktree}').` };
  }
  if (m) {
    const where = ctx.branch ? `branch '${ctx.branch}'` : 'a detached HEAD';
    return { ok: false, message: `commit subject prefix [${m[1]}] used outside a session worktree ('${ctx.worktree}', ${where}): commit from that session's worktree, or drop the prefix.` };
  }
  return { ok: true };
}
