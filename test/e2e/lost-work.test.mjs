// Lost work and outcomes reported wrong (issue 22): doctor --fix, close and the WorktreeRemove
// hook share one rule for what in a worktree is the person's work — files git ignores,
// submodule commits no remote has, edits git hides behind skip-worktree or assume-unchanged —
// and a push cut off by the timeout finds out from the remote whether it landed before it
// says anything. Real git, a bare origin, the real bundle; each test failed on the bundle
// before these fixes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { boardOnOrigin, cellsOf, coord, coordOk, git, gitOk, makeRepo, rowsOf } from '../helpers.mjs';

const TIMEOUT = { timeout: 240_000 };
const OLD = '2026-01-01T00:00Z';

/** A repo with origin; without lefthook's hooks unless `hooks` (the tests that commit by hand need no prefix check). */
function fixture(t, hooks = false) {
  const fx = makeRepo({ lefthook: hooks });
  t.after(() => fx.cleanup());
  return fx;
}
const wtOf = (fx, id) => `${fx.repo}-${id}`;
const rowIds = (fx) => rowsOf(boardOnOrigin(fx.repo, fx.env)).map((r) => cellsOf(r)[0].split(' · ')[0]);
const findings = (r) => JSON.parse(r.stdout).findings;
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Commits `.gitignore` (ignoring .env) on origin/main from the main checkout, before any session starts. */
function ignoreEnv(fx) {
  fs.writeFileSync(path.join(fx.repo, '.gitignore'), '.env\n');
  gitOk(fx.repo, ['add', '.gitignore'], { env: fx.env });
  gitOk(fx.repo, ['commit', '--quiet', '-m', 'chore: ignore .env'], { env: fx.env });
  gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });
}

/** doctor --fix keeps `dir` and its `.env`, exits 1 and names the worktree and the file. */
function doctorKeeps(fx, dir, id) {
  const r = coord(fx.repo, ['doctor', '--fix', '--json'], { env: fx.env });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const f = findings(r).find((x) => x.message.includes(`worktree ${dir} belongs to ${id}`));
  assert.ok(f, r.stdout);
  assert.match(f.message, /files git ignores \(\.env\)/);
  assert.equal(f.fixed, false);
  assert.equal(f.fixable, false);
  assert.match(f.fix, new RegExp(`coord close --as ${id}`));
  assert.equal(fs.readFileSync(path.join(dir, '.env'), 'utf8'), 'SECRET=1\n', 'the ignored file survives');
  const text = coord(fx.repo, ['doctor', '--fix'], { env: fx.env });
  assert.doesNotMatch(text.stdout, /All good/);
  assert.ok(fs.existsSync(path.join(dir, '.env')));
}

test('doctor --fix after close --keep-worktree: the kept worktree and its ignored .env survive, and doctor names them', TIMEOUT, (t) => {
  const fx = fixture(t);
  ignoreEnv(fx);
  coordOk(fx.repo, ['start'], { env: fx.env });
  const sA = wtOf(fx, 'sA');
  fs.writeFileSync(path.join(sA, '.env'), 'SECRET=1\n');
  coordOk(sA, ['close', '--keep-worktree'], { env: fx.env });
  assert.deepEqual(rowIds(fx), [], 'the row is off the board');
  doctorKeeps(fx, sA, 'sA');
  // close applies the same rule to the row-less session, and --discard-ignored lets it go.
  const refused = coord(fx.repo, ['close', '--as', 'sA'], { env: fx.env });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /holds files git ignores \(\.env\)/);
  coordOk(fx.repo, ['close', '--as', 'sA', '--discard-ignored'], { env: fx.env });
  assert.equal(fs.existsSync(sA), false);
});

