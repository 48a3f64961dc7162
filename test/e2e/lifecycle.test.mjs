// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// The session lifecycle end to end, as a new user plays the tutorial (steps 1, 2, 5, 7):
// the real bundle as a process, real git, a bare origin, real lefthook-installed hooks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  BOARD,
  STAMP,
  boardOnOrigin,
  bundle,
  coordArgv,
  denoBin,
  cellsOf,
  coord,
  coordAsync,
  coordOk,
  git,
  gitOk,
  gitProcesses,
  makeEnv,
  makeRepo,
  remoteContacts,
  rowsOf,
  runtime,
  stampOf,
  tempDir,
} from '../helpers.mjs';

const DEFAULT_SCOPE = 'scope TBD — update this row when you pick a Riff';
const TIMEOUT = { timeout: 180_000 };

/** A repo for one test, removed when the test ends. */
function fixture(t, opts) {
  const fx = makeRepo(opts);
  t.after(() => fx.cleanup());
  return fx;
}

/** A fresh row exactly as the tutorial shows it; captures the claimed and presence stamps. */
const freshRow = (id, name) =>
  new RegExp(
    `^\\| ${id} · ${name} \\| \\(Riff TBD\\) \\| worktree \`session-${id}\` → direct-to-main, \`\\[${id}\\]\` ` +
      `\\| (${STAMP}) \\| (${STAMP}) · \\| scope TBD — update this row when you pick a Riff \\|$`,
  );

const wtOf = (fx, id) => `${fx.repo}-${id}`;
const nonEmptyLines = (s) => s.split('\n').filter((l) => l.trim() !== '');

/** One readable line on stderr, no stack trace. */
function assertOneLine(r, re) {
  const lines = nonEmptyLines(r.stderr);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'stack trace on stderr');
  if (re) assert.match(lines[0], re);
  return lines[0];
}

function start(fx, cwd = fx.repo, args = []) {
  return coordOk(cwd, ['start', ...args], { env: fx.env });
}

function startJson(fx, cwd = fx.repo, args = []) {
  const r = start(fx, cwd, ['--json', ...args]);
  return JSON.parse(r.stdout);
}

function rowOf(text, id) {
  const rows = rowsOf(text).filter((l) => l.startsWith(`| ${id} `));
  assert.equal(rows.length, 1, `expected one row of ${id} in:\n${text}`);
  return rows[0];
}

function branchExists(cwd, env, branch) {
  return git(cwd, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { env }).code === 0;
}

// ---- step 1 and 2: claiming ----------------------------------------------------------------

test('step 1: start from the clone claims sA · Sintra: banner, worktree, branch, and the tutorial row on origin/main', TIMEOUT, (t) => {
  const fx = fixture(t);
  const before = stampOf(Date.now());
  const r = start(fx);
  const after = stampOf(Date.now());
  const wt = wtOf(fx, 'sA');
  const lines = r.stdout.split('\n');
  const claimLine = lines.find((l) => l.startsWith('[session-sA '));
  assert.match(
    claimLine ?? '',
    new RegExp(`^\\[session-sA [0-9a-f]{7}\\] \\[sA\\] docs\\(ai-sessions\\): claim sA at ${STAMP}$`),
    r.stdout,
  );
  for (const want of ['Session sA claimed.', `Worktree: ${wt}`, 'Branch:   session-sA', 'Next:', `  cd ${wt}`]) {
    assert.ok(lines.includes(want), `banner line ${JSON.stringify(want)} missing from:\n${r.stdout}`);
  }
  assert.ok(lines.indexOf('Next:') + 1 === lines.indexOf(`  cd ${wt}`), 'the cd line follows Next:');
  assert.equal(r.stderr, '');

  // The row, on origin/main and in the new worktree, exactly as the tutorial shows it.
  const board = boardOnOrigin(fx.repo, fx.env);
  const rows = rowsOf(board);
  assert.equal(rows.length, 1, board);
  const m = freshRow('sA', 'Sintra').exec(rows[0]);
  assert.ok(m, `row does not have the tutorial's shape:\n${rows[0]}`);
  assert.equal(m[1], m[2], 'claimed and presence start equal');
  assert.ok(m[1] >= before && m[1] <= after, `claimed ${m[1]} not between ${before} and ${after}`);
  assert.equal(fs.readFileSync(path.join(wt, BOARD), 'utf8'), board, 'the worktree holds the published board');

  // The claim commit: on origin/main, with the session prefix; the worktree sits on it, on its own branch, untracked.
  assert.equal(
    gitOk(fx.repo, ['log', '-1', '--format=%s', 'origin/main'], { env: fx.env }).trim(),
    `[sA] docs(ai-sessions): claim sA at ${m[1]}`,
  );
  assert.equal(gitOk(wt, ['rev-parse', 'HEAD'], { env: fx.env }), gitOk(fx.repo, ['rev-parse', 'origin/main'], { env: fx.env }));
  assert.equal(gitOk(wt, ['rev-parse', '--abbrev-ref', 'HEAD'], { env: fx.env }).trim(), 'session-sA');
  assert.equal(git(fx.repo, ['config', '--get', 'branch.session-sA.merge'], { env: fx.env }).code, 1, 'session-sA must not track anything');
  // The clone it ran from is left as it was: on main, clean.
  assert.equal(gitOk(fx.repo, ['rev-parse', '--abbrev-ref', 'HEAD'], { env: fx.env }).trim(), 'main');
  assert.equal(gitOk(fx.repo, ['status', '--porcelain'], { env: fx.env }), '');
});

