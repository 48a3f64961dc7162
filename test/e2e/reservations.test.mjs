// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// Who is touching what (issue 14), end to end with the real bundle, real git, a bare origin
// and lefthook-installed hooks: overlaps in status from a pushed commit and an uncommitted
// edit; reserve / refuse / release across two clones; two concurrent reservations of one
// path (exactly one wins); expiry; a holder gone stale; the override; close ends them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { coord, coordAsync, coordOk, git, gitOk, lefthookBin, makeRepo, stampOf } from '../helpers.mjs';

const TIMEOUT = { timeout: 240_000 };
const RES = 'docs/ai/sessions/reservations.md';

function fixture(t) {
  const fx = makeRepo();
  t.after(() => fx.cleanup());
  return fx;
}

/** A second clone of the same origin, set up as a new teammate would (clone, lefthook install). */
function secondClone(fx, name = 'clone-b') {
  const dir = path.join(fx.root, name);
  gitOk(fx.root, ['clone', '--quiet', fx.origin, dir], { env: fx.env });
  const inst = spawnSync(lefthookBin, ['install'], { cwd: dir, env: fx.env, encoding: 'utf8' });
  assert.equal(inst.status, 0, inst.stderr);
  return dir;
}

/** Starts a session in `repo` and returns its worktree. */
function start(fx, repo, as) {
  const r = coordOk(repo, ['start', '--as', as, '--json'], { env: fx.env });
  return JSON.parse(r.stdout).worktree;
}

function commitFile(fx, wt, file, text, subject, env = fx.env) {
  fs.mkdirSync(path.dirname(path.join(wt, file)), { recursive: true });
  fs.writeFileSync(path.join(wt, file), text);
  gitOk(wt, ['add', file], { env });
  return git(wt, ['commit', '-m', subject], { env });
}

test('status shows a file two sessions change: one through a pushed commit, one uncommitted; --json carries it', TIMEOUT, (t) => {
  const fx = fixture(t);
  const a = start(fx, fx.repo, 'sA');
  const b = start(fx, fx.repo, 'sB');
  const c = start(fx, fx.repo, 'sC');
  assert.equal(commitFile(fx, a, 'src/api.ts', 'a\n', '[sA] feat: api').code, 0);
  coordOk(a, ['sync'], { env: fx.env });
  gitOk(a, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });
  fs.mkdirSync(path.join(b, 'src'), { recursive: true });
  fs.writeFileSync(path.join(b, 'src/api.ts'), 'b\n'); // uncommitted, in another worktree
  assert.equal(commitFile(fx, c, 'src/other.ts', 'c\n', '[sC] feat: other').code, 0); // unpublished, no overlap

  const json = JSON.parse(coordOk(fx.repo, ['status', '--json'], { env: fx.env }).stdout);
  assert.deepEqual(json.overlaps, [{ path: 'src/api.ts', sessions: ['sA', 'sB'], how: { sA: ['published'], sB: ['uncommitted'] } }]);
  const text = coordOk(fx.repo, ['status'], { env: fx.env }).stdout;
  assert.match(text, /src\/api\.ts — sA \(published\), sB \(uncommitted\)/);
  assert.doesNotMatch(text, /other\.ts/);

  // Another clone sees the published half only: sB's edit lives in this clone.
  const other = secondClone(fx);
  const there = JSON.parse(coordOk(other, ['status', '--json'], { env: fx.env }).stdout);
  assert.deepEqual(there.overlaps, []);
  // sC edits the same file too: now three sessions, and the agent of sB is told on its next prompt.
  fs.mkdirSync(path.join(c, 'src'), { recursive: true });
  fs.writeFileSync(path.join(c, 'src/api.ts'), 'c\n');
  const again = JSON.parse(coordOk(fx.repo, ['status', '--json'], { env: fx.env }).stdout);
  assert.deepEqual(again.overlaps[0].sessions, ['sA', 'sB', 'sC']);
  const hook = coordOk(b, ['inbox', '--brief'], { env: fx.env, input: JSON.stringify({ cwd: b, hook_event_name: 'UserPromptSubmit' }) });
  assert.match(hook.stdout, /src\/api\.ts/);
  assert.match(hook.stdout, /sA/);
  const twice = coordOk(b, ['inbox', '--brief'], { env: fx.env, input: JSON.stringify({ cwd: b, hook_event_name: 'UserPromptSubmit' }) });
  assert.equal(twice.stdout, '', 'an overlap already told is not repeated on every prompt');
  const prime = coordOk(b, ['prime', '--hook'], { env: fx.env, input: JSON.stringify({ cwd: b, hook_event_name: 'SessionStart' }) });
  assert.match(prime.stdout, /src\/api\.ts/);
});

