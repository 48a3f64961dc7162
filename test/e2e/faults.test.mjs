// Faults, end to end: coord killed (SIGKILL) half-way, odd repository states, server
// policy, hand-broken files, hostile bodies and ids, a seeded fuzz loop over boards and
// inboxes, and reaping stale sessions. The real bundle as processes, real git, a bare origin,
// real lefthook-installed hooks. Every failure must be one line on stderr, never a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  BOARD,
  STAMP,
  boardOnOrigin,
  bundle,
  cellsOf,
  coord,
  coordArgv,
  coordAsync,
  coordOk,
  denoBin,
  git,
  gitCommands,
  gitOk,
  lefthookBin,
  makeEnv,
  makeRepo,
  mulberry32,
  remoteContacts,
  rowsOf,
  runtime,
  tempDir,
} from '../helpers.mjs';

const TIMEOUT = { timeout: 120_000 };
const QUEUE = 'docs/ai/sessions/queue';
const OLD = '2026-01-01T00:00Z';

// ---- local helpers -----------------------------------------------------------------------

/** A repo for one test, removed when the test ends. */
function fixture(t, opts) {
  const fx = makeRepo(opts);
  t.after(() => fx.cleanup());
  return fx;
}

const nonEmptyLines = (s) => s.split('\n').filter((l) => l.trim() !== '');

/** No stack trace and no 'internal error' anywhere in what coord printed. */
function assertNoTrace(r) {
  const all = r.stdout + r.stderr;
  assert.doesNotMatch(all, /^ {4}at /m, `stack trace in output:\n${all}`);
  assert.doesNotMatch(all, /internal error/i, `internal error in output:\n${all}`);
}

