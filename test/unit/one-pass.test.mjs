// The one-pass edits of the board and the inboxes (editRows, editBlocks, and the merges and
// reap built on them) against the simple approach they replaced: one edit at a time, the file
// parsed again before each (withRow, withoutRow, setStatus, insertBlockLines). Random samples
// with hand edits (prose, broken rows, preambles, blocks without a status line, CRLF, no final
// line end) must give the same bytes: the speed-up changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../helpers.mjs';
import { loadSource } from './load.mjs';

const G = await loadSource('protocol/merge.ts');
const B = await loadSource('protocol/board.ts');
const M = await loadSource('protocol/message.ts');
const P = await loadSource('plans.ts');
const { LEVELS } = M;

// ---- the simple approach, one edit and one parse at a time ------------------------------

const sameRow = (x, y) => B.renderRow(x) === B.renderRow(y);
const onlyPresence = (x, y) => sameRow({ ...x, presence: y.presence, presenceNote: y.presenceNote }, y);
const skeleton = (b) => b.lines.filter((_, i) => !b.rows.some((r) => r.index === i)).join('\n');

/** mergeBoard with the row-by-row edits: the changes and removals, then the additions (as editRows orders them). */
function boardByRow(o, a, b, mergeRowOf) {
  const [O, A, Bb] = [o, a, b].map(B.parseBoard);
  const fromB = skeleton(A) === skeleton(O) && skeleton(Bb) !== skeleton(O);
  let text = fromB ? b : a;
  const start = fromB ? Bb : A;
  const later = [];
  for (const id of [...new Set([...A.rows, ...Bb.rows].map((r) => r.row.id))]) {
    const [ro, ra, rb] = [B.findRow(O, id), B.findRow(A, id), B.findRow(Bb, id)];
    let final = null;
    let twin = null;
    if (ra && rb) {
      final = ro ? mergeRowOf(id) : ra;
      if (!ro && !sameRow(ra, rb)) twin = rb;
    } else if (ra || rb) final = ro ? null : (ra ?? rb);
    const there = B.findRow(start, id);
    if (!twin && !(final ? !there || !sameRow(there, final) : there)) continue;
    if (!there) later.push([id, final, twin]);
    else text = place(text, id, final, twin);
  }
  for (const [id, final, twin] of later) text = place(text, id, final, twin);
  return text;
}

function place(text, id, row, twin) {
  const board = B.parseBoard(text);
  const now = B.findRow(board, id);
  if (!row) return now ? B.withoutRow(board, id) : text;
  let out = now && sameRow(now, row) ? text : B.withRow(board, row);
  if (twin) {
    const b = B.parseBoard(out);
    const lines = b.lines.slice();
    lines.splice(b.rows.find((r) => r.row.id === id).index + 1, 0, B.renderRow(twin));
    out = B.renderBoard({ ...b, lines });
  }
  return out;
}

/** mergeQueue with one setStatus and one insertBlockLines per block, the file parsed again before each. */
function queueByBlock(o, a, b) {
  const [O, A, Bq] = [o, a, b].map((t) => M.parseQueueFile(t).messages);
  const inO = new Set(O.map((m) => m.id));
  const inA = new Map(A.map((m) => [m.id, m]));
  const merged = G.mergeQueue(o, a, b); // its status lines are checked below, through the text
  let text = a;
  for (const mb of Bq) {
    const ma = inA.get(mb.id);
    if (!ma) continue;
    const want = M.parseQueueFile(merged.text).messages.find((m) => m.id === ma.id).status;
    if (LEVELS.some((l) => want[l] !== ma.status[l]))
      text = M.setStatus(
        text,
        M.parseQueueFile(text).messages.find((m) => m.id === ma.id),
        want,
      );
  }
  const key = (m) => `${m.stamp} ${m.id}`;
  Bq.forEach((mb, i) => {
    if (inO.has(mb.id) || inA.has(mb.id)) return;
    const result = M.parseQueueFile(text).messages;
    const ids = new Set(result.map((m) => m.id));
    if (ids.has(mb.id)) return;
    const pred = Bq.slice(0, i)
      .reverse()
      .find((m) => ids.has(m.id));
    let at = pred ? result.findIndex((m) => m.id === pred.id) + 1 : 0;
    while (at < result.length && !inO.has(result[at].id) && key(result[at]) <= key(mb)) at++;
    text = M.insertBlockLines(text, at === 0 ? 'start' : result[at - 1], M.blockTexts(b, [mb])[0], true);
  });
  return { text, merged };
}

