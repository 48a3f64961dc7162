// The plan of every writing verb, as one-line tables: a board and inboxes in (as text), the
// files, subject and value out, or the refusal. Plans are pure, so nothing here runs git.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSource } from './load.mjs';

const P = await loadSource('plans.ts');
const B = await loadSource('protocol/board.ts');
const MB = await loadSource('protocol/mailbox.ts');
const M = await loadSource('protocol/message.ts');
/** A mailbox from queue files' texts, as readMailbox builds one. */
const mailboxOfTexts = (files) => MB.mailboxOf(Object.entries(files).map(([file, text]) => ({ file, parsed: M.parseQueueFile(text) })));

const NOW = '2026-11-26T10:00Z';
const T0 = '2026-11-26T09:00Z';
const BOARD = 'docs/ai/sessions/active.md';
const row = (id, name, riffs = '(Riff TBD)', scope = 'scope TBD') =>
  `| ${id} · ${name} | ${riffs} | worktree \`session-${id}\` → direct-to-main, \`[${id}]\` | ${T0} | ${T0} · | ${scope} |`;
const board = (...rows) => B.emptyBoardText() + rows.map((r) => r + '\n').join('');
const NONE = { seen: null, acked: null, resolved: null };
const block = (o) => M.renderMessage({ stamp: T0, from: 'sB', to: 'sA', type: 'question', ref: '—', status: NONE, body: 'hi', ...o });

/** A view of the blackboard built from file texts, as a Snapshot would show it. */
function view(files) {
  const queues = Object.fromEntries(Object.entries(files).filter(([p]) => p.startsWith('docs/ai/sessions/queue/to-')));
  return { read: (p) => files[p] ?? null, mailbox: () => mailboxOfTexts(queues) };
}
const AB = { [BOARD]: board(row('sA', 'Sintra', 'R-1'), row('sB', 'Douro')) };
const rowOf = (text, id) => B.findRow(B.parseBoard(text), id);
const QA = 'docs/ai/sessions/queue/to-sA.md';
const QB = 'docs/ai/sessions/queue/to-sB.md';
const ARCH_B = 'docs/ai/sessions/archive/to-sB-20261126T0900Z.md';
const claim = (o = {}) => ({ scope: 'x', branch: 'main', leftovers: new Set(), now: NOW, ...o });

