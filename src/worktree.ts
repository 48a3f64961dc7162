// Where am I, without starting a process: the worktree root, its git dir, the branch and
// the session it belongs to, read from the `.git` file/dir and HEAD the way git lays them
// out. The hooks use only this module, so a commit costs no extra git process.
import { fs, zlib } from './sys.js';
import { basename, cwd, dirname, env, exists, join, kind, readTail, readText, resolve } from './host.js';
import { sessionOfBranch } from './protocol/layout.js';
import { speakingSession } from './protocol/ids.js';
import { symbolicHead } from './git.js';
import { BOARD_PATH, IN_PROGRESS } from './protocol/layout.js';
import { CLAIM_RECORD, parseClaimRecord, seatOf, type ClaimRecord } from './protocol/seat.js';
import { findRow, parseBoard, type SessionRow } from './protocol/board.js';

/** The one model of "where am I" every verb and hook uses. */
export interface Worktree {
  top: string; // the worktree's root directory
  gitDir: string; // its own git dir
  commonDir: string; // the git dir all worktrees share
  mainRoot: string; // the main checkout, beside which session worktrees are made
  branch: string | null; // null on a detached HEAD outside a rebase
  session: string | null; // from a `session-<id>` branch
  name: string; // the directory's name, as messages show it
}

/** The worktree whose root, git dir and common git dir are these (reads HEAD, starts no process). */
export function worktreeAt(top: string, gitDir: string, commonDir: string): Worktree {
  const branch = headBranch(gitDir, top);
  const mainRoot = basename(commonDir) === '.git' ? dirname(commonDir) : top;
  return { top, gitDir, commonDir, mainRoot, branch, session: sessionOfBranch(branch), name: basename(top) };
}

/** Finds the worktree around `cwd` (honouring GIT_DIR, as git does in hooks), or null. */
export function findWorktree(from: string = cwd()): Worktree | null {
  let top: string | null = null;
  let gitDir: string | null = null;
  const envDir = env('GIT_DIR');
  if (envDir) {
    gitDir = resolve(from, envDir);
    const workTree = env('GIT_WORK_TREE');
    top = workTree ? resolve(from, workTree) : from;
  } else {
    for (let dir = resolve(cwd(), from); ; dir = dirname(dir)) {
      const dotGit = join(dir, '.git');
      const k = kind(dotGit);
      if (k === 'dir') {
        top = dir;
        gitDir = dotGit;
        break;
      }
      if (k === 'file') {
        const m = /^gitdir:\s*(.+?)\s*$/m.exec(readText(dotGit) ?? '');
        if (m) {
          top = dir;
          gitDir = resolve(dir, m[1]);
          break;
        }
      }
      if (dirname(dir) === dir) return null;
    }
  }
  if (!top || !gitDir) return null;
  const common = readText(join(gitDir, 'commondir'));
  return worktreeAt(top, gitDir, common ? resolve(gitDir, common.trim()) : gitDir);
}

/**
 * The linked worktrees of the repository whose common git dir is `commonDir`, read from
 * `<common dir>/worktrees/` as git lays it out (no process). One whose directory is gone is
 * left out; the main checkout is not among them.
 */
export function linkedWorktrees(commonDir: string): Worktree[] {
  let names: string[] = [];
  try {
    names = fs().readdirSync(join(commonDir, 'worktrees'));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const gitDir = join(commonDir, 'worktrees', name);
    const dotGit = readText(join(gitDir, 'gitdir'))?.trim();
    if (!dotGit) return [];
    const top = dirname(resolve(gitDir, dotGit));
    return kind(top) === 'dir' ? [worktreeAt(top, gitDir, commonDir)] : [];
  });
}

/**
 * The session a hook acts for: `speakingSession`'s answer, and where that is an error (a
 * malformed or contradicting COORD_SESSION) the worktree's own session: a hook never fails.
 */
export function hookSession(w: Worktree): string | null {
  const who = speakingSession({ worktree: w.session, env: env('COORD_SESSION') });
  return 'id' in who ? who.id : w.session;
}

/**
 * The claim this worktree made (protocol/seat.ts), when it is the claim of the worktree's own
 * session; null for a worktree claimed before coord kept the record, or any other worktree.
 */