test(
  'step 2: a second start claims sB · Douro; after a pull both rows show; the real commit-msg hook refuses [sA] in sB and passes [sB]',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    start(fx);
    const r = start(fx);
    const sA = wtOf(fx, 'sA');
    const sB = wtOf(fx, 'sB');
    assert.match(r.stdout, /^Session sB claimed\.$/m);
    assert.match(r.stdout, /^Branch: {3}session-sB$/m);
    assert.ok(r.stdout.includes(`  cd ${sB}\n`), r.stdout);

    for (const wt of [sB, sA]) {
      gitOk(wt, ['pull', '--quiet', '--ff-only', 'origin', 'main'], { env: fx.env });
      const rows = rowsOf(fs.readFileSync(path.join(wt, BOARD), 'utf8'));
      assert.equal(rows.length, 2, `${wt}:\n${rows.join('\n')}`);
      assert.match(rows[0], freshRow('sA', 'Sintra'));
      assert.match(rows[1], freshRow('sB', 'Douro'));
    }

    // The safety net, through a real `git commit` and the lefthook-installed hook.
    const head = gitOk(sB, ['rev-parse', 'HEAD'], { env: fx.env });
    const bad = git(sB, ['commit', '--allow-empty', '-m', '[sA] test: wrong prefix'], { env: fx.env });
    assert.notEqual(bad.code, 0, 'the mislabelled commit went through');
    const said = (bad.stdout + bad.stderr).split('\n').map((l) => l.trim());
    assert.ok(
      said.includes("commit subject prefix [sA] does not match worktree 'po-platform-sB' (expected [sB])."),
      `refusal line missing:\n${bad.stdout}${bad.stderr}`,
    );
    assert.equal(gitOk(sB, ['rev-parse', 'HEAD'], { env: fx.env }), head, 'HEAD moved after a refused commit');

    const good = git(sB, ['commit', '--allow-empty', '-m', '[sB] test: right prefix'], { env: fx.env });
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.equal(gitOk(sB, ['log', '-1', '--format=%s'], { env: fx.env }).trim(), '[sB] test: right prefix');

    const none = git(sB, ['commit', '--allow-empty', '-m', 'test: no prefix'], { env: fx.env });
    assert.notEqual(none.code, 0, 'an unprefixed commit in a session worktree went through');
    assert.match(none.stdout + none.stderr, /no session prefix.*\[sB\]/);
  },
);

test('start --json prints {"id","name","worktree","branch","claimed"} and nothing else', TIMEOUT, (t) => {
  const fx = fixture(t);
  const r = coordOk(fx.repo, ['start', '--json'], { env: fx.env });
  assert.equal(nonEmptyLines(r.stdout).length, 1, r.stdout);
  const j = JSON.parse(r.stdout);
  assert.equal(j.id, 'sA');
  assert.equal(j.name, 'Sintra');
  assert.equal(j.worktree, wtOf(fx, 'sA'));
  assert.equal(j.branch, 'session-sA');
  assert.match(j.claimed, new RegExp(`^${STAMP}$`));
  assert.ok(fs.statSync(j.worktree).isDirectory());
  const m = freshRow('sA', 'Sintra').exec(rowOf(boardOnOrigin(fx.repo, fx.env), 'sA'));
  assert.equal(m?.[1], j.claimed);
  // A second one, with a chosen name and scope.
  const k = startJson(fx, fx.repo, ['--name', 'Lisboa', '--scope', 'payments API']);
  assert.deepEqual([k.id, k.name, k.branch], ['sB', 'Lisboa', 'session-sB']);
  assert.deepEqual(
    cellsOf(rowOf(boardOnOrigin(fx.repo, fx.env), 'sB')).filter((_, i) => i === 0 || i === 5),
    ['sB · Lisboa', 'payments API'],
  );
});

// ---- step 5: presence ------------------------------------------------------------------------