test('reserve in one clone, a commit refused in another, the override, release, then it passes', TIMEOUT, (t) => {
  const fx = fixture(t);
  const a = start(fx, fx.repo, 'sA');
  const other = secondClone(fx);
  const b = start(fx, other, 'sB');
  const r = coordOk(a, ['reserve', 'src/api/', 'README.md', '--for', '1h', '-m', 'moving the handlers'], { env: fx.env });
  assert.match(r.stdout, /sA reserved src\/api\/ until/);
  gitOk(fx.repo, ['fetch', '--quiet'], { env: fx.env });
  assert.match(
    git(fx.repo, ['show', `origin/main:${RES}`], { env: fx.env }).stdout,
    /\| `src\/api\/` \| sA \| \d{4}-.*Z \| moving the handlers \|/,
  );

  // sB's clone learns of it with any fetching verb; the guard then refuses, naming holder, note and how to ask.
  coordOk(b, ['status'], { env: fx.env });
  const refused = commitFile(fx, b, 'src/api/routes.ts', 'x\n', '[sB] feat: routes');
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /src\/api\/routes\.ts — reserved by sA \(src\/api\/\) until .*: «moving the handlers»/);
  assert.match(refused.stderr, /coord send sA --type question/);
  assert.match(refused.stderr, /COORD_RESERVED_OK=1 git commit/);
  // A file nobody reserved passes; so does the reserved one with the override, for one commit.
  gitOk(b, ['reset', '--quiet'], { env: fx.env });
  assert.equal(commitFile(fx, b, 'src/free.ts', 'y\n', '[sB] feat: free').code, 0);
  const forced = commitFile(fx, b, 'src/api/routes.ts', 'x\n', '[sB] feat: routes', { ...fx.env, COORD_RESERVED_OK: '1' });
  assert.equal(forced.code, 0, forced.stderr);
  // The holder's own commits pass.
  assert.equal(commitFile(fx, a, 'src/api/index.ts', 'a\n', '[sA] feat: index').code, 0);

  // Another session cannot reserve what sA holds, or anything inside it.
  const clash = coord(b, ['reserve', 'src/api/*.ts'], { env: fx.env });
  assert.equal(clash.code, 1);
  assert.match(
    clash.stderr,
    /src\/api\/\*\.ts overlaps src\/api\/, reserved by sA \(\w+\) until \d{4}-\d\d-\d\dT\d\d:\d\dZ \(«moving the handlers»\)\. Ask them: coord send sA/,
  );

  const list = JSON.parse(coordOk(other, ['reservations', '--json'], { env: fx.env }).stdout);
  assert.deepEqual(
    list.reservations.map((x) => [x.path, x.session, x.note, x.counts]),
    [
      ['src/api/', 'sA', 'moving the handlers', true],
      ['README.md', 'sA', 'moving the handlers', true],
    ],
  );

  assert.match(coordOk(a, ['release', 'src/api/'], { env: fx.env }).stdout, /sA released src\/api\//);
  coordOk(b, ['reservations'], { env: fx.env });
  assert.equal(commitFile(fx, b, 'src/api/more.ts', 'z\n', '[sB] feat: more').code, 0);
  // README.md is still held; close ends every reservation of sA.
  assert.equal(commitFile(fx, b, 'README.md', 'readme\n', '[sB] docs').code, 1);
  gitOk(b, ['reset', '--quiet', '--hard'], { env: fx.env });
  coordOk(a, ['close', '--force'], { env: fx.env });
  coordOk(b, ['status'], { env: fx.env });
  assert.equal(commitFile(fx, b, 'README.md', 'readme\n', '[sB] docs').code, 0);
  assert.doesNotMatch(git(other, ['show', `origin/main:${RES}`], { env: fx.env }).stdout, /\| sA \|/);
});