/** Exit `code` with exactly one readable `coord:` line on stderr, no stack trace. */
function assertOneLine(r, code, re) {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code} (signal ${r.signal}):\n${r.stderr}${r.stdout}`);
  assertNoTrace(r);
  const lines = nonEmptyLines(r.stderr);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /^coord: /);
  if (re) assert.match(lines[0], re);
  return lines[0];
}

const sha = (dir, env, rev) => git(dir, ['rev-parse', '--verify', '--quiet', rev], { env }).stdout.trim() || null;
const originMain = (fx, branch = 'main') => sha(fx.origin, fx.env, `refs/heads/${branch}`);
const wtOf = (fx, id) => `${fx.repo}-${id}`;
const rowIds = (text) => rowsOf(text).map((r) => cellsOf(r)[0].split(' · ')[0]);
const startJson = (cwd, env, args = []) => JSON.parse(coordOk(cwd, ['start', '--json', ...args], { env }).stdout);
const sendJson = (cwd, env, args, input) => JSON.parse(coordOk(cwd, ['send', ...args, '--json'], { env, input }).stdout);

/** Session branches, session worktrees and coord's scratch refs of a clone. */
function localState(dir, env) {
  const branches = gitOk(dir, ['for-each-ref', '--format=%(refname:lstrip=2)', 'refs/heads/session-*'], { env })
    .split('\n')
    .filter(Boolean)
    .map((b) => b.slice(8))
    .sort();
  const worktrees = [];
  for (const line of gitOk(dir, ['worktree', 'list', '--porcelain'], { env }).split('\n')) {
    if (line.startsWith('branch refs/heads/session-')) worktrees.push(line.slice('branch refs/heads/session-'.length));
  }
  const scratch = gitOk(dir, ['for-each-ref', '--format=%(refname)', 'refs/coord/'], { env }).trim();
  return { branches, worktrees: worktrees.sort(), scratch };
}

/**
 * Where board (on origin), branches and worktrees of this clone disagree: the ids that are
 * in one and not in all three. Empty when they agree.
 */
function disagreement(fx) {
  const board = rowIds(boardOnOrigin(fx.repo, fx.env)).sort();
  const { branches, worktrees } = localState(fx.repo, fx.env);
  const all = [...new Set([...board, ...branches, ...worktrees])];
  return {
    board,
    branches,
    worktrees,
    leftovers: all.filter((id) => !(board.includes(id) && branches.includes(id) && worktrees.includes(id))),
  };
}

/** doctor's open findings (warn/error), apart from a missing commit-msg hook when lefthook is absent. */
function doctorFindings(cwd, env) {
  const r = coord(cwd, ['doctor', '--json'], { env });
  assertNoTrace(r);
  const findings = JSON.parse(r.stdout).findings.filter((f) => f.level !== 'info' && !f.fixed);
  return { code: r.code, findings, text: findings.map((f) => `${f.level} ${f.message}`).join('\n') };
}

/** doctor --fix, then doctor again: nothing left to fix. */
function repairAndRecheck(cwd, env) {
  const fix = coord(cwd, ['doctor', '--fix'], { env });
  assertNoTrace(fix);
  assert.equal(fix.code, 0, `doctor --fix left something:\n${fix.stdout}${fix.stderr}`);
  const again = coord(cwd, ['doctor'], { env });
  assert.equal(again.code, 0, `second doctor:\n${again.stdout}${again.stderr}`);
  assert.doesNotMatch(again.stdout, /^(warn|error)/m);
}

/** A TCP port nobody listens on (bound, read, released). */
function closedPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs the bundle with SIGKILL at `point`; asserts it really died there. */
function crashAt(cwd, env, args, point) {
  const r = coord(cwd, args, { env: { ...env, COORD_CRASH_AT: point } });
  assert.equal(
    r.signal,
    'SIGKILL',
    `coord ${args.join(' ')} should have been killed at ${point}; it exited ${r.code}:\n${r.stderr}${r.stdout}`,
  );
  return r;
}

/**
 * Files under docs/ai/sessions at a commit: path → text. Two git processes whatever the
 * number of files, and no output limit (a 1 MiB message is a normal case here).
 */
function sessionFiles(dir, env, rev) {
  const big = { cwd: dir, env, maxBuffer: 1 << 28 };
  const ls = spawnSync('git', ['ls-tree', '-r', '-z', rev, '--', 'docs/ai/sessions'], { ...big, encoding: 'utf8' });
  if (ls.status !== 0) throw new Error(`git ls-tree ${rev} failed: ${ls.stderr}`);
  const entries = ls.stdout
    .split('\0')
    .filter(Boolean)
    .map((e) => {
      const [meta, name] = e.split('\t');
      return { sha: meta.split(' ')[2], name };
    });
  const files = new Map();
  if (!entries.length) return files;
  const cat = spawnSync('git', ['cat-file', '--batch'], { ...big, input: entries.map((x) => x.sha).join('\n') + '\n' });
  if (cat.status !== 0) throw new Error(`git cat-file failed: ${cat.stderr}`);
  const buf = cat.stdout;
  let pos = 0;
  for (const { name } of entries) {
    const nl = buf.indexOf(10, pos);
    const size = Number(buf.subarray(pos, nl).toString('latin1').split(' ')[2]);
    files.set(name, buf.subarray(nl + 1, nl + 1 + size).toString('utf8'));
    pos = nl + 1 + size + 1;
  }
  return files;
}

/** Like coordOk, for output over the 1 MiB that spawnSync buffers by default (a 1 MiB body in --json). */
function coordBig(cwd, args, env) {
  const [file, ...argv] = coordArgv(args);
  const r = spawnSync(file, argv, { cwd, env, input: '', encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 1 << 28 });
  if (r.error || r.status !== 0) throw new Error(`coord ${args.join(' ')} failed (${r.error?.message ?? r.status}):\n${r.stderr}`);
  return r;
}

/** coordAsync with text on stdin. */
function coordAsyncInput(cwd, args, env, input) {
  const [file, ...argv] = coordArgv(args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** The files a commit changed. */
const changedFiles = (dir, env, rev) => gitOk(dir, ['show', '--name-only', '--format=', rev], { env }).split('\n').filter(Boolean).sort();

// ---- crashes: start ----------------------------------------------------------------------

const START_POINTS = ['after-fetch', 'after-commit', 'after-publish', 'after-worktree'];

for (const point of START_POINTS) {
  test(
    `start killed at ${point}: board, refs and worktrees agree, or doctor names the leftover and --fix repairs it; later starts work`,
    TIMEOUT,
    (t) => {
      const fx = fixture(t);
      const before = originMain(fx);
      crashAt(fx.repo, fx.env, ['start'], point);
      const published = originMain(fx) !== before;
      assert.equal(published, point === 'after-publish' || point === 'after-worktree', `origin/main moved: ${published}`);
      assert.equal(localState(fx.repo, fx.env).scratch, '', 'no ref left under refs/coord/');

      const state = disagreement(fx);
      const doc = doctorFindings(fx.repo, fx.env);
      if (state.leftovers.length === 0) {
        assert.equal(doc.code, 0, `board, refs and worktrees agree (${JSON.stringify(state)}), so doctor should be quiet:\n${doc.text}`);
      } else {
        assert.equal(doc.code, 1, `leftovers ${state.leftovers.join(', ')} (${JSON.stringify(state)}) but doctor exits 0`);
        for (const id of state.leftovers) assert.match(doc.text, new RegExp(`\\b${id}\\b`), `doctor names ${id}:\n${doc.text}`);
      }
      // Point by point, what is left.
      if (point === 'after-publish') assert.deepEqual(state, { board: ['sA'], branches: [], worktrees: [], leftovers: ['sA'] });
      if (point === 'after-worktree') assert.deepEqual(state, { board: ['sA'], branches: ['sA'], worktrees: ['sA'], leftovers: [] });
      if (point === 'after-fetch' || point === 'after-commit') assert.deepEqual(state.board, []);

      // A start before any repair works and never takes a leftover's id.
      const next = startJson(fx.repo, fx.env);
      assert.ok(!state.board.includes(next.id) && !state.branches.includes(next.id), `start took ${next.id} although it is left over`);
      assert.ok(fs.existsSync(next.worktree));

      repairAndRecheck(fx.repo, fx.env);
      const after = disagreement(fx);
      assert.deepEqual(after.leftovers, [], `after doctor --fix: ${JSON.stringify(after)}`);
      const last = startJson(fx.repo, fx.env);
      assert.ok(fs.existsSync(last.worktree));
      assert.deepEqual(disagreement(fx).leftovers, []);
      const ids = rowIds(boardOnOrigin(fx.repo, fx.env));
      assert.equal(new Set(ids).size, ids.length, `no id twice on the board: ${ids}`);
    },
  );
}

// ---- crashes: close and send -------------------------------------------------------------

for (const point of ['after-publish', 'after-worktree-remove']) {
  test(`close killed at ${point}: doctor names the leftover, --fix repairs it, a later start works`, TIMEOUT, (t) => {
    const fx = fixture(t);
    startJson(fx.repo, fx.env);
    startJson(fx.repo, fx.env); // sB stays: the repair must not touch it
    crashAt(wtOf(fx, 'sA'), fx.env, ['close'], point);
    const state = disagreement(fx);
    assert.deepEqual(state.board, ['sB'], 'the row of sA is off the board');
    assert.deepEqual(state.leftovers, ['sA']);
    assert.equal(fs.existsSync(wtOf(fx, 'sA')), point === 'after-publish');
    const doc = doctorFindings(fx.repo, fx.env);
    assert.equal(doc.code, 1);
    assert.match(doc.text, /\bsA\b/, `doctor names sA:\n${doc.text}`);
    assert.doesNotMatch(doc.text, /\bsB\b/);

    repairAndRecheck(fx.repo, fx.env);
    assert.deepEqual(disagreement(fx), { board: ['sB'], branches: ['sB'], worktrees: ['sB'], leftovers: [] });
    assert.ok(!fs.existsSync(wtOf(fx, 'sA')));
    const next = startJson(fx.repo, fx.env);
    assert.equal(next.id, 'sA', 'the freed id is the lowest free one again');
    assert.deepEqual(disagreement(fx).leftovers, []);
  });
}

test(
  'send killed between commit and publish: nothing on origin/main, no ref left under refs/coord/, re-sending works once',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    startJson(fx.repo, fx.env);
    const wt = wtOf(fx, 'sA');
    const before = originMain(fx);
    crashAt(wt, fx.env, ['send', 'sA', '-m', 'note that was interrupted'], 'after-commit');
    assert.equal(originMain(fx), before, 'origin/main did not move');
    assert.equal(localState(fx.repo, fx.env).scratch, '', 'no ref under refs/coord/');
    assert.ok(!sessionFiles(fx.repo, fx.env, 'origin/main').has(`${QUEUE}/to-sA.md`));
    const doc = doctorFindings(fx.repo, fx.env);
    assert.equal(doc.code, 0, doc.text);

    const sent = sendJson(wt, fx.env, ['sA', '-m', 'note that was interrupted']);
    const text = sessionFiles(fx.repo, fx.env, 'origin/main').get(`${QUEUE}/to-sA.md`);
    assert.equal(text.split('\n').filter((l) => l === 'note that was interrupted').length, 1, text);
    const inbox = JSON.parse(coordOk(wt, ['inbox', '--json'], { env: fx.env }).stdout);
    assert.deepEqual(
      inbox.messages.map((m) => m.id),
      [sent.id],
    );
    assert.equal(localState(fx.repo, fx.env).scratch, '');
  },
);

// ---- repository states -------------------------------------------------------------------

test('not a git repository: exit 1, one line saying so', TIMEOUT, (t) => {
  const dir = tempDir('nogit');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = makeEnv(dir);
  for (const verb of [['start'], ['status'], ['inbox', '--as', 'sA'], ['doctor']]) {
    assertOneLine(coord(dir, verb, { env }), 1, /not inside a git repository/i);
  }
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f !== 'gitconfig'),
    [],
    'nothing written',
  );
});

test('a repository with no commits yet: start and status exit 1 with one line saying to commit first', TIMEOUT, (t) => {
  const dir = tempDir('empty');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = makeEnv(dir);
  const repo = path.join(dir, 'proj');
  gitOk(dir, ['init', '--quiet', '-b', 'main', repo], { env });
  assertOneLine(coord(repo, ['start'], { env }), 1, /no commits yet.*commit/i);
  assertOneLine(coord(repo, ['status'], { env }), 1, /no commits yet/i);
  assert.equal(git(repo, ['rev-parse', '--verify', '--quiet', 'HEAD'], { env }).code, 1, 'still no commit');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['gitconfig', 'proj']);
});

test(
  'no origin: start works on the local main; main checked out (and dirty) in the main worktree follows and stays clean',
  TIMEOUT,
  (t) => {
    const fx = fixture(t, { origin: false });
    fs.appendFileSync(path.join(fx.repo, 'README.md'), 'my own edit\n');
    const a = startJson(fx.repo, fx.env);
    assert.equal(a.id, 'sA');
    assert.equal(gitOk(fx.repo, ['rev-parse', 'main'], { env: fx.env }).trim(), a.commit, 'local main holds the claim');
    assert.equal(
      gitOk(fx.repo, ['status', '--porcelain'], { env: fx.env }),
      ' M README.md\n',
      'only my own edit shows; the board is not shown reversed',
    );
    assert.deepEqual(rowIds(fs.readFileSync(path.join(fx.repo, BOARD), 'utf8')), ['sA']);
    const b = startJson(fx.repo, fx.env);
    assert.equal(b.id, 'sB');
    const st = JSON.parse(coordOk(fx.repo, ['status', '--json'], { env: fx.env }).stdout);
    assert.equal(st.board, 'main');
    assert.deepEqual(
      st.sessions.map((s) => s.id),
      ['sA', 'sB'],
    );
    assert.equal(gitOk(fx.repo, ['status', '--porcelain'], { env: fx.env }), ' M README.md\n');
    assert.equal(fs.readFileSync(path.join(fx.repo, 'README.md'), 'utf8'), '# po-platform\nmy own edit\n');
    coordOk(wtOf(fx, 'sB'), ['scope', 'local only'], { env: fx.env });
    assert.equal(gitOk(fx.repo, ['status', '--porcelain'], { env: fx.env }), ' M README.md\n');
  },
);

test(
  'origin unreachable: start exits 1 at the first failed fetch with one line, nothing changed; status and inbox work offline and say so',
  TIMEOUT,
  async (t) => {
    const fx = fixture(t);
    startJson(fx.repo, fx.env);
    const port = await closedPort();
    gitOk(fx.repo, ['remote', 'set-url', 'origin', `git://127.0.0.1:${port}/x.git`], { env: fx.env });
    const refs = gitOk(fx.repo, ['for-each-ref'], { env: fx.env });
    const trace = path.join(fx.root, 'trace.json');
    fs.writeFileSync(trace, ''); // before the listing below: git's trace is not a stray file
    const siblings = fs.readdirSync(fx.root).sort();
    const r = coord(fx.repo, ['start'], { env: { ...fx.env, GIT_TRACE2_EVENT: trace } });
    assertOneLine(r, 1, /origin/);
    assert.match(r.stderr, /reach|fetch/i);
    // It gave up at the first failed fetch: one attempt to reach origin, no push. Taking the
    // failure for a passing lock would fetch up to 8 times; taking it for a race, 40 rounds.
    const network = gitCommands(trace)
      .filter((c) => c.direct && ['fetch', 'push', 'ls-remote', 'pull'].includes(c.cmd))
      .map((c) => c.cmd);
    assert.deepEqual(network, ['fetch'], 'start tried origin more than once');
    assert.equal(gitOk(fx.repo, ['for-each-ref'], { env: fx.env }), refs, 'no ref changed');
    assert.deepEqual(fs.readdirSync(fx.root).sort(), siblings, 'no worktree made');
    assert.deepEqual(localState(fx.repo, fx.env), { branches: ['sA'], worktrees: ['sA'], scratch: '' });
    assert.deepEqual(
      fs.readdirSync(path.join(fx.repo, '.git', 'coord')).filter((n) => n.startsWith('claiming-')),
      [],
      'no note of a claim in progress',
    );

    const st = coord(fx.repo, ['status'], { env: fx.env });
    assert.equal(st.code, 0, st.stderr);
    assertNoTrace(st);
    assert.match(st.stderr, /offline/i);
    assert.match(st.stdout, /sA · Sintra/);
    const sj = JSON.parse(coordOk(fx.repo, ['status', '--json'], { env: fx.env }).stdout);
    assert.ok(sj.offline, 'status --json says offline');
    assert.deepEqual(
      sj.sessions.map((s) => s.id),
      ['sA'],
    );
    const ib = coord(wtOf(fx, 'sA'), ['inbox'], { env: fx.env });
    assert.equal(ib.code, 0, ib.stderr);
    assertNoTrace(ib);
    assert.match(ib.stderr, /offline/i);
    assert.ok(JSON.parse(coordOk(wtOf(fx, 'sA'), ['inbox', '--json'], { env: fx.env }).stdout).offline);
    assertOneLine(coord(wtOf(fx, 'sA'), ['send', 'sA', '-m', 'x'], { env: fx.env }), 1, /origin/);
    assert.equal(gitOk(fx.repo, ['for-each-ref'], { env: fx.env }), refs);
  },
);