test('step 5: a commit in sA moves its presence to the commit minute, in the working tree only, touching nothing else', TIMEOUT, (t) => {
  const fx = fixture(t);
  start(fx);
  start(fx);
  const sA = wtOf(fx, 'sA');
  gitOk(sA, ['pull', '--quiet', '--ff-only', 'origin', 'main'], { env: fx.env });
  const file = path.join(sA, BOARD);
  const committed = fs.readFileSync(file, 'utf8');
  // A person's own unstaged edits elsewhere in the file: the title, and a note after the table.
  const edited = committed.replace(/^# Active sessions$/m, '# Active sessions (po-platform)') + '\nNote: sA pairs with sB on Friday.\n';
  assert.notEqual(edited, committed);
  fs.writeFileSync(file, edited);

  const seconds = Math.floor(Date.now() / 1000) + 7 * 60;
  fs.writeFileSync(path.join(sA, 'work.txt'), 'some work\n');
  gitOk(sA, ['add', 'work.txt'], { env: fx.env });
  const when = `@${seconds} +0000`;
  gitOk(sA, ['commit', '--quiet', '-m', '[sA] chore: some work'], { env: { ...fx.env, GIT_COMMITTER_DATE: when, GIT_AUTHOR_DATE: when } });

  const want = stampOf(seconds * 1000);
  const rowBefore = rowOf(edited, 'sA');
  const cells = cellsOf(rowBefore);
  cells[4] = `${want} ·`;
  const rowAfter = `| ${cells.join(' | ')} |`;
  assert.notEqual(rowAfter, rowBefore);
  // Exactly one line changed: sA's row, in its presence cell; the person's edits and sB's row are kept byte for byte.
  assert.equal(fs.readFileSync(file, 'utf8'), edited.replace(rowBefore, rowAfter));
  assert.equal(cellsOf(rowOf(fs.readFileSync(file, 'utf8'), 'sA'))[4], `${want} ·`);
  // Never committed: the board at HEAD is what it was, and the edit is unstaged.
  assert.equal(gitOk(sA, ['log', '-1', '--format=%s'], { env: fx.env }).trim(), '[sA] chore: some work');
  assert.equal(gitOk(sA, ['show', `HEAD:${BOARD}`], { env: fx.env }), committed);
  assert.equal(gitOk(sA, ['status', '--porcelain'], { env: fx.env }), ` M ${BOARD}\n`);
});

test('heartbeat run directly: at most one git process, from a loose or a packed commit', TIMEOUT, (t) => {
  const fx = fixture(t);
  start(fx);
  const sA = wtOf(fx, 'sA');
  const file = path.join(sA, BOARD);
  const noHooks = ['-c', 'core.hooksPath=/dev/null'];
  const commitAt = (minutes, msg) => {
    const when = `@${Math.floor(Date.now() / 1000) + minutes * 60} +0000`;
    gitOk(sA, [...noHooks, 'commit', '--quiet', '--allow-empty', '-m', msg], {
      env: { ...fx.env, GIT_COMMITTER_DATE: when, GIT_AUTHOR_DATE: when },
    });
    return stampOf(Number(gitOk(sA, ['log', '-1', '--format=%ct'], { env: fx.env })) * 1000);
  };
  const heartbeat = (label) => {
    const trace = path.join(fx.root, `trace-${label}.json`);
    const r = coord(sA, ['heartbeat'], { env: { ...fx.env, GIT_TRACE2_EVENT: trace } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout + r.stderr, '', 'the heartbeat is silent');
    return gitProcesses(trace);
  };

  const loose = commitAt(9, '[sA] chore: loose');
  assert.ok(heartbeat('loose') <= 1);
  assert.equal(cellsOf(rowOf(fs.readFileSync(file, 'utf8'), 'sA'))[4], `${loose} ·`);

  const packed = commitAt(15, '[sA] chore: packed');
  gitOk(sA, ['repack', '-a', '-d', '-q'], { env: fx.env });
  const head = gitOk(sA, ['rev-parse', 'HEAD'], { env: fx.env }).trim();
  assert.equal(fs.existsSync(path.join(fx.repo, '.git', 'objects', head.slice(0, 2), head.slice(2))), false, 'the commit should be packed');
  assert.ok(heartbeat('packed') <= 1);
  assert.equal(cellsOf(rowOf(fs.readFileSync(file, 'utf8'), 'sA'))[4], `${packed} ·`);
});

// ---- status, scope, riff, pause ----------------------------------------------------------------

test('status --json: {"sessions":[{id,name,riff,lane,scope,claimed,presence,lastCommit,state}]}', TIMEOUT, (t) => {
  const fx = fixture(t);
  const a = startJson(fx);
  const r = coordOk(wtOf(fx, 'sA'), ['status', '--json'], { env: fx.env });
  const j = JSON.parse(r.stdout);
  assert.ok(Array.isArray(j.sessions));
  assert.equal(j.sessions.length, 1);
  const s = j.sessions[0];
  for (const key of ['id', 'name', 'riff', 'lane', 'scope', 'claimed', 'presence', 'lastCommit', 'state'])
    assert.ok(key in s, `no "${key}" in ${JSON.stringify(s)}`);
  assert.equal(s.id, 'sA');
  assert.equal(s.name, 'Sintra');
  assert.equal(s.riff, null);
  assert.equal(s.lane, 'worktree `session-sA` → direct-to-main, `[sA]`');
  assert.equal(s.scope, DEFAULT_SCOPE);
  assert.equal(s.claimed, a.claimed);
  assert.equal(s.presence, a.claimed);
  // The claim commit is sA's last [sA] commit; its time may fall in the minute after the stamp was taken.
  const claimedMs = Date.parse(a.claimed.replace('Z', ':00Z'));
  assert.ok([a.claimed, stampOf(claimedMs + 60e3)].includes(s.lastCommit), `lastCommit ${s.lastCommit}, claimed ${a.claimed}`);
  assert.equal(s.state, 'live');
  // The table for people names the session and its state.
  const text = coordOk(fx.repo, ['status'], { env: fx.env }).stdout;
  assert.match(text, /sA · Sintra .*live/);
});

test('scope, riff and close --pause update only my row on origin/main; paused shows in status', TIMEOUT, (t) => {
  const fx = fixture(t);
  start(fx);
  start(fx);
  const sA = wtOf(fx, 'sA');
  const sBRow = rowOf(boardOnOrigin(fx.repo, fx.env), 'sB');

  const s = coordOk(sA, ['scope', 'payments', 'API', 'refactor'], { env: fx.env });
  assert.match(s.stdout, /payments API refactor/);
  let board = boardOnOrigin(fx.repo, fx.env);
  assert.equal(cellsOf(rowOf(board, 'sA'))[5], 'payments API refactor');
  assert.equal(rowOf(board, 'sB'), sBRow);
  assert.match(gitOk(fx.repo, ['log', '-1', '--format=%s', 'origin/main'], { env: fx.env }), /^\[sA\] docs\(ai-sessions\): /);

  coordOk(sA, ['riff', 'RIFF-12'], { env: fx.env });
  board = boardOnOrigin(fx.repo, fx.env);
  assert.equal(cellsOf(rowOf(board, 'sA'))[1], 'RIFF-12');
  assert.equal(cellsOf(rowOf(board, 'sA'))[5], 'payments API refactor');
  assert.equal(rowOf(board, 'sB'), sBRow);

  const p = coordOk(sA, ['close', '--pause', 'tomorrow 09:00'], { env: fx.env });
  assert.match(p.stdout, /paused/);
  board = boardOnOrigin(fx.repo, fx.env);
  const cells = cellsOf(rowOf(board, 'sA'));
  assert.equal(cells[5], 'paused — resuming tomorrow 09:00');
  assert.equal(cells[1], 'RIFF-12', 'pausing keeps the Riff');
  assert.equal(rowOf(board, 'sB'), sBRow);
  assert.ok(fs.existsSync(sA), 'a paused session keeps its worktree');
  assert.ok(branchExists(fx.repo, fx.env, 'session-sA'));

  const st = JSON.parse(coordOk(sA, ['status', '--json'], { env: fx.env }).stdout);
  const mine = st.sessions.find((x) => x.id === 'sA');
  assert.equal(mine.state, 'paused');
  assert.equal(mine.riff, 'RIFF-12');
  assert.equal(mine.scope, 'paused — resuming tomorrow 09:00');
  assert.equal(st.sessions.find((x) => x.id === 'sB').state, 'live');
  const subjects = gitOk(fx.repo, ['log', '-3', '--format=%s', 'origin/main'], { env: fx.env }).trim().split('\n');
  assert.ok(
    subjects.every((x) => x.startsWith('[sA] docs(ai-sessions): ')),
    subjects.join('\n'),
  );
});

// ---- step 7: close -----------------------------------------------------------------------------

test("step 7: close removes the row, the worktree and the branch; the heartbeat's own edit does not block it", { ...TIMEOUT }, (t) => {
  const fx = fixture(t);
  start(fx);
  start(fx);
  const sA = wtOf(fx, 'sA');
  const sB = wtOf(fx, 'sB');
  gitOk(sA, ['pull', '--quiet', '--ff-only', 'origin', 'main'], { env: fx.env });
  // Some work, published: the post-commit hook leaves its presence edit in the worktree.
  fs.writeFileSync(path.join(sA, 'work.txt'), 'done\n');
  gitOk(sA, ['add', 'work.txt'], { env: fx.env });
  const when = `@${Math.floor(Date.now() / 1000) + 180} +0000`;
  gitOk(sA, ['commit', '--quiet', '-m', '[sA] feat: the work'], { env: { ...fx.env, GIT_COMMITTER_DATE: when } });
  assert.equal(gitOk(sA, ['status', '--porcelain'], { env: fx.env }), ` M ${BOARD}\n`, 'the heartbeat edit is there');
  gitOk(sA, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });
  const sBRow = rowOf(boardOnOrigin(fx.repo, fx.env), 'sB');

  const r = coord(sA, ['close'], { env: fx.env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sA closed/);
  assert.ok(r.stdout.includes(`cd ${fx.repo}`), `no way back named:\n${r.stdout}`);
  const board = boardOnOrigin(fx.repo, fx.env);
  assert.deepEqual(rowsOf(board), [sBRow]);
  assert.equal(
    gitOk(fx.repo, ['log', '-1', '--format=%s', 'origin/main'], { env: fx.env }).trim(),
    '[sA] docs(ai-sessions): self-close sA',
  );
  assert.ok(gitOk(fx.repo, ['show', 'origin/main:work.txt'], { env: fx.env }).includes('done'), 'the published work stays on main');
  assert.equal(fs.existsSync(sA), false, 'worktree still there');
  assert.equal(branchExists(fx.repo, fx.env, 'session-sA'), false, 'branch still there');
  assert.ok(!gitOk(fx.repo, ['worktree', 'list', '--porcelain'], { env: fx.env }).includes(sA + '\n'));

  // sB closes too: the board is empty, only the clone is left.
  coordOk(sB, ['close'], { env: fx.env });
  assert.deepEqual(rowsOf(boardOnOrigin(fx.repo, fx.env)), []);
  assert.equal(fs.existsSync(sB), false);
  const left = gitOk(fx.repo, ['worktree', 'list', '--porcelain'], { env: fx.env })
    .split('\n')
    .filter((l) => l.startsWith('worktree '));
  assert.deepEqual(left, [`worktree ${fx.repo}`]);
});

test('close refuses, changing nothing, when the worktree holds uncommitted work (and names the file)', TIMEOUT, (t) => {
  const fx = fixture(t);
  start(fx);
  const sA = wtOf(fx, 'sA');
  fs.writeFileSync(path.join(sA, 'draft-notes.md'), 'half a thought\n');
  fs.appendFileSync(path.join(sA, 'README.md'), 'an edit\n');
  const board = boardOnOrigin(fx.repo, fx.env);
  const originHead = gitOk(fx.repo, ['rev-parse', 'origin/main'], { env: fx.env });

  const r = coord(sA, ['close'], { env: fx.env });
  assert.equal(r.code, 1);
  const line = assertOneLine(r, /uncommitted/);
  assert.ok(line.includes('draft-notes.md') && line.includes('README.md'), line);
  assert.equal(boardOnOrigin(fx.repo, fx.env), board, 'the row must still be on origin/main');
  assert.equal(gitOk(fx.repo, ['rev-parse', 'origin/main'], { env: fx.env }), originHead, 'nothing was published');
  assert.equal(fs.readFileSync(path.join(sA, 'draft-notes.md'), 'utf8'), 'half a thought\n');
  assert.ok(branchExists(fx.repo, fx.env, 'session-sA'));
});

test('close refuses, changing nothing, when the branch has commits not on origin/main', TIMEOUT, (t) => {
  const fx = fixture(t);
  start(fx);
  const sA = wtOf(fx, 'sA');
  fs.writeFileSync(path.join(sA, 'wip.txt'), 'wip\n');
  gitOk(sA, ['add', 'wip.txt'], { env: fx.env });
  gitOk(sA, ['commit', '--quiet', '-m', '[sA] feat: unpublished wip'], { env: fx.env });
  const board = boardOnOrigin(fx.repo, fx.env);

  const r = coord(sA, ['close'], { env: fx.env });
  assert.equal(r.code, 1);
  const line = assertOneLine(r, /session-sA/);
  assert.match(line, /\[sA\] feat: unpublished wip/);
  assert.match(line, /not on origin\/main/);
  assert.equal(boardOnOrigin(fx.repo, fx.env), board);
  assert.ok(fs.existsSync(path.join(sA, 'wip.txt')));
  assert.ok(branchExists(fx.repo, fx.env, 'session-sA'));
});

// ---- check-prefix ----------------------------------------------------------------------------

const WRONG = "commit subject prefix [sA] does not match worktree 'po-platform-sB' (expected [sB]).";
const prefixCases = [
  // [name, where, message, expected: true (passes) or the refusal (string: exact, RegExp: match)]
  ['own prefix', 'sB', '[sB] feat: x\n', true],
  ["another session's prefix", 'sB', '[sA] test: wrong prefix\n', WRONG],
  [
    'no prefix in a session worktree',
    'sB',
    'feat: x\n',
    /^commit subject has no session prefix: start it with \[sB\] \(worktree 'po-platform-sB'\)\.$/,
  ],
  ['a merge git wrote', 'sB', "Merge branch 'main' of ../origin into session-sB\n", true],
  ['a merge of a remote-tracking branch', 'sB', "Merge remote-tracking branch 'origin/main' into session-sB\n", true],
  ['fixup! of an own subject', 'sB', 'fixup! [sB] x\n', true],
  ['squash! of an own subject', 'sB', 'squash! [sB] x\n', true],
  ['amend! of an own subject', 'sB', 'amend! [sB] x\n\nnew text\n', true],
  ["fixup! of another session's subject", 'sB', 'fixup! [sA] x\n', WRONG],
  ['a revert git wrote', 'sB', 'Revert "[sA] x"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\n', true],
  ['comment lines before the subject', 'sB', '# Please enter the commit message.\n#\n\n[sB] x\n# on branch session-sB\n', true],
  ['comment lines before a wrong subject', 'sB', '# Please enter the commit message.\n\n[sA] test: wrong prefix\n', WRONG],
  [
    '[sA] outside a session worktree',
    'main',
    '[sA] x\n',
    /^commit subject prefix \[sA\] used outside a session worktree \('po-platform', branch 'main'\)/,
  ],
  ['unprefixed outside a session worktree', 'main', 'docs: fix a typo\n', true],
  ['a merge outside a session worktree', 'main', "Merge branch 'feature'\n", true],
];

test('check-prefix through the real bundle: the subject rule, one line per refusal, and no git process', TIMEOUT, (t) => {
  const fx = fixture(t, { lefthook: false });
  start(fx, fx.repo, ['--as', 'sB']);
  const where = { sB: wtOf(fx, 'sB'), main: fx.repo };
  prefixCases.forEach(([name, at, message, expected], i) => {
    const msgFile = path.join(fx.root, `msg-${i}`);
    fs.writeFileSync(msgFile, message);
    const trace = path.join(fx.root, `trace-prefix-${i}.json`);
    const r = coord(where[at], ['check-prefix', msgFile], { env: { ...fx.env, GIT_TRACE2_EVENT: trace } });
    if (expected === true) {
      assert.equal(r.code, 0, `${name}: refused: ${r.stderr}`);
      assert.equal(r.stderr, '', name);
    } else {
      assert.equal(r.code, 1, `${name}: exit ${r.code}, stderr: ${r.stderr}`);
      const line = assertOneLine(r);
      if (typeof expected === 'string') assert.equal(line, expected, name);
      else assert.match(line, expected, name);
    }
    assert.equal(gitProcesses(trace), 0, `${name}: check-prefix started a git process`);
  });
  // The trace really records git processes when there are some (so 0 above means something).
  const trace = path.join(fx.root, 'trace-status.json');
  coordOk(fx.repo, ['status', '--json'], { env: { ...fx.env, GIT_TRACE2_EVENT: trace } });
  assert.ok(gitProcesses(trace) >= 1);
});

// ---- odd but legitimate states -------------------------------------------------------------------

test('init without a remote advises no push: its Next lines run as printed, and it names the local branch the blackboard', TIMEOUT, (t) => {
  const root = tempDir('no-remote');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const env = makeEnv(root);
  const repo = path.join(root, 'app');
  gitOk(root, ['init', '--quiet', '-b', 'main', repo], { env });
  fs.writeFileSync(path.join(repo, 'README.md'), '# app\n');
  gitOk(repo, ['add', 'README.md'], { env });
  gitOk(repo, ['commit', '--quiet', '-m', 'initial commit'], { env });
  const r = coordOk(repo, runtime === 'deno' ? ['init', '--deno'] : ['init'], { env });
  const lines = r.stdout.split('\n');
  const next = lines.slice(lines.indexOf('Next:') + 1).filter((l) => l.startsWith('  '));
  assert.ok(!next.some((l) => /git push/.test(l)), `init advises a push without a remote:\n${r.stdout}`);
  assert.ok(
    lines.includes(
      "No remote 'origin': the local branch main is the blackboard, shared by the sessions of this clone " +
        '(to share it with other clones: git remote add origin URL && git push origin main).',
    ),
    r.stdout,
  );
  // Every line after the hook install, as a person would paste it: the commit, then the first claim.
  const steps = next.filter((l) => !/lefthook install/.test(l)).map((l) => l.replace(/\s+#.*$/, '').trim());
  assert.equal(steps.length, 3, next.join('\n'));
  for (const line of steps) {
    const s = spawnSync('bash', ['-c', line], { cwd: repo, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(s.status, 0, `${line}: ${s.stdout}${s.stderr}`);
  }
  assert.equal(gitOk(repo, ['status', '--porcelain'], { env }), '');
  assert.match(gitOk(repo, ['log', '-1', '--format=%s', 'main'], { env }), /^\[sA\] docs\(ai-sessions\): claim sA at /);
});

test('start without an origin works on local main, and the main checkout is brought along clean', TIMEOUT, (t) => {
  const fx = fixture(t, { origin: false, lefthook: false });
  const r = coordOk(fx.repo, ['start'], { env: fx.env });
  assert.match(r.stdout, /^Session sA claimed\.$/m);
  const board = gitOk(fx.repo, ['show', `main:${BOARD}`], { env: fx.env });
  assert.match(rowOf(board, 'sA'), freshRow('sA', 'Sintra'));
  assert.equal(gitOk(fx.repo, ['status', '--porcelain'], { env: fx.env }), '', 'the main worktree shows phantom changes');
  assert.equal(fs.readFileSync(path.join(fx.repo, BOARD), 'utf8'), board, 'the main checkout holds the new board');
  assert.equal(gitOk(wtOf(fx, 'sA'), ['rev-parse', 'HEAD'], { env: fx.env }), gitOk(fx.repo, ['rev-parse', 'main'], { env: fx.env }));
  assert.equal(
    gitOk(fx.repo, ['log', '-1', '--format=%s', 'main'], { env: fx.env }).trim(),
    `[sA] docs(ai-sessions): claim sA at ${cellsOf(rowOf(board, 'sA'))[3]}`,
  );

  coordOk(fx.repo, ['start'], { env: fx.env });
  assert.deepEqual(
    rowsOf(gitOk(fx.repo, ['show', `main:${BOARD}`], { env: fx.env })).map((l) => cellsOf(l)[0]),
    ['sA · Sintra', 'sB · Douro'],
  );
  assert.equal(gitOk(fx.repo, ['status', '--porcelain'], { env: fx.env }), '');
});

test('start without an origin while main is not checked out: main gets the row, the other branch is untouched', TIMEOUT, (t) => {
  const fx = fixture(t, { origin: false, lefthook: false });
  gitOk(fx.repo, ['switch', '--quiet', '-c', 'feature'], { env: fx.env });
  fs.writeFileSync(path.join(fx.repo, 'feature.txt'), 'feature\n');
  gitOk(fx.repo, ['add', 'feature.txt'], { env: fx.env });
  gitOk(fx.repo, ['commit', '--quiet', '-m', 'feature work'], { env: fx.env });
  const featureHead = gitOk(fx.repo, ['rev-parse', 'HEAD'], { env: fx.env });
  const boardBefore = fs.readFileSync(path.join(fx.repo, BOARD), 'utf8');

  const j = JSON.parse(coordOk(fx.repo, ['start', '--json'], { env: fx.env }).stdout);
  assert.equal(j.id, 'sA');
  assert.match(rowOf(gitOk(fx.repo, ['show', `main:${BOARD}`], { env: fx.env }), 'sA'), freshRow('sA', 'Sintra'));
  assert.equal(gitOk(fx.repo, ['rev-parse', 'HEAD'], { env: fx.env }), featureHead);
  assert.equal(gitOk(fx.repo, ['status', '--porcelain'], { env: fx.env }), '');
  assert.equal(fs.readFileSync(path.join(fx.repo, BOARD), 'utf8'), boardBefore);
  assert.equal(fs.existsSync(path.join(j.worktree, 'feature.txt')), false, 'the session starts from main, not from the current branch');
});

test('a race: 6 starts at the same moment from 2 clones get 6 distinct ids, 6 rows and 6 worktrees', TIMEOUT, async (t) => {
  const fx = fixture(t, { lefthook: false });
  const other = path.join(fx.root, 'second');
  gitOk(fx.root, ['clone', '--quiet', fx.origin, other], { env: fx.env });
  const clones = [fx.repo, other];
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => coordAsync(clones[i % 2], ['start', '--json'], { env: fx.env })));
  const ok = results.map((r, i) => ({ r, clone: clones[i % 2] })).filter(({ r }) => r.code === 0);
  for (const r of results) {
    if (r.code !== 0) assertOneLine(r); // a failure, if any, is one readable line
  }
  const claims = ok.map(({ r, clone }) => ({ ...JSON.parse(r.stdout), clone }));
  const ids = claims.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, `ids handed out twice: ${ids}`);
  assert.equal(new Set(claims.map((c) => c.name)).size, ids.length, 'names handed out twice');

  // The board holds exactly the successful claims: none lost, none half-made by a failed start.
  const rows = rowsOf(boardOnOrigin(fx.repo, fx.env));
  assert.deepEqual(rows.map((l) => cellsOf(l)[0].split(' · ')[0]).sort(), [...ids].sort(), rows.join('\n'));
  const subjects = gitOk(fx.repo, ['log', '--format=%s', 'origin/main'], { env: fx.env });
  for (const c of claims) {
    assert.equal(c.worktree, `${c.clone}-${c.id}`);
    assert.equal(gitOk(c.worktree, ['rev-parse', '--abbrev-ref', 'HEAD'], { env: fx.env }).trim(), `session-${c.id}`);
    assert.ok(subjects.includes(`[${c.id}] docs(ai-sessions): claim ${c.id} at `), `no claim commit of ${c.id}`);
    // Each worktree sits on the claim it published: its own row is in its board.
    assert.ok(rowsOf(fs.readFileSync(path.join(c.worktree, BOARD), 'utf8')).some((l) => l.startsWith(`| ${c.id} · `)));
  }
  const worktrees = clones
    .flatMap((c) => gitOk(c, ['worktree', 'list', '--porcelain'], { env: fx.env }).split('\n'))
    .filter((l) => /^worktree .*-s[A-Z]+$/.test(l))
    .map((l) => l.slice('worktree '.length))
    .sort();
  assert.deepEqual(worktrees, claims.map((c) => c.worktree).sort());

  await t.test('all six starts succeed: sA … sF', () => {
    const failed = results.filter((r) => r.code !== 0).map((r) => r.stderr.trim());
    assert.deepEqual(failed, [], `starts failed:\n${failed.join('\n')}`);
    assert.deepEqual([...ids].sort(), ['sA', 'sB', 'sC', 'sD', 'sE', 'sF']);
  });
});

test("a pre-receive hook that declines stops start at once: exit 1, the server's reason, no retry", TIMEOUT, (t) => {
  const fx = fixture(t, { lefthook: false });
  const counter = path.join(fx.root, 'pre-receive-runs');
  fs.writeFileSync(
    path.join(fx.origin, 'hooks', 'pre-receive'),
    `#!/bin/sh\necho run >> '${counter}'\necho "main is frozen for the release" >&2\nexit 1\n`,
    { mode: 0o755 },
  );
  const board = boardOnOrigin(fx.repo, fx.env);
  const trace = path.join(fx.root, 'trace.json');
  const r = coord(fx.repo, ['start'], { env: { ...fx.env, GIT_TRACE2_EVENT: trace } });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const line = assertOneLine(r, /main is frozen for the release/);
  assert.match(line, /refused/);
  assert.equal(fs.readFileSync(counter, 'utf8'), 'run\n', 'the push was tried more than once');
  // What reached origin: one fetch, then the one push it refused, and nothing after it. A
  // refusal taken for a race would fetch again (and push again) up to 40 times.
  assert.deepEqual(
    remoteContacts(trace),
    ['upload-pack', 'receive-pack'],
    'origin served more than one fetch and one push, or something after the refused push',
  );
  assert.equal(boardOnOrigin(fx.repo, fx.env), board);
  assert.equal(fs.existsSync(wtOf(fx, 'sA')), false, 'a worktree was made for a claim that was refused');
  assert.equal(branchExists(fx.repo, fx.env, 'session-sA'), false);
});

// ---- demo and errors -------------------------------------------------------------------------------

test('demo in a temp dir plays the tutorial and says Done.', { ...TIMEOUT }, (t) => {
  const root = tempDir('demo');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, 'demo');
  const r = coord(root, ['demo', dir], { env: makeEnv(root) });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Done\.$/m);
  assert.ok(
    r.stdout.includes(`commit subject prefix [sA] does not match worktree 'po-platform-sB' (expected [sB]).`),
    'the demo shows the refusal',
  );
  assert.ok(fs.existsSync(path.join(dir, 'origin.git')), 'DIR holds the demo');
  assert.deepEqual(fs.readdirSync(root).sort(), ['demo', 'gitconfig'], 'the demo touched something outside DIR');
});

test(
  'demo: steps 1..7 in order, and every shown command, split as a shell splits it, is exactly the argv the demo ran',
  { ...TIMEOUT },
  (t) => {
    const root = tempDir('demo-shown');
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const trace = path.join(root, 'trace.jsonl');
    const r = coord(root, ['demo', path.join(root, 'demo')], { env: { ...makeEnv(root), COORD_DEMO_TRACE: trace } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n');
    const steps = lines.flatMap((l) => /^Step (\d+) —/.exec(l)?.[1] ?? []).map(Number);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7], 'the step headings are not in the tutorial order');
    const ran = fs
      .readFileSync(trace, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const starts = lines.flatMap((l, i) => (/^\[[^\]]*\] \$ /.test(l) ? [i] : []));
    assert.equal(starts.length, ran.length, 'shown commands and commands run differ in number');
    assert.ok(ran.filter((a) => a[0] === 'coord').length >= 15, 'too few coord commands ran');
    for (const [k, at] of starts.entries()) {
      // A command with a body of several lines goes on until its closing quote: as many lines as its arguments hold.
      const span = ran[k].join(' ').split('\n').length;
      const shown = lines
        .slice(at, at + span)
        .join('\n')
        .replace(/^\[[^\]]*\] \$ /, '');
      const split = spawnSync('bash', ['-c', `set -f\nprintf '%s\\0' ${shown}`], { encoding: 'utf8' });
      assert.equal(split.status, 0, `bash could not split the shown line: ${shown}\n${split.stderr}`);
      assert.deepEqual(split.stdout.split('\0').slice(0, -1), ran[k], `the shown line does not run what the demo ran: ${shown}`);
    }
    const bodies = ran.filter((a) => a[0] === 'coord' && a.includes('-m')).map((a) => a[a.indexOf('-m') + 1]);
    assert.ok(bodies.some((b) => b.includes('\n')) && bodies.every((b) => !b.endsWith('…')), bodies.join('\n---\n'));
  },
);

