// One table per rule of protocol/: ids and names (ids.ts), where files live (layout.ts),
// the board (board.ts), the argv parser (args.ts) and the lefthook merge (lefthook.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSource } from './load.mjs';

const I = await loadSource('protocol/ids.ts');
const L = await loadSource('protocol/layout.ts');
const B = await loadSource('protocol/board.ts');
const S = await loadSource('protocol/subject.ts');
const A = await loadSource('args.ts');
const H = await loadSource('protocol/lefthook.ts');

const table = (name, rows, fn) => {
  for (const [input, want] of rows)
    test(`${name}(${JSON.stringify(input)}) → ${JSON.stringify(want)}`, () => assert.deepEqual(fn(input), want));
};

table(
  'isSessionId',
  [
    ['sA', true],
    ['sZ', true],
    ['sAA', true],
    ['sZZZ', true],
    ['sAAAA', false],
    ['sa', false],
    ['SA', false],
    ['s', false],
    ['../x', false],
    ['-sA', false],
    ['sA\n', false],
  ],
  I.isSessionId,
);
table(
  'idAt',
  [
    [0, 'sA'],
    [25, 'sZ'],
    [26, 'sAA'],
    [51, 'sAZ'],
    [52, 'sBA'],
    [701, 'sZZ'],
    [702, 'sAAA'],
  ],
  I.idAt,
);
table(
  'lowestFreeId',
  [
    [[], 'sA'],
    [['sA'], 'sB'],
    [['sB'], 'sA'],
    [['sA', 'sB', 'sD'], 'sC'],
  ],
  (taken) => I.lowestFreeId(new Set(taken)),
);
table(
  'firstFreeName',
  [
    [[], 'Sintra'],
    [['sintra'], 'Douro'],
    [I.NAME_POOL.map((n) => n.toLowerCase()), 'Sintra2'],
  ],
  (taken) => I.firstFreeName(new Set(taken)),
);
table(
  'badName',
  [
    ['Ana', null],
    ['', 'it is empty'],
    ['a|b', 'it holds one of | · ` \\ or a control character'],
    ['x'.repeat(41), 'it is longer than 40 characters'],
    ['tab\there', 'it holds one of | · ` \\ or a control character'],
  ],
  I.badName,
);
table(
  'checkRiffId ok',
  [
    ['R-12', true],
    ['RIFF-7', true],
    ['PO/R-1', true],
    ['#12', true],
    ['R 12', false],
    ['R,12', false],
    ['R|12', false],
    ['', false],
    ['x'.repeat(61), false],
    ['R·1', false],
  ],
  (s) => I.checkRiffId(s) === null,
);
table(
  'checkBranchName ok',
  [
    ['main', true],
    ['master', true],
    ['coord/board', true],
    ['-main', false],
    ['a..b', false],
    ['a//b', false],
    ['main.lock', false],
    ['main/', false],
    ['.hidden', false],
    ['a/.b', false],
    ['sp ace', false],
    ['', false],
  ],
  (s) => I.checkBranchName(s) === null,
);

