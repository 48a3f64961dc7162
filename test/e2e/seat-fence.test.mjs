// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// The seat fence, end to end: a session worktree keeps the claim it made; once its seat is
// reaped from another clone and claimed again there, the old holder's writing verbs are refused
// and the new holder's row and reservations stay as they were. The real bundle, real git, a
// bare origin, two clones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BOARD, coord, coordOk, gitOk, makeRepo } from '../helpers.mjs';

const TIMEOUT = { timeout: 300_000 };
const RESERVATIONS = 'docs/ai/sessions/reservations.md';

const startJson = (cwd, env, args = []) => JSON.parse(coordOk(cwd, ['start', '--json', ...args], { env }).stdout);
const onOrigin = (repo, env, file) => {
  gitOk(repo, ['fetch', '--quiet', 'origin'], { env });
  return git(repo, env, ['show', `origin/main:${file}`]);
};
const git = (repo, env, args) => gitOk(repo, args, { env });
const originMain = (repo, env) => {
  gitOk(repo, ['fetch', '--quiet', 'origin'], { env });
  return gitOk(repo, ['rev-parse', 'origin/main'], { env }).trim();
};
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Two clones of one origin. In the first, sB · Douro is claimed; it goes quiet, the second
 * clone reaps it (--older-than 1s) and claims sB again as Lisboa, with a reservation of its own.
 */
function reissuedSeat(t) {
  const fx = makeRepo({ lefthook: false });
  t.after(() => fx.cleanup());
  const env = fx.env;
  const old = startJson(fx.repo, env, ['--as', 'sB', '--name', 'Douro', '--scope', 'old work']);
  assert.equal(old.id, 'sB');
  const second = path.join(fx.root, 'second');
  gitOk(fx.root, ['clone', '--quiet', fx.origin, second], { env });
  sleep(2_100); // the claim's commit and stamps are now more than a second old
  const reaped = JSON.parse(coordOk(second, ['reap', '--older-than', '1s', '--json'], { env }).stdout);
  assert.deepEqual(reaped.reaped, ['sB']);
  const now = startJson(second, env, ['--as', 'sB', '--name', 'Lisboa', '--scope', 'new work']);
  assert.equal(now.id, 'sB');
  const sA = startJson(second, env, ['--name', 'Braga']);
  assert.equal(sA.id, 'sA');
  coordOk(now.worktree, ['reserve', 'src/new.ts', '-m', 'mine'], { env });
  return { fx, env, old, now, second, sA };
}

