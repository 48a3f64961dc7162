// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno (only the first case then).
// The guards run in every session worktree (issue 23), whichever way the team installed lefthook:
// 1.x from node_modules (the `lefthook` package and `@evilmartians/lefthook`), whose hooks look for
// the binary under `$(git rev-parse --show-toplevel)/node_modules`, and 2.x, which writes its path
// into the hook. Real git, a bare origin, the real lefthook binaries, and a PATH without lefthook:
// a wrong prefix is refused, a right one passes, the team's own pre-commit job (which needs its
// dependencies) runs, a reservation holds; doctor proves the hooks run or fails with the fix;
// close needs no flag and leaves the main checkout's node_modules as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { binDir, coord, coordOk, denoBin, git, gitOk, makeEnv, makeRepo, projectRoot, runtime, tempDir } from '../helpers.mjs';

const TIMEOUT = { timeout: 300_000 };
// lefthook 1.x, a dev dependency nested in a fixture package so its bin does not replace lefthook 2's.
const V1 = path.join(projectRoot, 'test', 'fixtures', 'lefthook1', 'node_modules', 'lefthook');
const V2 = path.join(projectRoot, 'node_modules', 'lefthook');
// The names lefthook 1's hook template builds from uname, which match node's for these platforms.
const PLATFORM = `${process.platform}-${process.arch}`;
// The lefthook 1 binary, found from its package as its own bin/index.js finds it.
const V1_EXE = createRequire(path.join(fs.realpathSync(V1), 'package.json')).resolve(`lefthook-${PLATFORM}/bin/lefthook`);

/** PATH with no lefthook on it (the tests' own bin dir has lefthook 2), and a dir of its own holding deno. */
function pathWithoutLefthook(root) {
  const own = path.join(root, 'bin');
  fs.mkdirSync(own, { recursive: true });
  if (fs.existsSync(denoBin)) fs.symlinkSync(fs.realpathSync(denoBin), path.join(own, 'deno'));
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d && d !== binDir && !fs.existsSync(path.join(d, 'lefthook')));
  return [own, ...dirs].join(path.delimiter);
}

/**
 * A team repository whose lefthook comes from its own node_modules (ignored as `node_modules/`,
 * as most teams write it): `kind` is 'v1' (node_modules/lefthook is 1.x), 'evilmartians'
 * (node_modules/@evilmartians/lefthook, 1.x) or 'v2'. Its pre-commit has a job of the team's
 * that runs a tool from node_modules and notes where it ran.
 */
