// Shared fixtures for the end-to-end tests: hermetic environments, real temp repositories
// with a bare origin, and the real bundle run as a process (under Node, or Deno when
// COORD_RUNTIME=deno); a reader of git's trace files; a seeded PRNG (the unit tests use it
// too). Only node: built-ins.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The bundle under test: dist/coord.mjs, or COORD_BUNDLE (as in install.test.mjs) to try another build. */
export const bundle = process.env.COORD_BUNDLE ? path.resolve(process.env.COORD_BUNDLE) : path.join(projectRoot, 'dist', 'coord.mjs');
export const binDir = path.join(projectRoot, 'node_modules', '.bin');
export const denoBin = path.join(binDir, 'deno');
export const lefthookBin = path.join(binDir, 'lefthook');

/** The runtime the bundle runs under in these tests: 'node' (default) or 'deno'. */
export const runtime = process.env.COORD_RUNTIME === 'deno' ? 'deno' : 'node';

/** A stamp as the board writes it: UTC, minute precision. */
export const STAMP = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z`;
export const stampOf = (ms) => new Date(ms).toISOString().slice(0, 16) + 'Z';

let localVars;
/** `git rev-parse --local-env-vars`: the variables that bind git to one repository. */
function gitLocalEnvVars() {
  if (!localVars) {
    const r = spawnSync('git', ['rev-parse', '--local-env-vars'], { encoding: 'utf8' });
    if (r.error) throw new Error(`git is needed for the tests: ${r.error.message}`);
    localVars = r.stdout.split('\n').filter(Boolean);
  }
  return localVars;
}

/**
 * The environment for child processes of a test rooted at `root`: nothing of the
 * caller's git, coord or lefthook settings leaks in (a test run from inside a git hook
 * or a coord session behaves like one run from a plain shell); a git config of its own.
 */
export function makeEnv(root) {
  const env = { ...process.env };
  for (const k of gitLocalEnvVars()) delete env[k];
  for (const k of Object.keys(env)) {
    // Other GIT_* (identity, dates, config keys, traces) and coord/lefthook settings would change what is tested.
    if (k.startsWith('GIT_') || k.startsWith('COORD_') || k.startsWith('LEFTHOOK')) delete env[k];
  }
  const gitconfig = path.join(root, 'gitconfig');
  if (!fs.existsSync(gitconfig)) {
    fs.writeFileSync(
      gitconfig,
      [
        '[user]',
        '\tname = Coord Test',
        '\temail = coord-test@example.invalid',
        '[init]',
        '\tdefaultBranch = main',
        '[commit]',
        '\tgpgsign = false',
        '[tag]',
        '\tgpgsign = false',
        '[gc]',
        '\tauto = 0',
        '[advice]',
        '\tdetachedHead = false',
        '',
      ].join('\n'),
    );
  }
  return {
    ...env,
    GIT_CONFIG_GLOBAL: gitconfig,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CEILING_DIRECTORIES: path.dirname(root),
    NO_COLOR: '1',
    LEFTHOOK_OUTPUT: 'failure,execution_out',
    PATH: [binDir, env.PATH ?? ''].join(path.delimiter),
  };
}

/** A fresh, real-path temp dir (git prints real paths; the tests compare with them). */
export function tempDir(label = 'e2e') {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `coord-${label}-`)));
}

function result(r, what) {
  if (r.error) throw new Error(`${what} could not run: ${r.error.message}`);
  return { code: r.status ?? (r.signal ? 128 : 1), signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** argv of the bundle under the selected runtime. */
export function coordArgv(args) {
  return runtime === 'deno' ? [denoBin, 'run', '-A', bundle, ...args] : [process.execPath, bundle, ...args];
}

/** Runs the real bundle as a process in `cwd`; returns { code, stdout, stderr }. */
export function coord(cwd, args, { env, input, timeout = 120_000 } = {}) {
  const [file, ...argv] = coordArgv(args);
  return result(
    spawnSync(file, argv, { cwd, env: env ?? process.env, input: input ?? '', encoding: 'utf8', timeout, killSignal: 'SIGKILL' }),
    `coord ${args.join(' ')}`,
  );
}

/** Like `coord`, but asynchronous: for starting several at the same moment. */
export function coordAsync(cwd, args, { env, timeout = 120_000 } = {}) {
  const [file, ...argv] = coordArgv(args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, signal, stdout, stderr });
    });
  });
}

/** Runs git in `cwd`; returns { code, stdout, stderr }. */
export function git(cwd, args, { env, input, timeout = 60_000 } = {}) {
  return result(
    spawnSync('git', args, { cwd, env: env ?? process.env, input: input ?? '', encoding: 'utf8', timeout, killSignal: 'SIGKILL' }),
    `git ${args.join(' ')}`,
  );
}

/** Runs git and returns its stdout; throws with git's stderr when it fails. */
export function gitOk(cwd, args, opts) {
  const r = git(cwd, args, opts);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} (in ${cwd}) failed with ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Runs coord and throws unless it exits 0 (with its output in the message). */
export function coordOk(cwd, args, opts) {
  const r = coord(cwd, args, opts);
  if (r.code !== 0) throw new Error(`coord ${args.join(' ')} (in ${cwd}) failed with ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

