// Unit tests for src/protocol/message.ts: the inbox grammar (parse, render, edits, ids).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../helpers.mjs';
import { loadSource } from './load.mjs';

const M = await loadSource('protocol/message.ts');
const { fnv1a64 } = await loadSource('protocol/hash.ts');
const { parseQueueFile, renderMessage, appendBlock, insertAfter, setStatus, messageId, escapeBodyLine, unescapeBodyLine } = M;

const NONE = { seen: null, acked: null, resolved: null };
const msg = (over = {}) => ({
  stamp: '2026-05-31T11:45Z',
  from: 'sB',
  to: 'sA',
  type: 'question',
  ref: '—',
  status: NONE,
  body: 'hi',
  ...over,
});
/** The Message fields of a parsed message, without position and id. */
const fields = ({ stamp, from, to, type, ref, status, body }) => ({ stamp, from, to, type, ref, status, body });
const parse = (text) => parseQueueFile(text);
const only = (text) => {
  const { messages, problems } = parse(text);
  assert.deepEqual(problems, []);
  assert.equal(messages.length, 1);
  return messages[0];
};
/** Lines that differ between a and b, as [line, before, after]; both must have equal line counts. */
const changedLines = (a, b) => {
  const x = a.split('\n'),
    y = b.split('\n');
  assert.equal(x.length, y.length);
  return x.flatMap((l, i) => (l === y[i] ? [] : [[i + 1, l, y[i]]]));
};

// ---- the tutorial, steps 3 and 4, byte for byte -----------------------------------------

const Q_HEADER = '## 2026-05-31T11:45Z · from:sB · to:sA · type:question · ref:— · status:sent';
const Q_BODY = "Are you about to touch `docs/ai/parallel-sessions.md`? I want to add a Layer 7\nsection and don't want to collide.";
const FRESH = '→ status:seen <ts> · acked <ts> · resolved <ts>';
const DONE = '→ status:seen 2026-05-31T11:50Z · acked 2026-05-31T11:50Z · resolved 2026-05-31T11:52Z';
const A_HEADER = '## 2026-05-31T11:52Z · from:sA · to:sB · type:answer · ref:— · status:sent';
const A_BODY = "No — I'm only in docs/developers/. Go ahead with Layer 7, the file is yours.";
// `cat >> to-sA.md <<'EOF'` with a leading empty line, into a new file.
const STEP3 = `\n${Q_HEADER}\n${Q_BODY}\n${FRESH}\n`;
const STEP4 = `\n${Q_HEADER}\n${Q_BODY}\n${DONE}\n\n${A_HEADER}\n${A_BODY}\n${FRESH}\n`;
const question = msg({ body: Q_BODY });
const answer = msg({ stamp: '2026-05-31T11:52Z', from: 'sA', to: 'sB', type: 'answer', body: A_BODY });
const done = { seen: '2026-05-31T11:50Z', acked: '2026-05-31T11:50Z', resolved: '2026-05-31T11:52Z' };

test('tutorial step 3: the block reads back, and renders to the same bytes', () => {
  const q = only(STEP3);
  assert.deepEqual(fields(q), question);
  assert.deepEqual([q.line, q.startLine, q.endLine, q.hasStatusLine], [2, 2, 5, true]);
  assert.match(q.id, /^[0-9a-f]{10}$/);
  assert.equal(renderMessage(question), `${Q_HEADER}\n${Q_BODY}\n${FRESH}\n`);
  assert.equal(appendBlock('', question), STEP3.slice(1));
});

test('tutorial step 4: setStatus changes only the status line; the reply goes under the question', () => {
  const q = only(STEP3);
  const acked = setStatus(STEP3, q, done);
  assert.deepEqual(changedLines(STEP3, acked), [[5, FRESH, DONE]]);
  assert.equal(insertAfter(acked, q, answer), STEP4);

  const { messages, problems } = parse(STEP4);
  assert.deepEqual(problems, []);
  assert.deepEqual(messages.map(fields), [{ ...question, status: done }, answer]);
  assert.equal(messages[0].id, q.id, 'the id does not move when the status does');
  // Pinned so a change to the id scheme, which would orphan every id people have seen, is noticed.
  assert.equal(q.id, messageId(question, 0));
  assert.equal(q.id, 'd28457924c');
});

