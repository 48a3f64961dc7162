// What coord knows about a session Claude Code's WorktreeCreate hook made: the worktree name the
// client asked for, the claim, and the client's process. It lives in the worktree's own git dir
// (never committed, gone with the worktree), so a second WorktreeCreate with the same name finds
// the session without guessing from the board, and reap --abandoned can tell a `claude -p` run
// that ended without WorktreeRemove from a client still at work.
import { fs, path, processAlive } from './sys.js';
import { readText } from './host.js';
import { claimRecord, linkedWorktrees, type Worktree } from './worktree.js';
import type { ClaimRecord } from './protocol/seat.js';

export const CLIENT_RECORD = 'coord-client.json';

/** A client process: its pid and, where the system says (Linux /proc), when it started, so a reused pid is not taken for it. */
export interface ClientProcess {
  pid: number;
  start: string | null;
}
/** What only WorktreeCreate knows; which claim it speaks for is the worktree's claim record (protocol/seat.ts), beside it. */
export interface ClientRecord {
  /** The `name` WorktreeCreate was given, or null. */
  name: string | null;
  /** The commit the worktree started on: a branch still there has no commit of the session's. */
  sha: string;
  /** When the claim was made, in ms (finer than the board's minute stamps). */
  at: number;
  client: ClientProcess | null;
}

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ksh', 'ash', 'busybox']);

/** /proc/<pid>/stat as [command name, parent pid, start time], or null off Linux or for a gone process. */
function procStat(pid: number): [string, number, string] | null {
  const text = readText(`/proc/${pid}/stat`);
  if (!text) return null;
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 2).split(' ');
  return [text.slice(open + 1, close), Number(rest[1]), rest[19] ?? ''];
}

/**
 * The process that ran this hook: the parent, or past the shell a hook command runs in (dash
 * does not exec the last command, so the shell is gone once the hook ends) its first non-shell ancestor.
 */
export function hookClient(): ClientProcess | null {
  let pid = process.ppid;
  if (!Number.isInteger(pid) || pid <= 1) return null;
  for (let hops = 0; hops < 8; hops++) {
    const stat = procStat(pid);
    if (!stat) return { pid, start: null };
    const [name, parent, start] = stat;
    if (!SHELLS.has(name) || parent <= 1) return { pid, start: start || null };
    pid = parent;
  }
  return { pid, start: null };
}

/** Whether the recorded client still runs (a pid now held by a process that started later is not it). */
export function clientAlive(c: ClientProcess): boolean {
  if (!processAlive(c.pid)) return false;
  if (c.start === null) return true;
  const now = procStat(c.pid);
  return now === null || now[2] === c.start;
}

export function writeClientRecord(gitDir: string, rec: ClientRecord): void {
  fs().writeFileSync(path().join(gitDir, CLIENT_RECORD), `${JSON.stringify(rec)}\n`);
}

/** The record in worktree git dir `gitDir`, or null when there is none or it cannot be read. */
export function readClientRecord(gitDir: string): ClientRecord | null {
  const text = readText(path().join(gitDir, CLIENT_RECORD));
  if (!text) return null;
  try {
    const r = JSON.parse(text) as ClientRecord;
    return typeof r === 'object' && r !== null && typeof r.sha === 'string' && typeof r.at === 'number' ? r : null;
  } catch {
    return null;
  }
}

/**
 * The session worktrees of this clone that WorktreeCreate made: each with its client record and
 * the claim it made (a worktree without a readable claim record is never taken for one).
 */
export function clientWorktrees(commonDir: string): { w: Worktree; rec: ClientRecord; claim: ClaimRecord }[] {
  return linkedWorktrees(commonDir).flatMap((w) => {
    const rec = readClientRecord(w.gitDir);
    const claim = rec && claimRecord(w);
    return rec && claim ? [{ w, rec, claim }] : [];
  });
}