/**
 * A temp dir holding a bare `origin.git` (unless origin is false) and a clone `<name>` of
 * it with one commit, onboarded with the real bundle's `init` (`--deno` under Deno),
 * committed and pushed, with `lefthook install` run by the real lefthook.
 * Returns { root, repo, origin, env, cleanup }.
 */
export function makeRepo({ name = 'po-platform', lefthook = true, runtime: rt = runtime, origin: withOrigin = true } = {}) {
  const root = tempDir(name);
  const env = makeEnv(root);
  const repo = path.join(root, name);
  const origin = withOrigin ? path.join(root, 'origin.git') : null;
  const cleanup = () => fs.rmSync(root, { recursive: true, force: true });
  try {
    if (origin) {
      gitOk(root, ['init', '--quiet', '--bare', '-b', 'main', origin], { env });
      gitOk(root, ['clone', '--quiet', origin, repo], { env });
    } else {
      gitOk(root, ['init', '--quiet', '-b', 'main', repo], { env });
    }
    fs.writeFileSync(path.join(repo, 'README.md'), `# ${name}\n`);
    gitOk(repo, ['add', 'README.md'], { env });
    gitOk(repo, ['commit', '--quiet', '-m', 'initial commit'], { env });
    coordOk(repo, rt === 'deno' ? ['init', '--deno'] : ['init'], { env });
    gitOk(repo, ['add', '-A'], { env });
    gitOk(repo, ['commit', '--quiet', '-m', 'chore: onboard coord'], { env });
    if (origin) gitOk(repo, ['push', '--quiet', 'origin', 'HEAD:main'], { env });
    if (lefthook) {
      const r = spawnSync(lefthookBin, ['install'], { cwd: repo, env, encoding: 'utf8' });
      if (r.error || r.status !== 0) throw new Error(`lefthook install failed: ${r.error?.message ?? r.stderr + r.stdout}`);
      if (!fs.existsSync(path.join(repo, '.git', 'hooks', 'commit-msg'))) throw new Error('lefthook install wrote no commit-msg hook');
    }
  } catch (e) {
    cleanup();
    throw e;
  }
  return { root, repo, origin, env, cleanup };
}

export const BOARD = 'docs/ai/sessions/active.md';

/** The board's text on origin/main, freshly fetched into `repo`. */
export function boardOnOrigin(repo, env) {
  gitOk(repo, ['fetch', '--quiet', 'origin'], { env });
  return gitOk(repo, ['show', `origin/main:${BOARD}`], { env });
}

/** The board rows (lines starting `| s`) of a board text. */
export const rowsOf = (text) => text.split('\n').filter((l) => l.startsWith('| s'));

/** The cells of a board row, trimmed. */
export const cellsOf = (row) =>
  row
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());

/** How many git processes a GIT_TRACE2_EVENT file recorded (0 when none wrote to it). */
export function gitProcesses(traceFile) {
  if (!fs.existsSync(traceFile)) return 0;
  return fs
    .readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"event":"start"')).length;
}

/**
 * The git processes a GIT_TRACE2_EVENT file recorded, in the order they started, as
 * { cmd, direct }: cmd is the sub-command ('fetch', 'push', 'fast-import', …; for a
 * `git-receive-pack` or `git-upload-pack` program, 'receive-pack' or 'upload-pack'), direct
 * says the process was started by coord itself rather than by another git process.
 */
export function gitCommands(traceFile) {
  if (!fs.existsSync(traceFile)) return [];
  const cmds = [];
  for (const line of fs.readFileSync(traceFile, 'utf8').split('\n')) {
    if (!line.includes('"event":"start"')) continue;
    const { sid, argv } = JSON.parse(line);
    const exe = path.basename(argv[0]);
    let cmd = exe.startsWith('git-') ? exe.slice(4) : null;
    for (let i = 1; cmd === null && i < argv.length; i++) {
      if (argv[i] === '-C' || argv[i] === '-c') i++;
      else if (!argv[i].startsWith('-')) cmd = argv[i];
    }
    cmds.push({ cmd, direct: !sid.includes('/') });
  }
  return cmds;
}

/**
 * What reached a remote that is a local path, in order, from a GIT_TRACE2_EVENT file of the
 * client: 'upload-pack' for each fetch and 'receive-pack' for each push the remote served
 * (its server side runs as a child of the client's git, so it writes to the same trace).
 */
export function remoteContacts(traceFile) {
  return gitCommands(traceFile)
    .map((c) => c.cmd)
    .filter((c) => c === 'upload-pack' || c === 'receive-pack');
}

/** mulberry32: a small seeded PRNG; returns a function giving floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh `git init` repository under `root` onboarded by the real bundle's `init` (no commit, no origin): what the hook scripts' tests read. */
export function onboardedScratch(root, name = 'onboarded') {
  const repo = path.join(root, name);
  fs.mkdirSync(repo);
  const env = makeEnv(root);
  const g = spawnSync('git', ['init', '-q', repo], { env, encoding: 'utf8' });
  if (g.status !== 0) throw new Error(`git init failed: ${g.stderr}`);
  const init = spawnSync(process.execPath, [bundle, 'init'], { cwd: repo, env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`coord init failed: ${init.stderr}`);
  return repo;
}
