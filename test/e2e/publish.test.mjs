// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// The publish path under contention, and what its commits carry: many sends at the same
// moment against an origin whose pushes are slow (a pre-receive hook that counts each push
// reaching the server, then sleeps, as a hosted remote's checks do) — every message lands
// once and the pushes stay few; the clone's publish lock survives a holder killed mid-way, a
// stale holder and a busy one; coord's commits carry the CI-skip marker unless told not to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { coord, coordAsync, coordOk, gitOk, makeRepo, runtime } from '../helpers.mjs';

const TIMEOUT = { timeout: 180_000 };
const QUEUE = 'docs/ai/sessions/queue';
const LOCK = 'coord-publish.lock';

function fixture(t) {
  const fx = makeRepo({ lefthook: false });
  t.after(() => fx.cleanup());
  return fx;
}

/** Makes every push that reaches origin count one line in a file, then take `seconds`. Returns a reader of the count. */
function slowOrigin(fx, seconds) {
  const counter = path.join(fx.root, 'pushes-seen');
  fs.writeFileSync(counter, '');
  fs.writeFileSync(path.join(fx.origin, 'hooks', 'pre-receive'), `#!/bin/sh\ncat >/dev/null\necho x >> '${counter}'\nsleep ${seconds}\n`, {
    mode: 0o755,
  });
  return () => fs.readFileSync(counter, 'utf8').split('\n').filter(Boolean).length;
}

/** Starts `n` sessions in `clone` (before the origin is slowed down); returns their worktrees by id. */
function sessions(fx, clone, n) {
  const out = {};
  for (let i = 0; i < n; i++) {
    const { id } = JSON.parse(coordOk(clone, ['start', '--json'], { env: fx.env }).stdout);
    out[id] = `${clone}-${id}`;
  }
  return out;
}

/** Every message body on origin's main, from all queue files. */
function bodiesOnOrigin(fx) {
  gitOk(fx.repo, ['fetch', '--quiet', 'origin'], { env: fx.env });
  const files = gitOk(fx.repo, ['ls-tree', '--name-only', `origin/main:${QUEUE}`], { env: fx.env })
    .split('\n')
    .filter((f) => f.endsWith('.md'));
  return files.flatMap((f) =>
    gitOk(fx.repo, ['show', `origin/main:${QUEUE}/${f}`], { env: fx.env })
      .split('\n')
      .filter((l) => l.startsWith('contention ')),
  );
}

/** Sends one message from each worktree at the same moment; checks each landed once, in one commit each. Returns the push attempts the origin saw. */
async function sendAllAtOnce(fx, worktrees, pushesSeen, label) {
  const ids = Object.keys(worktrees);
  const before = gitOk(fx.origin, ['rev-parse', 'main'], { env: fx.env }).trim();
  const t0 = Date.now();
  const results = await Promise.all(
    ids.map((id, i) =>
      coordAsync(worktrees[id], ['send', ids[(i + 1) % ids.length], '-m', `contention ${label} from ${id}`], { env: fx.env }),
    ),
  );
  const wallMs = Date.now() - t0;
  results.forEach((r, i) => assert.equal(r.code, 0, `send from ${ids[i]} exited ${r.code}:\n${r.stderr}`));
  const bodies = bodiesOnOrigin(fx).filter((b) => b.startsWith(`contention ${label} `));
  assert.deepEqual(bodies.sort(), ids.map((id) => `contention ${label} from ${id}`).sort(), 'every message exactly once');
  const log = gitOk(fx.origin, ['log', '--format=%P', `${before}..main`], { env: fx.env })
    .trim()
    .split('\n');
  assert.equal(log.length, ids.length, 'one commit per message');
  assert.ok(
    log.every((parents) => !parents.includes(' ')),
    'no merge commits',
  );
  const attempts = pushesSeen();
  console.log(`${ids.length} sends at once (${label}, ${runtime}): ${wallMs} ms wall, ${attempts} push attempts reached the origin`);
  return attempts;
}

test('6 sessions of one clone send at the same moment to a slow origin: each message lands once, one push each', TIMEOUT, async (t) => {
  const fx = fixture(t);
  const worktrees = sessions(fx, fx.repo, 6);
  const pushesSeen = slowOrigin(fx, 0.2);
  const attempts = await sendAllAtOnce(fx, worktrees, pushesSeen, 'one-clone');
  // The clone's writers take turns from fetch to push, so none can lose a race to another.
  // Without the lock, all six push at once and the losers retry: about 3.5 pushes per message.
  assert.equal(attempts, 6, `${attempts} push attempts reached the origin for 6 messages`);
  assert.ok(!fs.existsSync(path.join(fx.repo, '.git', LOCK)), 'the lock is gone afterwards');
});

test(
  '3 + 3 sessions of two clones send at the same moment to a slow origin: each lands once, at most two pushes each',
  TIMEOUT,
  async (t) => {
    const fx = fixture(t);
    const other = path.join(fx.root, 'other');
    gitOk(fx.root, ['clone', '--quiet', fx.origin, other], { env: fx.env });
    const worktrees = { ...sessions(fx, fx.repo, 3) };
    Object.assign(worktrees, sessions(fx, other, 3));
    const pushesSeen = slowOrigin(fx, 0.2);
    const attempts = await sendAllAtOnce(fx, worktrees, pushesSeen, 'two-clones');
    // Each clone has one attempt in flight at a time, and an attempt fails only when the other
    // clone's commit lands during it: at most 3 such landings for each clone, so at most 6 + 6.
    assert.ok(
      attempts >= 6 && attempts <= 12,
      `${attempts} push attempts reached the origin for 6 messages (at most 12 with one writer per clone at a time)`,
    );
  },
);

