// install.sh end to end: a real temp git repo, a local HTTP server standing in for the
// download site, and `curl -fsSL <url>/install.sh | sh` run the way a user runs it.
// The served coord.mjs is COORD_BUNDLE when set (another build of coord), else the built
// dist/coord.mjs; install.sh runs the checked copy's init, which places it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const installScript = path.join(repoRoot, 'install.sh');
const bundlePath = process.env.COORD_BUNDLE ? path.resolve(process.env.COORD_BUNDLE) : path.join(repoRoot, 'dist', 'coord.mjs');
const DEST = path.join('infrastructure', 'scripts', 'coord.mjs');

let server;
let serveDir;
let baseUrl;
let bundle;
const scratchDirs = [];

/** Runs a command without a shell string of ours; resolves with its exit code and output. */
function run(cmd, args, { cwd, env, timeoutMs = 60_000 }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Like run, but throws unless the command exits 0. */
async function must(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

function mkScratch(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `coord-install-${label}-`));
  scratchDirs.push(dir);
  return dir;
}

/** Environment for child runs: no GIT_* leaking in from a hook that runs the tests. */
function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('GIT_')) env[k] = v;
  }
  return { ...env, ...extra };
}

/** A fresh repo with one commit, plus a private TMPDIR to prove install.sh cleans up. */
async function makeFixture(label) {
  const base = mkScratch(label);
  const repo = path.join(base, 'repo');
  const tmp = path.join(base, 'tmp');
  fs.mkdirSync(repo);
  fs.mkdirSync(tmp);
  const env = childEnv({ GIT_CEILING_DIRECTORIES: path.dirname(base) });
  const git = (...args) => must('git', args, { cwd: repo, env });
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.name', 'Install Test');
  await git('config', 'user.email', 'install-test@example.invalid');
  await git('config', 'commit.gpgsign', 'false');
  await git('config', 'gc.auto', '0');
  fs.writeFileSync(path.join(repo, 'README.md'), '# fixture\n');
  await git('add', 'README.md');
  await git('commit', '-q', '-m', 'initial');
  return { base, repo, tmp, env };
}

/** A bin dir holding every executable on PATH except the named ones (first on PATH wins). */
function pathWithout(names, extraDirs = []) {
  const bin = path.join(mkScratch('bin'), 'bin');
  fs.mkdirSync(bin);
  const dirs = [...extraDirs, ...(process.env.PATH ?? '').split(path.delimiter)];
  for (const dir of dirs) {
    let entries;
    try {
      entries = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of entries) {
      if (names.includes(name)) continue;
      const link = path.join(bin, name);
      if (fs.existsSync(link)) continue;
      const target = path.join(dir, name);
      try {
        const st = fs.statSync(target);
        if (!st.isFile() || (st.mode & 0o111) === 0) continue;
        fs.symlinkSync(target, link);
      } catch {
        /* dangling or unreadable: not a tool */
      }
    }
  }
  return bin;
}