test('detached HEAD in the main checkout: start works and leaves HEAD where it was', TIMEOUT, (t) => {
  const fx = fixture(t);
  gitOk(fx.repo, ['checkout', '--quiet', '--detach', 'HEAD~1'], { env: fx.env });
  const head = sha(fx.repo, fx.env, 'HEAD');
  const a = startJson(fx.repo, fx.env);
  assert.equal(a.id, 'sA');
  assert.equal(sha(fx.repo, fx.env, 'HEAD'), head);
  assert.equal(git(fx.repo, ['symbolic-ref', '-q', 'HEAD'], { env: fx.env }).code, 1, 'still detached');
  assert.deepEqual(disagreement(fx).leftovers, []);
});

/** Makes `git rebase` stop on a conflict in `dir` (README.md edited on both sides); hooks off. */
function stopRebaseOnConflict(dir, env) {
  const quiet = { env: { ...env, LEFTHOOK: '0' } };
  const branch = gitOk(dir, ['rev-parse', '--abbrev-ref', 'HEAD'], quiet).trim();
  const base = gitOk(dir, ['rev-parse', 'HEAD'], quiet).trim();
  gitOk(dir, ['checkout', '--quiet', '-b', `other-${path.basename(dir)}`, base], quiet);
  fs.writeFileSync(path.join(dir, 'README.md'), 'their line\n');
  gitOk(dir, ['commit', '--quiet', '--no-verify', '-am', '[x] theirs'], quiet);
  gitOk(dir, ['checkout', '--quiet', branch], quiet);
  fs.writeFileSync(path.join(dir, 'README.md'), 'my line\n');
  gitOk(dir, ['commit', '--quiet', '--no-verify', '-am', `${branch.startsWith('session-') ? `[${branch.slice(8)}] ` : ''}mine`], quiet);
  const r = git(dir, ['rebase', `other-${path.basename(dir)}`], quiet);
  assert.notEqual(r.code, 0, 'the rebase stops on the conflict');
  const gitDir = gitOk(dir, ['rev-parse', '--absolute-git-dir'], quiet).trim();
  assert.ok(fs.existsSync(path.join(gitDir, 'rebase-merge')), 'a rebase is in progress');
  return gitDir;
}

test('a rebase in progress in the main checkout: start works and leaves the rebase alone', TIMEOUT, (t) => {
  const fx = fixture(t);
  const gitDir = stopRebaseOnConflict(fx.repo, fx.env);
  const status = gitOk(fx.repo, ['status', '--porcelain'], { env: fx.env });
  const a = startJson(fx.repo, fx.env);
  assert.equal(a.id, 'sA');
  assert.ok(fs.existsSync(path.join(gitDir, 'rebase-merge')), 'still rebasing');
  assert.equal(gitOk(fx.repo, ['status', '--porcelain'], { env: fx.env }), status, 'the conflict is untouched');
  assert.deepEqual(changedFiles(fx.repo, fx.env, 'origin/main'), [BOARD]);
});

test('a rebase in progress in a session worktree: check-prefix and heartbeat do nothing', TIMEOUT, (t) => {
  const fx = fixture(t);
  startJson(fx.repo, fx.env);
  const wt = wtOf(fx, 'sA');
  const msg = path.join(fx.root, 'msg.txt');
  fs.writeFileSync(msg, 'a subject without any prefix\n');
  const r0 = coord(wt, ['check-prefix', msg], { env: fx.env });
  assert.equal(r0.code, 1, 'outside a rebase the subject is refused');
  assert.match(r0.stderr, /prefix/);
  stopRebaseOnConflict(wt, fx.env);
  // Mid-rebase, an old presence stamp in the working tree: the heartbeat must not move it.
  const boardFile = path.join(wt, BOARD);
  const text = fs.readFileSync(boardFile, 'utf8').replace(new RegExp(`(\\| sA · [^\\n]*?\\| )(${STAMP})( ·)`), `$1${OLD}$3`);
  assert.match(text, new RegExp(`\\| ${OLD} ·`));
  fs.writeFileSync(boardFile, text);
  const r1 = coord(wt, ['check-prefix', msg], { env: fx.env });
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r1.stdout + r1.stderr, '');
  const r2 = coord(wt, ['heartbeat'], { env: fx.env });
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(r2.stdout + r2.stderr, '');
  assert.equal(fs.readFileSync(boardFile, 'utf8'), text, 'the board in the worktree is untouched');
  // Once the rebase is gone, the same heartbeat does move it (so the check above means something).
  gitOk(wt, ['rebase', '--abort'], { env: fx.env });
  fs.writeFileSync(boardFile, text);
  const before = fs.readFileSync(boardFile, 'utf8');
  coordOk(wt, ['heartbeat'], { env: fx.env });
  assert.notEqual(fs.readFileSync(boardFile, 'utf8'), before, 'outside a rebase the heartbeat moves the stamp');
});