test(
  "a reaped and reissued seat: the old holder's reserve, scope, send and close are refused; the new row and reservations stay byte for byte",
  TIMEOUT,
  (t) => {
    const { fx, env, old, now } = reissuedSeat(t);
    const board = onOrigin(fx.repo, env, BOARD);
    const reservations = onOrigin(fx.repo, env, RESERVATIONS);
    const tip = originMain(fx.repo, env);
    assert.match(board, /\| sB · Lisboa \|/);
    assert.match(reservations, /src\/new\.ts/);

    for (const args of [['reserve', 'src/**'], ['scope', 'taking it back'], ['send', 'sA', '-m', 'hello from the old sB'], ['close']]) {
      const r = coord(old.worktree, args, { env });
      assert.equal(r.code, 1, `${args[0]}: expected exit 1, got ${r.code}\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /sB's seat was taken back/, args[0]);
      assert.match(r.stderr, new RegExp(`now held by sB · Lisboa claimed ${now.claimed}`), args[0]);
      assert.match(r.stderr, /Start a new one with coord start; your worktree and commits here are untouched/, args[0]);
      assert.match(r.stderr, /Nothing was published/, args[0]);
      assert.doesNotMatch(r.stderr, /internal error|^ {4}at /m, args[0]);
    }
    assert.equal(originMain(fx.repo, env), tip, 'nothing was published');
    assert.equal(onOrigin(fx.repo, env, BOARD), board, "the new sB's row is intact");
    assert.equal(onOrigin(fx.repo, env, RESERVATIONS), reservations, "the new sB's reservations are intact");
    // close refused before touching anything here: the old worktree and its branch are still there.
    assert.ok(fs.existsSync(old.worktree), 'the old worktree is kept');
    assert.equal(gitOk(old.worktree, ['rev-parse', '--abbrev-ref', 'HEAD'], { env }).trim(), 'session-sB');
  },
);

test('the new holder works normally, and a person acting for the seat with --as outside a worktree is not fenced', TIMEOUT, (t) => {
  const { fx, env, now } = reissuedSeat(t);
  coordOk(now.worktree, ['scope', 'new work, going well'], { env });
  coordOk(now.worktree, ['reserve', 'src/more.ts'], { env });
  coordOk(now.worktree, ['send', 'sA', '-m', 'hi from the new sB'], { env });
  assert.match(onOrigin(fx.repo, env, BOARD), /\| sB · Lisboa \|.*new work, going well/);
  // From the first clone's main checkout, naming the seat: a person acting for it, as before.
  coordOk(fx.repo, ['scope', '--as', 'sB', 'set for sB by hand'], { env });
  assert.match(onOrigin(fx.repo, env, BOARD), /\| sB · Lisboa \|.*set for sB by hand/);
  const closed = coord(now.worktree, ['close'], { env });
  assert.equal(closed.code, 0, closed.stderr);
  assert.doesNotMatch(onOrigin(fx.repo, env, BOARD), /\| sB /);
});

test('a worktree claimed before coord kept the record (none in its git dir) is not fenced, as before', TIMEOUT, (t) => {
  const { fx, env, old } = reissuedSeat(t);
  const gitDir = gitOk(old.worktree, ['rev-parse', '--absolute-git-dir'], { env }).trim();
  const record = path.join(gitDir, 'coord-claim');
  assert.match(fs.readFileSync(record, 'utf8'), new RegExp(`^sB\\t${old.claimed}\\tDouro\\n$`));
  fs.rmSync(record);
  coordOk(old.worktree, ['scope', 'no record, no fence'], { env });
  assert.match(onOrigin(fx.repo, env, BOARD), /\| sB · Lisboa \|.*no record, no fence/);
});

test("the commit guard: the old holder's worktree owns none of the new holder's reservations, fast path and coord alike", TIMEOUT, (t) => {
  const { fx, env, old } = reissuedSeat(t);
  coordOk(fx.repo, ['status'], { env }); // this clone's guard cache now holds the new sB's reservation
  gitOk(old.worktree, ['fetch', '--quiet', 'origin'], { env });
  gitOk(old.worktree, ['merge', '--quiet', '--ff-only', 'origin/main'], { env }); // its board now shows sB · Lisboa
  fs.mkdirSync(path.join(old.worktree, 'src'), { recursive: true });
  fs.writeFileSync(path.join(old.worktree, 'src/new.ts'), 'export {};\n');
  gitOk(old.worktree, ['add', 'src/new.ts'], { env });
  const fast = spawnSync('sh', ['infrastructure/scripts/coord-reserved-guard.sh'], { cwd: old.worktree, env, encoding: 'utf8' });
  assert.equal(fast.status, 1, `the fast path leaves it to coord: ${fast.stderr}`);
  const r = coord(old.worktree, ['check-reserved'], { env });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /src\/new\.ts — reserved by sB .*: «mine»/);
  // The heartbeat does not touch the new holder's row in this worktree's board.
  const board = fs.readFileSync(path.join(old.worktree, BOARD), 'utf8');
  gitOk(old.worktree, ['commit', '--quiet', '--no-verify', '-m', '[sB] chore: old work'], {
    env: { ...env, GIT_COMMITTER_DATE: '2030-01-01T00:00:00Z' },
  });
  const beat = spawnSync('sh', ['infrastructure/scripts/coord-heartbeat.sh'], { cwd: old.worktree, env, encoding: 'utf8' });
  assert.equal(beat.status, 1, `the heartbeat's fast path leaves it to coord: ${beat.stderr}`);
  assert.equal(fs.readFileSync(path.join(old.worktree, BOARD), 'utf8'), board);
  coordOk(old.worktree, ['heartbeat'], { env });
  assert.equal(fs.readFileSync(path.join(old.worktree, BOARD), 'utf8'), board);
});

test(
  "Claude Code's WorktreeCreate keeps the claim too: its worktree's git dir holds the row's id, claimed stamp and name",
  TIMEOUT,
  (t) => {
    const fx = makeRepo({ lefthook: false });
    t.after(() => fx.cleanup());
    const made = coord(fx.repo, ['worktree-create'], {
      env: fx.env,
      input: JSON.stringify({ session_id: 'x', cwd: fx.repo, hook_event_name: 'WorktreeCreate', name: 'fix-login' }),
    });
    assert.equal(made.code, 0, made.stderr);
    const dir = made.stdout.trim().split('\n').pop();
    const gitDir = gitOk(dir, ['rev-parse', '--absolute-git-dir'], { env: fx.env }).trim();
    const row = onOrigin(fx.repo, fx.env, BOARD)
      .split('\n')
      .find((l) => l.startsWith('| sA · '));
    const [identity, , , claimed] = row
      .split('|')
      .slice(1)
      .map((c) => c.trim());
    assert.equal(fs.readFileSync(path.join(gitDir, 'coord-claim'), 'utf8'), `sA\t${claimed}\t${identity.split(' · ')[1]}\n`);
  },
);