// ---- random samples ---------------------------------------------------------------------

const T = (m) => `2026-11-26T${String(10 + Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}Z`;
const idAt = (n) => 's' + (n < 26 ? String.fromCharCode(65 + n) : String.fromCharCode(65 + Math.floor(n / 26) - 1, 65 + (n % 26)));

function sampleRow(rnd, n) {
  const id = idAt(n);
  return {
    id,
    name: `N${n}`,
    riffs: rnd() < 0.5 ? [] : [`R-${Math.floor(rnd() * 9)}`],
    lane: `worktree \`session-${id}\` → direct-to-main, \`[${id}]\``,
    claimed: T(Math.floor(rnd() * 30)),
    presence: T(Math.floor(rnd() * 30)),
    presenceNote: rnd() < 0.2 ? 'note' : '',
    scope: rnd() < 0.5 ? 'scope TBD' : `area ${Math.floor(rnd() * 5)}`,
  };
}

function sampleBoard(rnd, ids) {
  let text = B.emptyBoardText();
  for (const n of ids) text = B.withRow(B.parseBoard(text), sampleRow(rnd, n));
  return text;
}

/** One side's edits of a board: cells changed, rows removed and added, and now and then a hand edit. */
function sideOf(rnd, text, fresh) {
  let t = text;
  for (const { row } of B.parseBoard(text).rows) {
    const r = rnd();
    if (r < 0.15) t = B.withoutRow(B.parseBoard(t), row.id);
    else if (r < 0.45) t = B.withRow(B.parseBoard(t), { ...row, presence: T(30 + Math.floor(rnd() * 20)) });
    else if (r < 0.55) t = B.withRow(B.parseBoard(t), { ...row, scope: `set ${Math.floor(rnd() * 3)}`, riffs: ['R-1'] });
  }
  for (const n of fresh) if (rnd() < 0.6) t = B.withRow(B.parseBoard(t), sampleRow(rnd, n));
  const lines = t.split('\n');
  const h = rnd();
  if (h < 0.1) lines.splice(1, 0, 'A note by hand.');
  else if (h < 0.2) lines.splice(lines.length - 1, 0, '', 'Prose after the table.');
  else if (h < 0.3) lines.splice(8, 0, '| sZZ · Broken | one cell too few |');
  t = lines.join('\n');
  return rnd() < 0.1 ? t.replace(/\n/g, '\r\n') : t;
}

test('board: mergeBoard in one pass gives the bytes of the row-by-row merge (400 random triples)', () => {
  const rnd = mulberry32(22);
  for (let k = 0; k < 400; k++) {
    const base = Array.from({ length: 2 + Math.floor(rnd() * 12) }, (_, i) => i);
    const o = sampleBoard(rnd, base);
    const fresh = [40, 41, 42, 43].filter(() => rnd() < 0.5);
    const [a, b] = [
      sideOf(rnd, o, fresh),
      sideOf(
        rnd,
        o,
        fresh.map((n) => (rnd() < 0.5 ? n : n + 10)),
      ),
    ];
    const got = G.mergeBoard(o, a, b);
    // The row-by-row merge takes each merged row from mergeBoard's own output (mergeRow is not what changed).
    const rows = new Map(B.parseBoard(got.text).rows.map((r) => [r.row.id, r.row]));
    const want = boardByRow(o, a, b, (id) => rows.get(id));
    assert.equal(got.text, want, `sample ${k}`);
  }
});