test("the user's own staged and unstaged changes are never swept into a coordination commit", TIMEOUT, (t) => {
  const fx = fixture(t);
  const e = { env: fx.env };
  // In the main checkout: a staged new file, an unstaged edit, and an edit of the board itself.
  fs.writeFileSync(path.join(fx.repo, 'staged.txt'), 'staged\n');
  gitOk(fx.repo, ['add', 'staged.txt'], e);
  fs.appendFileSync(path.join(fx.repo, 'README.md'), 'unstaged\n');
  fs.appendFileSync(path.join(fx.repo, BOARD), '\nmy own note on the board (main checkout)\n');
  const mainStatus = gitOk(fx.repo, ['status', '--porcelain'], e);
  const a = startJson(fx.repo, fx.env);
  assert.deepEqual(changedFiles(fx.repo, fx.env, a.commit), [BOARD]);
  assert.equal(gitOk(fx.repo, ['status', '--porcelain'], e), mainStatus, 'my changes are all still there, as they were');
  assert.equal(gitOk(fx.repo, ['diff', '--cached', '--name-only'], e), 'staged.txt\n');

  // In the session worktree: the same kinds of changes, then scope, send, ack, riff.
  const wt = wtOf(fx, 'sA');
  fs.writeFileSync(path.join(wt, 'work.txt'), 'staged work\n');
  gitOk(wt, ['add', 'work.txt'], e);
  fs.appendFileSync(path.join(wt, 'README.md'), 'unstaged work\n');
  fs.appendFileSync(path.join(wt, BOARD), '\nmy own note on the board (worktree)\n');
  const wtStatus = gitOk(wt, ['status', '--porcelain'], e);
  coordOk(wt, ['scope', 'dirty work'], e);
  assert.deepEqual(changedFiles(wt, fx.env, 'origin/main'), [BOARD]);
  const sent = sendJson(wt, fx.env, ['sA', '-m', 'note to self']);
  assert.deepEqual(changedFiles(wt, fx.env, 'origin/main'), [`${QUEUE}/to-sA.md`]);
  coordOk(wt, ['ack', sent.id], e);
  assert.deepEqual(changedFiles(wt, fx.env, 'origin/main'), [`${QUEUE}/to-sA.md`]);
  assert.equal(gitOk(wt, ['status', '--porcelain'], e), wtStatus, 'the worktree is as I left it');
  const board = boardOnOrigin(fx.repo, fx.env);
  assert.doesNotMatch(board, /my own note/);
  const tree = gitOk(fx.repo, ['ls-tree', '-r', '--name-only', 'origin/main'], e);
  assert.doesNotMatch(tree, /staged\.txt|work\.txt/);
});

test('a shallow clone (git clone --depth 1): start, send and status work', TIMEOUT, (t) => {
  const fx = fixture(t);
  startJson(fx.repo, fx.env);
  const shallow = path.join(fx.root, 'shallow');
  gitOk(fx.root, ['clone', '--quiet', '--depth', '1', `file://${fx.origin}`, shallow], { env: fx.env });
  assert.equal(gitOk(shallow, ['rev-parse', '--is-shallow-repository'], { env: fx.env }).trim(), 'true');
  const b = startJson(shallow, fx.env);
  assert.equal(b.id, 'sB');
  sendJson(b.worktree, fx.env, ['sA', '-m', 'from a shallow clone']);
  const st = JSON.parse(coordOk(shallow, ['status', '--json'], { env: fx.env }).stdout);
  assert.deepEqual(
    st.sessions.map((s) => s.id),
    ['sA', 'sB'],
  );
  assert.deepEqual(rowIds(boardOnOrigin(fx.repo, fx.env)), ['sA', 'sB']);
});

test("a repo whose blackboard branch is 'trunk' (.coord.json committed, origin HEAD trunk): everything happens on trunk", TIMEOUT, (t) => {
  const root = tempDir('trunk');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const env = makeEnv(root);
  const origin = path.join(root, 'origin.git');
  const repo = path.join(root, 'proj');
  gitOk(root, ['init', '--quiet', '--bare', '-b', 'trunk', origin], { env });
  gitOk(root, ['clone', '--quiet', origin, repo], { env });
  fs.writeFileSync(path.join(repo, 'README.md'), '# proj\n');
  fs.writeFileSync(path.join(repo, '.coord.json'), '{"branch":"trunk"}\n');
  gitOk(repo, ['add', '-A'], { env });
  gitOk(repo, ['commit', '--quiet', '-m', 'initial commit'], { env });
  coordOk(repo, runtime === 'deno' ? ['init', '--deno'] : ['init'], { env });
  gitOk(repo, ['add', '-A'], { env });
  gitOk(repo, ['commit', '--quiet', '-m', 'chore: onboard coord'], { env });
  gitOk(repo, ['push', '--quiet', 'origin', 'HEAD:trunk'], { env });
  assert.equal(spawnSync(lefthookBin, ['install'], { cwd: repo, env }).status, 0);

  const a = startJson(repo, env);
  assert.equal(a.id, 'sA');
  const heads = gitOk(repo, ['ls-remote', '--heads', 'origin'], { env });
  assert.match(heads, /refs\/heads\/trunk$/m);
  assert.doesNotMatch(heads, /refs\/heads\/main/, 'nothing pushed to main');
  const board = gitOk(repo, ['show', `origin/trunk:${BOARD}`], { env });
  assert.match(rowsOf(board)[0], /direct-to-trunk/);
  const sent = sendJson(a.worktree, env, ['sA', '-m', 'on trunk']);
  coordOk(a.worktree, ['ack', sent.id], { env });
  const st = JSON.parse(coordOk(repo, ['status', '--json'], { env }).stdout);
  assert.equal(st.board, 'origin/trunk');
  const doc = doctorFindings(repo, env);
  assert.equal(doc.code, 0, doc.text);
  coordOk(repo, ['close', '--as', 'sA'], { env });
  assert.deepEqual(rowsOf(gitOk(repo, ['show', `origin/trunk:${BOARD}`], { env: { ...env } })), []);
  assert.doesNotMatch(gitOk(repo, ['ls-remote', '--heads', 'origin'], { env }), /refs\/heads\/main/);
});

test('a worktree directory ../<repo>-sA that already exists: start skips to sB and leaves the directory alone', TIMEOUT, (t) => {
  const fx = fixture(t);
  fs.mkdirSync(wtOf(fx, 'sA'));
  fs.writeFileSync(path.join(wtOf(fx, 'sA'), 'keep.txt'), 'mine\n');
  const b = startJson(fx.repo, fx.env);
  assert.equal(b.id, 'sB');
  assert.deepEqual(fs.readdirSync(wtOf(fx, 'sA')), ['keep.txt']);
  assert.deepEqual(rowIds(boardOnOrigin(fx.repo, fx.env)), ['sB']);
  const doc = doctorFindings(fx.repo, fx.env);
  assert.match(doc.text, /po-platform-sA/, 'doctor reports the stray directory');
});

test('a branch session-sA that already exists: start skips to sB and leaves the branch alone', TIMEOUT, (t) => {
  const fx = fixture(t);
  gitOk(fx.repo, ['branch', 'session-sA', 'HEAD~1'], { env: fx.env });
  const before = sha(fx.repo, fx.env, 'refs/heads/session-sA');
  const b = startJson(fx.repo, fx.env);
  assert.equal(b.id, 'sB');
  assert.equal(sha(fx.repo, fx.env, 'refs/heads/session-sA'), before);
  assert.ok(!fs.existsSync(wtOf(fx, 'sA')));
  assert.deepEqual(rowIds(boardOnOrigin(fx.repo, fx.env)), ['sB']);
});

test("a path with spaces and non-ASCII ('my repö'): start, status, send, close work", TIMEOUT, (t) => {
  const fx = fixture(t, { name: 'my repö' });
  assert.match(fx.repo, /my repö$/);
  const a = startJson(fx.repo, fx.env);
  assert.equal(a.worktree, `${fx.repo}-sA`);
  assert.ok(fs.existsSync(path.join(a.worktree, BOARD)));
  const st = JSON.parse(coordOk(fx.repo, ['status', '--json'], { env: fx.env }).stdout);
  assert.deepEqual(
    st.sessions.map((s) => s.id),
    ['sA'],
  );
  const sent = sendJson(a.worktree, fx.env, ['sA', '-m', 'hej på dig']);
  const inbox = JSON.parse(coordOk(a.worktree, ['inbox', '--json'], { env: fx.env }).stdout);
  assert.equal(inbox.messages.find((m) => m.id === sent.id)?.body, 'hej på dig');
  coordOk(fx.repo, ['close', '--as', 'sA'], { env: fx.env });
  assert.ok(!fs.existsSync(a.worktree));
});