// [what, files, plan(view) → result, check(result)]
const cases = [
  [
    'claim: empty board → sA, Sintra, row added',
    {},
    (v) => P.planClaim(v, claim()),
    (r) => {
      assert.equal(r.value.id, 'sA');
      assert.equal(r.value.name, 'Sintra');
      assert.equal(r.subject, `[sA] docs(ai-sessions): claim sA at ${NOW}`);
      assert.equal(rowOf(r.files.get(BOARD), 'sA').claimed, NOW);
    },
  ],
  [
    'claim: sA, sB taken → sC, third name',
    AB,
    (v) => P.planClaim(v, claim()),
    (r) => {
      assert.equal(r.value.id, 'sC');
      assert.equal(r.value.name, 'Porto');
    },
  ],
  [
    'claim: a leftover id is skipped',
    {},
    (v) => P.planClaim(v, claim({ leftovers: new Set(['sA']) })),
    (r) => assert.equal(r.value.id, 'sB'),
  ],
  ['claim: --as a free id', AB, (v) => P.planClaim(v, claim({ wanted: 'sF' })), (r) => assert.equal(r.value.id, 'sF')],
  ['claim: --as a taken id refused', AB, (v) => P.planClaim(v, claim({ wanted: 'sB' })), /sB is already on the board/],
  [
    'claim: --as a leftover id refused',
    {},
    (v) => P.planClaim(v, claim({ wanted: 'sA', leftovers: new Set(['sA']) })),
    /left over in this clone/,
  ],
  ['claim: a taken name refused, case-insensitive', AB, (v) => P.planClaim(v, claim({ name: 'douro' })), /name 'douro' is taken/],
  [
    'claim: the Riff and the lane go on the row',
    {},
    (v) => P.planClaim(v, claim({ riff: 'R-9', branch: 'coord' })),
    (r) => {
      assert.deepEqual(r.value.riffs, ['R-9']);
      assert.match(r.value.lane, /direct-to-coord/);
    },
  ],
  [
    'scope: cell and presence change, nothing else',
    AB,
    (v) => P.planScope(v, 'sB', 'billing', NOW),
    (r) => {
      const x = rowOf(r.files.get(BOARD), 'sB');
      assert.equal(x.scope, 'billing');
      assert.equal(x.presence, NOW);
      assert.equal(rowOf(r.files.get(BOARD), 'sA').presence, T0);
    },
  ],
  ['scope: no row → refused', AB, (v) => P.planScope(v, 'sC', 'x', NOW), /sC has no row on the board/],
  ['riff set', AB, (v) => P.planRiff(v, 'sB', { set: 'R-2' }, NOW), (r) => assert.deepEqual(r.value.riffs, ['R-2'])],
  ['riff add keeps the first', AB, (v) => P.planRiff(v, 'sA', { add: 'R-2' }, NOW), (r) => assert.deepEqual(r.value.riffs, ['R-1', 'R-2'])],
  ['riff add twice is one', AB, (v) => P.planRiff(v, 'sA', { add: 'R-1' }, NOW), (r) => assert.deepEqual(r.value.riffs, ['R-1'])],
  ['riff drop', AB, (v) => P.planRiff(v, 'sA', { drop: 'R-1' }, NOW), (r) => assert.deepEqual(r.value.riffs, [])],
  ['riff drop of one not held refused', AB, (v) => P.planRiff(v, 'sB', { drop: 'R-1' }, NOW), /sB does not hold Riff R-1/],
  [
    'riff none',
    AB,
    (v) => P.planRiff(v, 'sA', { none: true }, NOW),
    (r) => assert.equal(r.files.get(BOARD).includes('| (Riff TBD) |'), true),
  ],
  [
    'pause writes the ETA into the scope',
    AB,
    (v) => P.planPause(v, 'sA', 'after lunch', NOW),
    (r) => assert.equal(r.value.scope, 'paused — resuming after lunch'),
  ],
  [
    'close removes the row',
    AB,
    (v) => P.planRemoveRow(v, 'sA', 'self-close sA'),
    (r) => {
      assert.equal(r.value, true);
      assert.equal(rowOf(r.files.get(BOARD), 'sA'), undefined);
      assert.ok(rowOf(r.files.get(BOARD), 'sB'));
    },
  ],
  [
    'close without a row writes nothing',
    AB,
    (v) => P.planRemoveRow(v, 'sC', 'self-close sC'),
    (r) => {
      assert.equal(r.value, false);
      assert.equal(r.files.size, 0);
    },
  ],
  [
    'reap removes what the predicate picks, one commit',
    AB,
    (v) => P.planReap(v, null, (x) => x.id === 'sB'),
    (r) => {
      assert.deepEqual(r.value, { ids: ['sB'], resolved: 0 });
      assert.equal(r.subject, 'docs(ai-sessions): reap stale sB');
    },
  ],
  [
    "close moves the mail to me into my session's archive, in the same commit; other mail stays",
    {
      ...AB,
      [QB]: block({ to: 'sB', from: 'sA', body: 'review?' }) + '\n' + block({ to: 'sB', from: 'sA', body: 'two' }),
      [QA]: block({}),
    },
    (v) => P.planClose(v, 'sB', false),
    (r) => {
      assert.equal(rowOf(r.files.get(BOARD), 'sB'), undefined);
      assert.equal(r.files.get(QB), null);
      assert.equal(r.files.has(QA), false);
      const arch = r.files.get(ARCH_B);
      assert.match(arch, /^# Mail to sB · Douro \(claimed 2026-11-26T09:00Z\), closed/);
      assert.deepEqual(
        M.parseQueueFile(arch).messages.map((m) => m.body),
        ['review?', 'two'],
      );
      assert.deepEqual(M.parseQueueFile(arch).problems, []);
    },
  ],
  [
    "reap archives the reaped sessions' mail, marked reaped, keeping hand text of the inbox",
    { ...AB, [QB]: '# notes\n\n' + block({ to: 'sB', from: 'sA', body: 'x' }) },
    (v) => P.planReap(v, null, (x) => x.id === 'sB'),
    (r) => {
      assert.equal(r.files.get(QB), '# notes\n\n');
      assert.match(r.files.get(ARCH_B), /claimed 2026-11-26T09:00Z\), reaped/);
    },
  ],
  [
    "doctor's release of a claim archives its mail too",
    { ...AB, [QB]: block({ to: 'sB', from: 'sA', body: 'x' }) },
    (v) => P.planRemoveRow(v, 'sB', 'release sB'),
    (r) => assert.equal(M.parseQueueFile(r.files.get(ARCH_B)).messages.length, 1),
  ],
  [
    'reap moves messages resolved before the cut-off to the archive, apart from the mail of sessions that leave',
    {
      ...AB,
      [QA]: [
        block({ body: 'old', status: { seen: T0, acked: T0, resolved: '2026-11-01T09:00Z' } }),
        block({ body: 'recent', status: { seen: T0, acked: T0, resolved: T0 } }),
        block({ body: 'open' }),
      ].join('\n'),
    },
    (v) => P.planReap(v, 'sA', () => false, Date.parse('2026-11-19T10:00Z')),
    (r) => {
      assert.deepEqual(r.value, { ids: [], resolved: 1 });
      assert.deepEqual(
        M.parseQueueFile(r.files.get(QA)).messages.map((m) => m.body),
        ['recent', 'open'],
      );
      const arch = r.files.get('docs/ai/sessions/archive/to-sA-20261126T0900Z-resolved.md');
      assert.match(arch, /^# Mail to sA · Sintra \(claimed 2026-11-26T09:00Z\), resolved/);
      assert.deepEqual(
        M.parseQueueFile(arch).messages.map((m) => m.body),
        ['old'],
      );
      assert.match(r.subject, /archive 1 resolved message/);
    },
  ],
  ['reap of nothing writes nothing', AB, (v) => P.planReap(v, 'sA', () => false), (r) => assert.equal(r.files.size, 0)],
  [
    "send appends to the recipient's inbox",
    AB,
    (v) => P.planSend(v, { me: 'sB', to: 'sA', type: 'question', ref: '—', body: 'hi?', now: NOW }),
    (r) => {
      assert.equal(r.value.file, 'docs/ai/sessions/queue/to-sA.md');
      assert.match(r.files.get(r.value.file), /^## 2026-11-26T10:00Z · from:sB · to:sA · type:question · ref:— · status:sent\nhi\?\n/);
      assert.equal(r.subject, '[sB] docs(ai-sessions): question to sA: hi?');
    },
  ],
  [
    'send to a session not on the board refused',
    AB,
    (v) => P.planSend(v, { me: 'sB', to: 'sZ', type: 'info', ref: '—', body: 'x', now: NOW }),
    /No session sZ on the board \(on it: sA, sB\)/,
  ],
  [
    'send completes a short message id in ref',
    { ...AB, 'docs/ai/sessions/queue/to-sB.md': block({ from: 'sA', to: 'sB' }) },
    (v) =>
      P.planSend(v, {
        me: 'sB',
        to: 'sA',
        type: 'answer',
        ref: mailboxOfTexts({ x: block({ from: 'sA', to: 'sB' }) }).messages[0].id.slice(0, 5),
        body: 'x',
        now: NOW,
      }),
    (r) => assert.match(r.value.ref, /^[0-9a-f]{10}$/),
  ],
  [
    'handoff moves the Riff and writes the block, one commit',
    AB,
    (v) => P.planHandoff(v, { me: 'sA', to: 'sB', riff: 'R-1', body: 'yours', now: NOW }),
    (r) => {
      const t = r.files.get(BOARD);
      assert.deepEqual(rowOf(t, 'sA').riffs, []);
      assert.deepEqual(rowOf(t, 'sB').riffs, ['R-1']);
      assert.match(r.files.get('docs/ai/sessions/queue/to-sB.md'), /type:handoff · ref:R-1/);
    },
  ],
  [
    'handoff of a Riff not held refused',
    AB,
    (v) => P.planHandoff(v, { me: 'sB', to: 'sA', riff: 'R-1', body: 'x', now: NOW }),
    /You \(sB\) do not hold Riff R-1/,
  ],
  [
    'handoff to a session not on the board refused',
    AB,
    (v) => P.planHandoff(v, { me: 'sA', to: 'sC', riff: 'R-1', body: 'x', now: NOW }),
    /No session sC on the board/,
  ],
];

const Q = 'docs/ai/sessions/queue/to-sA.md';
const withQ = { ...AB, [Q]: block({}) };
const qid = mailboxOfTexts({ [Q]: block({}) }).messages[0].id;
cases.push(
  [
    'ack stamps seen and acked',
    withQ,
    (v) => P.planAdvance(v, { me: 'sA', prefix: qid, level: 'acked', verb: 'ack', now: NOW }),
    (r) => {
      assert.deepEqual(r.value.status, { seen: NOW, acked: NOW, resolved: null });
      assert.match(r.files.get(Q), /→ status:seen 2026-11-26T10:00Z · acked 2026-11-26T10:00Z/);
    },
  ],
  [
    'ack by someone else refused',
    withQ,
    (v) => P.planAdvance(v, { me: 'sB', prefix: qid, level: 'acked', verb: 'ack', now: NOW }),
    /addressed to sA, not to you \(sB\)/,
  ],
  [
    'ack of an unknown id refused',
    withQ,
    (v) => P.planAdvance(v, { me: 'sA', prefix: 'abcd', level: 'acked', verb: 'ack', now: NOW }),
    /No message abcd/,
  ],
  [
    'seen twice writes nothing the second time',
    { ...AB, [Q]: block({ status: { seen: T0, acked: null, resolved: null } }) },
    (v) => P.planAdvance(v, { me: 'sA', prefix: qid, level: 'seen', verb: 'seen', now: NOW }),
    (r) => assert.equal(r.files.size, 0),
  ],
  [
    'reply: answer under the question, question resolved',
    withQ,
    (v) => P.planReply(v, { me: 'sA', prefix: qid, body: 'no', resolve: true, now: NOW }),
    (r) => {
      assert.equal(r.value.to, 'sB');
      assert.equal(r.value.ref, qid);
      const box = mailboxOfTexts({ [Q]: r.files.get(Q) });
      assert.equal(box.messages[0].status.resolved, NOW);
      assert.equal(box.messages[1].ref, qid);
    },
  ],
);

const RES = 'docs/ai/sessions/reservations.md';
const R = await loadSource('protocol/reservations.ts');
const NOW_MS = Date.parse('2026-11-26T10:00:00Z');
const reserve =
  (me, paths, o = {}) =>
  (v) =>
    P.planReserve(v, { me, paths, until: '2026-11-26T12:00Z', note: '', staleMs: 86400e3, now: NOW, nowMs: NOW_MS, ...o });
const held = (...rows) =>
  R.withReservations(
    null,
    rows.map(([path, session, until = '2026-11-26T12:00Z', note = '']) => ({ path, session, until, note })),
    () => false,
  );
const resRows = (text) => R.parseReservations(text).rows.map((r) => [r.res.path, r.res.session, r.res.until]);
cases.push(
  [
    'reserve: a row per path, my presence refreshed',
    AB,
    reserve('sB', ['src/api/', 'a.md']),
    (r) => {
      assert.deepEqual(resRows(r.files.get(RES)), [
        ['src/api/', 'sB', '2026-11-26T12:00Z'],
        ['a.md', 'sB', '2026-11-26T12:00Z'],
      ]);
      assert.equal(rowOf(r.files.get(BOARD), 'sB').presence, NOW);
      assert.match(r.subject, /^\[sB\] docs\(ai-sessions\): reserve src\/api\/, a\.md until/);
    },
  ],
  [
    "reserve of a path inside another session's folder refused, naming holder and note",
    { ...AB, [RES]: held(['src/', 'sA', '2026-11-26T12:00Z', 'big move']) },
    reserve('sB', ['src/x.ts']),
    /src\/x\.ts overlaps src\/, reserved by sA \(Sintra\) until 2026-11-26T12:00Z \(«big move»\)\. Ask them: coord send sA/,
  ],
  [
    'reserve over an ended reservation: the old row is cleared',
    { ...AB, [RES]: held(['src/', 'sA', '2026-11-26T09:00Z']) },
    reserve('sB', ['src/x.ts']),
    (r) => assert.deepEqual(resRows(r.files.get(RES)), [['src/x.ts', 'sB', '2026-11-26T12:00Z']]),
  ],
  [
    'reserve over a session off the board: cleared',
    { ...AB, [RES]: held(['src/', 'sC']) },
    reserve('sB', ['src/']),
    (r) => assert.deepEqual(resRows(r.files.get(RES)), [['src/', 'sB', '2026-11-26T12:00Z']]),
  ],
  [
    'reserve again of my own path: new time, one row',
    { ...AB, [RES]: held(['src/', 'sB']) },
    reserve('sB', ['src/'], { until: '2026-11-26T15:00Z' }),
    (r) => assert.deepEqual(resRows(r.files.get(RES)), [['src/', 'sB', '2026-11-26T15:00Z']]),
  ],
  ['reserve by a session with no row refused', AB, reserve('sC', ['a']), /sC has no row on the board/],
  [
    'release all of mine, others kept',
    { ...AB, [RES]: held(['a', 'sA'], ['b', 'sB'], ['c', 'sB']) },
    (v) => P.planRelease(v, { me: 'sB', paths: [] }),
    (r) => {
      assert.deepEqual(resRows(r.files.get(RES)), [['a', 'sA', '2026-11-26T12:00Z']]);
      assert.deepEqual(
        r.value.map((x) => x.path),
        ['b', 'c'],
      );
    },
  ],
  [
    'release of a path I do not hold refused, listing mine',
    { ...AB, [RES]: held(['a', 'sA'], ['b', 'sB']) },
    (v) => P.planRelease(v, { me: 'sB', paths: ['a'] }),
    /You \(sB\) hold no reservation of a; yours: b\./,
  ],
  [
    'close drops my reservations with my row',
    { ...AB, [RES]: held(['a', 'sA'], ['b', 'sB']) },
    (v) => P.planClose(v, 'sB', false),
    (r) => assert.deepEqual(resRows(r.files.get(RES)), [['a', 'sA', '2026-11-26T12:00Z']]),
  ],
  [
    "reap drops the reaped sessions' reservations",
    { ...AB, [RES]: held(['a', 'sA'], ['b', 'sB']) },
    (v) => P.planReap(v, null, (row) => row.id === 'sB'),
    (r) => assert.deepEqual(resRows(r.files.get(RES)), [['a', 'sA', '2026-11-26T12:00Z']]),
  ],
);

// Two sessions holding a row each for one path (written by hand, or left when one reserved a
// path while the other's row did not count, its session stale): a release takes the releaser's
// rows only, by path and session; every other line stays as it was, byte for byte (sB's first
// row is spaced and escaped oddly on purpose).
const SHARED = [
  '| `src/api.ts` | sA | 2026-11-26T12:00Z | mine |',
  '|  `src/api.ts`  | sB |2026-11-26T12:00:30Z| ours \\| too |',
  '| `docs/` | sA | 2026-11-26T12:00Z | — |',
  '| `docs/` | sB | 2026-11-26T11:00Z | docs, also |',
];
const sharedTable = (...keep) => R.withReservations(null, [], () => false) + keep.map((k) => SHARED[k] + '\n').join('');
test('the shared-path table parses as four rows, two sessions on each path', () => {
  const t = R.parseReservations(sharedTable(0, 1, 2, 3));
  assert.deepEqual(t.problems, []);
  const holders = [
    ['src/api.ts', 'sA'],
    ['src/api.ts', 'sB'],
    ['docs/', 'sA'],
    ['docs/', 'sB'],
  ];
  assert.deepEqual(
    t.rows.map((r) => [r.res.path, r.res.session]),
    holders,
  );
});
cases.push(
  [
    'release of a path another session also holds: my row goes, theirs stays byte for byte',
    { ...AB, [RES]: sharedTable(0, 1, 2, 3) },
    (v) => P.planRelease(v, { me: 'sA', paths: ['src/api.ts'] }),
    (r) => {
      assert.equal(r.files.get(RES), sharedTable(1, 2, 3));
      assert.deepEqual(r.value, [{ path: 'src/api.ts', session: 'sA', until: '2026-11-26T12:00Z', note: 'mine' }]);
    },
  ],
  [
    'release of all mine where another session holds the same paths: only theirs left, byte for byte',
    { ...AB, [RES]: sharedTable(0, 1, 2, 3) },
    (v) => P.planRelease(v, { me: 'sA', paths: [] }),
    (r) => {
      assert.equal(r.files.get(RES), sharedTable(1, 3));
      assert.deepEqual(
        r.value.map((x) => [x.path, x.session]),
        [
          ['src/api.ts', 'sA'],
          ['docs/', 'sA'],
        ],
      );
    },
  ],
  [
    "release by the other session of the same shared path: the first session's row stays",
    { ...AB, [RES]: sharedTable(0, 1, 2, 3) },
    (v) => P.planRelease(v, { me: 'sB', paths: ['src/api.ts'] }),
    (r) => assert.equal(r.files.get(RES), sharedTable(0, 2, 3)),
  ],
  [
    "release all of mine by the other session: the first session's rows stay",
    { ...AB, [RES]: sharedTable(0, 1, 2, 3) },
    (v) => P.planRelease(v, { me: 'sB', paths: [] }),
    (r) => assert.equal(r.files.get(RES), sharedTable(0, 2)),
  ],
);

for (const [what, files, run, expect] of cases) {
  test(what, () => {
    if (expect instanceof RegExp) assert.throws(() => run(view(files)), expect);
    else expect(run(view(files)));
  });
}

test('a plan gives the same files for the same view: publish may re-apply it on every attempt', () => {
  for (const [what, files, run, expect] of cases) {
    if (expect instanceof RegExp) continue;
    const once = run(view(files));
    const twice = run(view(files));
    assert.deepEqual([...twice.files], [...once.files], what);
    assert.equal(twice.subject, once.subject, what);
  }
});