test('board: reap of many rows is one pass with the bytes of one withoutRow per row', () => {
  const rnd = mulberry32(5);
  for (let k = 0; k < 100; k++) {
    let text = sideOf(
      rnd,
      sampleBoard(
        rnd,
        Array.from({ length: 1 + Math.floor(rnd() * 20) }, (_, i) => i),
      ),
      [50, 51],
    );
    const stale = (row) => row.presence < T(20);
    const plan = P.planReap({ read: () => text, mailbox: () => ({ messages: [], problems: [] }) }, null, stale);
    const ids = B.parseBoard(text)
      .rows.filter(({ row }) => stale(row))
      .map((r) => r.row.id);
    assert.deepEqual(plan.value.ids, ids);
    for (const id of ids) text = B.withoutRow(B.parseBoard(text), id);
    assert.equal(plan.files.get('docs/ai/sessions/active.md') ?? text, text, `sample ${k}`);
  }
});

function sampleBlock(rnd, k, from = 'sB') {
  const status = rnd() < 0.15 ? [] : [`→ status:seen ${rnd() < 0.5 ? '<ts>' : T(k % 50)} · acked <ts> · resolved <ts>`];
  const body = rnd() < 0.2 ? ['two lines', '', 'of body'] : [`message ${k}`];
  return [`## ${T(Math.floor(rnd() * 40))} · from:${from} · to:sA · type:info · ref:— · status:sent`, ...body, ...status];
}

/** One side's edits of an inbox: blocks inserted anywhere, statuses stamped, blocks removed, stray text. */
function queueSide(rnd, text, from) {
  let t = text;
  for (let k = 0; k < 1 + Math.floor(rnd() * 6); k++) {
    const ms = M.parseQueueFile(t).messages;
    const r = rnd();
    const lines = sampleBlock(rnd, Math.floor(rnd() * 1000), from);
    if (r < 0.45 || !ms.length) t = M.insertBlockLines(t, 'end', lines);
    else if (r < 0.6) t = M.insertBlockLines(t, 'start', lines);
    else if (r < 0.75) t = M.insertBlockLines(t, ms[Math.floor(rnd() * ms.length)], lines);
    else {
      const m = ms[Math.floor(rnd() * ms.length)];
      t = M.setStatus(t, m, M.advanceStatus(m.status, LEVELS[Math.floor(rnd() * 3)], T(45 + Math.floor(rnd() * 10))));
    }
  }
  if (rnd() < 0.1) {
    const ms = M.parseQueueFile(t).messages;
    const m = ms[Math.floor(rnd() * ms.length)];
    const lines = t.split('\n');
    lines.splice(m.startLine - 1, m.endLine - m.startLine + 1);
    t = lines.join('\n');
  }
  return t;
}

test('inbox: mergeQueue in one pass gives the bytes of the block-by-block merge (600 random triples)', () => {
  const rnd = mulberry32(2022);
  let mangled = 0;
  for (let k = 0; k < 600; k++) {
    const blocks = Array.from({ length: Math.floor(rnd() * 8) }, (_, i) => sampleBlock(rnd, i).join('\n'));
    let o = (rnd() < 0.3 ? '# Inbox of sA\n\nA preamble.\n\n' : '') + blocks.join(rnd() < 0.2 ? '\n' : '\n\n');
    if (rnd() < 0.8 && o) o += '\n';
    if (rnd() < 0.1) o += 'stray text after the last block\n';
    if (rnd() < 0.1) o += '\n\n';
    if (rnd() < 0.15) o = o.replace(/\n/g, '\r\n');
    const [a, b] = [queueSide(rnd, o, 'sC'), queueSide(rnd, o, 'sD')];
    const { text, merged } = queueByBlock(o, a, b);
    // Where the block-by-block merge put a block without a status line right above stray text,
    // the next parse read that text as the block's body: its id changed, and the blocks B put
    // after it went elsewhere. Only there may the one-pass merge (which places each block by
    // the id B gave it) differ.
    const ids = (t) => new Set(M.parseQueueFile(t).messages.map((m) => m.id));
    const added = [...ids(b)].filter((id) => !ids(o).has(id) && !ids(a).has(id));
    if (merged.text !== text && added.some((id) => !ids(text).has(id))) {
      mangled++;
      continue;
    }
    assert.equal(merged.text, text, `sample ${k}`);
  }
  assert.ok(mangled < 30, `${mangled} samples were not compared`);
});