export function claimRecord(w: Worktree): ClaimRecord | null {
  if (!w.session) return null;
  const record = parseClaimRecord(readText(join(w.gitDir, CLAIM_RECORD)));
  return record?.id === w.session ? record : null;
}

/**
 * Whether the hooks treat `id` here as not a session: the worktree's claim record says its
 * seat was taken by another claim, going by `row` (default: the row in the worktree's own board
 * file). Never the network; false without a record, so a worktree claimed before it is as before.
 */
export function seatTakenHere(w: Worktree, id: string, row?: SessionRow): boolean {
  const record = claimRecord(w);
  if (!record || record.id !== id) return false;
  const held = row ?? findRow(parseBoard(readText(join(w.top, BOARD_PATH)) ?? ''), id);
  return seatOf(record, held).kind === 'taken';
}

/**
 * What the HEAD file holds when the refs live in a reftable (git 2.45+, `--ref-format=reftable`):
 * a placeholder for older gits; the real HEAD is inside the table, so only git can tell.
 */
const REFTABLE_HEAD = 'ref: refs/heads/.invalid';

/** The branch HEAD names; during a rebase, the branch being rebased. */
function headBranch(gitDir: string, top: string): string | null {
  const head = readText(join(gitDir, 'HEAD'))?.trim() ?? '';
  if (head === REFTABLE_HEAD) {
    let named: string | null = null;
    try {
      named = symbolicHead(top);
    } catch {
      /* unreadable: as if detached, the hooks then stay out of the way */
    }
    if (named) return named;
  } else if (head.startsWith('ref: refs/heads/')) return head.slice('ref: refs/heads/'.length);
  for (const d of ['rebase-merge', 'rebase-apply']) {
    const name = readText(join(gitDir, d, 'head-name'))?.trim();
    if (name?.startsWith('refs/heads/')) return name.slice('refs/heads/'.length);
  }
  return null;
}

/** The git operation in progress in this worktree (rebase, merge, …), or null. */
export function operationInProgress(gitDir: string): string | null {
  for (const [file, op] of IN_PROGRESS) if (exists(join(gitDir, file))) return op;
  return null;
}

/** The commit HEAD points at, read from the ref files; null when it needs git to tell. */
export function headCommit(w: Worktree): string | null {
  const head = readText(join(w.gitDir, 'HEAD'))?.trim() ?? '';
  if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  return head.startsWith('ref: ') ? readRef(w.commonDir, head.slice(5)) : null;
}

/**
 * The commit a ref names, read from the ref files (loose, then packed-refs); null when it is
 * not there in that form (a missing ref, or another ref storage): then ask git.
 */
export function readRef(commonDir: string, ref: string): string | null {
  const loose = readText(join(commonDir, ref))?.trim();
  if (loose && /^[0-9a-f]{40,64}$/.test(loose)) return loose;
  const packed = readText(join(commonDir, 'packed-refs')) ?? '';
  const line = packed.split('\n').find((l) => l.endsWith(' ' + ref));
  return line && /^[0-9a-f]{40,64} /.test(line) ? line.split(' ')[0] : null;
}

/**
 * The time (unix seconds) HEAD moved to `sha`, from the last line of the worktree's HEAD
 * reflog — right after a commit that is the commit's own time. Null when the reflog does
 * not end with that move (reflogs off, or something else moved HEAD since).
 */
export function reflogTime(w: Worktree, sha: string): number | null {
  const tail = readTail(join(w.gitDir, 'logs', 'HEAD'), 8192);
  const last = tail?.replace(/\n$/, '').split('\n').pop() ?? '';
  const m = /^[0-9a-f]+ ([0-9a-f]+) [^\t]*> (\d+) [+-]\d{4}\t/.exec(last);
  return m && m[1] === sha ? Number(m[2]) : null;
}

/**
 * The committer time (unix seconds) of `sha` from its loose object; null when the object
 * is packed (then the caller asks git).
 */
export function looseCommitTime(w: Worktree, sha: string): number | null {
  let raw: Uint8Array;
  try {
    raw = fs().readFileSync(join(w.commonDir, 'objects', sha.slice(0, 2), sha.slice(2)));
  } catch {
    return null;
  }
  const text = zlib().inflateSync(raw).toString('latin1');
  const m = /\ncommitter [^\n]*> (\d+) [+-]\d{4}\n/.exec(text);
  return m ? Number(m[1]) : null;
}