test(
  "a path with spaces: lefthook's commit-msg hook checks the prefix in the session worktree",
  {
    ...TIMEOUT,
  },
  (t) => {
    const fx = fixture(t, { name: 'my repö' });
    const a = startJson(fx.repo, fx.env);
    fs.writeFileSync(path.join(a.worktree, 'x.txt'), 'x\n');
    gitOk(a.worktree, ['add', 'x.txt'], { env: fx.env });
    const bad = git(a.worktree, ['commit', '-m', 'no prefix'], { env: fx.env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /prefix/);
    assert.doesNotMatch(bad.stderr, /unexpected argument/);
    const good = git(a.worktree, ['commit', '-m', '[sA] feat: x'], { env: fx.env });
    assert.equal(good.code, 0, good.stderr);
  },
);

test('git missing from PATH: exit 1, one line saying to install git', TIMEOUT, (t) => {
  const fx = fixture(t);
  const bin = path.join(fx.root, 'bin-without-git');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  const env = { ...fx.env, PATH: bin };
  assert.notEqual(spawnSync('git', ['--version'], { env }).status, 0, 'git is really not on that PATH');
  for (const args of [['status'], ['start'], ['doctor']]) assertOneLine(coord(fx.repo, args, { env }), 1, /git was not found/i);
  assert.deepEqual(rowIds(boardOnOrigin(fx.repo, fx.env)), []);
});

test('Deno without permissions: exit 1, one line naming the flags', TIMEOUT, (t) => {
  const fx = fixture(t);
  const r = spawnSync(denoBin, ['run', bundle, 'status'], {
    cwd: fx.repo,
    env: { ...fx.env, NO_COLOR: '1' },
    encoding: 'utf8',
    input: '',
    timeout: 60_000,
  });
  const line = assertOneLine({ code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }, 1, /-A|--allow-/);
  for (const flag of ['--allow-read', '--allow-write', '--allow-run', '--allow-env'])
    assert.ok(line.includes(flag), `names ${flag}: ${line}`);
});

test("server policy: a pre-receive hook that declines stops start at once with the server's reason; the hook ran once", TIMEOUT, (t) => {
  const fx = fixture(t);
  const runs = path.join(fx.root, 'hook-runs');
  fs.writeFileSync(
    path.join(fx.origin, 'hooks', 'pre-receive'),
    `#!/bin/sh\necho run >> '${runs}'\necho "main is protected here: open a pull request" >&2\nexit 1\n`,
    { mode: 0o755 },
  );
  const before = originMain(fx);
  const trace = path.join(fx.root, 'trace.json');
  const r = coord(fx.repo, ['start'], { env: { ...fx.env, GIT_TRACE2_EVENT: trace } });
  const line = assertOneLine(r, 1, /main is protected here: open a pull request/);
  assert.match(line, /main/);
  assert.equal(fs.readFileSync(runs, 'utf8'), 'run\n', 'the hook ran exactly once: no retry loop');
  // What reached origin: one fetch, the one push it declined, and nothing after: no re-read for another round.
  assert.deepEqual(
    remoteContacts(trace),
    ['upload-pack', 'receive-pack'],
    'origin served more than one fetch and one push, or something after the declined push',
  );
  assert.equal(originMain(fx), before);
  assert.deepEqual(localState(fx.repo, fx.env), { branches: [], worktrees: [], scratch: '' });
  assert.ok(!fs.existsSync(wtOf(fx, 'sA')));
});

test(
  'a start the server refuses leaves no note of an unfinished claim behind',
  {
    ...TIMEOUT,
  },
  (t) => {
    const fx = fixture(t);
    fs.writeFileSync(path.join(fx.origin, 'hooks', 'pre-receive'), '#!/bin/sh\necho "not today" >&2\nexit 1\n', { mode: 0o755 });
    assertOneLine(coord(fx.repo, ['start'], { env: fx.env }), 1, /not today/);
    const marks = path.join(fx.repo, '.git', 'coord');
    assert.deepEqual(
      fs.existsSync(marks) ? fs.readdirSync(marks).filter((n) => n.startsWith('claiming-')) : [],
      [],
      'no note of an unfinished claim in .git/coord',
    );
    const doc = coord(fx.repo, ['doctor'], { env: fx.env });
    assert.doesNotMatch(doc.stdout, /interrupted start/);
  },
);

// ---- bad input: the board ----------------------------------------------------------------

test(
  'a hand-broken board: status names file and line, lists the readable rows; start and scope keep every line they did not understand',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    startJson(fx.repo, fx.env);
    startJson(fx.repo, fx.env);
    gitOk(fx.repo, ['pull', '--quiet', '--ff-only'], { env: fx.env });
    const file = path.join(fx.repo, BOARD);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.at(-1), '');
    const broken = [
      '| sC · Porto | (Riff TBD) | too few cells |',
      `| sA · Twin | (Riff TBD) | lane | ${OLD} | ${OLD} · | a duplicated id |`,
      'some text between rows',
      `| sD · Faro | (Riff TBD) | lane | ${OLD} | ${OLD} · | a stray | pipe |`,
    ];
    const firstBroken = lines.length; // 1-based line number of broken[0]
    fs.writeFileSync(file, [...lines.slice(0, -1), ...broken, ''].join('\n'));
    gitOk(fx.repo, ['commit', '--quiet', '--no-verify', '-am', 'hand edit'], { env: fx.env });
    gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });
    const old = boardOnOrigin(fx.repo, fx.env);

    const st = coord(fx.repo, ['status'], { env: fx.env });
    assert.equal(st.code, 0, st.stderr);
    assertNoTrace(st);
    for (let i = 0; i < broken.length; i++)
      assert.match(st.stderr, new RegExp(`^coord: ${BOARD}:${firstBroken + i}: `, 'm'), `line ${firstBroken + i} named:\n${st.stderr}`);
    assert.match(st.stdout, /sA · Sintra/);
    assert.match(st.stdout, /sB · Douro/);
    const sj = JSON.parse(coordOk(fx.repo, ['status', '--json'], { env: fx.env }).stdout);
    assert.deepEqual(
      sj.sessions.map((s) => `${s.id} · ${s.name}`),
      ['sA · Sintra', 'sB · Douro'],
    );
    assert.deepEqual(
      sj.problems.map((p) => p.line),
      [firstBroken, firstBroken + 1, firstBroken + 2, firstBroken + 3],
    );
    assert.ok(sj.problems.every((p) => p.file === BOARD));

    // start: a new row, every other byte as it was; ids on broken rows are never handed out.
    const e = startJson(fx.repo, fx.env);
    assert.ok(!['sA', 'sB', 'sC', 'sD'].includes(e.id), `start took ${e.id}, an id already on the board`);
    const after = boardOnOrigin(fx.repo, fx.env);
    const added = after.split('\n').filter((l) => !old.split('\n').includes(l));
    assert.equal(added.length, 1, `one new line:\n${after}`);
    assert.equal(after.replace(added[0] + '\n', ''), old, 'every other byte unchanged');
    for (const b of broken) assert.ok(after.split('\n').includes(b), `kept: ${b}`);

    // scope of sA (which has a twin row): only the first row changes.
    coordOk(wtOf(fx, 'sA'), ['scope', 'new scope of sA'], { env: fx.env });
    const scoped = boardOnOrigin(fx.repo, fx.env);
    const diff = scoped
      .split('\n')
      .map((l, i) => [l, after.split('\n')[i]])
      .filter(([x, y]) => x !== y);
    assert.equal(diff.length, 1, `one line changed:\n${scoped}`);
    assert.match(diff[0][0], /^\| sA · Sintra .*new scope of sA \|$/);
    for (const b of broken) assert.ok(scoped.split('\n').includes(b), `kept: ${b}`);
  },
);

// ---- bad input: bodies and ids -----------------------------------------------------------

