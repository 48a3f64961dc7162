// The only module that starts processes. Every git call goes through `run`, with an argv
// array (never a shell), an explicit cwd, and git's per-repository variables removed so a
// hook's GIT_DIR / GIT_INDEX_FILE can never point a call at the wrong worktree.
import { cp, fs, path } from './sys.js';
import { CoordError } from './errors.js';

export interface RunResult { code: number; stdout: string; stderr: string }
export interface RunOptions { cwd: string; input?: string | Uint8Array; env?: Record<string, string>; timeoutMs?: number }

/** Variables `git rev-parse --local-env-vars` lists: they bind git to one repository. */
const LOCAL_VARS = ['GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_CONFIG', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_IMPLICIT_WORK_TREE', 'GIT_GRAFT_FILE', 'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS', 'GIT_REPLACE_REF_BASE', 'GIT_PREFIX', 'GIT_INTERNAL_SUPER_PREFIX', 'GIT_SHALLOW_FILE',
  'GIT_COMMON_DIR'];

let cleanEnv: Record<string, string> | undefined;
function baseEnv(): Record<string, string> {
  if (!cleanEnv) {
    cleanEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !LOCAL_VARS.includes(k) && !k.startsWith('GIT_CONFIG_KEY_') && !k.startsWith('GIT_CONFIG_VALUE_')) cleanEnv[k] = v;
    }
    // Never wait for a password prompt: a session must fail fast and say why.
    cleanEnv.GIT_TERMINAL_PROMPT = '0';
    cleanEnv.LC_ALL = 'C';
  }
  return cleanEnv;
}


/** Runs git and returns its result whatever the exit code; throws only when git cannot start. */
export function run(args: string[], opts: RunOptions): RunResult {
  return runProgram('git', args, opts);
}

/** Runs any program (git, or coord itself in the demo) the same way `run` runs git. */
export function runProgram(file: string, args: string[], opts: RunOptions): RunResult {
  const r = cp().spawnSync(file, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: opts.env ? { ...baseEnv(), ...opts.env } : baseEnv(),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    timeout: opts.timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (r.error) {
    const e = r.error as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      if (!fs().existsSync(opts.cwd)) throw new CoordError(`Directory '${opts.cwd}' does not exist.`);
      if (file !== 'git') throw new CoordError(`${file} was not found: install it or fix PATH.`);
      throw new CoordError("git was not found on PATH: install git (https://git-scm.com) or fix PATH, then run this again.");
    }
    if (e.code === 'ETIMEDOUT') return { code: 124, stdout: r.stdout ?? '', stderr: `timed out after ${opts.timeoutMs} ms` };
    if ((e.code as string) === 'ERR_REQUIRE_ASYNC_MODULE' || /permission|NotCapable|PermissionDenied/i.test(String(e.message))) {
      throw new CoordError(`Cannot start git: ${e.message}. Under Deno run coord with -A (or --allow-run --allow-read --allow-write --allow-env --allow-sys).`);
    }
    throw new CoordError(`Cannot start git: ${e.message}`);
  }
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A git command that failed, with what it said. */
export class GitError extends CoordError {
  constructor(readonly args: string[], readonly result: RunResult) {
    super(`git ${args.join(' ')} failed: ${firstLines(result.stderr || result.stdout)}`);
  }
}

function firstLines(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('hint:'));
  return lines.slice(0, 3).join(' / ') || 'no output';
}

/** Runs git and returns stdout; throws a GitError on a non-zero exit. */
export function git(args: string[], opts: RunOptions): string {
  const r = run(args, opts);
  if (r.code !== 0) throw new GitError(args, r);
  return r.stdout;
}

/** stdout without its final newline, or null when git failed. */
export function gitMaybe(args: string[], opts: RunOptions): string | null {
  const r = run(args, opts);
  return r.code === 0 ? r.stdout.replace(/\n$/, '') : null;
}

/** The repository as coord sees it: where the main checkout and the shared git dir are. */
export interface RepoPaths {
  top: string; // the worktree we run in
  commonDir: string; // shared .git directory
  gitDir: string; // this worktree's git dir
  mainRoot: string; // the main worktree (parent of commonDir), used to name sibling worktrees
}

/** Locates the repository around cwd (one git process). */
export function repoPaths(cwd: string): RepoPaths {
  const r = run(['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir'], { cwd });
  if (r.code !== 0) {
    if (/not a git repository/i.test(r.stderr)) throw new CoordError(`Not inside a git repository ('${cwd}'): cd into your repo (or run 'git init') and try again.`);
    throw new GitError(['rev-parse'], r);
  }
  const [top, gitDir, common] = r.stdout.trim().split('\n');
  if (!top) throw new CoordError(`'${cwd}' is inside a bare repository or a .git directory: run coord from a checkout.`);
  const commonDir = path().resolve(top, common);
  return { top, gitDir, commonDir, mainRoot: path().basename(commonDir) === '.git' ? path().dirname(commonDir) : top };
}

export interface BatchObject { sha: string; type: string; content: string }

