// coord as a package, installed the ways a user installs it from a clone of this repository,
// with no registry and no network: the tarball of the real `npm pack`, through `npx` and as a
// dev dependency (onboarding, a session, commits through the real lefthook hooks, and lefthook
// running coord from node_modules); the JSR manifest checked by the real `deno publish
// --dry-run`; Deno running coord from a URL, as it does from JSR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { BOARD, denoBin, gitOk, lefthookBin, makeEnv, projectRoot, tempDir } from '../helpers.mjs';

const TIMEOUT = { timeout: 240_000 };
const PACKED = ['LICENSE', 'README.md', 'dist/coord.mjs', 'dist/coord.mjs.sha256', 'package.json'];
const SCRIPT = 'infrastructure/scripts/coord.mjs';
const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
const distBundle = () => fs.readFileSync(path.join(projectRoot, 'dist', 'coord.mjs'));

/** A hermetic environment for npm as well: its own cache and HOME, offline, no notices. */
function npmEnv(root) {
  const base = makeEnv(root);
  // npm's settings from a caller (`npm test` sets npm_config_*) would change what npm does here.
  for (const k of Object.keys(base)) if (/^npm_/i.test(k) || k === 'INIT_CWD') delete base[k];
  return {
    ...base,
    HOME: root,
    npm_config_cache: path.join(root, '.npm'),
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    DENO_DIR: path.join(root, '.deno'),
  };
}

/** Runs a program; returns { code, stdout, stderr }. */
function run(file, args, { cwd, env, input = '' }) {
  const r = spawnSync(file, args, { cwd, env, input, encoding: 'utf8', timeout: 180_000, killSignal: 'SIGKILL' });
  if (r.error) throw new Error(`${file} ${args.join(' ')} could not run: ${r.error.message}`);
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** Like run, without blocking: for a child that talks to a server in this process. */
function runAsync(file, args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, stdout, stderr });
    });
  });
}

function ok(file, args, opts) {
  const r = run(file, args, opts);
  assert.equal(r.code, 0, `${file} ${args.join(' ')} (in ${opts.cwd}) exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

let packRoot;
let tarball;
let packedFiles;

before(() => {
  packRoot = tempDir('pack');
  const before = fs.readdirSync(projectRoot).sort();
  // As the README runs it: the clone named as a folder, from somewhere else.
  const r = ok('npm', ['pack', projectRoot, '--json', '--pack-destination', packRoot], { cwd: packRoot, env: npmEnv(packRoot) });
  const [info] = JSON.parse(r.stdout);
  tarball = path.join(packRoot, info.filename);
  packedFiles = info.files.map((f) => f.path).sort();
  assert.ok(fs.existsSync(tarball), `npm pack wrote no ${tarball}`);
  assert.deepEqual(fs.readdirSync(projectRoot).sort(), before, 'npm pack left a file in the project');
});

after(() => {
  if (packRoot) fs.rmSync(packRoot, { recursive: true, force: true });
});

test(
  'npm pack (and --dry-run) holds only the bundle, its checksum, README, LICENSE and package.json; the manifest is ready to publish',
  TIMEOUT,
  () => {
    assert.deepEqual(packedFiles, PACKED);
    const dry = ok('npm', ['pack', '--dry-run', '--json'], { cwd: projectRoot, env: npmEnv(packRoot) });
    assert.deepEqual(
      JSON.parse(dry.stdout)[0]
        .files.map((f) => f.path)
        .sort(),
      PACKED,
    );
    assert.deepEqual(pkg.bin, { coord: 'dist/coord.mjs' });
    assert.equal(pkg.dependencies, undefined, 'no runtime dependencies');
    assert.equal(pkg.engines.node, '>=18');
    assert.ok('repository' in pkg && 'homepage' in pkg, 'repository and homepage are there for the publisher to fill');
    assert.match(pkg.scripts.prepublishOnly, /npm test/, 'publishing first checks the bundle is a fresh build and runs the tests');
    assert.match(fs.readFileSync(path.join(projectRoot, 'LICENSE'), 'utf8'), /MIT License[\s\S]*coord contributors/);
  },
);

/** Every file git does not track yet, with its bytes' hash and whether it is executable. */
function untracked(repo, env) {
  const files = gitOk(repo, ['ls-files', '--others', '-z'], { env }).split('\0').filter(Boolean).sort();
  return Object.fromEntries(
    files.map((f) => {
      const abs = path.join(repo, f);
      return [f, `${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')} ${fs.statSync(abs).mode & 0o111 ? 'x' : '-'}`];
    }),
  );
}