test('a publisher killed while holding the lock does not block the next one', TIMEOUT, async (t) => {
  const fx = fixture(t);
  const { sA } = sessions(fx, fx.repo, 1);
  const killed = coord(sA, ['send', 'sA', '-m', 'never published'], { env: { ...fx.env, COORD_CRASH_AT: 'after-fetch' } });
  assert.notEqual(killed.code, 0);
  const lock = path.join(fx.repo, '.git', LOCK);
  assert.ok(fs.existsSync(lock), 'the killed process left its lock behind');
  const t0 = Date.now();
  coordOk(sA, ['send', 'sA', '-m', 'published'], { env: fx.env });
  assert.ok(Date.now() - t0 < 10_000, `the next send waited ${Date.now() - t0} ms`);
  assert.ok(!fs.existsSync(lock), 'and its lock is gone too');
});

test('a lock not refreshed for longer than a push may take is taken over, whoever holds it', TIMEOUT, async (t) => {
  const fx = fixture(t);
  const { sA } = sessions(fx, fx.repo, 1);
  const lock = path.join(fx.repo, '.git', LOCK);
  fs.writeFileSync(
    lock,
    JSON.stringify({ pid: process.pid, host: 'some-other-machine', since: Date.now() - 120e3, token: 'elsewhere' }) + '\n',
  );
  const old = new Date(Date.now() - 120e3);
  fs.utimesSync(lock, old, old);
  coordOk(sA, ['send', 'sA', '-m', 'after a stale lock'], { env: { ...fx.env, COORD_TIMEOUT: '1s' } });
  assert.ok(!fs.existsSync(lock));
});

test('a live holder that keeps the lock: the wait is bounded, says who holds it, and publishes nothing', TIMEOUT, async (t) => {
  const fx = fixture(t);
  const { sA } = sessions(fx, fx.repo, 1);
  const before = gitOk(fx.origin, ['rev-parse', 'main'], { env: fx.env }).trim();
  const lock = path.join(fx.repo, '.git', LOCK);
  fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), since: Date.now(), token: 'busy-holder' }) + '\n');
  const keepAlive = setInterval(() => {
    const now = new Date();
    fs.utimesSync(lock, now, now);
  }, 100);
  t.after(() => clearInterval(keepAlive));
  const t0 = Date.now();
  const r = await coordAsync(sA, ['send', 'sA', '-m', 'waits'], { env: { ...fx.env, COORD_TIMEOUT: '1s' } });
  const waited = Date.now() - t0;
  clearInterval(keepAlive);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^coord: Another coord process ${process.pid}\\b.* publishing from this clone .*Nothing was published; run again once it has finished \\(if no coord is running, remove .*${LOCK}\\)\\.\\n$`,
    ),
  );
  assert.ok(waited >= 4000 && waited < 30_000, `waited ${waited} ms (patience: 4 network timeouts)`);
  assert.equal(gitOk(fx.origin, ['rev-parse', 'main'], { env: fx.env }).trim(), before, 'nothing published');
  assert.ok(fs.existsSync(lock), "the holder's lock is left alone");
});

test("coord's commits carry [skip ci] in the body, the subject untouched; skipCi false in .coord.json drops it", TIMEOUT, (t) => {
  const fx = fixture(t);
  const { sA } = sessions(fx, fx.repo, 1);
  coordOk(sA, ['send', 'sA', '-m', 'note to self'], { env: fx.env });
  const message = (rev) => gitOk(fx.repo, ['log', '-1', '--format=%B', rev], { env: fx.env });
  gitOk(fx.repo, ['fetch', '--quiet', 'origin'], { env: fx.env });
  assert.equal(message('origin/main'), '[sA] docs(ai-sessions): info to sA: note to self\n\n[skip ci]\n\n');
  assert.equal(
    gitOk(fx.repo, ['log', '-1', '--format=%s', 'origin/main'], { env: fx.env }).trim(),
    '[sA] docs(ai-sessions): info to sA: note to self',
  );

  // The setting is read from the worktree that runs coord.
  fs.writeFileSync(
    path.join(sA, '.coord.json'),
    JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(sA, '.coord.json'), 'utf8')), skipCi: false }) + '\n',
  );
  coordOk(sA, ['send', 'sA', '-m', 'with CI'], { env: fx.env });
  gitOk(fx.repo, ['fetch', '--quiet', 'origin'], { env: fx.env });
  assert.equal(message('origin/main'), '[sA] docs(ai-sessions): info to sA: with CI\n\n');
  // The environment overrides the file for one run.
  coordOk(sA, ['send', 'sA', '-m', 'skipped again'], { env: { ...fx.env, COORD_SKIP_CI: 'true' } });
  gitOk(fx.repo, ['fetch', '--quiet', 'origin'], { env: fx.env });
  assert.match(message('origin/main'), /\n\n\[skip ci\]\n/);

  fs.writeFileSync(path.join(sA, '.coord.json'), JSON.stringify({ skipCi: 'no' }) + '\n');
  const bad = coord(sA, ['send', 'sA', '-m', 'x'], { env: fx.env });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /'no' for skipCi is not true or false/);
});