test('setStatus finds its target by id even after the file moved on', () => {
  const q = only(STEP3);
  const moved = `# Inbox of sA\n\n${appendBlock(STEP3, answer)}`;
  const out = setStatus(moved, q, done);
  assert.deepEqual(changedLines(moved, out), [[7, FRESH, DONE]]);
  assert.throws(() => setStatus(appendBlock('', answer), q, done), /no longer in this file/);
  assert.throws(() => setStatus(STEP3, q, { ...done, seen: 'yesterday' }), /'yesterday' is not YYYY-MM-DDTHH:MMZ/);
});

// ---- lenient reading ---------------------------------------------------------------------

const lenient = [
  ['CRLF file', `${Q_HEADER}\r\nline one\r\nline two\r\n${FRESH}\r\n`, { body: 'line one\nline two' }],
  [
    'extra spaces around · and after :',
    '##   2026-05-31T11:45Z  ·from:  sB·  to: sA ·type:   question ·  ref:  —  ·status: sent  \nx\n→  status:  seen <ts> ·acked <ts>·resolved <ts>\n',
    { body: 'x' },
  ],
  [
    'no status:sent, no ref:',
    '## 2026-05-31T11:45Z · from:sB · to:sA · type:question\nx\n→ status:seen <ts> · acked <ts> · resolved <ts>\n',
    { body: 'x' },
  ],
  [
    'ref:- means none',
    '## 2026-05-31T11:45Z · from:sB · to:sA · type:question · ref:-\nx\n→ status:seen <ts> · acked <ts> · resolved <ts>\n',
    { body: 'x' },
  ],
  [
    'a ref',
    '## 2026-05-31T11:45Z · from:sB · to:sA · type:answer · ref:RIFF-12 · status:sent\nx\n→ status:seen <ts> · acked <ts> · resolved <ts>\n',
    { type: 'answer', ref: 'RIFF-12', body: 'x' },
  ],
  [
    'unknown type',
    '## 2026-05-31T11:45Z · from:sB · to:sA · type:todo · ref:— · status:sent\nx\n→ status:seen <ts> · acked <ts> · resolved <ts>\n',
    { type: 'todo', body: 'x' },
  ],
  [
    'ASCII arrow, partial stamps',
    `${Q_HEADER}\nx\n-> status:seen 2026-05-31T11:50Z · acked <ts>\n`,
    { body: 'x', status: { ...NONE, seen: '2026-05-31T11:50Z' } },
  ],
  ['indented header', `   ${Q_HEADER}\nx\n${FRESH}\n`, { body: 'x' }],
  ['blank lines inside and around', `\n\n\n${Q_HEADER}\n\nx\n\n\ny\n\n${FRESH}\n\n\n\n`, { body: '\nx\n\n\ny\n' }],
  ['empty body', `${Q_HEADER}\n${FRESH}\n`, { body: '' }],
  ['preamble with a markdown h2 is kept as text', `# Inbox of sA\n\n## Notes\nread me\n\n${Q_HEADER}\nx\n${FRESH}\n`, { body: 'x' }],
  ['hand-written ## line in a body stays text', `${Q_HEADER}\n## Plan\n  - a\n${FRESH}\n`, { body: '## Plan\n  - a' }],
  ['BOM', `\uFEFF${Q_HEADER}\nx\n${FRESH}\n`, { body: 'x' }],
];
for (const [name, text, want] of lenient) {
  test(`lenient: ${name}`, () => {
    assert.deepEqual(fields(only(text)), msg({ status: NONE, ...want }));
  });
}

test('lenient: a block without a status line runs to the next header; trailing blanks are separators', () => {
  const text = `${Q_HEADER}\nfirst\n\nsecond\n\n\n${A_HEADER}\nreply\n\n`;
  const { messages, problems } = parse(text);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    messages.map((m) => [m.body, m.startLine, m.endLine, m.hasStatusLine, m.status]),
    [
      ['first\n\nsecond', 1, 4, false, NONE],
      ['reply', 7, 8, false, NONE],
    ],
  );
  // setStatus adds the line under the last body line, leaving everything else as it was.
  const out = setStatus(text, messages[0], { ...NONE, seen: '2026-05-31T12:00Z' });
  assert.equal(
    out,
    `${Q_HEADER}\nfirst\n\nsecond\n→ status:seen 2026-05-31T12:00Z · acked <ts> · resolved <ts>\n\n\n${A_HEADER}\nreply\n\n`,
  );
  assert.equal(parse(out).messages[0].id, messages[0].id);
  // At the end of a file without a final newline.
  const bare = `${Q_HEADER}\nx`;
  assert.equal(setStatus(bare, only(bare), NONE), `${Q_HEADER}\nx\n${FRESH}\n`);
});

// ---- problems: reported with their line, text left in place -------------------------------