test("doctor --fix after a teammate's reap: the reaped session's worktree and its ignored .env survive", TIMEOUT, (t) => {
  const fx = fixture(t);
  ignoreEnv(fx);
  const e = { env: fx.env };
  // sD: an old row on the board and its worktree here, at the board's commit (nothing unpublished, nothing uncommitted).
  const lane = '`session-sD` → direct-to-main, `[sD]`';
  fs.appendFileSync(path.join(fx.repo, 'docs/ai/sessions/active.md'), `| sD · Braga | (Riff TBD) | ${lane} | ${OLD} | ${OLD} · | old |\n`);
  gitOk(fx.repo, ['commit', '--quiet', '-am', 'hand edit: an old row'], e);
  gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], e);
  const sD = wtOf(fx, 'sD');
  gitOk(fx.repo, ['worktree', 'add', '--quiet', '--no-track', '-b', 'session-sD', sD, 'HEAD'], e);
  fs.writeFileSync(path.join(sD, '.env'), 'SECRET=1\n');
  // A teammate in another clone reaps it.
  const mate = path.join(fx.root, 'mate');
  gitOk(fx.root, ['clone', '--quiet', fx.origin, mate], e);
  assert.deepEqual(JSON.parse(coordOk(mate, ['reap', '--older-than', '1h', '--json'], e).stdout).reaped, ['sD']);
  assert.deepEqual(rowIds(fx), []);
  doctorKeeps(fx, sD, 'sD');
});

test('close and the WorktreeRemove hook refuse an edit hidden by skip-worktree or assume-unchanged, naming the file', TIMEOUT, (t) => {
  const fx = fixture(t);
  const e = { env: fx.env };
  fs.writeFileSync(path.join(fx.repo, 'notes.txt'), 'one\n');
  gitOk(fx.repo, ['add', 'notes.txt'], e);
  gitOk(fx.repo, ['commit', '--quiet', '-m', 'notes'], e);
  gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], e);
  coordOk(fx.repo, ['start'], e);
  const sA = wtOf(fx, 'sA');
  gitOk(sA, ['update-index', '--skip-worktree', 'README.md'], e);
  fs.appendFileSync(path.join(sA, 'README.md'), 'an edit git status does not show\n');
  assert.equal(gitOk(sA, ['status', '--porcelain'], e), '', 'git status shows nothing');
  const r = coord(sA, ['close'], e);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /Not closing sA: .* skip-worktree or assume-unchanged \(README\.md\)/);
  assert.ok(fs.existsSync(path.join(sA, 'README.md')));
  assert.deepEqual(rowIds(fx), ['sA'], 'nothing was published');
  // The same through the hook, with its JSON on stdin; assume-unchanged is hidden the same way.
  gitOk(sA, ['update-index', '--no-skip-worktree', 'README.md'], e);
  gitOk(sA, ['checkout', '--', 'README.md'], e);
  gitOk(sA, ['update-index', '--assume-unchanged', 'notes.txt'], e);
  fs.writeFileSync(path.join(sA, 'notes.txt'), 'two\n');
  const hook = coord(fx.repo, ['worktree-remove'], { env: fx.env, input: JSON.stringify({ worktree_path: sA }) });
  assert.equal(hook.code, 1, hook.stdout);
  assert.match(hook.stderr, /skip-worktree or assume-unchanged \(notes\.txt\)/);
  assert.equal(fs.readFileSync(path.join(sA, 'notes.txt'), 'utf8'), 'two\n');
  assert.deepEqual(rowIds(fx), ['sA']);
  // Put back, nothing is hidden any more: the close goes through (the heartbeat-free worktree needs no --force).
  fs.writeFileSync(path.join(sA, 'notes.txt'), 'one\n');
  coordOk(fx.repo, ['worktree-remove'], { env: fx.env, input: JSON.stringify({ worktree_path: sA }) });
  assert.equal(fs.existsSync(sA), false);
});