const cloneSettings = (repo, env) => gitOk(repo, ['config', '--local', '--get-regexp', '^(merge|rebase)\\.'], { env });

function plainRepo(root, name, env) {
  const repo = path.join(root, name);
  gitOk(root, ['init', '--quiet', '-b', 'main', repo], { env });
  fs.writeFileSync(path.join(repo, 'README.md'), `# ${name}\n`);
  gitOk(repo, ['add', 'README.md'], { env });
  gitOk(repo, ['commit', '--quiet', '-m', 'initial commit'], { env });
  return repo;
}

test('npx file:<tarball> init onboards a repository exactly as install.sh from the clone does: same files, same output', TIMEOUT, (t) => {
  const root = tempDir('npx');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const env = npmEnv(root);
  const viaScript = plainRepo(root, 'by-install-sh', env);
  const viaNpx = plainRepo(root, 'by-npx', env);

  const script = ok('sh', [path.join(projectRoot, 'install.sh')], { cwd: viaScript, env });
  const npx = ok('npx', [`file:${tarball}`, 'init'], { cwd: viaNpx, env });

  const initPart = script.stdout
    .split('\n')
    .filter((l) => !l.startsWith('coord install: '))
    .join('\n');
  assert.equal(npx.stdout, initPart, 'init printed something else through npx');
  assert.match(npx.stdout, /created {3}infrastructure\/scripts\/coord\.mjs/);
  assert.deepEqual(untracked(viaNpx, env), untracked(viaScript, env));
  assert.equal(cloneSettings(viaNpx, env), cloneSettings(viaScript, env));
  assert.ok(fs.readFileSync(path.join(viaNpx, SCRIPT)).equals(distBundle()), 'the copy is the bundle of this checkout');
  assert.ok(
    !fs.existsSync(path.join(viaNpx, 'package.json')) && !fs.existsSync(path.join(viaNpx, 'node_modules')),
    'npx left npm files in the repository',
  );
});

/**
 * A repository with a bare origin that pins coord as a dev dependency (the tarball), onboarded
 * with `npx coord init`, committed with package.json and its lock, pushed, lefthook installed.
 */
function devDependencyRepo(t) {
  const root = tempDir('devdep');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const env = npmEnv(root);
  const origin = path.join(root, 'origin.git');
  const repo = path.join(root, 'app');
  gitOk(root, ['init', '--quiet', '--bare', '-b', 'main', origin], { env });
  gitOk(root, ['clone', '--quiet', origin, repo], { env });
  fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\n');
  gitOk(repo, ['add', '.gitignore'], { env });
  gitOk(repo, ['commit', '--quiet', '-m', 'initial commit'], { env });
  gitOk(repo, ['push', '--quiet', 'origin', 'HEAD:main'], { env });

  ok('npm', ['install', '--save-dev', tarball], { cwd: repo, env });
  const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  assert.match(manifest.devDependencies[pkg.name], /^file:.*\.tgz$/, 'pinned as a dev dependency');
  assert.deepEqual(
    fs.readdirSync(path.join(repo, 'node_modules')).filter((d) => !d.startsWith('.')),
    [pkg.name.split('/')[0]],
    'coord brought no dependency along',
  );

  const init = ok('npx', ['coord', 'init'], { cwd: repo, env });
  assert.match(init.stdout, /created {3}infrastructure\/scripts\/coord\.mjs/);
  assert.ok(fs.readFileSync(path.join(repo, SCRIPT)).equals(distBundle()), 'init copied the pinned bundle');
  gitOk(repo, ['add', '-A'], { env });
  gitOk(repo, ['commit', '--quiet', '-m', 'chore: onboard coord'], { env });
  gitOk(repo, ['push', '--quiet', 'origin', 'HEAD:main'], { env });
  ok(lefthookBin, ['install'], { cwd: repo, env });
  return { root, env, repo };
}