test("demo without lefthook anywhere writes coord's three jobs into .git/hooks itself, and the hooks still guard", { ...TIMEOUT }, (t) => {
  const root = tempDir('demo-nolh');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const alone = path.join(root, 'coord.mjs'); // no node_modules beside it
  fs.copyFileSync(bundle, alone);
  // PATH: git, and the runtime as a user has it (deno through a link of its own), but no lefthook.
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  if (runtime === 'deno') fs.symlinkSync(denoBin, path.join(bin, 'deno'));
  const gitDir = path.dirname(spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim());
  const env = { ...makeEnv(root), PATH: [bin, path.dirname(process.execPath), gitDir].join(path.delimiter) };
  const [file, ...pre] = coordArgv([]);
  const dir = path.join(root, 'demo');
  const r = spawnSync(file, [...pre.slice(0, -1), alone, 'demo', dir], { cwd: root, env, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /lefthook is not installed here: writing coord's jobs straight into \.git\/hooks/);
  assert.ok(
    r.stdout.includes(`commit subject prefix [sA] does not match worktree 'po-platform-sB' (expected [sB]).`),
    'the written commit-msg hook refused',
  );
  const hooks = path.join(dir, 'po-platform', '.git', 'hooks');
  for (const h of ['pre-commit', 'commit-msg', 'post-commit'])
    assert.match(fs.readFileSync(path.join(hooks, h), 'utf8'), /^#!\/bin\/sh\nsh infrastructure\/scripts\/coord-/, h);
});

test('errors: one line, the right exit code, no stack trace, nothing changed', TIMEOUT, (t) => {
  const fx = fixture(t, { lefthook: false });
  const plain = path.join(fx.root, 'not-a-repo');
  fs.mkdirSync(plain);
  for (const verb of ['start', 'status']) {
    const r = coord(plain, [verb], { env: fx.env });
    assert.equal(r.code, 1, `${verb}: ${r.stderr}`);
    assertOneLine(r, /not inside a git repository/i);
  }
  assert.deepEqual(fs.readdirSync(plain), []);

  const board = boardOnOrigin(fx.repo, fx.env);
  const usage = [
    [['frobnicate'], /Unknown verb 'frobnicate'/],
    [['start', '--bogus'], /unknown option '--bogus'/],
    [['status', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['start', '--as', '../x'], /'\.\.\/x' is not a session id/],
    [['status', '--as', '../x'], /'\.\.\/x' is not a session id/],
    [['close', '--as', '../x'], /'\.\.\/x' is not a session id/],
  ];
  for (const [args, re] of usage) {
    const r = coord(fx.repo, args, { env: fx.env });
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    assertOneLine(r, re);
  }
  const env = { ...fx.env, COORD_SESSION: '../x' };
  const viaEnv = coord(fx.repo, ['status'], { env });
  assert.equal(viaEnv.code, 2, viaEnv.stderr);
  assertOneLine(viaEnv, /COORD_SESSION/);
  const missing = coord(fx.repo, ['check-prefix', path.join(fx.root, 'no-such-file')], { env: fx.env });
  assert.equal(missing.code, 1);
  assertOneLine(missing, /no-such-file/);

  // Nothing was claimed or made by any of them.
  assert.equal(boardOnOrigin(fx.repo, fx.env), board);
  assert.deepEqual(fs.readdirSync(fx.root).sort(), ['gitconfig', 'not-a-repo', 'origin.git', 'po-platform']);
  assert.equal(gitOk(fx.repo, ['branch', '--list', 'session-*'], { env: fx.env }), '');
});

test(
  'who speaks: --as, else the worktree, else COORD_SESSION; a COORD_SESSION contradicting the worktree is refused, and the hooks follow the worktree',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    coordOk(fx.repo, ['start'], { env: fx.env });
    coordOk(fx.repo, ['start'], { env: fx.env });
    const sB = wtOf(fx, 'sB');
    const scopeOf = (id) => cellsOf(rowsOf(boardOnOrigin(fx.repo, fx.env)).find((r) => r.startsWith(`| ${id} `)))[5];

    const stale = { ...fx.env, COORD_SESSION: 'sA' };
    const refused = coord(sB, ['scope', 'stale export'], { env: stale });
    assert.equal(refused.code, 2, refused.stderr);
    assertOneLine(refused, /COORD_SESSION=sA, but this is sB's worktree/);
    assert.notEqual(scopeOf('sA'), 'stale export');
    assert.notEqual(scopeOf('sB'), 'stale export');

    coordOk(sB, ['scope', 'on purpose', '--as', 'sA'], { env: stale });
    assert.equal(scopeOf('sA'), 'on purpose');
    coordOk(fx.repo, ['scope', 'from the main checkout'], { env: stale });
    assert.equal(scopeOf('sA'), 'from the main checkout');
    coordOk(sB, ['scope', 'mine'], { env: fx.env });
    assert.equal(scopeOf('sB'), 'mine');

    // The commit-msg hook in sB's worktree wants [sB] whatever COORD_SESSION says, like the sh fast path.
    const ok = git(sB, ['commit', '--allow-empty', '-m', '[sB] test: mine'], { env: stale });
    assert.equal(ok.code, 0, ok.stderr);
    const wrong = git(sB, ['commit', '--allow-empty', '-m', '[sA] test: not mine'], { env: stale });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr + wrong.stdout, /prefix \[sA\] does not match worktree/);
  },
);

test(`the tests run the bundle under ${runtime}`, () => {
  const r = coord(process.cwd(), ['--version'], { env: process.env });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^coord \d+\.\d+\.\d+/);
});