test(
  'bodies: newlines, pipes, backticks, header- and status-like lines, →, a 100 KB line and 1 MiB round-trip; NUL and over 1 MiB are refused',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    startJson(fx.repo, fx.env);
    startJson(fx.repo, fx.env);
    const wt = wtOf(fx, 'sA');
    const bodies = [
      'line one\nline two\n\nafter a blank line',
      'a | pipe and a || double | pipe\n| looks | like | a | row |',
      'backticks `code` and\n```\nfenced block\n```',
      '## not a header\n##\n## 2026-05-31T11:45Z · from:sB · to:sA · type:question · ref:— · status:sent',
      '→ status:seen 2026-05-31T11:45Z · acked <ts> · resolved <ts>\n-> status: acked\n→ arrows → everywhere',
      '\\## already escaped\n\\\\## twice\n\\→ status:seen',
      '   leading spaces\ttabs\t and trailing spaces   \n\u00a0nbsp, ö, 🙂, \u202eRTL\u202c, zero\u200bwidth',
      'x'.repeat(100 * 1024),
      ('y'.repeat(1023) + '\n').repeat(1024).slice(0, -1) + 'y', // exactly 1 MiB
    ];
    const before = sessionFiles(fx.repo, fx.env, 'origin/main');
    const ids = [];
    let prev = null;
    for (const body of bodies) {
      const r = coord(wt, ['send', 'sB', '--type', 'question', '--file', '-', '--json'], { env: fx.env, input: body });
      assert.equal(r.code, 0, `send of ${JSON.stringify(body.slice(0, 60))} failed:\n${r.stderr}`);
      ids.push(JSON.parse(r.stdout).id);
      const files = sessionFiles(fx.repo, fx.env, 'origin/main');
      for (const [name, text] of before) if (name !== `${QUEUE}/to-sB.md`) assert.equal(files.get(name), text, `${name} untouched`);
      const now = files.get(`${QUEUE}/to-sB.md`);
      if (prev !== null) assert.ok(now.startsWith(prev), 'earlier blocks keep their bytes');
      prev = now;
    }
    assert.equal(new Set(ids).size, bodies.length);
    const inbox = JSON.parse(coordBig(wtOf(fx, 'sB'), ['inbox', '--json', '--all'], fx.env).stdout);
    for (const [i, id] of ids.entries()) {
      const m = inbox.messages.find((x) => x.id === id);
      assert.ok(m, `message ${id} in the inbox`);
      assert.equal(m.body, bodies[i], `body ${i} round-trips`);
      assert.equal(m.from, 'sA');
    }
    assert.equal(inbox.messages.length, bodies.length, 'no header-like body line became a message of its own');
    assert.deepEqual(inbox.problems, []);

    const head = originMain(fx);
    const nul = coord(wt, ['send', 'sB', '--file', '-'], { env: fx.env, input: 'before\0after' });
    assertOneLine(nul, 2, /NUL/);
    const big = coord(wt, ['send', 'sB', '--file', '-'], { env: fx.env, input: 'z'.repeat(1024 * 1024 + 1) });
    assertOneLine(big, 2, /1 MiB/);
    assert.equal(originMain(fx), head, 'nothing published by a refused send');
  },
);

test('ids: path-like and option-like ids are refused with exit 2 and nothing is written', TIMEOUT, (t) => {
  const fx = fixture(t);
  startJson(fx.repo, fx.env);
  const wt = wtOf(fx, 'sA');
  const head = originMain(fx);
  const rootList = fs.readdirSync(fx.root).sort();
  const cases = [
    [fx.repo, ['start', '--as', '../../etc']],
    [fx.repo, ['status', '--as', '../../etc']],
    [wt, ['send', ';rm -rf', '-m', 'x']],
    [wt, ['send', '-m', 'x', '--', '--upload-pack=x']],
    [wt, ['send', '--', '--upload-pack=x'], 'body from stdin'],
    [wt, ['send', 'sA', '--as', '../x', '-m', 'x']],
    [wt, ['send', 'sA', '--ref', '--upload-pack=x', '-m', 'x']],
    [wt, ['send', 'sA', '--type', '../../x', '-m', 'x']],
    [wt, ['inbox', '--from', '../../etc']],
    [wt, ['ack', '../../etc']],
    [wt, ['reply', '--upload-pack=x', '-m', 'x']],
    [wt, ['handoff', '../sB', '-m', 'x']],
    [fx.repo, ['close', '--as', 'sA/../../x']],
  ];
  for (const [cwd, args, input] of cases) {
    const r = coord(cwd, args, { env: fx.env, input });
    assertOneLine(r, 2);
  }
  assert.equal(originMain(fx), head, 'nothing published');
  assert.deepEqual(fs.readdirSync(fx.root).sort(), rootList, 'no file written next to the repo');
  assert.ok(!fs.existsSync(path.join(fx.root, 'etc')) && !fs.existsSync(path.join(fx.repo, 'etc')));
  assert.equal(gitOk(wt, ['status', '--porcelain'], { env: fx.env }), '');
});

// ---- bad input: a seeded fuzz loop -------------------------------------------------------

const SNIPPETS = [
  '|',
  '\\|',
  '·',
  ' · ',
  '→',
  '->',
  '## ',
  '##',
  '`',
  '```',
  '\r',
  '\t',
  ' ',
  'ö',
  '🙂',
  '\u200b',
  '\u202e',
  '\uFEFF',
  '\u00a0',
  '\u2028',
  'sA',
  'sB',
  'sZZ',
  'sABCD',
  'status:',
  'seen ',
  'acked ',
  '<ts>',
  '2026-05-31T11:45Z',
  'from:',
  'to:sA',
  '—',
  '\\',
  '\\## ',
  'type:',
  'ref:',
  '\u0301',
  '\x01',
  '\x7f',
  'ſ',
  'İ',
];

function fuzzer(seed) {
  const rnd = mulberry32(seed);
  const int = (n) => Math.floor(rnd() * n);
  const pick = (xs) => xs[int(xs.length)];
  const ids = ['sA', 'sB', 'sC', 'sD', 'sZ', 'sAB'];
  const stamp = () => pick(['2026-05-31T11:45Z', '2026-13-45T99:99Z', '2026-05-31T11:45:30Z', '2026-05-31', '<ts>', '']);
  const randomChars = () =>
    Array.from({ length: 1 + int(6) }, () => {
      const r = rnd();
      if (r < 0.5) return String.fromCharCode(0x20 + int(95));
      if (r < 0.8) return String.fromCodePoint(0xa0 + int(0x2f00));
      if (r < 0.9) return String.fromCodePoint(0x1f300 + int(0x300));
      return String.fromCharCode(1 + int(31));
    }).join('');
  const structural = () =>
    pick([
      () =>
        `## ${stamp()} · from:${pick(ids)} · to:${pick(ids)} · type:${pick(['info', 'question', 'x y', ''])} · ref:${pick(['—', '-', 'R-1', '', '·'])} · status:sent`,
      () => `## ${stamp()} · from:${pick(ids)} · from:${pick(ids)} · to:${pick(ids)}`,
      () => `## ${stamp()} · to:${pick(ids)}`,
      () => `→ status:seen ${stamp()} · acked ${stamp()} · resolved ${stamp()}`,
      () => `-> status: ${pick(['acked', 'bogus', 'seen: 2026-05-31T11:45Z'])}`,
      () => `| ${pick(ids)} · ${pick(['Porto', '', 'ö|x'])} | (Riff TBD) | lane | ${stamp()} | ${stamp()} · | scope |`,
      () => `| ${pick(ids)} | a |`,
      () => '|---|---|---|---|---|---|',
      () => '## Notes',
      () => '',
      () => randomChars(),
    ])();
  const mutate = (text) => {
    let lines = text.split('\n');
    let crlf = false;
    const n = 1 + int(4);
    for (let k = 0; k < n; k++) {
      const i = int(lines.length);
      const line = lines[i] ?? '';
      switch (int(11)) {
        case 0: {
          const at = [...line].map((c, j) => (c === '|' ? j : -1)).filter((j) => j >= 0);
          if (at.length) {
            const j = pick(at);
            lines[i] = line.slice(0, j) + line.slice(j + 1);
          }
          break;
        }
        case 1: {
          const j = int(line.length + 1);
          lines[i] = line.slice(0, j) + '|' + line.slice(j);
          break;
        }
        case 2:
          lines.splice(int(lines.length + 1), 0, line);
          break;
        case 3:
          lines.splice(i, 1);
          break;
        case 4: {
          const j = int(line.length + 1);
          lines[i] = line.slice(0, j) + (rnd() < 0.6 ? pick(SNIPPETS) : randomChars()) + line.slice(j);
          break;
        }
        case 5:
          lines[i] = line.slice(0, int(line.length + 1));
          break;
        case 6:
          lines.splice(int(lines.length + 1), 0, structural());
          break;
        case 7: {
          const j = int(lines.length);
          [lines[i], lines[j]] = [lines[j], lines[i]];
          break;
        }
        case 8:
          crlf = true;
          break;
        case 9:
          lines[i] = line + '\r';
          break;
        case 10:
          lines.splice(int(lines.length + 1), 0, ...Array(1 + int(3)).fill(''));
          break;
      }
    }
    let out = lines.join(crlf ? '\r\n' : '\n');
    if (rnd() < 0.05) out = out.slice(0, int(out.length + 1));
    return out;
  };
  const body = () => {
    const parts = Array.from({ length: 1 + int(5) }, () =>
      rnd() < 0.4 ? structural() : rnd() < 0.5 ? pick(SNIPPETS) + randomChars() : randomChars(),
    );
    return 'fuzz ' + parts.join(pick(['\n', '\r\n', ' ', '\n\n']));
  };
  return { rnd, int, pick, mutate, structural, body };
}