/** Reads several objects (`rev`, `rev:path`) in one process; a missing one comes back as null. */
export function readObjects(cwd: string, specs: string[]): (BatchObject | null)[] {
  if (specs.length === 0) return [];
  const out = cp().spawnSync('git', ['cat-file', '--batch'], { cwd, input: specs.join('\n') + '\n', env: baseEnv(), maxBuffer: 1 << 30 });
  if (out.error || out.status !== 0) throw new CoordError(`git cat-file failed: ${out.error?.message ?? String(out.stderr)}`);
  const buf = out.stdout as Buffer;
  const result: (BatchObject | null)[] = [];
  let pos = 0;
  for (let i = 0; i < specs.length; i++) {
    const nl = buf.indexOf(10, pos);
    const header = buf.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    const [sha, type, size] = header.split(' ');
    if (type === 'missing' || type === 'ambiguous' || size === undefined) { result.push(null); continue; }
    result.push({ sha, type, content: buf.subarray(pos, pos + Number(size)).toString('utf8') });
    pos += Number(size) + 1;
  }
  return result;
}

/** `Name <email>` of the committer, from git config (the same rule `git commit` uses). */
export function committerIdent(cwd: string): string {
  const r = run(['var', 'GIT_COMMITTER_IDENT'], { cwd });
  if (r.code !== 0) {
    throw new CoordError("git does not know who you are: run git config user.name 'Your Name' and git config user.email you@example.com, then try again.");
  }
  return r.stdout.trim().replace(/\s+\d+\s+[+-]\d{4}$/, '');
}

/**
 * Writes one commit with `files` replaced (null: deleted) on top of `base`, without touching
 * any worktree, index or ref (git fast-import, one process). Returns the new commit's id.
 * The scratch branch is reset to nothing before the end, so a killed run leaves no ref behind.
 */
export function commitFiles(cwd: string, base: string | null, files: Map<string, string | null>, message: string, ident: string): string {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const push = (s: string) => parts.push(enc.encode(s));
  const data = (s: string) => { const b = enc.encode(s); push(`data ${b.length}\n`); parts.push(b); push('\n'); };
  push(`commit refs/coord/scratch\nmark :1\ncommitter ${ident} ${Math.floor(Date.now() / 1000)} +0000\n`);
  data(message);
  if (base) push(`from ${base}\n`);
  for (const [p, content] of files) {
    if (content === null) push(`D ${p}\n`);
    else { push(`M 100644 inline ${p}\n`); data(content); }
  }
  push('\nget-mark :1\nreset refs/coord/scratch\n\ndone\n');
  const r = run(['fast-import', '--quiet', '--done'], { cwd, input: Buffer.concat(parts) });
  const sha = /^[0-9a-f]{40,64}$/m.exec(r.stdout)?.[0];
  if (r.code !== 0 || !sha) throw new GitError(['fast-import'], r);
  return sha;
}

export type PushOutcome =
  | { kind: 'ok' }
  | { kind: 'race'; detail: string } // main moved under us: re-read and re-apply
  | { kind: 'refused'; detail: string } // the server's rules said no: never retry
  | { kind: 'failed'; detail: string }; // network, auth, timeout

/** Pushes `sha` to `remote`'s `branch` and says what happened to that ref. */
export function pushRef(cwd: string, remote: string, sha: string, branch: string, timeoutMs: number): PushOutcome {
  const r = run(['push', '--porcelain', remote, `${sha}:refs/heads/${branch}`], { cwd, timeoutMs });
  const line = r.stdout.split('\n').find((l) => l.includes(`:refs/heads/${branch}\t`));
  const remoteSaid = r.stderr.split('\n').filter((l) => l.startsWith('remote:')).map((l) => l.slice(7).trim()).filter(Boolean).join(' / ');
  if (r.code === 124) return { kind: 'failed', detail: `push to ${remote} timed out` };
  if (line) {
    const flag = line[0];
    const summary = line.split('\t')[2] ?? '';
    // '=' means the ref already had this commit: someone else wrote the same bytes, so it is not ours.
    if (flag === ' ' || flag === '+' || flag === '*') return { kind: 'ok' };
    if (flag === '=') return { kind: 'race', detail: 'identical commit already there' };
    if (flag === '!') {
      if (/fetch first|non-fast-forward|stale info|failed to update ref|cannot lock ref|incorrect old value|failed to lock/i.test(summary + ' ' + r.stderr)) {
        return { kind: 'race', detail: summary };
      }
      return { kind: 'refused', detail: [summary, remoteSaid].filter(Boolean).join(': ') };
    }
  }
  return { kind: 'failed', detail: firstLines(r.stderr) };
}

/** Compare-and-swap of a local ref: true when it moved from `old` to `sha`. */
export function casRef(cwd: string, ref: string, sha: string, old: string | null): boolean {
  return run(['update-ref', ref, sha, old ?? '0'.repeat(40)], { cwd }).code === 0;
}

export interface WorktreeEntry { dir: string; head: string | null; branch: string | null }

/** Every worktree of the repository (`git worktree list --porcelain`). */
export function listWorktrees(cwd: string): WorktreeEntry[] {
  const list: WorktreeEntry[] = [];
  for (const line of git(['worktree', 'list', '--porcelain'], { cwd }).split('\n')) {
    if (line.startsWith('worktree ')) list.push({ dir: line.slice(9), head: null, branch: null });
    else if (line.startsWith('HEAD ') && list.length) list[list.length - 1].head = line.slice(5);
    else if (line.startsWith('branch refs/heads/') && list.length) list[list.length - 1].branch = line.slice(18);
  }
  return list;
}
