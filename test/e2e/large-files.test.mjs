// A hostile or merely old coordination file must not stall everyone: on a board of 10k rows
// and an inbox of 10k blocks, reap (dry run and real), status and the merge driver (which
// `git pull` runs) finish within a fixed budget far above their linear time (about a second
// each) and far below the time of the row-by-row code they replaced (reap --dry-run took 414 s;
// the merge driver, 92 s for 3,000 blocks added on one side). The results are checked too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BOARD, coordArgv, gitOk, makeRepo } from '../helpers.mjs';
import { boardRow, boardText, idAt, queueFiles, stampOf } from '../../bench/fixtures.mjs';

const ROWS = 10_000;
const BLOCKS = 10_000;
const ADDED = 3_000; // rows or blocks one side adds in the merges
const BUDGET_MS = 60_000; // each run, killed at the budget
const TIMEOUT = { timeout: 600_000 };
const QUEUE = 'docs/ai/sessions/queue/to-sA.md';

/** Runs the bundle with the budget as its timeout; its output can be megabytes. */
function timed(t, cwd, args, env) {
  const [file, ...argv] = coordArgv(args);
  const t0 = Date.now();
  const r = spawnSync(file, argv, { cwd, env, encoding: 'utf8', timeout: BUDGET_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 30 });
  const ms = Date.now() - t0;
  t.diagnostic(`coord ${args.join(' ')}: ${(ms / 1e3).toFixed(2)} s`);
  assert.ok(!r.error || r.error.code === 'ETIMEDOUT', `coord ${args[0]} could not run: ${r.error?.message}`);
  assert.ok(
    ms < BUDGET_MS && r.signal === null,
    `coord ${args.join(' ')} took ${(ms / 1e3).toFixed(1)} s (budget ${BUDGET_MS / 1e3} s): quadratic again?`,
  );
  assert.equal(r.status, 0, r.stderr);
  return r;
}

/** A repository whose blackboard holds a board of ROWS rows (stale ones among them) and an inbox of BLOCKS blocks. */
function bigRepo(t) {
  const fx = makeRepo({ lefthook: false });
  t.after(() => fx.cleanup());
  const now = Date.now();
  // Presence three days old: each row's state follows its claim (row i claimed i+1 hours ago), so most are stale.
  fs.writeFileSync(path.join(fx.repo, BOARD), boardText(ROWS, { now, presenceMs: now - 3 * 86400e3 }));
  const [, inbox] = [...queueFiles(BLOCKS, 1, { now })][0];
  fs.writeFileSync(path.join(fx.repo, QUEUE), inbox);
  gitOk(fx.repo, ['add', '-A'], { env: fx.env });
  gitOk(fx.repo, ['commit', '-q', '-m', 'chore: a large board and inbox'], { env: fx.env });
  gitOk(fx.repo, ['push', '-q', 'origin', 'HEAD:main'], { env: fx.env });
  return fx;
}

test(
  `status, reap --dry-run and reap on a board of ${ROWS} rows and an inbox of ${BLOCKS} blocks, each within the budget`,
  TIMEOUT,
  (t) => {
    const fx = bigRepo(t);
    const status = JSON.parse(timed(t, fx.repo, ['status', '--json'], fx.env).stdout);
    assert.equal(status.sessions.length, ROWS);
    assert.equal(status.sessions.find((s) => s.id === 'sA').unread, BLOCKS / 10, 'every block not yet seen counts (a tenth of them)');
    const stale = status.sessions.filter((s) => s.state === 'stale').map((s) => s.id);
    assert.ok(stale.length > ROWS - 30 && stale.length < ROWS, `${stale.length} stale rows`);

    const dry = JSON.parse(timed(t, fx.repo, ['reap', '--dry-run', '--json'], fx.env).stdout);
    assert.deepEqual(dry.reaped, stale, 'the dry run names exactly the stale rows, in board order');
    assert.equal(
      gitOk(fx.repo, ['ls-remote', 'origin', 'main'], { env: fx.env }).split('\t')[0],
      gitOk(fx.repo, ['rev-parse', 'HEAD'], { env: fx.env }).trim(),
    );

    const reaped = JSON.parse(timed(t, fx.repo, ['reap', '--json'], fx.env).stdout);
    assert.deepEqual(reaped.reaped, stale);
    gitOk(fx.repo, ['fetch', '-q', 'origin'], { env: fx.env });
    const board = gitOk(fx.repo, ['show', `origin/main:${BOARD}`], { env: fx.env });
    const before = fs.readFileSync(path.join(fx.repo, BOARD), 'utf8');
    const gone = new Set(stale);
    const kept = before.split('\n').filter((l) => !gone.has(/^\| (s[A-Z]+) /.exec(l)?.[1]));
    assert.equal(board, kept.join('\n'), 'only the stale rows left; every other byte stays');
  },
);