/** `npx coord start` in the clone; the new session's worktree. */
function startSession(fx) {
  const r = ok('npx', ['coord', 'start', '--scope', 'billing', '--json'], { cwd: fx.repo, env: fx.env });
  const { id, worktree } = JSON.parse(r.stdout);
  assert.equal(id, 'sA');
  return worktree;
}

/** In a session worktree: a commit labelled for another session is refused by the hook, one labelled [sA] goes in and the heartbeat moves presence. */
function commitsThroughHooks(wt, env, refusal = /does not match worktree/) {
  fs.writeFileSync(path.join(wt, 'work.txt'), 'work\n');
  gitOk(wt, ['add', 'work.txt'], { env });
  const head = gitOk(wt, ['rev-parse', 'HEAD'], { env });
  const bad = run('git', ['commit', '--quiet', '-m', '[sB] feat: the work'], { cwd: wt, env });
  assert.notEqual(bad.code, 0, "the commit-msg hook let [sB] through in sA's worktree");
  assert.match(bad.stdout + bad.stderr, refusal);
  assert.equal(gitOk(wt, ['rev-parse', 'HEAD'], { env }), head);
  const when = `@${Math.floor(Date.now() / 1000) + 3 * 3600} +0000`;
  gitOk(wt, ['commit', '--quiet', '-m', '[sA] feat: the work'], { env: { ...env, GIT_COMMITTER_DATE: when } });
  assert.equal(gitOk(wt, ['log', '-1', '--format=%s'], { env }).trim(), '[sA] feat: the work');
  assert.match(gitOk(wt, ['status', '--porcelain'], { env }), new RegExp(` M ${BOARD}`), 'the post-commit heartbeat moved presence');
}

test(
  'a dev dependency: npm install --save-dev <tarball>, npx coord init, a session started with npx coord, commits through the hooks',
  TIMEOUT,
  (t) => {
    const fx = devDependencyRepo(t);
    const wt = startSession(fx);
    commitsThroughHooks(wt, fx.env);
  },
);

test(
  'lefthook running coord from node_modules: init and doctor keep the jobs; a new session worktree links node_modules, so coord runs there at once',
  TIMEOUT,
  (t) => {
    const fx = devDependencyRepo(t);
    const config = path.join(fx.repo, 'lefthook.yml');
    const committedCopy = fs.readFileSync(config, 'utf8');
    const fromDependency = committedCopy.replaceAll(`node ${SCRIPT} `, `node node_modules/${pkg.name}/dist/coord.mjs `);
    assert.notEqual(fromDependency, committedCopy);
    fs.writeFileSync(config, fromDependency);

    const again = ok('npx', ['coord', 'init'], { cwd: fx.repo, env: fx.env });
    assert.match(again.stdout, /unchanged lefthook\.yml/);
    assert.equal(fs.readFileSync(config, 'utf8'), fromDependency, "init rewrote the team's run lines");
    const doctor = run('npx', ['coord', 'doctor'], { cwd: fx.repo, env: fx.env });
    assert.doesNotMatch(doctor.stdout + doctor.stderr, /lacks coord's/);
    gitOk(fx.repo, ['commit', '--quiet', '-am', 'chore: lefthook runs coord from node_modules'], { env: fx.env });
    gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });

    const wt = startSession(fx);
    // start links the main checkout's node_modules into the worktree (issue 23): lefthook and coord from node_modules run there
    // with no npm ci, and the link is ignored, never committed.
    assert.equal(fs.readlinkSync(path.join(wt, 'node_modules')), path.join(fx.repo, 'node_modules'), 'the worktree links node_modules');
    assert.doesNotMatch(gitOk(wt, ['status', '--porcelain', '--untracked-files=all'], { env: fx.env }), /node_modules/);
    // Without the committed copy in this worktree, only node_modules' coord can answer.
    fs.rmSync(path.join(wt, SCRIPT));
    commitsThroughHooks(wt, fx.env);
  },
);