test('close refuses a submodule commit no remote has, naming it; once pushed, the close removes the worktree', TIMEOUT, (t) => {
  const fx = fixture(t);
  const e = { env: fx.env };
  const file = ['-c', 'protocol.file.allow=always'];
  // A library repository of its own, as a bare origin in the test's dir.
  const libSrc = path.join(fx.root, 'lib-src');
  const libBare = path.join(fx.root, 'lib.git');
  gitOk(fx.root, ['init', '--quiet', '-b', 'main', libSrc], e);
  fs.writeFileSync(path.join(libSrc, 'lib.txt'), 'v1\n');
  gitOk(libSrc, ['add', 'lib.txt'], e);
  gitOk(libSrc, ['commit', '--quiet', '-m', 'lib v1'], e);
  gitOk(fx.root, ['clone', '--quiet', '--bare', libSrc, libBare], e);
  gitOk(fx.repo, [...file, 'submodule', 'add', '--quiet', libBare, 'lib'], e);
  gitOk(fx.repo, ['commit', '--quiet', '-m', 'add lib'], e);
  gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], e);
  coordOk(fx.repo, ['start'], e);
  const sA = wtOf(fx, 'sA');
  gitOk(sA, [...file, 'submodule', 'update', '--quiet', '--init'], e);
  // A commit in the submodule, recorded and published by the session: git status is clean, the branch fully published.
  const lib = path.join(sA, 'lib');
  fs.writeFileSync(path.join(lib, 'lib.txt'), 'v2\n');
  gitOk(lib, ['commit', '--quiet', '-am', 'lib v2, not pushed'], e);
  const unpushed = gitOk(lib, ['rev-parse', 'HEAD'], e).trim();
  gitOk(sA, ['commit', '--quiet', '-am', '[sA] use lib v2'], e);
  gitOk(sA, ['push', '--quiet', 'origin', 'HEAD:main'], e);
  assert.equal(gitOk(sA, ['status', '--porcelain'], e), '');

  const r = coord(sA, ['close'], e);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /Not closing sA: submodule lib in .* holds 1 commit\(s\) that none of its remotes has/);
  assert.match(r.stderr, /git -C .*lib push/);
  assert.equal(gitOk(lib, ['rev-parse', 'HEAD'], e).trim(), unpushed, 'the submodule commit is still there');
  assert.deepEqual(rowIds(fx), ['sA']);
  // doctor --fix, for the same worktree once its row is gone, keeps it too.
  coordOk(sA, ['close', '--keep-worktree'], e);
  const d = coord(fx.repo, ['doctor', '--fix', '--json'], e);
  assert.equal(d.code, 1);
  assert.ok(
    findings(d).some((f) => /belongs to sA.*submodule lib/.test(f.message) && !f.fixed),
    d.stdout,
  );
  assert.ok(fs.existsSync(path.join(lib, 'lib.txt')));

  // Pushed, nothing is lost: close removes the worktree (git needs its --force for any submodule; coord looked first).
  gitOk(lib, ['push', '--quiet', 'origin', 'HEAD:refs/heads/main'], e);
  gitOk(lib, ['fetch', '--quiet', 'origin'], e);
  coordOk(fx.repo, ['close', '--as', 'sA'], e);
  assert.equal(fs.existsSync(sA), false);
  assert.equal(gitOk(libBare, ['rev-parse', 'main'], e).trim(), unpushed);
});

// ---- a push cut off by the timeout ----------------------------------------------------------

/**
 * Makes origin's next push slow: its pre-receive sleeps `seconds` once (a marker file), after
 * running `first` (sh), so the client's push is cut off while the server still takes it.
 */
function slowOnce(fx, seconds, first = '') {
  const marker = path.join(fx.root, 'slowed');
  const hook = path.join(fx.origin, 'hooks', 'pre-receive');
  fs.writeFileSync(hook, `#!/bin/sh\nif [ ! -e '${marker}' ]; then\n  : > '${marker}'\n  ${first}\n  sleep ${seconds}\nfi\nexit 0\n`);
  fs.chmodSync(hook, 0o755);
}
const originMain = (fx) => gitOk(fx.origin, ['rev-parse', 'refs/heads/main'], { env: fx.env }).trim();
/** Waits until origin's main is no longer `before` (the server finishing a push the client gave up on). */
function waitMoved(fx, before, ms = 10_000) {
  const end = Date.now() + ms;
  while (originMain(fx) === before && Date.now() < end) sleep(100);
}

