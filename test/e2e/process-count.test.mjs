// How many git processes each verb starts (counted with GIT_TRACE2_EVENT, direct children of
// coord only). Not timed — machines are noisy — but a verb that starts more git processes
// than before fails here, so a speed regression of that kind cannot land unnoticed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { coordOk, gitOk, makeRepo } from '../helpers.mjs';

// verb → the most git processes it may start (the publishing verbs: identity, fetch, read, commit, push).
// Overlaps (status, prime, inbox --brief) read the blackboard's history once with liveness,
// and add the unpublished commits of the session worktrees in this clone and one status per
// worktree: 1 + LOCAL here, where two sessions (sA, sB) have their worktrees in the clone.
const LOCAL = 2;
const OVERLAPS = 1 + LOCAL;
const BUDGET = {
  'check-prefix': 0,
  'check-reserved': 0,
  heartbeat: 1,
  status: 7 + OVERLAPS,
  inbox: 5,
  'inbox --brief': 7 + OVERLAPS,
  prime: 7 + OVERLAPS,
  scope: 7,
  riff: 7,
  send: 7,
  ack: 8,
  reply: 8,
  handoff: 7,
  start: 9,
  sync: 8,
  // The inboxes are listed too (ls-tree): a reaped session's mail and long-resolved mail move to the archive (issue 24).
  'reap --dry-run': 8,
  reserve: 7,
  release: 7,
  reservations: 5,
};

/** Runs coord with a trace file and returns the git processes it started itself. */
function count(fx, cwd, args, opts = {}) {
  const trace = path.join(fx.root, `trace-${Math.random().toString(36).slice(2)}`);
  const r = coordOk(cwd, args, { ...opts, env: { ...fx.env, GIT_TRACE2_EVENT: trace } });
  const lines = fs.existsSync(trace) ? fs.readFileSync(trace, 'utf8').split('\n') : [];
  const direct = lines.filter((l) => l.includes('"event":"start"') && !/"sid":"[^"]*\//.test(l));
  return { n: direct.length, argv: direct.map((l) => /"argv":\[([^\]]*)\]/.exec(l)?.[1]), out: r.stdout };
}

test('each verb stays within its git-process budget', { timeout: 180_000 }, (t) => {
  const fx = makeRepo({ lefthook: false });
  t.after(() => fx.cleanup());
  const seen = {};
  const check = (name, cwd, args, opts) => {
    const c = count(fx, cwd, args, opts);
    seen[name] = c.n;
    assert.ok(c.n <= BUDGET[name], `coord ${name} started ${c.n} git processes (budget ${BUDGET[name]}):\n${c.argv.join('\n')}`);
    return c;
  };
  check('start', fx.repo, ['start']);
  coordOk(fx.repo, ['start'], { env: fx.env });
  const sA = `${fx.repo}-sA`;
  const sB = `${fx.repo}-sB`;
  const msg = path.join(fx.root, 'msg');
  fs.writeFileSync(msg, '[sA] feat: x\n');
  check('check-prefix', sA, ['check-prefix', msg]);
  check('check-reserved', sA, ['check-reserved']); // nobody else holds anything: the cache alone answers
  gitOk(sA, ['commit', '--allow-empty', '-q', '-m', '[sA] work'], {
    env: { ...fx.env, GIT_COMMITTER_DATE: `${Math.floor(Date.now() / 1000) + 600} +0000` },
  });
  check('heartbeat', sA, ['heartbeat']);
  check('status', sA, ['status']);
  check('scope', sA, ['scope', 'billing']);
  check('riff', sA, ['riff', 'R-1']);
  const sent = check('send', sB, ['send', 'sA', '--json', '-m', 'hello']);
  const id = JSON.parse(sent.out).id;
  check('inbox', sA, ['inbox']);
  check('inbox --brief', sA, ['inbox', '--brief'], { input: JSON.stringify({ cwd: sA }) });
  check('prime', sA, ['prime']);
  check('ack', sA, ['ack', id]);
  check('reply', sA, ['reply', id, '-m', 'yes']);
  check('handoff', sA, ['handoff', 'sB', '--riff', 'R-1', '-m', 'yours']);
  check('sync', sA, ['sync']);
  check('reserve', sA, ['reserve', 'src/']);
  check('reservations', sA, ['reservations']);
  check('release', sA, ['release']);
  check('reap --dry-run', sA, ['reap', '--dry-run']);
  assert.deepEqual(Object.keys(seen).sort(), Object.keys(BUDGET).sort(), 'every budgeted verb was measured');
  console.log(`git processes per verb: ${JSON.stringify(seen)}`);
});