/**
 * Writes `files` (path → text, null deletes) as a new commit straight onto the bare origin's
 * main with git fast-import (one process, no clone involved). Returns the commit.
 */
function commitToOrigin(origin, env, files, message) {
  const enc = new TextEncoder();
  const parts = [];
  const add = (s) => parts.push(typeof s === 'string' ? enc.encode(s) : s);
  const data = (s) => {
    const b = enc.encode(s);
    add(`data ${b.length}\n`);
    add(b);
    add('\n');
  };
  add(`commit refs/heads/main\nmark :1\ncommitter Fuzz <fuzz@example.invalid> ${Math.floor(Date.now() / 1000)} +0000\n`);
  data(message);
  add('from refs/heads/main^0\n');
  for (const [p, text] of files) {
    if (text === null) add(`D ${p}\n`);
    else {
      add(`M 100644 inline ${p}\n`);
      data(text);
    }
  }
  add('\nget-mark :1\n');
  const out = gitOk(origin, ['fast-import', '--quiet'], { env, input: Buffer.concat(parts) });
  return /^[0-9a-f]{40}$/m.exec(out)[0];
}

/** The prefix of a queue file that appending a block keeps: everything up to the last non-blank line. */
function keptPrefix(text) {
  const lines = text.split('\n');
  let last = lines.length;
  while (last > 0 && /^\s*$/.test(lines[last - 1])) last--;
  if (last === 0) return '';
  const kept = lines.slice(0, last).join('\n');
  return last < lines.length ? kept + '\n' : kept;
}

/** Board lines that read as a row (same rule as the board's: first cell `sX`, `·`, space or end). */
function rowCandidates(text) {
  const out = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t.startsWith('|')) return;
    const first = t.slice(1).split(/(?<!\\)\|/)[0];
    const m = /^\s*(s[A-Z]+)(?:\s|·|$)/.exec(first);
    if (m && /^s[A-Z]{1,3}$/.test(m[1])) out.push({ line: i + 1, id: m[1] });
  });
  return out;
}

/** Lines of queue files that are unmistakably a header of a message to `to`. */
function headerCandidates(files, to) {
  const strict = new RegExp(`^## ${STAMP} · from:s[A-Z]{1,3} · to:${to} · type:\\w+ · ref:[^\\s·]+ · status:sent\\r*$`);
  const out = [];
  for (const [file, text] of files) {
    if (!file.startsWith(`${QUEUE}/to-`) || !file.endsWith('.md')) continue;
    text.split('\n').forEach((line, i) => {
      if (strict.test(line)) out.push({ file, line: i + 1 });
    });
  }
  return out;
}

const FUZZ_SEED = Number(process.env.COORD_FUZZ_SEED ?? 20260531);
const FUZZ_ITERATIONS = Number(process.env.COORD_FUZZ_ITERATIONS ?? 60);

