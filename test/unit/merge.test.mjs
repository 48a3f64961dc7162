// The coordination files' three-way merges (src/protocol/merge.ts) as tables: a base, two
// sides made by the edits coord's verbs and the tutorial's hand steps make, and what applying
// both gives. The same merges run through real git in test/e2e/merge.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../helpers.mjs';
import { loadSource } from './load.mjs';

const G = await loadSource('protocol/merge.ts');
const B = await loadSource('protocol/board.ts');
const M = await loadSource('protocol/message.ts');

const T = (m) => `2026-11-26T10:${String(m).padStart(2, '0')}Z`;
const row = (id, name, o = {}) => ({
  id,
  name,
  riffs: [],
  lane: `worktree \`session-${id}\` → direct-to-main, \`[${id}]\``,
  claimed: T(0),
  presence: T(0),
  presenceNote: '',
  scope: 'scope TBD',
  ...o,
});
const board = (...rows) => rows.reduce((t, r) => B.withRow(B.parseBoard(t), r), B.emptyBoardText());
const rowsOf = (text) => B.parseBoard(text).rows.map((r) => r.row);
const edit = (text, id, change) => B.withRow(B.parseBoard(text), { ...B.findRow(B.parseBoard(text), id), ...change });
const drop = (text, id) => B.withoutRow(B.parseBoard(text), id);
const add = (text, r) => B.withRow(B.parseBoard(text), r);