test('two sessions reserve one path at the same moment: exactly one wins, the other is told who holds it', TIMEOUT, async (t) => {
  const fx = fixture(t);
  const ids = ['sA', 'sB', 'sC', 'sD'];
  const wts = ids.map((id) => start(fx, fx.repo, id));
  const results = await Promise.all(wts.map((wt) => coordAsync(wt, ['reserve', 'src/shared.ts', '--json'], { env: fx.env })));
  const won = results.filter((r) => r.code === 0);
  assert.equal(won.length, 1, results.map((r) => r.stderr).join('\n'));
  const winner = JSON.parse(won[0].stdout).id;
  for (const r of results.filter((x) => x.code !== 0)) {
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`src/shared\\.ts is reserved by ${winner}`));
  }
  gitOk(fx.repo, ['fetch', '--quiet'], { env: fx.env });
  const rows = git(fx.repo, ['show', `origin/main:${RES}`], { env: fx.env })
    .stdout.split('\n')
    .filter((l) => l.startsWith('| `'));
  assert.deepEqual(
    rows.map((l) => l.split('|')[2].trim()),
    [winner],
  );
});

test('a reservation ends at its time, and stops counting when its holder goes stale', TIMEOUT, (t) => {
  const fx = fixture(t);
  const a = start(fx, fx.repo, 'sA');
  const b = start(fx, fx.repo, 'sB');
  coordOk(a, ['reserve', 'short.txt', '--for', '3s'], { env: fx.env });
  coordOk(a, ['reserve', 'long.txt', '--for', '1d'], { env: fx.env });
  coordOk(b, ['status'], { env: fx.env });
  assert.equal(commitFile(fx, b, 'short.txt', '1\n', '[sB] one').code, 1, 'refused while it lasts');
  gitOk(b, ['reset', '--quiet', '--hard'], { env: fx.env });
  const until = Date.now() + 3500;
  while (Date.now() < until) {
    /* the reservation runs out */
  }
  assert.equal(commitFile(fx, b, 'short.txt', '1\n', '[sB] one').code, 0, 'passes once its time is over, with no fetch in between');
  assert.equal(commitFile(fx, b, 'long.txt', '1\n', '[sB] two').code, 1);
  gitOk(b, ['reset', '--quiet', '--hard'], { env: fx.env });

  // sA goes quiet for two days: its row's presence and claim are rewritten by hand, as time would.
  const old = stampOf(Date.now() - 2 * 86400e3);
  const board = path.join(fx.repo, 'docs/ai/sessions/active.md');
  gitOk(fx.repo, ['pull', '--quiet', '--ff-only'], { env: fx.env });
  const text = fs
    .readFileSync(board, 'utf8')
    .split('\n')
    .map((l) => (l.startsWith('| sA ') ? l.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z/g, old) : l))
    .join('\n');
  fs.writeFileSync(board, text);
  gitOk(fx.repo, ['commit', '--quiet', '-am', 'chore: sA went quiet', '--no-verify'], { env: fx.env });
  gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });
  const list = JSON.parse(coordOk(b, ['reservations', '--all', '--json'], { env: fx.env }).stdout);
  assert.deepEqual(
    list.reservations.filter((r) => r.path === 'long.txt').map((r) => [r.counts, r.why]),
    [[false, 'sA is stale']],
  );
  assert.equal(commitFile(fx, b, 'long.txt', '1\n', '[sB] two').code, 0, 'a stale holder no longer blocks');
});

test('the guard is cheap when nobody else holds anything: the sh fast path answers, coord does not start', TIMEOUT, (t) => {
  const fx = fixture(t);
  const a = start(fx, fx.repo, 'sA');
  const b = start(fx, fx.repo, 'sB');
  coordOk(a, ['reserve', 'mine.txt'], { env: fx.env });
  const script = path.join(fx.repo, 'infrastructure/scripts/coord-reserved-guard.sh');
  const run = (cwd, env = fx.env) => spawnSync('sh', [script], { cwd, env, encoding: 'utf8' });
  assert.equal(run(a).status, 0, 'the holder itself: nothing foreign');
  assert.equal(run(b).status, 1, 'another session: coord must look at the staged files');
  assert.equal(run(b, { ...fx.env, COORD_RESERVED_OK: '1' }).status, 0);
  assert.equal(run(fx.repo).status, 0, 'outside a session the guard does not apply');
  const doctor = JSON.parse(coord(fx.repo, ['doctor', '--json'], { env: fx.env }).stdout);
  assert.ok(Array.isArray(doctor.findings), JSON.stringify(doctor));
  assert.ok(!doctor.findings.some((f) => /pre-commit/.test(f.message)), JSON.stringify(doctor));
  fs.rmSync(path.join(fx.repo, '.git/hooks/pre-commit'));
  const broken = coord(fx.repo, ['doctor', '--json'], { env: fx.env });
  assert.match(broken.stdout, /no pre-commit hook is installed in this clone \(the reservation guard does not run\)/);
});