test(
  `fuzz: ${FUZZ_ITERATIONS} hostile boards and inboxes (seed ${FUZZ_SEED}): status, inbox, send, ack never crash, name their errors, lose nothing`,
  { timeout: 240_000 },
  async (t) => {
    const fx = fixture(t);
    const e = fx.env;
    for (const id of ['sA', 'sB', 'sC']) assert.equal(startJson(fx.repo, e).id, id);
    const q1 = sendJson(fx.repo, e, ['sB', '--as', 'sA', '--type', 'question', '-m', 'Is R-1 yours?\n## not a header\n| a | row |']);
    sendJson(fx.repo, e, ['sA', '--as', 'sB', '--type', 'answer', '--ref', q1.id, '-m', 'Yes → take it.\n→ status:seen fake']);
    sendJson(fx.repo, e, ['sA', '--as', 'sC', '-m', 'fyi `code`']);
    sendJson(fx.repo, e, ['sB', '--as', 'sB', '-m', 'note to self']);
    coordOk(fx.repo, ['ack', q1.id, '--as', 'sB'], { env: e });
    const valid = sessionFiles(fx.origin, e, 'main');
    const bases = [...valid].filter(([p]) => p === BOARD || p.startsWith(`${QUEUE}/to-`));
    assert.equal(bases.length, 3, [...valid.keys()].join(' '));

    const fz = fuzzer(FUZZ_SEED);
    const failures = [];
    const counts = { status: {}, inbox: {}, send: {}, ack: {} };
    const problemsSeen = { board: 0, inbox: 0 };
    const tally = (verb, r) => {
      counts[verb][r.code] = (counts[verb][r.code] ?? 0) + 1;
    };
    const t0 = Date.now();
    for (let it = 0; it < FUZZ_ITERATIONS && failures.length < 5; it++) {
      const files = new Map();
      for (const [p, text] of bases) files.set(p, fz.rnd() < 0.15 ? text : fz.mutate(text));
      if (fz.rnd() < 0.3)
        files.set(
          `${QUEUE}/to-sC.md`,
          Array.from({ length: 1 + fz.int(8) }, () => (fz.rnd() < 0.6 ? fz.structural() : fz.body())).join('\n') + '\n',
        );
      else files.set(`${QUEUE}/to-sC.md`, null);
      const commit = commitToOrigin(fx.origin, e, files, `fuzz ${it}`);
      const snapshot = new Map([...valid].filter(([p]) => !files.has(p)));
      for (const [p, text] of files) if (text !== null) snapshot.set(p, text);
      const fail = (what, detail) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `coord-fuzz-failure-${FUZZ_SEED}-${it}-`));
        for (const [p, text] of snapshot) {
          fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
          fs.writeFileSync(path.join(dir, p), text);
        }
        failures.push(`iteration ${it}: ${what}\n${detail}\n(files kept in ${dir})`);
      };
      /** 0, or 1 with one `coord:` line; anything else is a failure. */
      const sane = (verb, r) => {
        tally(verb, r);
        const lines = nonEmptyLines(r.stderr);
        if (/internal error/i.test(r.stdout + r.stderr) || /^ {4}at /m.test(r.stderr)) return (fail(`${verb} crashed`, r.stderr), false);
        if (r.code === 0) return true;
        if (r.code !== 1 || lines.length !== 1 || !lines[0].startsWith('coord: '))
          return (fail(`${verb} exited ${r.code} (signal ${r.signal})`, r.stderr + r.stdout), false);
        return false;
      };

      // status --json and send run at the same moment (send never changes the board).
      const from = fz.pick(['sA', 'sB', 'sC']);
      const to = fz.pick(['sA', 'sB', 'sC']);
      const body = fz.body();
      const [st, sent] = await Promise.all([
        coordAsync(fx.repo, ['status', '--json'], { env: e }),
        coordAsyncInput(fx.repo, ['send', to, '--as', from, '--file', '-', '--json'], e, body),
      ]);

      // status --json: every line that reads as a row is a session or a named problem.
      if (sane('status', st)) {
        const j = JSON.parse(st.stdout);
        problemsSeen.board += j.problems.length;
        const board = snapshot.get(BOARD) ?? '';
        for (const c of rowCandidates(board)) {
          if (!j.sessions.some((s) => s.id === c.id) && !j.problems.some((p) => p.line === c.line))
            fail('status lost a row silently', `line ${c.line} (${c.id}) is neither a session nor a problem`);
        }
        for (const s of j.sessions) if (!rowCandidates(board).some((c) => c.id === s.id)) fail('status made up a session', s.id);
      }

      // send: only the recipient's file changes, and only by a block appended after its old bytes.
      let sentId = null;
      let current = snapshot;
      if (sane('send', sent)) {
        const j = JSON.parse(sent.stdout);
        sentId = j.id;
        const now = sessionFiles(fx.repo, e, j.commit);
        current = now;
        const target = `${QUEUE}/to-${to}.md`;
        for (const [p, text] of snapshot) if (p !== target && now.get(p) !== text) fail('send changed another file', p);
        const old = snapshot.get(target) ?? '';
        if (!now.get(target)?.startsWith(keptPrefix(old)))
          fail('send changed earlier bytes of the inbox file', JSON.stringify(old.slice(-200)));
      }

      // inbox --json --all: every unmistakable header to me is a message or a named problem; my new message reads back.
      const ib = coord(fx.repo, ['inbox', '--json', '--all', '--as', to], { env: e });
      let inbox = null;
      if (sane('inbox', ib)) {
        inbox = JSON.parse(ib.stdout);
        problemsSeen.inbox += inbox.problems.length;
        const files = current;
        for (const c of headerCandidates(files, to)) {
          if (
            !inbox.messages.some((m) => m.file === c.file && m.line === c.line) &&
            !inbox.problems.some((p) => p.file === c.file && p.line === c.line)
          ) {
            fail('inbox lost a message silently', `${c.file}:${c.line}: ${JSON.stringify(files.get(c.file).split('\n')[c.line - 1])}`);
          }
        }
        if (sentId) {
          const m = inbox.messages.find((x) => x.id === sentId);
          const want = body.replace(/\r\n/g, '\n').replace(/\n+$/, '');
          if (!m) fail('the message just sent is not in the inbox', sentId);
          else if (m.body !== want)
            fail('the message just sent does not read back', `${JSON.stringify(want)}\n!==\n${JSON.stringify(m.body)}`);
        }
      }

      // ack one of them: only its status line changes (or one is added under it).
      if (inbox?.messages.length) {
        const m = fz.pick(inbox.messages);
        const before = current;
        const ack = coord(fx.repo, ['ack', m.id, '--as', to, '--json'], { env: e });
        if (sane('ack', ack)) {
          const now = sessionFiles(fx.repo, e, JSON.parse(ack.stdout).commit);
          for (const [p, text] of before) if (p !== m.file && now.get(p) !== text) fail('ack changed another file', p);
          const oldText = before.get(m.file);
          const b = now.get(m.file).split('\n');
          let a = oldText.split('\n');
          // An unterminated last line gets its line end before a status line goes under it.
          if (b.length === a.length + 2 && !oldText.endsWith('\n'))
            a = (oldText + (/^[^\n]*\r\n/.test(oldText) ? '\r\n' : '\n')).split('\n');
          const diff = b.findIndex((l, i) => l !== a[i]);
          const ok =
            diff < 0 ||
            (b.length === a.length && b.filter((l, i) => l !== a[i]).length === 1 && /^→ status:seen /.test(b[diff])) ||
            (b.length === a.length + 1 && /^→ status:seen /.test(b[diff]) && b.slice(diff + 1).join('\n') === a.slice(diff).join('\n'));
          if (!ok)
            fail(
              'ack changed more than the status line',
              `${m.file} line ${diff + 1}: ${JSON.stringify(a[diff])} → ${JSON.stringify(b[diff])}`,
            );
        }
      }
    }
    const ms = Date.now() - t0;
    console.log(
      `fuzz: ${FUZZ_ITERATIONS} iterations (seed ${FUZZ_SEED}) in ${ms} ms; exit codes ${JSON.stringify(counts)}; problems named: ${JSON.stringify(problemsSeen)}`,
    );
    assert.deepEqual(failures, []);
  },
);

// ---- reap ---------------------------------------------------------------------------------

test(
  'reap --older-than 1h: old rows without commits go in one commit, live rows stay, a reaped worktree here is kept and reported; --dry-run changes nothing',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    const e = { env: fx.env };
    startJson(fx.repo, fx.env); // sA: live
    gitOk(fx.repo, ['pull', '--quiet', '--ff-only'], e);
    const lane = (id) => `worktree \`session-${id}\` → direct-to-main, \`[${id}]\``;
    fs.appendFileSync(
      path.join(fx.repo, BOARD),
      `| sC · Porto | (Riff TBD) | ${lane('sC')} | ${OLD} | ${OLD} · | long gone |\n` +
        `| sD · Braga | R-7 | ${lane('sD')} | ${OLD} | ${OLD} · went home | old work, worktree here |\n`,
    );
    gitOk(fx.repo, ['commit', '--quiet', '--no-verify', '-am', 'hand edit: two old rows'], e);
    gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], e);
    // sD's worktree on this machine: an old unpublished commit and an uncommitted file.
    const oldEnv = { ...fx.env, GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z' };
    const tree = gitOk(fx.repo, ['rev-parse', 'HEAD^{tree}'], e).trim();
    const work = gitOk(fx.repo, ['commit-tree', tree, '-p', 'HEAD', '-m', '[sD] feat: unpublished old work'], { env: oldEnv }).trim();
    const wtD = wtOf(fx, 'sD');
    gitOk(fx.repo, ['worktree', 'add', '--quiet', '--no-track', '-b', 'session-sD', wtD, work], e);
    fs.writeFileSync(path.join(wtD, 'wip.txt'), 'uncommitted\n');
    const before = originMain(fx);
    const boardBefore = boardOnOrigin(fx.repo, fx.env);

    const dry = coord(fx.repo, ['reap', '--older-than', '1h', '--dry-run'], e);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /sC, sD/);
    assert.ok(dry.stdout.includes(wtD), `the worktree of sD is reported:\n${dry.stdout}`);
    assert.equal(originMain(fx), before, '--dry-run published nothing');

    const r = JSON.parse(coordOk(fx.repo, ['reap', '--older-than', '1h', '--json'], e).stdout);
    assert.deepEqual(r.reaped.sort(), ['sC', 'sD']);
    assert.deepEqual(r.kept, [wtD]);
    assert.equal(gitOk(fx.repo, ['rev-list', '--count', `${before}..origin/main`], e).trim(), '1', 'one commit');
    assert.equal(r.commit, originMain(fx));
    assert.deepEqual(changedFiles(fx.repo, fx.env, 'origin/main'), [BOARD]);
    const board = boardOnOrigin(fx.repo, fx.env);
    assert.deepEqual(rowIds(board), ['sA'], 'the live row stays');
    assert.equal(
      board,
      boardBefore
        .split('\n')
        .filter((l) => !/^\| s[CD] · /.test(l))
        .join('\n'),
      'only those rows removed',
    );
    // The work of the reaped session is all still here.
    assert.equal(fs.readFileSync(path.join(wtD, 'wip.txt'), 'utf8'), 'uncommitted\n');
    assert.equal(sha(fx.repo, fx.env, 'refs/heads/session-sD'), work);
    // Nothing more to reap; and a later start does not take over sD while its branch is here.
    assert.deepEqual(JSON.parse(coordOk(fx.repo, ['reap', '--older-than', '1h', '--json'], e).stdout).reaped, []);
    const next = startJson(fx.repo, fx.env);
    assert.equal(next.id, 'sB');
    const again = startJson(fx.repo, fx.env);
    assert.notEqual(again.id, 'sD');
  },
);
