// The only module that starts processes (the only import of node:child_process). git runs
// through `runGit` with an argv array (never a shell), an explicit cwd, and git's
// per-repository variables removed, so a hook's GIT_DIR / GIT_INDEX_FILE can never point a
// call at the wrong worktree. Only git.ts runs git; only demo runs other programs.
import { cp, fs } from './sys.js';
import { CoordError } from './errors.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}
export interface RunOptions {
  cwd: string;
  input?: string | Uint8Array;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Variables `git rev-parse --local-env-vars` lists: they bind git to one repository. */
const LOCAL_VARS = [
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_COMMON_DIR',
];

let cleanEnv: Record<string, string> | undefined;
function baseEnv(): Record<string, string> {
  if (!cleanEnv) {
    cleanEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !LOCAL_VARS.includes(k) && !k.startsWith('GIT_CONFIG_KEY_') && !k.startsWith('GIT_CONFIG_VALUE_'))
        cleanEnv[k] = v;
    }
    // Never wait for a password prompt: a session must fail fast and say why.
    cleanEnv.GIT_TERMINAL_PROMPT = '0';
    cleanEnv.LC_ALL = 'C';
  }
  return cleanEnv;
}

/** Runs a program and returns its result whatever the exit code; throws only when it cannot start. */
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
      throw new CoordError('git was not found on PATH: install git (https://git-scm.com) or fix PATH, then run this again.');
    }
    if (e.code === 'ETIMEDOUT') return { code: TIMED_OUT, stdout: r.stdout ?? '', stderr: `timed out after ${opts.timeoutMs} ms` };
    if ((e.code as string) === 'ERR_REQUIRE_ASYNC_MODULE' || /permission|NotCapable|PermissionDenied/i.test(String(e.message))) {
      throw new CoordError(
        `Cannot start ${file}: ${e.message}. Under Deno run coord with -A (or --allow-run --allow-read ` +
          `--allow-write --allow-env --allow-sys).`,
      );
    }
    throw new CoordError(`Cannot start ${file}: ${e.message}`);
  }
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The exit code `runProgram` reports when the timeout killed the program. */
export const TIMED_OUT = 124;

/** Runs git; see the module comment. */
export const runGit = (args: string[], opts: RunOptions): RunResult => runProgram('git', args, opts);

/** Reads several objects with `git cat-file --batch` in one process: raw bytes, so sizes are byte counts. */
export function catFileBatch(cwd: string, input: string): Uint8Array {
  const out = cp().spawnSync('git', ['cat-file', '--batch'], { cwd, input, env: baseEnv(), maxBuffer: 1 << 30 });
  if (out.error || out.status !== 0) throw new CoordError(`git cat-file failed: ${out.error?.message ?? String(out.stderr).trim()}`);
  return out.stdout as Uint8Array;
}

/** A git command that failed, with what it said; `detail` is its last meaningful line. */
export class GitError extends CoordError {
  readonly detail: string;
  constructor(
    readonly args: string[],
    readonly result: RunResult,
  ) {
    super(`git ${args.join(' ')} failed: ${firstLines(result.stderr || result.stdout)}`);
    this.detail = meaningful(result.stderr || result.stdout).pop() ?? `exit ${result.code}`;
  }
}

const meaningful = (s: string): string[] =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('hint:'));

/** The first lines of git's output, joined, for a one-line message. */
export function firstLines(s: string): string {
  return meaningful(s).slice(0, 3).join(' / ') || 'no output';
}