function findOnPath(name, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    const p = path.join(dir, name);
    try {
      if ((fs.statSync(p).mode & 0o111) !== 0) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

function stderrLines(r) {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

/** The repo holds exactly what the fixture committed: no infrastructure/, nothing untracked. */
async function assertRepoUntouched(fx) {
  assert.equal(fs.existsSync(path.join(fx.repo, 'infrastructure')), false, 'infrastructure/ was left behind');
  const st = await must('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: fx.repo, env: fx.env });
  assert.equal(st.stdout, '', `repo has leftovers:\n${st.stdout}`);
}

function assertTmpClean(fx) {
  assert.deepEqual(fs.readdirSync(fx.tmp), [], 'install.sh left files in TMPDIR');
}

function assertInstalled(fx, r) {
  assert.equal(r.code, 0, `install.sh failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  const placed = path.join(fx.repo, DEST);
  assert.ok(fs.existsSync(placed), `${DEST} missing`);
  assert.ok(fs.readFileSync(placed).equals(bundle), `${DEST} differs from the served coord.mjs`);
  assert.notEqual(fs.statSync(placed).mode & 0o111, 0, `${DEST} is not executable`);
  assert.match(r.stdout, /^created {3}infrastructure\/scripts\/coord\.mjs$/m, 'init placed the copy');
  assertTmpClean(fx);
  assert.ok(fs.existsSync(path.join(fx.repo, 'docs', 'ai', 'sessions', 'active.md')), 'init did not write the board');
  assert.ok(fs.existsSync(path.join(fx.repo, 'lefthook.yml')), 'init did not write lefthook.yml');
}

function sha256Hex(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

before(async () => {
  assert.ok(fs.existsSync(bundlePath), `No bundle at ${bundlePath}. Run 'npm run build' first, or set COORD_BUNDLE to a script file.`);
  bundle = fs.readFileSync(bundlePath);
  assert.ok(bundle.length > 0, `${bundlePath} is empty`);
  const digest = sha256Hex(bundle);
  const tampered = Buffer.from(bundle);
  tampered[Math.floor(tampered.length / 2)] ^= 0x01;

  serveDir = mkScratch('www');
  const put = (rel, data) => {
    fs.mkdirSync(path.dirname(path.join(serveDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(serveDir, rel), data);
  };
  put('install.sh', fs.readFileSync(installScript));
  put('good/coord.mjs', bundle);
  put('good/coord.mjs.sha256', `${digest}  coord.mjs\n`);
  put('bare-digest/coord.mjs', bundle);
  put('bare-digest/coord.mjs.sha256', digest.toUpperCase());
  put('tampered/coord.mjs', tampered);
  put('tampered/coord.mjs.sha256', `${digest}  coord.mjs\n`);
  put('missing/coord.mjs.sha256', `${digest}  coord.mjs\n`);
  const notCoord = Buffer.from('process.exit(0);\n');
  put('not-coord/coord.mjs', notCoord);
  put('not-coord/coord.mjs.sha256', `${sha256Hex(notCoord)}  coord.mjs\n`);

  server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.join(serveDir, rel);
    if (!file.startsWith(serveDir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  if (server) await new Promise((resolve) => server.close(resolve));
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** `curl -fsSL <url>/install.sh | sh`, exactly as the README tells a user to run it. */
function curlPipeSh(fx, cwd, coordBase) {
  return run('sh', ['-c', 'curl -fsSL "$INSTALL_URL" | sh'], {
    cwd,
    env: childEnv({
      ...fx.env,
      INSTALL_URL: `${baseUrl}/install.sh`,
      COORD_BASE_URL: coordBase,
      TMPDIR: fx.tmp,
    }),
  });
}

test('curl | sh from a subdirectory installs the verified bundle at the repo top and runs init', { timeout: 120_000 }, async () => {
  const fx = await makeFixture('ok');
  const sub = path.join(fx.repo, 'sub', 'dir');
  fs.mkdirSync(sub, { recursive: true });
  const r = await curlPipeSh(fx, sub, `${baseUrl}/good/`);
  assertInstalled(fx, r);
  assert.equal(fs.existsSync(path.join(sub, 'infrastructure')), false, 'installed relative to cwd, not the repo top');
  assert.match(r.stdout, /running: node coord\.mjs init \(the checked copy; init places it at infrastructure\/scripts\/coord\.mjs\)/);
  assert.match(r.stdout, /with curl/);
});

test('a .sha256 holding only the (uppercase) digest is accepted', { timeout: 120_000 }, async () => {
  const fx = await makeFixture('bare');
  const r = await curlPipeSh(fx, fx.repo, `${baseUrl}/bare-digest`);
  assertInstalled(fx, r);
});

test('a tampered download is refused with one checksum line and leaves nothing behind', { timeout: 60_000 }, async () => {
  const fx = await makeFixture('tampered');
  const r = await curlPipeSh(fx, fx.repo, `${baseUrl}/tampered`);
  assert.notEqual(r.code, 0, 'install.sh accepted a tampered coord.mjs');
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /checksum mismatch/i);
  assert.match(lines[0], /coord\.mjs/);
  await assertRepoUntouched(fx);
  assertTmpClean(fx);
});

test('a 404 on coord.mjs fails with one clear line and leaves nothing behind', { timeout: 60_000 }, async () => {
  const fx = await makeFixture('404');
  const r = await curlPipeSh(fx, fx.repo, `${baseUrl}/missing`);
  assert.notEqual(r.code, 0, 'install.sh succeeded without coord.mjs');
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /could not download .*\/missing\/coord\.mjs/);
  assert.match(lines[0], /404/);
  await assertRepoUntouched(fx);
  assertTmpClean(fx);
});

test('a checked file that is not coord (its init places nothing) is reported, not taken for an install', { timeout: 60_000 }, async () => {
  const fx = await makeFixture('not-coord');
  const r = await curlPipeSh(fx, fx.repo, `${baseUrl}/not-coord`);
  assert.equal(r.code, 1);
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /placed no infrastructure\/scripts\/coord\.mjs: .*\/not-coord\/coord\.mjs is not coord/);
  await assertRepoUntouched(fx);
  assertTmpClean(fx);
});

test(
  'when init refuses, its reason and one line of install.sh are all that is printed, and the repo is untouched',
  { timeout: 60_000 },
  async () => {
    const fx = await makeFixture('init-refuses');
    fs.writeFileSync(path.join(fx.repo, '.coord.json'), '{ not json');
    await must('git', ['add', '.coord.json'], { cwd: fx.repo, env: fx.env });
    await must('git', ['commit', '-q', '-m', 'a broken config'], { cwd: fx.repo, env: fx.env });
    const r = await curlPipeSh(fx, fx.repo, `${baseUrl}/good`);
    assert.equal(r.code, 1);
    const lines = stderrLines(r);
    assert.equal(lines.length, 2, `expected init's line and install.sh's, got:\n${r.stderr}`);
    assert.match(lines[0], /Not onboarding: .*Nothing was written/);
    assert.match(lines[1], /^coord install: error: 'init' failed \(exit 1\)\. Fix what it reported above, then run this again\.$/);
    await assertRepoUntouched(fx);
    assertTmpClean(fx);
  },
);

test('outside a git repository it fails with one clear line and creates nothing', { timeout: 60_000 }, async () => {
  const fx = await makeFixture('nogit');
  const outside = path.join(fx.base, 'not-a-repo');
  fs.mkdirSync(outside);
  const r = await run('sh', [installScript], {
    cwd: outside,
    env: childEnv({ ...fx.env, COORD_BASE_URL: `${baseUrl}/good`, TMPDIR: fx.tmp }),
  });
  assert.equal(r.code, 1);
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /not inside a git work tree/);
  assert.deepEqual(fs.readdirSync(outside), []);
  assertTmpClean(fx);
});

test('without curl it downloads with wget', { timeout: 120_000, skip: !findOnPath('wget') && 'wget is not installed' }, async () => {
  const fx = await makeFixture('wget');
  const bin = pathWithout(['curl']);
  assert.equal(fs.existsSync(path.join(bin, 'curl')), false);
  const r = await run('sh', [installScript], {
    cwd: fx.repo,
    env: childEnv({ ...fx.env, PATH: bin, COORD_BASE_URL: `${baseUrl}/good`, TMPDIR: fx.tmp }),
  });
  assertInstalled(fx, r);
  assert.match(r.stdout, /with wget/);
});

test(
  'a 404 through wget fails with one clear line and leaves nothing behind',
  { timeout: 60_000, skip: !findOnPath('wget') && 'wget is not installed' },
  async () => {
    const fx = await makeFixture('wget-bad');
    const bin = pathWithout(['curl']);
    const r = await run('sh', [installScript], {
      cwd: fx.repo,
      env: childEnv({ ...fx.env, PATH: bin, COORD_BASE_URL: `${baseUrl}/missing`, TMPDIR: fx.tmp }),
    });
    assert.notEqual(r.code, 0);
    const lines = stderrLines(r);
    assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
    assert.match(lines[0], /could not download .*wget/);
    await assertRepoUntouched(fx);
    assertTmpClean(fx);
  },
);

const denoDirs = [path.join(repoRoot, 'node_modules', '.bin')];
const denoPath = findOnPath('deno', denoDirs);

test('without node it runs init with deno', { timeout: 180_000, skip: !denoPath && 'deno is not installed' }, async () => {
  const fx = await makeFixture('deno');
  const bin = pathWithout(['node', 'nodejs'], [path.dirname(denoPath)]);
  assert.equal(fs.existsSync(path.join(bin, 'node')), false);
  const r = await run('sh', [installScript], {
    cwd: fx.repo,
    env: childEnv({ ...fx.env, PATH: bin, COORD_BASE_URL: `${baseUrl}/good`, TMPDIR: fx.tmp }),
  });
  assertInstalled(fx, r);
  assert.match(r.stdout, /running: deno run -A coord\.mjs init --deno/);
});

test('with neither node nor deno it fails before downloading or placing anything', { timeout: 60_000 }, async () => {
  const fx = await makeFixture('noruntime');
  const bin = pathWithout(['node', 'nodejs', 'deno']);
  const r = await run('sh', [installScript], {
    cwd: fx.repo,
    env: childEnv({ ...fx.env, PATH: bin, COORD_BASE_URL: `${baseUrl}/good`, TMPDIR: fx.tmp }),
  });
  assert.equal(r.code, 1);
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /needs Node >= 18 or Deno 2/);
  await assertRepoUntouched(fx);
  assertTmpClean(fx);
});

// From a clone of coord, with no host at all: the install.sh beside dist/ takes the bundle
// from there; COORD_BASE_URL may name a directory (relative or absolute) or a file:// URL.
const cloneDist = path.join(repoRoot, 'dist');
const cloneBundle = () => fs.readFileSync(path.join(cloneDist, 'coord.mjs'));

/** install.sh placed the clone's bundle, ran init, downloaded nothing and cleaned up. */
function assertInstalledFromClone(fx, r) {
  assert.equal(r.code, 0, `install.sh failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  assert.ok(fs.readFileSync(path.join(fx.repo, DEST)).equals(cloneBundle()), `${DEST} differs from the clone's dist/coord.mjs`);
  assert.match(r.stdout, /coord install: copied .*\/coord\.mjs/);
  assert.doesNotMatch(r.stdout, /downloaded/);
  assert.ok(fs.existsSync(path.join(fx.repo, 'docs', 'ai', 'sessions', 'active.md')), 'init did not write the board');
  assert.ok(fs.existsSync(path.join(fx.repo, 'lefthook.yml')), 'init did not write lefthook.yml');
  assertTmpClean(fx);
}

test(
  'sh <clone>/install.sh, run in a subdirectory with no curl, wget or COORD_BASE_URL: takes the dist/ beside it and onboards',
  { timeout: 120_000 },
  async () => {
    const fx = await makeFixture('clone');
    const sub = path.join(fx.repo, 'sub');
    fs.mkdirSync(sub);
    const bin = pathWithout(['curl', 'wget']);
    const r = await run('sh', [installScript], { cwd: sub, env: childEnv({ ...fx.env, PATH: bin, TMPDIR: fx.tmp }) });
    assertInstalledFromClone(fx, r);
    assert.match(r.stdout, /from the dist\/ beside install\.sh/);
    assert.equal(fs.existsSync(path.join(sub, 'infrastructure')), false);
  },
);

test(
  'sh install.sh run beside its dist/ (no slash in $0: coord kept inside the repository) finds it too',
  { timeout: 120_000 },
  async () => {
    const fx = await makeFixture('clone-rel');
    const copy = path.join(fx.repo, 'vendor', 'coord');
    fs.mkdirSync(path.join(copy, 'dist'), { recursive: true });
    fs.copyFileSync(installScript, path.join(copy, 'install.sh'));
    for (const f of ['coord.mjs', 'coord.mjs.sha256']) fs.copyFileSync(path.join(cloneDist, f), path.join(copy, 'dist', f));
    const r = await run('sh', ['install.sh'], { cwd: copy, env: childEnv({ ...fx.env, TMPDIR: fx.tmp }) });
    assertInstalledFromClone(fx, r);
    assert.match(r.stdout, /from the dist\/ beside install\.sh/);
  },
);

for (const [label, base] of [
  ['a relative directory', (fx) => path.relative(fx.repo, cloneDist)],
  ['an absolute directory with a trailing slash', () => `${cloneDist}/`],
  ['a file:// URL', () => pathToFileURL(cloneDist).href],
]) {
  test(`COORD_BASE_URL as ${label} installs from there, with no downloader on PATH`, { timeout: 120_000 }, async () => {
    const fx = await makeFixture('base-dir');
    const lonely = path.join(fx.base, 'install.sh');
    fs.copyFileSync(installScript, lonely);
    const bin = pathWithout(['curl', 'wget']);
    const r = await run('sh', [lonely], {
      cwd: fx.repo,
      env: childEnv({ ...fx.env, PATH: bin, COORD_BASE_URL: base(fx), TMPDIR: fx.tmp }),
    });
    assertInstalledFromClone(fx, r);
    assert.match(r.stdout, /from COORD_BASE_URL/);
  });
}

test('a local directory whose coord.mjs does not match its sha256 is refused, nothing placed', { timeout: 60_000 }, async () => {
  const fx = await makeFixture('dir-tampered');
  const dir = path.join(fx.base, 'dist');
  fs.mkdirSync(dir);
  const tampered = Buffer.from(cloneBundle());
  tampered[100] ^= 0x01;
  fs.writeFileSync(path.join(dir, 'coord.mjs'), tampered);
  fs.copyFileSync(path.join(cloneDist, 'coord.mjs.sha256'), path.join(dir, 'coord.mjs.sha256'));
  const r = await run('sh', [installScript], { cwd: fx.repo, env: childEnv({ ...fx.env, COORD_BASE_URL: dir, TMPDIR: fx.tmp }) });
  assert.equal(r.code, 1);
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /checksum mismatch .*npm run build/);
  await assertRepoUntouched(fx);
  assertTmpClean(fx);
});

test('a COORD_BASE_URL directory that does not exist, or lacks coord.mjs, fails with one line naming it', { timeout: 60_000 }, async () => {
  const fx = await makeFixture('dir-missing');
  const empty = path.join(fx.base, 'empty');
  fs.mkdirSync(empty);
  for (const [base, why] of [
    [path.join(fx.base, 'nope'), /nope .*is not a directory/],
    [empty, /there is no coord\.mjs in .*empty/],
    ['file://relative/dist', /not a file:\/\/ URL of an absolute path/],
  ]) {
    const r = await run('sh', [installScript], { cwd: fx.repo, env: childEnv({ ...fx.env, COORD_BASE_URL: base, TMPDIR: fx.tmp }) });
    assert.equal(r.code, 1, base);
    const lines = stderrLines(r);
    assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
    assert.match(lines[0], why);
    await assertRepoUntouched(fx);
    assertTmpClean(fx);
  }
});

test(
  'an install.sh with no dist/ beside it, no COORD_BASE_URL and no default says where to get coord, and changes nothing',
  { timeout: 60_000 },
  async () => {
    const fx = await makeFixture('no-source');
    const lonely = path.join(fx.base, 'install.sh');
    fs.copyFileSync(installScript, lonely);
    for (const argv of [[lonely], ['-c', `sh < '${lonely}'`]]) {
      const r = await run('sh', argv, { cwd: fx.repo, env: childEnv({ ...fx.env, TMPDIR: fx.tmp }) });
      assert.equal(r.code, 1);
      const lines = stderrLines(r);
      assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
      assert.match(lines[0], /no source for coord\.mjs: run the install\.sh of a clone of coord .*COORD_BASE_URL/);
      await assertRepoUntouched(fx);
      assertTmpClean(fx);
    }
  },
);

test('the download address is one setting, at the top of install.sh, and no doc leads with a host that does not exist', () => {
  const text = fs.readFileSync(installScript, 'utf8');
  const settings = text.split('\n').filter((l) => /^COORD_DEFAULT_BASE_URL=/.test(l));
  assert.equal(settings.length, 1, 'COORD_DEFAULT_BASE_URL is set on exactly one line');
  assert.ok(text.indexOf(settings[0]) < text.indexOf('\nsay() {'), 'the setting comes before the code');
  assert.match(text, /^[^\n]*\bsh \/path\/to\/coord\/install\.sh\b/m, 'the header shows the clone path');
  for (const doc of ['README.md', 'docs/tutorial.md', 'docs/how-to-onboard.md', 'install.sh']) {
    assert.ok(!fs.readFileSync(path.join(repoRoot, doc), 'utf8').includes('coord-dev'), `${doc} names the made-up coord-dev host`);
  }
});