function teamRepo(t, kind) {
  const fx = makeRepo({ lefthook: false });
  t.after(() => fx.cleanup());
  const env = { ...fx.env, PATH: pathWithoutLefthook(fx.root), TEAM_MARKS: path.join(fx.root, 'marks') };
  const nm = path.join(fx.repo, 'node_modules');
  fs.mkdirSync(path.join(nm, 'team-tool'), { recursive: true });
  fs.writeFileSync(path.join(nm, 'team-tool', 'mark.js'), "require('fs').appendFileSync(process.env.TEAM_MARKS, process.cwd() + '\\n');\n");
  let install;
  if (kind === 'v1') {
    fs.symlinkSync(V1, path.join(nm, 'lefthook'));
    install = [path.join(nm, 'lefthook', 'bin', 'index.js'), 'install'];
  } else if (kind === 'v2') {
    fs.symlinkSync(V2, path.join(nm, 'lefthook'));
    install = [path.join(nm, 'lefthook', 'bin', 'index.js'), 'install'];
  } else {
    const dir = path.join(nm, '@evilmartians', 'lefthook', 'bin', `lefthook-${PLATFORM}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync(V1_EXE, path.join(dir, 'lefthook'));
    install = [path.join(dir, 'lefthook'), 'install'];
  }
  fs.writeFileSync(path.join(fx.repo, '.gitignore'), 'node_modules/\n');
  const yml = path.join(fx.repo, 'lefthook.yml');
  const text = fs.readFileSync(yml, 'utf8');
  assert.match(text, /^pre-commit:\n {2}commands:\n/m);
  fs.writeFileSync(
    yml,
    text.replace(/^pre-commit:\n {2}commands:\n/m, '$&    team-mark:\n      run: node node_modules/team-tool/mark.js\n'),
  );
  gitOk(fx.repo, ['add', '.gitignore', 'lefthook.yml'], { env });
  gitOk(fx.repo, ['commit', '--quiet', '-m', 'chore: the team runs lefthook from node_modules'], { env: { ...env, LEFTHOOK: '0' } });
  gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], { env });
  const r = spawnSync(install[0], install.slice(1), { cwd: fx.repo, env, encoding: 'utf8' });
  assert.equal(r.status, 0, `lefthook install: ${r.error?.message ?? ''} ${r.signal ?? ''} ${r.stderr}${r.stdout}`);
  const hook = fs.readFileSync(path.join(fx.repo, '.git', 'hooks', 'commit-msg'), 'utf8');
  if (kind !== 'v2') assert.match(hook, /\$dir\/node_modules\//, 'the lefthook 1 template looks under the checkout top');
  return { ...fx, env, nm };
}

/** Every file under `dir` with its bytes, links as `-> target`: what must be the same after close. */
function tree(dir) {
  const out = {};
  const walk = (d, rel) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(abs)}`;
      else if (e.isDirectory()) walk(abs, r);
      else out[r] = fs.readFileSync(abs, 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

const marks = (fx) => (fs.existsSync(fx.env.TEAM_MARKS) ? fs.readFileSync(fx.env.TEAM_MARKS, 'utf8').split('\n').filter(Boolean) : []);

function commitFile(fx, wt, file, subject) {
  fs.mkdirSync(path.dirname(path.join(wt, file)), { recursive: true });
  fs.writeFileSync(path.join(wt, file), `${subject}\n`);
  gitOk(wt, ['add', file], { env: fx.env });
  return git(wt, ['commit', '-m', subject], { env: fx.env });
}

/** Publishes the commits of `wt` on origin/main, as a session does before close. */
function publishWork(fx, wt) {
  gitOk(wt, ['pull', '--quiet', '--rebase', 'origin', 'main'], { env: fx.env });
  gitOk(wt, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });
}

/** The whole walk in one session worktree: the guards, the team's job, a reservation, doctor, close. */
function guardedWorktree(t, kind) {
  const fx = teamRepo(t, kind);
  const before = tree(fx.nm);
  const a = JSON.parse(coordOk(fx.repo, ['start', '--as', 'sA', '--json'], { env: fx.env }).stdout).worktree;
  const b = JSON.parse(coordOk(fx.repo, ['start', '--as', 'sB', '--json'], { env: fx.env }).stdout).worktree;

  // A wrong prefix is refused by the real commit-msg hook; nothing is committed.
  const head = gitOk(a, ['rev-parse', 'HEAD'], { env: fx.env });
  const wrong = commitFile(fx, a, 'src/a.ts', '[sB] feat: not mine');
  assert.notEqual(wrong.code, 0, `a [sB] commit in sA's worktree must be refused:\n${wrong.stdout}${wrong.stderr}`);
  assert.match(wrong.stderr + wrong.stdout, /does not match worktree/);
  assert.equal(gitOk(a, ['rev-parse', 'HEAD'], { env: fx.env }), head);
  // The right prefix passes, and the team's own pre-commit job ran here, with its tool from node_modules.
  const right = git(a, ['commit', '-m', '[sA] feat: mine'], { env: fx.env });
  assert.equal(right.code, 0, right.stderr + right.stdout);
  assert.ok(marks(fx).includes(a), `the team's pre-commit job ran in ${a}: ${marks(fx)}`);

  // What made it work: a link to the main checkout's node_modules, which git ignores (the team's `node_modules/` does not match a link).
  assert.equal(fs.readlinkSync(path.join(a, 'node_modules')), fx.nm, "the worktree links the main checkout's node_modules");
  assert.equal(gitOk(a, ['status', '--porcelain', '--untracked-files=all'], { env: fx.env }), '', 'the link is ignored, never committed');

  // sB reserves a file: sA's commit of it is refused at pre-commit.
  coordOk(b, ['reserve', 'src/held.ts', '-m', 'mine for now'], { env: fx.env });
  const held = commitFile(fx, a, 'src/held.ts', '[sA] feat: touch held');
  assert.notEqual(held.code, 0, 'the reservation is enforced in the worktree');
  assert.match(held.stderr + held.stdout, /src\/held\.ts — reserved by sB/);
  gitOk(a, ['reset', '--quiet', 'HEAD', '--', 'src/held.ts'], { env: fx.env });
  fs.rmSync(path.join(a, 'src/held.ts'));

  // doctor proves the hooks run here.
  const ok = JSON.parse(coord(a, ['doctor', '--json'], { env: fx.env }).stdout);
  assert.ok(!ok.findings.some((f) => /commit-msg hook/.test(f.message)), JSON.stringify(ok.findings));
  return { fx, a, b, before };
}

test('lefthook 1 from node_modules: every guard runs in a session worktree; doctor proves it; close needs no flag', TIMEOUT, (t) => {
  const { fx, a, before } = guardedWorktree(t, 'v1');

  // Without the link, lefthook 1 cannot be found: the hook says so and exits 0; doctor fails with the fix.
  fs.unlinkSync(path.join(a, 'node_modules'));
  const d = coord(a, ['doctor'], { env: fx.env });
  assert.equal(d.code, 1, d.stdout + d.stderr);
  assert.match(d.stdout, /the commit-msg hook here let 'chore: coord doctor probe' \(no \[sA\]\) through/);
  assert.match(d.stdout, /Can't find lefthook in PATH/);
  assert.ok(d.stdout.includes(`ln -s ${fx.nm} ${path.join(a, 'node_modules')}`), d.stdout);
  const fixed = coord(a, ['doctor', '--fix', '--json'], { env: fx.env });
  assert.ok(
    JSON.parse(fixed.stdout).findings.some((f) => /commit-msg hook/.test(f.message) && f.fixed),
    fixed.stdout,
  );
  assert.equal(fs.readlinkSync(path.join(a, 'node_modules')), fx.nm, 'doctor --fix linked it again');
  assert.notEqual(commitFile(fx, a, 'src/b.ts', 'no prefix').code, 0, 'and the guard runs again');
  gitOk(a, ['reset', '--quiet', 'HEAD', '--', 'src/b.ts'], { env: fx.env });
  fs.rmSync(path.join(a, 'src/b.ts'));

  // close after published work: no flag, the link goes, the main checkout's node_modules stays as it was.
  publishWork(fx, a);
  const closed = coord(a, ['close'], { env: fx.env });
  assert.equal(closed.code, 0, closed.stderr + closed.stdout);
  assert.ok(!fs.existsSync(a), 'the worktree is gone');
  assert.deepEqual(tree(fx.nm), before, "the main checkout's node_modules is untouched");
  assert.ok(fs.existsSync(path.join(V1, 'bin', 'index.js')), 'the package it links to is untouched');
});

test(
  '@evilmartians/lefthook (1.x) from node_modules: the guards run in a session worktree',
  { ...TIMEOUT, skip: runtime === 'deno' },
  (t) => {
    const { fx, a, before } = guardedWorktree(t, 'evilmartians');
    publishWork(fx, a);
    coordOk(a, ['close'], { env: fx.env });
    assert.deepEqual(tree(fx.nm), before);
  },
);

test('lefthook 2 (its path written into the hook) keeps working in a session worktree', { ...TIMEOUT, skip: runtime === 'deno' }, (t) => {
  const { fx, a, b, before } = guardedWorktree(t, 'v2');
  // sB never committed: its close needs no flag either, and removes only the link.
  coordOk(b, ['close'], { env: fx.env });
  // Claude Code's WorktreeCreate hook makes the same worktree, link included; WorktreeRemove takes it away.
  const hook = (verb, fields) =>
    coordOk(fx.repo, [verb], { env: fx.env, input: JSON.stringify({ cwd: fx.repo, hook_event_name: verb, ...fields }) });
  const c = hook('worktree-create', { name: 'agent' }).stdout.trim();
  assert.equal(fs.readlinkSync(path.join(c, 'node_modules')), fx.nm);
  assert.notEqual(commitFile(fx, c, 'src/c.ts', 'no prefix').code, 0, 'the guard runs in the hook-made worktree');
  gitOk(c, ['reset', '--quiet', 'HEAD', '--', 'src/c.ts'], { env: fx.env });
  fs.rmSync(path.join(c, 'src/c.ts'));
  hook('worktree-remove', { worktree_path: c });
  assert.ok(!fs.existsSync(c), 'WorktreeRemove removed it: the link was no loss');
  publishWork(fx, a);
  coordOk(a, ['close'], { env: fx.env });
  assert.deepEqual(tree(fx.nm), before);
});

test(
  'without node_modules nothing is linked and doctor passes; a tracked node_modules is kept; LEFTHOOK=0 fails doctor with the fix',
  { ...TIMEOUT, skip: runtime === 'deno' },
  (t) => {
    const fx = makeRepo();
    t.after(() => fx.cleanup());
    const a = JSON.parse(coordOk(fx.repo, ['start', '--as', 'sA', '--json'], { env: fx.env }).stdout).worktree;
    assert.ok(!fs.existsSync(path.join(a, 'node_modules')), 'no node_modules in the main checkout: nothing to link');
    const d = coord(a, ['doctor', '--json'], { env: fx.env });
    assert.ok(!JSON.parse(d.stdout).findings.some((f) => /commit-msg hook/.test(f.message)), d.stdout);
    // LEFTHOOK=0 turns every hook off: doctor proves nothing runs and names the fix.
    const off = coord(a, ['doctor'], { env: { ...fx.env, LEFTHOOK: '0' } });
    assert.equal(off.code, 1, off.stdout);
    assert.match(off.stdout, /the commit-msg hook here let 'chore: coord doctor probe' \(no \[sA\]\) through/);
    assert.match(off.stdout, /unset LEFTHOOK/);
    // A team's commit-msg job that refuses every subject: doctor says a right one cannot be committed either.
    const yml = path.join(a, 'lefthook.yml');
    const text = fs.readFileSync(yml, 'utf8');
    fs.writeFileSync(
      yml,
      text.replace(/^commit-msg:\n {2}commands:\n/m, '$&    team-subject:\n      run: echo "subject rejected by team" && false\n'),
    );
    const strict = coord(a, ['doctor'], { env: fx.env });
    assert.equal(strict.code, 1, strict.stdout);
    assert.match(strict.stdout, /the commit-msg hook here refuses '\[sA\] chore: coord doctor probe' too/);
    fs.writeFileSync(yml, text);
    // A node_modules the team commits comes with the checkout: start keeps it, and says nothing about a link.
    fs.mkdirSync(path.join(fx.repo, 'node_modules', 'kept'), { recursive: true });
    fs.writeFileSync(path.join(fx.repo, 'node_modules', 'kept', 'index.js'), 'tracked\n');
    gitOk(fx.repo, ['add', 'node_modules'], { env: fx.env });
    gitOk(fx.repo, ['commit', '--quiet', '-m', 'chore: vendored'], { env: fx.env });
    publishWork(fx, fx.repo);
    const started = coordOk(fx.repo, ['start', '--as', 'sB', '--json'], { env: fx.env });
    const b = JSON.parse(started.stdout).worktree;
    assert.ok(fs.lstatSync(path.join(b, 'node_modules')).isDirectory(), 'the checked-out directory, not a link');
    assert.doesNotMatch(started.stderr, /node_modules/);
  },
);

test(
  "init writes or merges coord's jobs with lefthook 1 in node_modules (lefthook 1 has no validate: coord checks with dump)",
  { ...TIMEOUT, skip: runtime === 'deno' },
  (t) => {
    const root = tempDir('lefthook1-init');
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const env = { ...makeEnv(root), PATH: pathWithoutLefthook(root) };
    const team = 'pre-commit:\n  commands:\n    lint:\n      run: echo lint\n';
    for (const [name, before] of [
      ['fresh', null],
      ['team', team],
    ]) {
      const repo = path.join(root, name);
      gitOk(root, ['init', '--quiet', '-b', 'main', repo], { env });
      fs.mkdirSync(path.join(repo, 'node_modules', '.bin'), { recursive: true });
      fs.symlinkSync(V1, path.join(repo, 'node_modules', 'lefthook'));
      fs.symlinkSync('../lefthook/bin/index.js', path.join(repo, 'node_modules', '.bin', 'lefthook'));
      if (before) fs.writeFileSync(path.join(repo, 'lefthook.yml'), before);
      const r = coord(repo, ['init'], { env });
      assert.equal(r.code, 0, `${name}: ${r.stderr}${r.stdout}`);
      const merged = fs.readFileSync(path.join(repo, 'lefthook.yml'), 'utf8');
      assert.match(merged, /coord-check-prefix:/);
      if (before) assert.match(merged, / {4}lint:\n {6}run: echo lint\n/);
    }
  },
);

test("lefthook 1: a second clone set up by the README's per-clone steps alone guards its session worktrees the same", TIMEOUT, (t) => {
  const fx = teamRepo(t, 'v1');
  // The per-clone steps: clone, the team's own install (npm ci: here its node_modules, lefthook 1 linked into .bin as npm does),
  // then the install line init printed (npx lefthook install runs node_modules/.bin/lefthook).
  const second = path.join(fx.root, 'second');
  gitOk(fx.root, ['clone', '--quiet', fx.origin, second], { env: fx.env });
  const nm = path.join(second, 'node_modules');
  fs.mkdirSync(path.join(nm, '.bin'), { recursive: true });
  fs.cpSync(path.join(fx.nm, 'team-tool'), path.join(nm, 'team-tool'), { recursive: true });
  fs.symlinkSync(V1, path.join(nm, 'lefthook'));
  fs.symlinkSync(path.join('..', 'lefthook', 'bin', 'index.js'), path.join(nm, '.bin', 'lefthook'));
  const inst = spawnSync(path.join(nm, '.bin', 'lefthook'), ['install'], { cwd: second, env: fx.env, encoding: 'utf8' });
  assert.equal(inst.status, 0, inst.stderr + inst.stdout);

  const a = JSON.parse(coordOk(second, ['start', '--json'], { env: fx.env }).stdout);
  const wt = a.worktree;
  const other = a.id === 'sA' ? 'sB' : 'sA';
  const wrong = commitFile(fx, wt, 'src/x.ts', `[${other}] feat: not mine`);
  assert.notEqual(
    wrong.code,
    0,
    `a [${other}] commit in ${a.id}'s worktree of the second clone must be refused:\n${wrong.stdout}${wrong.stderr}`,
  );
  assert.match(wrong.stderr + wrong.stdout, /does not match worktree/);
  const right = git(wt, ['commit', '-m', `[${a.id}] feat: mine`], { env: fx.env });
  assert.equal(right.code, 0, right.stderr + right.stdout);
  assert.ok(marks(fx).includes(wt), `the team's pre-commit job ran in ${wt}: ${marks(fx)}`);
  const doctor = JSON.parse(coord(wt, ['doctor', '--json'], { env: fx.env }).stdout);
  assert.ok(!doctor.findings.some((f) => /commit-msg hook/.test(f.message)), JSON.stringify(doctor.findings));
  publishWork(fx, wt);
  const closed = coord(wt, ['close'], { env: fx.env });
  assert.equal(closed.code, 0, closed.stderr + closed.stdout);
  assert.ok(fs.existsSync(path.join(nm, 'lefthook', 'bin', 'index.js')), "the second clone's node_modules is untouched");
});