test('inbox: the one-pass merge of large files equals the block-by-block merge on a sample of 300 blocks a side', () => {
  const rnd = mulberry32(9);
  const blocks = (n, from) => Array.from({ length: n }, (_, i) => sampleBlock(rnd, i, from).join('\n')).join('\n\n') + '\n';
  const o = blocks(100, 'sB');
  const stamp = (t) => t.replace(/seen <ts>/g, () => `seen ${T(50)}`);
  const a = stamp(o) + '\n' + blocks(300, 'sC');
  const b = o + '\n' + blocks(300, 'sD');
  const { text, merged } = queueByBlock(o, a, b);
  assert.equal(merged.text, text);
  assert.equal(M.parseQueueFile(merged.text).messages.length, M.parseQueueFile(o).messages.length + 600);
});

test('reservations: firstCovering finds the reservation the one-by-one match finds (20k random paths)', async () => {
  const R = await loadSource('protocol/reservations.ts');
  const rnd = mulberry32(14);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const name = () => pick(['a', 'b', 'ab', 'a.ts', 'b.ts', 'x']);
  const pattern = () => {
    const depth = 1 + Math.floor(rnd() * 3);
    const parts = Array.from({ length: depth }, () => pick([name(), name(), name(), '*', '**', 'a*', '?.ts', '*.ts']));
    return parts.join('/') + (rnd() < 0.3 ? '/' : '');
  };
  for (let k = 0; k < 200; k++) {
    const held = Array.from({ length: 1 + Math.floor(rnd() * 12) }, (_, i) => ({ path: pattern(), i }));
    const first = R.firstCovering(held);
    for (let j = 0; j < 100; j++) {
      const path = Array.from({ length: 1 + Math.floor(rnd() * 4) }, name).join('/');
      assert.equal(
        first(path),
        held.find((h) => R.patternCovers(h.path, path)),
        `${path} against ${held.map((h) => h.path).join(' ')}`,
      );
    }
  }
});

test('board and inbox: 150,000 rows or blocks added in one edit (no spread of them into a call: the stack would overflow)', () => {
  const n = 150_000;
  const rows = new Map(
    Array.from({ length: n }, (_, i) => [
      `s${i}`,
      { id: `s${i}`, name: `N${i}`, riffs: [], lane: '', claimed: '', presence: '', presenceNote: '', scope: 'x' },
    ]),
  );
  const board = B.editRows(B.parseBoard(B.emptyBoardText()), rows);
  assert.equal(board.split('\n').length, B.emptyBoardText().split('\n').length + n);
  const file = M.renderMessage({ stamp: T(0), from: 'sB', to: 'sA', type: 'info', ref: '—', status: M.NEW_STATUS, body: 'first' });
  const [first] = M.parseQueueFile(file).messages;
  const block = [
    '## 2026-11-26T10:00Z · from:sC · to:sA · type:info · ref:— · status:sent',
    'hi',
    '→ status:seen <ts> · acked <ts> · resolved <ts>',
  ];
  const edits = { status: new Map(), atStart: Array(n).fill(block), under: new Map([[first.id, Array(n).fill(block)]]) };
  assert.equal(M.editBlocks(file, [first], edits).split('\n## ').length, 2 * n + 1);
});