const broken = [
  ['no from:', '## 2026-05-31T11:45Z · to:sA · type:question', 3, /no 'from:' value/],
  ['no to:', '## 2026-05-31T11:45Z · from:sB · type:question', 3, /no 'to:' value/],
  ['no type:', '## 2026-05-31T11:45Z · from:sB · to:sA', 3, /no 'type:' value/],
  ['path-like id', '## 2026-05-31T11:45Z · from:sB · to:../x · type:info', 3, /to:'\.\.\/x' is not a session id/],
  ['lower-case id', '## 2026-05-31T11:45Z · from:sb · to:sA · type:info', 3, /from:'sb' is not a session id/],
  ['bad stamp', '## 31/05/2026 · from:sB · to:sA · type:info', 3, /stamp '31\/05\/2026'/],
  ['no separators', '## 2026-05-31T11:45Z from:sB to:sA type:info', 3, /stamp/],
  ['duplicate key', '## 2026-05-31T11:45Z · from:sB · to:sA · to:sC · type:info', 3, /'to:' twice/],
];
for (const [name, header, line, re] of broken) {
  test(`problem: ${name} is reported at line ${line}, and the neighbours still read`, () => {
    const text = `${Q_HEADER}\nbefore\n${header}\nbroken body\n${FRESH}\n\n${A_HEADER}\nafter\n${FRESH}\n`;
    const { messages, problems } = parse(text);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].line, line);
    assert.match(problems[0].message, re);
    // The block before ends at the damaged header (so it has no status line); the one after is whole.
    assert.deepEqual(
      messages.map((m) => [m.body, m.hasStatusLine]),
      [
        ['before', false],
        ['after', true],
      ],
    );
    // Edits elsewhere keep the damaged text byte for byte.
    const out = setStatus(text, messages[1], done);
    assert.deepEqual(changedLines(text, out), [[9, FRESH, DONE]]);
  });
}

test('problem: unknown header field, bad status parts, stray text, stray status line', () => {
  const text = [
    '→ status:seen <ts>',
    '## 2026-05-31T11:45Z · from:sB · to:sA · type:info · prio:high',
    'x',
    '→ status:seen soon · nodded 2026-05-31T11:50Z · acked 2026-05-31T11:51Z',
    'left over',
    '',
  ].join('\n');
  const { messages, problems } = parse(text);
  assert.deepEqual(
    messages.map((m) => [m.body, m.type, m.status]),
    [['x', 'info', { ...NONE, acked: '2026-05-31T11:51Z' }]],
  );
  assert.deepEqual(
    problems.map((p) => p.line),
    [1, 2, 4, 4, 5],
  );
  assert.match(problems[0].message, /outside any message/);
  assert.match(problems[1].message, /'prio:' is not known/);
  assert.match(problems[2].message, /'soon'/);
  assert.match(problems[3].message, /'nodded 2026-05-31T11:50Z'/);
  assert.match(problems[4].message, /after the status line of the message at line 2/);
});

// ---- rendering and editing ---------------------------------------------------------------

test('renderMessage: escapes structure, leaves the rest, renders unset stamps as <ts>', () => {
  const body = [
    '## 2026-05-31T11:45Z · from:sA · to:sB · type:info',
    '  ## indented',
    '→ status:seen now',
    '-> status:x',
    '\\## already',
    '\\plain',
    '| a | `b` |',
    '###  h3 is fine',
    '',
  ].join('\n');
  const text = renderMessage(msg({ body, status: { ...NONE, acked: '2026-05-31T12:00Z' } }));
  assert.equal(
    text,
    [
      Q_HEADER,
      '\\## 2026-05-31T11:45Z · from:sA · to:sB · type:info',
      '\\  ## indented',
      '\\→ status:seen now',
      '\\-> status:x',
      '\\\\## already',
      '\\plain',
      '| a | `b` |',
      '###  h3 is fine',
      '',
      '→ status:seen <ts> · acked 2026-05-31T12:00Z · resolved <ts>',
      '',
    ].join('\n'),
  );
  assert.equal(only(text).body, body);
});

test('renderMessage refuses fields that would not read back', () => {
  const cases = [
    [{ stamp: '2026-05-31 11:45' }, /stamp '2026-05-31 11:45'/],
    [{ from: 'sa' }, /'sa' is not a session id/],
    [{ to: 'sABCD' }, /'sABCD' is not a session id/],
    [{ type: 'two words' }, /type 'two words'/],
    [{ type: 'a·b' }, /type/],
    [{ ref: 'x · y' }, /ref 'x · y'/],
    [{ ref: 'x\ny' }, /ref/],
    [{ status: { ...NONE, seen: 'now' } }, /'now'/],
    [{ body: 'a\0b' }, /NUL byte \(character 2\)/],
  ];
  for (const [over, re] of cases) assert.throws(() => renderMessage(msg(over)), re);
  assert.equal(only(renderMessage(msg({ ref: '' }))).ref, '—', "an empty ref is written as '—'");
});