test(`the merge driver on a board of ${ROWS} rows changed on both sides, ${ADDED} rows added on one, within the budget`, TIMEOUT, (t) => {
  const fx = makeRepo({ lefthook: false });
  t.after(() => fx.cleanup());
  const dir = path.join(fx.root, 'merge');
  fs.mkdirSync(dir);
  const now = Date.now();
  const o = boardText(ROWS, { now });
  const a = boardText(ROWS, { now, presenceMs: now + 60e3 }); // every heartbeat moved
  const scoped = (text) => text.replace(/^(\| s[A-Z]+ .*\| )[^|]*\|$/gm, '$1billing API |');
  const extra = Array.from({ length: ADDED }, (_, i) => {
    const id = idAt(ROWS + i);
    return boardRow({ id, name: `New${i}`, claimed: stampOf(now), presence: stampOf(now), scope: 'new' }) + '\n';
  });
  const b = scoped(o) + extra.join(''); // every scope set, rows added
  for (const [n, text] of [
    ['O', o],
    ['A', a],
    ['B', b],
  ])
    fs.writeFileSync(path.join(dir, n), text);
  timed(t, dir, ['merge-driver', 'O', 'A', 'B', BOARD], fx.env);
  const merged = fs.readFileSync(path.join(dir, 'A'), 'utf8');
  assert.equal(merged, scoped(a) + extra.join(''), "both sides' changes kept, the added rows after the last one");
});

test(
  `the merge driver on an inbox of ${BLOCKS} blocks stamped on one side, ${ADDED} blocks added on each, within the budget`,
  TIMEOUT,
  (t) => {
    const fx = makeRepo({ lefthook: false });
    t.after(() => fx.cleanup());
    const dir = path.join(fx.root, 'merge');
    fs.mkdirSync(dir);
    const now = Date.now();
    const [, o] = [...queueFiles(BLOCKS, 1, { now })][0];
    const block = (from, i) =>
      `\n## ${stampOf(now + (i + 1) * 60e3)} · from:${from} · to:sA · type:info · ref:— · status:sent\n${from} adds ${i}\n` +
      '→ status:seen <ts> · acked <ts> · resolved <ts>\n';
    const seen = stampOf(now + 30e3);
    const stamped = o.replace(/status:seen <ts>/g, `status:seen ${seen}`);
    const ours = Array.from({ length: ADDED }, (_, i) => block('sB', i));
    const theirs = Array.from({ length: ADDED }, (_, i) => block('sC', i));
    for (const [n, text] of [
      ['O', o],
      ['A', o + ours.join('')],
      ['B', stamped + theirs.join('')],
    ])
      fs.writeFileSync(path.join(dir, n), text);
    timed(t, dir, ['merge-driver', 'O', 'A', 'B', QUEUE], fx.env);
    const merged = fs.readFileSync(path.join(dir, 'A'), 'utf8');
    assert.ok(merged.startsWith(stamped), "B's stamps on the blocks both sides had, nothing else changed there");
    // The blocks new on both sides follow, all of them, in order of stamp (then id).
    const added = merged
      .slice(stamped.length)
      .split('\n')
      .filter((l) => l.startsWith('## '));
    assert.equal(added.length, 2 * ADDED, 'every added block kept');
    const stamps = added.map((l) => l.slice(3, 20));
    assert.deepEqual(stamps, [...stamps].sort());
    for (const from of ['sB', 'sC']) assert.equal(merged.match(new RegExp(`^${from} adds \\d+$`, 'gm')).length, ADDED);
  },
);