test("jsr.json publishes the bundle alone, at package.json's version: deno publish --dry-run lists it", TIMEOUT, (t) => {
  const jsr = JSON.parse(fs.readFileSync(path.join(projectRoot, 'jsr.json'), 'utf8'));
  assert.equal(jsr.name, pkg.name, 'one name on npm and JSR');
  assert.match(jsr.name, /^@[a-z0-9-]+\/coord$/, 'JSR names are scoped');
  assert.equal(jsr.version, pkg.version, 'jsr.json and package.json disagree on the version');
  assert.equal(jsr.exports, './dist/coord.mjs');
  const root = tempDir('jsr');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const r = ok(denoBin, ['publish', '--dry-run', '--allow-dirty'], { cwd: projectRoot, env: npmEnv(root) });
  const listed = [...(r.stdout + r.stderr).matchAll(/^\s+file:\/\/(\S+)/gm)].map((m) => path.relative(projectRoot, m[1])).sort();
  assert.deepEqual(listed, ['LICENSE', 'README.md', 'dist/coord.mjs', 'jsr.json']);
  assert.match(r.stdout + r.stderr, new RegExp(`${jsr.name.replace('/', '\\/')}@${pkg.version}`));
});

/** A web server for dist/: after `failAfter` requests of a file it answers 503. */
async function serveDist(t, failAfter = Infinity) {
  const seen = new Map();
  const server = http.createServer((req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname);
    const file = path.join(projectRoot, 'dist', name);
    seen.set(name, (seen.get(name) ?? 0) + 1);
    if (!fs.existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    if (seen.get(name) > failAfter) {
      res.writeHead(503);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/javascript' });
    res.end(fs.readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${server.address().port}/coord.mjs`;
}

test('Deno running coord from a URL (as from JSR): init --deno copies the served bundle, as init of the file does', TIMEOUT, async (t) => {
  const root = tempDir('deno-url');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const env = npmEnv(root);
  const url = await serveDist(t);
  const viaUrl = plainRepo(root, 'by-url', env);
  const viaFile = plainRepo(root, 'by-file', env);
  const fromUrl = await runAsync(denoBin, ['run', '-A', url, 'init', '--deno'], { cwd: viaUrl, env });
  assert.equal(fromUrl.code, 0, fromUrl.stderr);
  const fromFile = ok(denoBin, ['run', '-A', path.join(projectRoot, 'dist', 'coord.mjs'), 'init', '--deno'], { cwd: viaFile, env });
  assert.equal(fromUrl.stdout, fromFile.stdout);
  assert.deepEqual(untracked(viaUrl, env), untracked(viaFile, env));
  assert.ok(fs.readFileSync(path.join(viaUrl, SCRIPT)).equals(distBundle()));
  assert.match(fs.readFileSync(path.join(viaUrl, 'lefthook.yml'), 'utf8'), /deno run -A infrastructure\/scripts\/coord\.mjs heartbeat/);
});

test('Deno running coord from a URL that then fails: init says so in one line and writes nothing', TIMEOUT, async (t) => {
  const root = tempDir('deno-url-down');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const env = npmEnv(root);
  const url = await serveDist(t, 1);
  const repo = plainRepo(root, 'app', env);
  const r = await runAsync(denoBin, ['run', '-A', url, 'init', '--deno'], { cwd: repo, env });
  assert.equal(r.code, 1);
  const lines = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('Download '));
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /Could not fetch http:\/\/127\.0\.0\.1:\d+\/coord\.mjs .*HTTP 503.*Nothing was written/);
  assert.equal(gitOk(repo, ['status', '--porcelain', '--untracked-files=all'], { env }), '');
  assert.equal(run('git', ['config', '--local', '--get', 'merge.coord.driver'], { cwd: repo, env }).code, 1, 'init set the clone up');
});