test('validateBody: NUL and over 1 MiB are refused with one line; anything else passes', () => {
  const { validateBody } = M;
  assert.throws(
    () => validateBody('x\0'),
    (e) => /NUL byte/.test(e.message) && !e.message.includes('\n'),
  );
  assert.throws(() => validateBody('é'.repeat(512 * 1024 + 1)), /1048578 bytes, over the 1 MiB limit/);
  assert.doesNotThrow(() => validateBody('x'.repeat(1024 * 1024)));
  for (const ok of ['', '|', '```js\n```', '## x', '→ status:', '\\', 'x'.repeat(100000), '🙂\r\n']) validateBody(ok);
});

const appendCases = [
  ['empty file', '', ''],
  ['only blank lines', '\n\n  \n', ''],
  ['no final newline', 'pre', 'pre\n\n'],
  ['one final newline', 'pre\n', 'pre\n\n'],
  ['many blank lines collapse to one', 'pre\n\n\n \n', 'pre\n\n'],
  ['CRLF file', 'pre\r\n', 'pre\r\n\r\n'],
  ['CRLF file, no final newline', 'a\r\npre', 'a\r\npre\r\n\r\n'],
];
for (const [name, file, kept] of appendCases) {
  test(`appendBlock: ${name}`, () => {
    const eol = file.includes('\r\n') ? '\r\n' : '\n';
    const out = appendBlock(file, answer);
    assert.equal(out, kept + renderMessage(answer).replaceAll('\n', eol));
    assert.deepEqual(parse(out).messages.map(fields), [answer]);
  });
}

test('insertAfter: keeps a blank line before the next block, and handles the last block', () => {
  const text = `${Q_HEADER}\nq\n${FRESH}\n${A_HEADER}\na\n${FRESH}`; // no separators, no final newline
  const [q, a] = parse(text).messages;
  const reply = msg({ stamp: '2026-05-31T12:00Z', from: 'sA', to: 'sB', type: 'answer', body: 'r' });
  const block = renderMessage(reply);
  assert.equal(insertAfter(text, q, reply), `${Q_HEADER}\nq\n${FRESH}\n\n${block}\n${A_HEADER}\na\n${FRESH}`);
  assert.equal(insertAfter(text, a, reply), `${text}\n\n${block}`);
  const crlf = STEP3.replaceAll('\n', '\r\n');
  assert.equal(insertAfter(crlf, only(crlf), answer), `${crlf}\r\n${renderMessage(answer).replaceAll('\n', '\r\n')}`);
});

// ---- CR, escaping and ids -----------------------------------------------------------------

test('CR: a CR in a body is text and round-trips in LF and CRLF files; a CRLF ending is not', () => {
  for (const body of ['a\r\nb\r', '\r', 'x\r\r\n\ry', '\r\n']) {
    for (const file of ['', 'pre\n', 'pre\r\n']) {
      assert.equal(only(appendBlock(file, msg({ body }))).body, body, JSON.stringify([file, body]));
    }
  }
  // A CRLF file's own line ends are not body text.
  assert.equal(only(`${Q_HEADER}\r\nx\r\n${FRESH}\r\n`).body, 'x');
});