const who = (flag, worktree, env) => I.speakingSession({ flag, worktree, env });
table(
  'speakingSession',
  [
    [[undefined, null, undefined], { id: null }],
    [[undefined, 'sB', undefined], { id: 'sB' }],
    [[undefined, null, 'sA'], { id: 'sA' }],
    [[undefined, 'sB', 'sB'], { id: 'sB' }],
    [['sC', 'sB', 'sA'], { id: 'sC' }],
    [['sC', null, undefined], { id: 'sC' }],
    [[undefined, 'sB', ''], { id: 'sB' }],
  ],
  (a) => who(...a),
);
for (const [args, re] of [
  [['../x', null, undefined], /not a session id/],
  [[undefined, null, '../x'], /from COORD_SESSION/],
  [[undefined, 'sB', 'sA'], /COORD_SESSION=sA, but this is sB's worktree/],
]) {
  test(`speakingSession(${JSON.stringify(args)}) is an error`, () => {
    const r = who(...args);
    assert.ok('error' in r);
    assert.match(r.error, re);
  });
}

table(
  'sessionOfBranch',
  [
    ['session-sA', 'sA'],
    ['session-sAB', 'sAB'],
    ['session-x', null],
    ['main', null],
    [null, null],
    ['session-sA/x', null],
  ],
  L.sessionOfBranch,
);
table(
  'sessionBranch ∘ sessionOfBranch',
  [
    ['sA', 'sA'],
    ['sZZZ', 'sZZZ'],
  ],
  (id) => L.sessionOfBranch(L.sessionBranch(id)),
);
table(
  'sessionOfWorktreeName',
  [
    [['repo', 'repo-sA'], 'sA'],
    [['repo', 'repo-sa'], null],
    [['repo', 'other-sA'], null],
    [['my-repo', 'my-repo-sB'], 'sB'],
    [['repo', 'repo-sA-old'], null],
  ],
  ([m, e]) => L.sessionOfWorktreeName(m, e),
);
table('queueFile', [['sA', 'docs/ai/sessions/queue/to-sA.md']], L.queueFile);
table(
  'isQueueFileName',
  [
    ['to-sA.md', true],
    ['README.md', false],
    ['to-sA.md.bak', false],
  ],
  L.isQueueFileName,
);
table(
  'sessionOfSubject',
  [
    ['[sA] fix', 'sA'],
    ['[sAB] x', 'sAB'],
    ['[sABCD] x', null],
    ['sA fix', null],
    ['fix [sA]', null],
  ],
  S.sessionOfSubject,
);
table(
  'coordSubject',
  [
    [['sA', 'claim'], '[sA] docs(ai-sessions): claim'],
    [[null, 'reap stale sB'], 'docs(ai-sessions): reap stale sB'],
  ],
  ([id, w]) => S.coordSubject(id, w),
);
test("coord's own subjects pass the commit-subject rule in their session", () => {
  assert.deepEqual(S.checkSubject(S.coordSubject('sB', 'scope sB: x'), { session: 'sB', worktree: 'r-sB', branch: 'session-sB' }), {
    ok: true,
  });
});

// ---- the board ------------------------------------------------------------------------
const T = '2026-11-26T09:00Z';
const rowLine = (id, name, extra = '') => `| ${id} · ${name} | (Riff TBD) | lane | ${T} | ${T} · | scope${extra} |`;
const text = (...rows) => B.emptyBoardText() + rows.map((r) => r + '\n').join('');
table(
  'parseBoard → ids',
  [
    [text(), []],
    [text(rowLine('sA', 'Sintra')), ['sA']],
    [text(rowLine('sA', 'Sintra'), rowLine('sB', 'Douro')), ['sA', 'sB']],
    [text(rowLine('sA', 'Sintra'), rowLine('sA', 'Again')), ['sA']],
    [text('| sA · Broken | only | three |'), []],
    [text(rowLine('sX', 'x').replace('sX', 'sx')), []],
    [text(rowLine('sA', 'Sintra')).replace(/\n/g, '\r\n'), ['sA']],
  ],
  (t) => B.parseBoard(t).rows.map((r) => r.row.id),
);
table(
  'parseBoard → problems',
  [
    [text(rowLine('sA', 'Sintra'), rowLine('sA', 'Again')), ['sA has a second row (first on line 8); the first one counts']],
    [text('| sA · Broken | only | three |'), ['row of sA has 3 cells, expected 6 (a stray or missing |?); left as it is']],
  ],
  (t) => B.parseBoard(t).problems.map((p) => p.message),
);
table('takenIds counts broken rows', [[text(rowLine('sA', 'A'), '| sB · Broken | x |'), ['sA', 'sB']]], (t) =>
  [...B.takenIds(B.parseBoard(t))].sort(),
);
table(
  'row cells',
  [
    [
      rowLine('sA', 'Sintra'),
      { id: 'sA', name: 'Sintra', riffs: [], lane: 'lane', claimed: T, presence: T, presenceNote: '', scope: 'scope' },
    ],
    [
      '| sB · Douro | R-1, R-2 | l | c | 2026-11-26T09:05Z · on a call | s \\| t |',
      {
        id: 'sB',
        name: 'Douro',
        riffs: ['R-1', 'R-2'],
        lane: 'l',
        claimed: 'c',
        presence: '2026-11-26T09:05Z',
        presenceNote: 'on a call',
        scope: 's | t',
      },
    ],
    [
      '| sC · X | (Riff TBD) | l | c | — | s |',
      { id: 'sC', name: 'X', riffs: [], lane: 'l', claimed: 'c', presence: '', presenceNote: '—', scope: 's' },
    ],
  ],
  (line) => B.parseBoard(text(line)).rows[0].row,
);
test('withRow rewrites only the changed cell, byte for byte elsewhere', () => {
  const before = text('|  sA · Sintra  | (Riff TBD) |  odd   spacing | c | ' + T + ' · | s |', rowLine('sB', 'Douro'));
  const b = B.parseBoard(before);
  const after = B.withRow(b, { ...B.findRow(b, 'sA'), scope: 'new' });
  assert.equal(after, before.replace('| s |', '| new |'));
});
test('withRow adds a row after the last one; withoutRow removes exactly it', () => {
  const t0 = text(rowLine('sA', 'A'));
  const added = B.withRow(B.parseBoard(t0), { ...B.findRow(B.parseBoard(t0), 'sA'), id: 'sB', name: 'B' });
  assert.equal(added, t0 + '| sB · B | (Riff TBD) | lane | ' + T + ' | ' + T + ' · | scope |\n');
  assert.equal(B.withoutRow(B.parseBoard(added), 'sB'), t0);
});
table(
  'onlyPresenceDiffers',
  [
    [[text(rowLine('sA', 'A')), text(rowLine('sA', 'A')).replace(`${T} · |`, '2026-11-26T09:07Z · |'), 'sA'], true],
    [[text(rowLine('sA', 'A')), text(rowLine('sA', 'A')).replace('| scope |', '| other |'), 'sA'], false],
    [[text(rowLine('sA', 'A')), text(rowLine('sA', 'A')).replace(`${T} · |`, '2026-11-26T09:07Z · |'), 'sB'], false],
  ],
  ([h, w, id]) => B.onlyPresenceDiffers(h, w, id),
);
table(
  'cellText',
  [
    ['  billing   API ', 'billing API'],
    ['a\nb', 'a b'],
  ],
  (s) => B.cellText(s, 'scope'),
);
for (const [bad, re] of [
  ['', /empty/],
  ['\u0007', /control character/],
  ['x'.repeat(201), /201 characters/],
]) {
  test(`cellText(${JSON.stringify(bad.slice(0, 8))}) refused`, () => assert.throws(() => B.cellText(bad, 'scope'), re));
}

// ---- args -----------------------------------------------------------------------------
const spec = {
  name: 'send',
  summary: '',
  usage: '<to>',
  flags: [
    { name: 'message', short: 'm', value: 'TEXT', help: '', repeat: true },
    { name: 'json', help: '' },
    { name: 'type', value: 'T', help: '' },
  ],
  positionals: [1, 1],
  group: 'messages',
  needs: 'session',
};
table(
  'parseArgs',
  [
    [['sA', '-m', 'hi'], { flags: { message: ['hi'] }, args: ['sA'] }],
    [['sA', '-mhi', '--message=yo'], { flags: { message: ['hi', 'yo'] }, args: ['sA'] }],
    [['--json', 'sA'], { flags: { json: true }, args: ['sA'] }],
    [['--type', 'question', 'sA'], { flags: { type: 'question' }, args: ['sA'] }],
    [['--as', 'sB', 'sA'], { flags: { as: 'sB' }, args: ['sA'] }],
    [['--', '--json'], { flags: {}, args: ['--json'] }],
    [['-5'], { flags: {}, args: ['-5'] }],
    [['--help'], { flags: { help: true }, args: [] }],
  ],
  (argv) => A.parseArgs(spec, argv),
);
for (const [argv, re] of [
  [['sA', '--nope'], /unknown option '--nope'/],
  [['sA', '-x'], /unknown option '-x'/],
  [['sA', '--type'], /--type needs a value/],
  [['sA', '--json=1'], /--json takes no value/],
  [[], /missing argument/],
  [['sA', 'sB'], /unexpected argument 'sB'/],
]) {
  test(`parseArgs(${JSON.stringify(argv)}) is a usage error`, () =>
    assert.throws(
      () => A.parseArgs(spec, argv),
      (e) => e.exitCode === 2 && re.test(e.message),
    ));
}
test('verbs that do not speak as a session take no --as', () => {
  for (const needs of ['nothing', 'repo'])
    assert.throws(() => A.parseArgs({ ...spec, needs }, ['sA', '--as', 'sB']), /unknown option '--as'/);
});

// ---- lefthook.yml merge ---------------------------------------------------------------
const jobs = H.coordJobs('node');
const merged = (t) => H.mergeLefthook(t, jobs);
table(
  'mergeLefthook added',
  [
    ['', ['coord-check-reserved', 'coord-check-prefix', 'coord-heartbeat']],
    ['pre-commit:\n  commands:\n    lint:\n      run: npm run lint\n', ['coord-check-reserved', 'coord-check-prefix', 'coord-heartbeat']],
    [merged('').text, []],
  ],
  (t) => merged(t).added,
);
test("mergeLefthook keeps every byte of the team's file and adds under an existing hook", () => {
  const team =
    '# our hooks\npre-commit:\n  commands:\n    lint:\n      run: npm run lint   # fast\ncommit-msg:\n  commands:\n    commitlint:\n      run: npx commitlint --edit {1}\n';
  const out = merged(team).text;
  for (const line of team.split('\n')) assert.ok(out.includes(line), line);
  assert.equal(out.match(/^commit-msg:/gm).length, 1);
  assert.equal(out.match(/^pre-commit:/gm).length, 1);
  assert.match(
    out,
    /pre-commit:\n  commands:\n    coord-check-reserved:\n      run: sh infrastructure\/scripts\/coord-reserved-guard.sh \|\| node infrastructure\/scripts\/coord.mjs check-reserved\n      skip: \[merge, rebase\]\n    lint:/,
  );
  assert.match(
    out,
    /commit-msg:\n  commands:\n    coord-check-prefix:\n      run: sh infrastructure\/scripts\/coord-prefix-guard.sh "\{1\}" \|\| node infrastructure\/scripts\/coord.mjs check-prefix "\{1\}"\n/,
  );
});
test('mergeLefthook follows a jobs: list and CRLF', () => {
  const out = merged('post-commit:\r\n  jobs:\r\n    - name: notify\r\n      run: ./notify.sh\r\n').text;
  assert.match(
    out,
    /post-commit:\r\n  jobs:\r\n    - name: coord-heartbeat\r\n      run: sh infrastructure\/scripts\/coord-heartbeat.sh \|\| node infrastructure\/scripts\/coord.mjs heartbeat\r\n      skip: \[merge, rebase\]\r\n    - name: notify/,
  );
});

// ---- one list of coord's jobs and scripts (HOOK_JOBS, HOOK_SCRIPTS) ---------------------
test('coordJobs renders one job per entry of HOOK_JOBS, each running its fast path, then its verb', () => {
  assert.deepEqual(
    jobs.map((j) => j.hook),
    H.HOOK_JOBS.map((j) => j.hook),
  );
  for (const [i, j] of H.HOOK_JOBS.entries()) {
    assert.ok(jobs[i].run.startsWith(`sh ${j.fastPath}`), jobs[i].run);
    assert.match(jobs[i].run, new RegExp(`\\|\\| node infrastructure/scripts/coord\\.mjs ${j.verb}`));
  }
  assert.deepEqual(H.HOOK_SCRIPTS, ['infrastructure/scripts/coord.mjs', ...H.HOOK_JOBS.map((j) => j.fastPath)]);
});

test("the docs count coord's jobs as HOOK_JOBS does, and the reference names every script the hooks run", async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const root = new URL('../../', import.meta.url);
  const words = ['zero', 'one', 'two', 'three', 'four', 'five'];
  const docs = [
    'README.md',
    ...readdirSync(new URL('docs/', root))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const wrong = [];
  for (const doc of docs) {
    const text = readFileSync(new URL(doc, root), 'utf8');
    for (const m of text.matchAll(/\b(one|two|three|four|five|both)\s+(?:of\s+)?(?:coord's\s+|hook\s+|lefthook\s+)?jobs\b/gi)) {
      if (m[1].toLowerCase() !== words[H.HOOK_JOBS.length]) wrong.push(`${doc}: "${m[0]}"`);
    }
  }
  assert.deepEqual(wrong, []);
  const reference = readFileSync(new URL('docs/reference.md', root), 'utf8');
  for (const script of H.HOOK_SCRIPTS) assert.ok(reference.includes(script.split('/').pop()), `docs/reference.md names ${script}`);
});