const base = board(row('sA', 'Sintra'), row('sB', 'Douro'), row('sC', 'Porto'));
const cases = [
  [
    "heartbeat on one side, a neighbour's scope on the other",
    edit(base, 'sA', { presence: T(5) }),
    edit(base, 'sB', { scope: 'billing' }),
    { sA: { presence: T(5) }, sB: { scope: 'billing' } },
  ],
  [
    'both sides move the same presence: the newer wins',
    edit(base, 'sA', { presence: T(9) }),
    edit(base, 'sA', { presence: T(5) }),
    { sA: { presence: T(9) } },
  ],
  ['a row added on each side: both kept', add(base, row('sD', 'Faro')), add(base, row('sE', 'Braga')), { sD: {}, sE: {} }],
  [
    'a close on one side, a heartbeat of that row on the other: stays removed',
    drop(base, 'sC'),
    edit(base, 'sC', { presence: T(7) }),
    { sC: null },
  ],
  ['a close on one side, nothing on the other', base, drop(base, 'sB'), { sB: null }],
  [
    'a Riff taken on each side by different rows',
    edit(base, 'sA', { riffs: ['R-1'] }),
    edit(base, 'sB', { riffs: ['R-2'] }),
    { sA: { riffs: ['R-1'] }, sB: { riffs: ['R-2'] } },
  ],
  [
    'Riffs added to one row on both sides: the union',
    edit(base, 'sA', { riffs: ['R-1'] }),
    edit(base, 'sA', { riffs: ['R-2'] }),
    { sA: { riffs: ['R-1', 'R-2'] } },
  ],
  ['the same scope set on both sides', edit(base, 'sA', { scope: 'x' }), edit(base, 'sA', { scope: 'x' }), { sA: { scope: 'x' } }],
  [
    'a handoff on one side, a heartbeat on the other',
    edit(edit(base, 'sA', { riffs: [] }), 'sB', { riffs: ['R-7'] }),
    edit(base, 'sB', { presence: T(3) }),
    { sB: { riffs: ['R-7'], presence: T(3) } },
  ],
];
for (const [what, a, b, want] of cases) {
  for (const [x, y, side] of [
    [a, b, 'ours/theirs'],
    [b, a, 'swapped'],
  ]) {
    test(`board: ${what} (${side})`, () => {
      const { text, notes } = G.mergeBoard(base, x, y);
      const rows = Object.fromEntries(rowsOf(text).map((r) => [r.id, r]));
      for (const [id, expect] of Object.entries(want)) {
        if (expect === null) {
          assert.equal(rows[id], undefined, `${id} should be gone`);
          continue;
        }
        assert.ok(rows[id], `${id} should be there`);
        for (const [k, v] of Object.entries(expect)) assert.deepEqual(rows[id][k], v, `${id}.${k}`);
      }
      for (const id of ['sA', 'sB', 'sC'].filter((i) => !(i in want)))
        assert.deepEqual(
          rows[id],
          rowsOf(base).find((r) => r.id === id),
          `${id} untouched`,
        );
      assert.equal(B.parseBoard(text).problems.length, 0, notes.join('; '));
      assert.doesNotMatch(text, /^(<<<<<<<|=======|>>>>>>>)/m);
    });
  }
}
test('board: the same cell set to two values keeps one by a fixed rule, whichever side is ours, and says so', () => {
  const a = edit(base, 'sA', { scope: 'alpha' });
  const b = edit(base, 'sA', { scope: 'beta' });
  const one = G.mergeBoard(base, a, b);
  const two = G.mergeBoard(base, b, a);
  assert.equal(B.findRow(B.parseBoard(one.text), 'sA').scope, 'beta');
  assert.equal(B.findRow(B.parseBoard(two.text), 'sA').scope, 'beta');
  assert.match(one.notes.join(), /sA's scope was set to 'alpha' and to 'beta': kept 'beta'/);
});
test('board: a header edit on one side and a row change on the other are both kept', () => {
  const a = base.replace('# Active sessions', '# Active sessions (team X)');
  const b = edit(base, 'sB', { scope: 'billing' });
  const { text } = G.mergeBoard(base, a, b);
  assert.match(text, /team X/);
  assert.equal(B.findRow(B.parseBoard(text), 'sB').scope, 'billing');
  assert.equal(G.mergeBoard(base, b, a).text, text);
});

// ---- inboxes ----
const NONE = { seen: null, acked: null, resolved: null };
const msg = (o) => ({ stamp: T(1), from: 'sB', to: 'sA', type: 'question', ref: '—', status: NONE, body: 'hi', ...o });
const q0 = M.appendBlock('', msg({ body: 'first' }));
const idsOf = (t) => M.parseQueueFile(t).messages.map((m) => m.body);
test('inbox: two appends on two sides keep both blocks, in stamp order whichever side is ours', () => {
  const a = M.appendBlock(q0, msg({ from: 'sC', stamp: T(3), body: 'from sC' }));
  const b = M.appendBlock(q0, msg({ stamp: T(2), body: 'from sB' }));
  const one = G.mergeQueue(q0, a, b).text;
  assert.deepEqual(idsOf(one), ['first', 'from sB', 'from sC']);
  assert.equal(G.mergeQueue(q0, b, a).text, one);
  assert.equal(M.parseQueueFile(one).problems.length, 0);
});
test('inbox: an ack on one side and an append on the other', () => {
  const m = M.parseQueueFile(q0).messages[0];
  const a = M.setStatus(q0, m, { seen: T(4), acked: T(4), resolved: null });
  const b = M.appendBlock(q0, msg({ stamp: T(5), body: 'again' }));
  for (const [x, y] of [
    [a, b],
    [b, a],
  ]) {
    const text = G.mergeQueue(q0, x, y).text;
    const got = M.parseQueueFile(text).messages;
    assert.deepEqual(
      got.map((g) => g.body),
      ['first', 'again'],
    );
    assert.deepEqual(got[0].status, { seen: T(4), acked: T(4), resolved: null });
  }
});
test('inbox: seen on one side, resolved on the other: field by field', () => {
  const m = M.parseQueueFile(q0).messages[0];
  const a = M.setStatus(q0, m, { seen: T(4), acked: null, resolved: null });
  const b = M.setStatus(q0, m, { seen: T(6), acked: T(6), resolved: T(6) });
  const text = G.mergeQueue(q0, a, b).text;
  assert.deepEqual(M.parseQueueFile(text).messages[0].status, { seen: T(4), acked: T(6), resolved: T(6) });
});
test('inbox: a reply under the question on one side, an append on the other', () => {
  const q = M.parseQueueFile(q0).messages[0];
  const a = M.insertAfter(
    M.appendBlock(q0, msg({ stamp: T(2), body: 'later one' })),
    q,
    msg({ from: 'sA', to: 'sB', type: 'answer', ref: q.id, stamp: T(3), body: 'the answer' }),
  );
  const b = M.appendBlock(q0, msg({ from: 'sC', stamp: T(4), body: 'from sC' }));
  const text = G.mergeQueue(q0, a, b).text;
  assert.deepEqual(idsOf(text), ['first', 'the answer', 'later one', 'from sC']);
});
test('inbox: a file created on both sides (add/add) keeps both blocks', () => {
  const a = M.appendBlock('', msg({ from: 'sC', stamp: T(2), body: 'c' }));
  const b = M.appendBlock('', msg({ stamp: T(1), body: 'b' }));
  assert.deepEqual(idsOf(G.mergeQueue('', a, b).text), ['b', 'c']);
  assert.deepEqual(idsOf(G.mergeQueue('', b, a).text), ['b', 'c']);
});

test('inbox: 300 random pairs of appends and status advances merge to what applying both gives', () => {
  const rnd = mulberry32(7);
  for (let n = 0; n < 300; n++) {
    let o = q0;
    for (let i = 0; i < Math.floor(rnd() * 3); i++) o = M.appendBlock(o, msg({ stamp: T(10 + i), body: `base ${i}` }));
    const side = (tag) => {
      let t = o;
      const want = [];
      for (let i = 0; i < Math.floor(rnd() * 3); i++) {
        const body = `${tag} ${i}`;
        t = M.appendBlock(t, msg({ from: tag === 'a' ? 'sC' : 'sB', stamp: T(20 + Math.floor(rnd() * 30)), body }));
        want.push(body);
      }
      if (rnd() < 0.5) {
        const ms = M.parseQueueFile(t).messages;
        const m = ms[Math.floor(rnd() * ms.length)];
        t = M.setStatus(t, m, M.advanceStatus(m.status, ['seen', 'acked', 'resolved'][Math.floor(rnd() * 3)], T(59)));
      }
      return { t, want };
    };
    const a = side('a');
    const b = side('b');
    const merged = G.mergeQueue(o, a.t, b.t).text;
    const bodies = idsOf(merged);
    for (const w of [...a.want, ...b.want, ...idsOf(o)]) assert.ok(bodies.includes(w), `lost '${w}' in case ${n}`);
    assert.equal(bodies.length, new Set(bodies).size, `doubled a block in case ${n}`);
    assert.equal(M.parseQueueFile(merged).problems.length, 0, `case ${n}`);
    for (const s of [a.t, b.t])
      for (const m of M.parseQueueFile(s).messages) {
        const got = M.parseQueueFile(merged).messages.find((x) => x.body === m.body);
        for (const l of ['seen', 'acked', 'resolved']) if (m.status[l]) assert.ok(got.status[l], `case ${n}: ${m.body} lost ${l}`);
      }
  }
});