test('a send whose push times out but lands is reported sent, once: no "Nothing was published", one copy on origin', TIMEOUT, (t) => {
  const fx = fixture(t, true);
  coordOk(fx.repo, ['start'], { env: fx.env });
  coordOk(fx.repo, ['start'], { env: fx.env });
  slowOnce(fx, 3);
  const env = { ...fx.env, COORD_TIMEOUT: '2s' };
  const began = Date.now();
  const r = coord(wtOf(fx, 'sA'), ['send', 'sB', '-m', 'through a slow remote'], { env });
  const took = Date.now() - began;
  t.diagnostic(`send through a 3 s pre-receive with COORD_TIMEOUT=2s: ${took} ms`);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /Nothing was published/);
  assert.ok(took < 12_000, `bounded: ${took} ms`);
  // The remote-tracking ref follows without a fetch: later reads see the message.
  assert.equal(gitOk(fx.repo, ['rev-parse', 'refs/remotes/origin/main'], { env: fx.env }).trim(), originMain(fx));
  const inbox = gitOk(fx.origin, ['show', 'main:docs/ai/sessions/queue/to-sB.md'], { env: fx.env });
  assert.equal(inbox.split('through a slow remote').length - 1, 1, `exactly one copy:\n${inbox}`);
  const box = JSON.parse(coordOk(wtOf(fx, 'sB'), ['inbox', '--json'], { env: fx.env }).stdout);
  assert.equal(JSON.stringify(box).split('through a slow remote').length - 1, 1);
});

test('a start whose push times out but lands makes its worktree; doctor finds nothing left over', TIMEOUT, (t) => {
  const fx = fixture(t, true);
  slowOnce(fx, 3);
  const env = { ...fx.env, COORD_TIMEOUT: '2s' };
  const began = Date.now();
  const r = coord(fx.repo, ['start', '--json'], { env });
  t.diagnostic(`start through a 3 s pre-receive with COORD_TIMEOUT=2s: ${Date.now() - began} ms`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).id, 'sA');
  assert.ok(fs.existsSync(wtOf(fx, 'sA')));
  assert.deepEqual(rowIds(fx), ['sA']);
  const d = coord(fx.repo, ['doctor', '--json'], { env: fx.env });
  assert.equal(d.code, 0, d.stdout);
});

test(
  'a start whose push is cut off and whose remote cannot be asked says it cannot tell; doctor finds the claim, --fix releases it',
  TIMEOUT,
  (t) => {
    const fx = fixture(t, true);
    const gone = path.join(fx.root, 'gone.git');
    // The server breaks the client's remote URL as it takes the push: ls-remote cannot answer afterwards.
    slowOnce(fx, 3, `git config --file '${path.join(fx.repo, '.git', 'config')}' remote.origin.url '${gone}'`);
    const env = { ...fx.env, COORD_TIMEOUT: '2s' };
    const before = originMain(fx);
    const began = Date.now();
    const r = coord(fx.repo, ['start'], { env });
    t.diagnostic(`start, push cut off, remote unreachable, COORD_TIMEOUT=2s: ${Date.now() - began} ms`);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /Cannot tell whether origin\/main took commit [0-9a-f]{12} \(/);
    assert.match(r.stderr, /origin could not be asked/);
    assert.match(r.stderr, /coord doctor/);
    assert.doesNotMatch(r.stderr, /Nothing was published/);
    assert.equal(fs.existsSync(wtOf(fx, 'sA')), false);
    waitMoved(fx, before);
    gitOk(fx.repo, ['config', 'remote.origin.url', fx.origin], { env: fx.env });
    assert.deepEqual(rowIds(fx), ['sA'], 'the claim landed');

    const d = coord(fx.repo, ['doctor', '--json'], { env: fx.env });
    assert.equal(d.code, 1, d.stdout);
    assert.ok(
      findings(d).some((f) => /sA was claimed from this clone by a start that did not finish \(no worktree\)/.test(f.message)),
      d.stdout,
    );
    assert.ok(
      findings(d).some((f) => /whose push coord could not confirm, is on origin\/main: it landed/.test(f.message)),
      d.stdout,
    );
    assert.doesNotMatch(coord(fx.repo, ['doctor'], { env: fx.env }).stdout, /All good/);
    coordOk(fx.repo, ['doctor', '--fix'], { env: fx.env });
    assert.deepEqual(rowIds(fx), [], 'the unfinished claim is released');
    assert.equal(coord(fx.repo, ['doctor', '--json'], { env: fx.env }).code, 0);
  },
);