test('escaping: unescape(escape(x)) === x and an escaped line is never structure', () => {
  const tricky = [
    '',
    '\\',
    '\\\\',
    '## x',
    '\\## x',
    '\\\\## x',
    ' \\## x',
    '##',
    '##\t',
    '\t##  x',
    '→ status:',
    '\\→ status:',
    '->status:x',
    '- > status:',
    '#',
    '### x',
    '→ STATUS :',
    'status:',
  ];
  const rnd = mulberry32(7);
  const alphabet = ['#', '#', '#', ' ', ' ', '\\', '\\', '→', '-', '>', 's', 't', 'a', 'u', ':', '\t', 'x'];
  for (let n = 0; n < 20000; n++)
    tricky.push(Array.from({ length: Math.floor(rnd() * 12) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(''));
  for (const line of tricky) {
    const e = escapeBodyLine(line);
    assert.equal(unescapeBodyLine(e), line, JSON.stringify(line));
    assert.doesNotMatch(e, /^[ \t]*(##([ \t]|$)|(→|->)[ \t]*status[ \t]*:)/i, JSON.stringify(line));
  }
});

test('fnv1a64 matches the published test vectors', () => {
  assert.equal(fnv1a64(''), 'cbf29ce484222325');
  assert.equal(fnv1a64('a'), 'af63dc4c8601ec8c');
  assert.equal(fnv1a64('foobar'), '85944171f73967e8');
  // Non-ASCII is hashed as UTF-8: check against a BigInt reference.
  for (const s of ['→ é 🙂', '\uD800x']) assert.equal(fnv1a64(s), fnvReference(s));
});

test('ids: identical messages get different ids; status does not count; body does', () => {
  const text = appendBlock(appendBlock(appendBlock('', question), question), msg({ body: Q_BODY + ' ' }));
  const ids = parse(text).messages.map((m) => m.id);
  assert.equal(new Set(ids).size, 3);
  const [first] = parse(text).messages;
  assert.deepEqual(
    parse(setStatus(text, first, done)).messages.map((m) => m.id),
    ids,
  );
  assert.equal(messageId({ ...question, status: done }, 1), ids[1]);
});

// ---- property: random messages survive render + append + parse, in order -----------------

test('property: 2000 random messages read back exactly, in order, with unique ids', () => {
  const rnd = mulberry32(20260531);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const chars = [
    '#',
    '#',
    '#',
    '#',
    ' ',
    ' ',
    ' ',
    '\\',
    '\\',
    '\\',
    '→',
    '-',
    '>',
    '|',
    '`',
    's',
    't',
    'a',
    'u',
    ':',
    '\n',
    '\n',
    '\n',
    '\r',
    'é',
    '🙂',
    '·',
    '\t',
    '<',
    'Z',
  ];
  const stamp = () =>
    `2026-0${1 + Math.floor(rnd() * 9)}-${String(10 + Math.floor(rnd() * 18))}T${String(10 + Math.floor(rnd() * 13))}:${String(10 + Math.floor(rnd() * 49))}Z`;
  const id = () => 's' + Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => String.fromCharCode(65 + Math.floor(rnd() * 26))).join('');
  const body = () => {
    const shapes = [
      () => Array.from({ length: Math.floor(rnd() * 40) }, () => pick(chars)).join(''),
      () =>
        Array.from({ length: 1 + Math.floor(rnd() * 5) }, () =>
          pick(['## ', '→ status:seen <ts>', '-> status:', '\\## x', '\\\\→ status:', '', ' ', '  ## y', 'plain']),
        ).join('\n'),
      () => '',
      () => pick(['\n', '\n\n', '\r\n', 'x\n', '\nx']),
    ];
    return pick(shapes)();
  };
  const random = () => ({
    stamp: stamp(),
    from: id(),
    to: id(),
    type: pick([...M.MESSAGE_TYPES, 'todo', 'x:y']),
    ref: pick(['—', '—', 'RIFF-12', 'msg 3f2a', 'a:b']),
    status: { seen: pick([null, stamp()]), acked: pick([null, stamp()]), resolved: pick([null, stamp()]) },
    body: body(),
  });
  let total = 0;
  for (let f = 0; f < 100; f++) {
    const sent = [];
    let text = pick(['', '# Inbox\n', '# Inbox\r\n\r\nnotes\r\n', 'pre', '\n\n']);
    for (let n = 0; n < 20; n++) {
      // Exact repeats happen: two identical messages in one minute must still get two ids.
      const m = sent.length > 0 && rnd() < 0.1 ? structuredClone(pick(sent)) : random();
      sent.push(m);
      text = appendBlock(text, m);
    }
    const { messages, problems } = parse(text);
    assert.deepEqual(problems, []);
    assert.deepEqual(messages.map(fields), sent);
    assert.equal(new Set(messages.map((m) => m.id)).size, sent.length);
    // Moving a status changes that one line and no id.
    const target = pick(messages);
    const moved = setStatus(text, target, { seen: '2026-05-31T12:00Z', acked: null, resolved: null });
    assert.deepEqual(
      changedLines(text, moved).map(([line]) => line),
      [target.endLine],
    );
    assert.deepEqual(
      parse(moved).messages.map((m) => m.id),
      messages.map((m) => m.id),
    );
    total += sent.length;
  }
  assert.equal(total, 2000);
});

// ---- helpers -------------------------------------------------------------------------------

function fnvReference(s) {
  let h = 0xcbf29ce484222325n;
  const bytes = [];
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}
