// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// The message bus end to end (tutorial steps 3, 4 and 6, issue 3): send, inbox, the ack
// chain, reply, handoff, hand-written blocks, refusals, concurrent senders from several
// clones, sync around the heartbeat's edit, unread counts. The real bundle as a process,
// real git, a bare origin, real lefthook-installed hooks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BOARD, STAMP, cellsOf, coord, coordAsync, coordOk, git, gitOk, makeRepo, rowsOf, stampOf } from '../helpers.mjs';

const TIMEOUT = { timeout: 180_000 };
const QUEUE = 'docs/ai/sessions/queue';
const toFile = (id) => `${QUEUE}/to-${id}.md`;
const ID = /^[0-9a-f]{10}$/;
const STAMP_RE = new RegExp(`^${STAMP}$`);
const NO_STATUS = { seen: null, acked: null, resolved: null };

// The tutorial's texts, word for word.
const QUESTION = "Are you about to touch `docs/ai/parallel-sessions.md`? I want to add a Layer 7\nsection and don't want to collide.";
const ANSWER = "No — I'm only in docs/developers/. Go ahead with Layer 7, the file is yours.";
const HANDOFF =
  "Handing you the Layer 7 doc work — you're already in parallel-sessions.md and I'm\nbooked on the comms package. Over to you.";

// ---- fixtures --------------------------------------------------------------------------------

/** A repo with a bare origin and `n` sessions claimed with `coord start` (sA, sB, …); removed when the test ends. */
function fixture(t, n = 2) {
  const fx = makeRepo();
  t.after(() => fx.cleanup());
  const ids = [];
  for (let i = 0; i < n; i++) {
    const j = JSON.parse(coordOk(fx.repo, ['start', '--json'], { env: fx.env }).stdout);
    ids.push(j.id);
    fx[j.id] = j.worktree;
  }
  assert.deepEqual(ids, ['sA', 'sB', 'sC', 'sD'].slice(0, n));
  return fx;
}

/** Another clone of the same bare origin, with `n` sessions of its own started there. */
function otherClone(fx, name, n) {
  const dir = path.join(fx.root, name);
  gitOk(fx.root, ['clone', '--quiet', fx.origin, dir], { env: fx.env });
  const ids = [];
  for (let i = 0; i < n; i++) {
    const j = JSON.parse(coordOk(dir, ['start', '--json'], { env: fx.env }).stdout);
    ids.push(j.id);
    fx[j.id] = j.worktree;
  }
  return ids;
}

const run = (fx, who, args, opts = {}) => coord(fx[who], args, { env: fx.env, ...opts });
const ok = (fx, who, args, opts = {}) => coordOk(fx[who], args, { env: fx.env, ...opts });
const okJson = (fx, who, args, opts = {}) => JSON.parse(ok(fx, who, [...args, '--json'], opts).stdout);

/** origin/main's commit, fetched fresh. */
function originHead(fx) {
  gitOk(fx.repo, ['fetch', '--quiet', 'origin'], { env: fx.env });
  return gitOk(fx.repo, ['rev-parse', 'origin/main'], { env: fx.env }).trim();
}
/** A file's text on origin/main (or at `rev`), or null when absent. */
function onOrigin(fx, file, rev) {
  const r = git(fx.repo, ['show', `${rev ?? originHead(fx)}:${file}`], { env: fx.env });
  return r.code === 0 ? r.stdout : null;
}

/** One readable line on stderr, no stack trace, nothing on stdout. */
function assertRefusal(r, code, re) {
  assert.equal(r.code, code, `exit ${r.code}, expected ${code}:\n${r.stderr}${r.stdout}`);
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, `expected one stderr line:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|^\s+at /m);
  assert.match(lines[0], re);
  assert.equal(r.stdout, '');
}

/** Runs `fn` and asserts that origin/main did not move. */
function nothingPublished(fx, fn) {
  const before = originHead(fx);
  const r = fn();
  assert.equal(originHead(fx), before, 'origin/main moved');
  return r;
}

const stampNow = () => stampOf(Date.now());
function assertStampBetween(s, lo, hi, what) {
  assert.match(s ?? '', STAMP_RE, `${what}: ${s}`);
  assert.ok(s >= lo && s <= hi, `${what}: ${s} not within ${lo} … ${hi}`);
}

/** The Riffs each row holds in a board text: Map id → [riff…]. */
function riffsByRow(text) {
  const m = new Map();
  for (const row of rowsOf(text)) {
    const [identity, riff] = cellsOf(row);
    const id = identity.split('·')[0].trim();
    m.set(
      id,
      riff === '(Riff TBD)'
        ? []
        : riff
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
    );
  }
  return m;
}

/** The header lines (`## <stamp> · from:`) of a queue file text. */
const headers = (text) => text.split('\n').filter((l) => /^## \d{4}-/.test(l));
const count = (hay, needle) => hay.split(needle).length - 1;

// ---- tutorial steps 3, 4 and 6 -------------------------------------------------------------

test(
  'steps 3 and 4: sB asks, sA sees it in inbox --json, acks, replies --resolve under the question; sB reads seen/acked/resolved; the id never changes',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);

    // Step 3: sB sends the question.
    const t0 = stampNow();
    const sent = okJson(fx, 'sB', ['send', 'sA', '--type', 'question', '-m', QUESTION]);
    const t1 = stampNow();
    assert.match(sent.id, ID);
    assert.equal(sent.to, 'sA');
    assert.equal(sent.type, 'question');
    const qid = sent.id;
    const subject = gitOk(fx.repo, ['log', '-1', '--format=%s', originHead(fx)], { env: fx.env }).trim();
    assert.match(subject, /^\[sB\] docs\(ai-sessions\): question to sA: Are you about to touch/);

    const file1 = onOrigin(fx, toFile('sA'));
    const header = new RegExp(`^## (${STAMP}) · from:sB · to:sA · type:question · ref:— · status:sent$`);
    assert.equal(headers(file1).length, 1, file1);
    const hm = header.exec(headers(file1)[0]);
    assert.ok(hm, `header not in the tutorial's grammar:\n${file1}`);
    assertStampBetween(hm[1], t0, t1, 'sent stamp');
    assert.ok(file1.includes(`${headers(file1)[0]}\n${QUESTION}\n→ status:seen <ts> · acked <ts> · resolved <ts>\n`), file1);
    // Nothing in the sender's worktree changed: send publishes without touching it.
    assert.equal(gitOk(fx.sB, ['status', '--porcelain'], { env: fx.env }), '');

    // The sender sees its question as not acked yet.
    const sbBefore = okJson(fx, 'sB', ['inbox']);
    assert.equal(sbBefore.session, 'sB');
    assert.deepEqual(sbBefore.messages, []);
    assert.deepEqual(
      sbBefore.unacked.map((m) => m.id),
      [qid],
    );

    // Step 4: sA's inbox lists it, with every field.
    const inboxA = okJson(fx, 'sA', ['inbox']);
    assert.equal(inboxA.session, 'sA');
    assert.deepEqual(inboxA.problems, []);
    assert.equal(inboxA.messages.length, 1, JSON.stringify(inboxA));
    assert.deepEqual(inboxA.messages[0], {
      id: qid,
      from: 'sB',
      to: 'sA',
      type: 'question',
      ref: '—',
      sent: hm[1],
      status: NO_STATUS,
      body: QUESTION,
      file: toFile('sA'),
      line: file1.split('\n').indexOf(headers(file1)[0]) + 1,
    });
    const text = ok(fx, 'sA', ['inbox']).stdout;
    assert.match(text, new RegExp(`^${qid}\\s+sB\\s+question\\s+—\\s+${STAMP}\\s+new\\s+Are you about to touch`, 'm'), text);
    // inbox never changes the worktree.
    assert.equal(gitOk(fx.sA, ['status', '--porcelain'], { env: fx.env }), '');

    // sA acks: real stamps for seen and acked, <ts> for resolved, in sA's own commit.
    const a0 = stampNow();
    const ack = okJson(fx, 'sA', ['ack', qid.slice(0, 6)]);
    const a1 = stampNow();
    assert.equal(ack.id, qid, 'ack by prefix names the full id');
    assertStampBetween(ack.status.seen, a0, a1, 'seen');
    assertStampBetween(ack.status.acked, a0, a1, 'acked');
    assert.equal(ack.status.resolved, null);
    const file2 = onOrigin(fx, toFile('sA'));
    assert.equal(
      file2,
      file1.replace(
        '→ status:seen <ts> · acked <ts> · resolved <ts>',
        `→ status:seen ${ack.status.seen} · acked ${ack.status.acked} · resolved <ts>`,
      ),
      'the ack changed only the status line',
    );
    assert.equal(
      gitOk(fx.repo, ['log', '-1', '--format=%s', 'origin/main'], { env: fx.env }).trim(),
      `[sA] docs(ai-sessions): ack ${qid} from sB`,
    );
    assert.equal(gitOk(fx.repo, ['diff', '--name-only', 'origin/main~1', 'origin/main'], { env: fx.env }), `${toFile('sA')}\n`);

    // sB, the sender, reads the ball was caught: no longer unacked; --sent shows it acked, same id.
    const sbAcked = okJson(fx, 'sB', ['inbox']);
    assert.deepEqual(sbAcked.unacked, []);
    const sbSent = okJson(fx, 'sB', ['inbox', '--sent']);
    assert.deepEqual(
      sbSent.messages.map((m) => [m.id, m.to, m.status]),
      [[qid, 'sA', ack.status]],
    );

    // sA answers right under the question and resolves it, in one commit.
    const r0 = stampNow();
    const reply = okJson(fx, 'sA', ['reply', qid, '--resolve', '-m', ANSWER]);
    const r1 = stampNow();
    assert.equal(reply.ref, qid);
    assert.equal(reply.to, 'sB');
    assert.match(reply.id, ID);
    assert.notEqual(reply.id, qid);
    const file3 = onOrigin(fx, toFile('sA'));
    const hs = headers(file3);
    assert.equal(hs.length, 2, file3);
    const am = new RegExp(`^## (${STAMP}) · from:sA · to:sB · type:answer · ref:${qid} · status:sent$`).exec(hs[1]);
    assert.ok(am, `answer header:\n${file3}`);
    assertStampBetween(am[1], r0, r1, 'answer stamp');
    const qLines = file2.replace(/\n+$/, '').split('\n');
    const statusRe = new RegExp(`^→ status:seen ${ack.status.seen} · acked ${ack.status.acked} · resolved (${STAMP})$`);
    const expectedTail = [hs[1], ANSWER, '→ status:seen <ts> · acked <ts> · resolved <ts>'].join('\n');
    const lines3 = file3.split('\n');
    const qStatusAt = lines3.findIndex((l) => statusRe.test(l));
    assert.ok(qStatusAt > 0, `question not resolved with seen/acked kept:\n${file3}`);
    const resolvedAt = statusRe.exec(lines3[qStatusAt])[1];
    assertStampBetween(resolvedAt, r0, r1, 'resolved');
    // Right under the question: question lines (status advanced), one blank line, the answer block.
    assert.deepEqual(lines3.slice(0, qStatusAt), qLines.slice(0, -1));
    assert.equal(lines3.slice(qStatusAt + 1).join('\n'), `\n${expectedTail}\n`, file3);
    assert.equal(
      gitOk(fx.repo, ['diff', '--name-only', 'origin/main~1', 'origin/main'], { env: fx.env }),
      `${toFile('sA')}\n`,
      'reply is one commit on one file',
    );

    // sB's inbox shows the answer (it sits in to-sA.md, addressed to sB).
    const inboxB = okJson(fx, 'sB', ['inbox']);
    assert.deepEqual(
      inboxB.messages.map((m) => [m.id, m.from, m.to, m.type, m.ref, m.body, m.file, m.status]),
      [[reply.id, 'sA', 'sB', 'answer', qid, ANSWER, toFile('sA'), NO_STATUS]],
    );
    assert.deepEqual(inboxB.unacked, []);
    const sent3 = okJson(fx, 'sB', ['inbox', '--sent']).messages;
    assert.deepEqual(
      sent3.map((m) => [m.id, m.status]),
      [[qid, { seen: ack.status.seen, acked: ack.status.acked, resolved: resolvedAt }]],
    );
    assert.match(ok(fx, 'sB', ['inbox', '--sent']).stdout, new RegExp(`^${qid}\\s+sA\\s+question\\s.*\\bresolved\\b`, 'm'));

    // sA: the resolved question leaves the open list, stays under --all with the same id; the answer sA sent is unacked.
    const aOpen = okJson(fx, 'sA', ['inbox']);
    assert.deepEqual(aOpen.messages, []);
    assert.deepEqual(
      aOpen.unacked.map((m) => m.id),
      [reply.id],
    );
    const aAll = okJson(fx, 'sA', ['inbox', '--all']);
    assert.deepEqual(
      aAll.messages.map((m) => [m.id, m.body, m.status.resolved]),
      [[qid, QUESTION, resolvedAt]],
    );
    // sB acks the answer; it leaves sA's unacked list.
    okJson(fx, 'sB', ['ack', reply.id]);
    assert.deepEqual(okJson(fx, 'sA', ['inbox']).unacked, []);
  },
);

test(
  "step 6: handoff --riff moves R-7 from sA's row to sB's in the one commit that adds the handoff block; never two holders; refused without the Riff",
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    ok(fx, 'sA', ['riff', 'R-7']);
    assert.deepEqual(riffsByRow(onOrigin(fx, BOARD)).get('sA'), ['R-7']);
    const before = originHead(fx);
    const boardBefore = onOrigin(fx, BOARD, before);

    const h = okJson(fx, 'sA', ['handoff', 'sB', '--riff', 'R-7', '-m', HANDOFF]);
    assert.match(h.id, ID);
    assert.equal(h.riff, 'R-7');
    const after = originHead(fx);
    assert.equal(h.commit, after);
    // Exactly one new commit, and it touches exactly the board and sB's inbox.
    assert.equal(gitOk(fx.repo, ['rev-list', `${before}..${after}`], { env: fx.env }).trim(), after);
    const stat = gitOk(fx.repo, ['show', '--stat', '--format=%s', after], { env: fx.env });
    assert.match(stat, /^\[sA\] docs\(ai-sessions\): handoff R-7 to sB: /);
    assert.deepEqual(
      gitOk(fx.repo, ['diff-tree', '--no-commit-id', '--name-only', '-r', after], { env: fx.env }).trim().split('\n').sort(),
      [BOARD, toFile('sB')].sort(),
      stat,
    );
    // The board diff: sA's row loses R-7, sB's row gains it; nothing else.
    const boardAfter = onOrigin(fx, BOARD, after);
    assert.deepEqual(
      riffsByRow(boardBefore),
      new Map([
        ['sA', ['R-7']],
        ['sB', []],
      ]),
    );
    assert.deepEqual(
      riffsByRow(boardAfter),
      new Map([
        ['sA', []],
        ['sB', ['R-7']],
      ]),
    );
    const bl = boardBefore.split('\n');
    const al = boardAfter.split('\n');
    assert.equal(al.length, bl.length);
    const changed = al.map((l, i) => (l === bl[i] ? null : l.split('|')[1].trim())).filter(Boolean);
    assert.deepEqual(changed, ['sA · Sintra', 'sB · Douro']);
    // The queue diff only adds the handoff block.
    const diff = gitOk(fx.repo, ['diff', '--unified=0', `${after}~1`, after, '--', toFile('sB')], { env: fx.env });
    const removed = diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
    assert.deepEqual(removed, [], diff);
    const q = onOrigin(fx, toFile('sB'), after);
    const hm = new RegExp(
      `^## ${STAMP} · from:sA · to:sB · type:handoff · ref:R-7 · status:sent\n${HANDOFF.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n→ status:seen <ts> · acked <ts> · resolved <ts>\n$`,
    );
    assert.match(q, hm);

    // At no commit of origin/main do two rows hold R-7.
    const shas = gitOk(fx.repo, ['rev-list', 'origin/main'], { env: fx.env }).trim().split('\n');
    let holdersSeen = 0;
    for (const sha of shas) {
      const board = onOrigin(fx, BOARD, sha);
      if (board === null) continue;
      const holders = [...riffsByRow(board)].filter(([, riffs]) => riffs.includes('R-7')).map(([id]) => id);
      assert.ok(holders.length <= 1, `commit ${sha} has R-7 on ${holders.join(' and ')}`);
      holdersSeen += holders.length;
    }
    assert.ok(holdersSeen >= 2, 'R-7 was held at some commits (by sA, then sB)');

    // sB pulls, sees the handoff, acks it.
    const inboxB = okJson(fx, 'sB', ['inbox']);
    assert.deepEqual(
      inboxB.messages.map((m) => [m.id, m.from, m.type, m.ref, m.body]),
      [[h.id, 'sA', 'handoff', 'R-7', HANDOFF]],
    );
    const ack = okJson(fx, 'sB', ['ack', h.id]);
    assert.equal(ack.id, h.id);
    assert.match(ack.status.acked, STAMP_RE);

    // sA no longer holds R-7: a second handoff is refused and publishes nothing; so is one of a Riff never held.
    for (const riff of ['R-7', 'R-99']) {
      nothingPublished(fx, () =>
        assertRefusal(run(fx, 'sA', ['handoff', 'sB', '--riff', riff, '-m', 'again']), 1, new RegExp(`do not hold Riff ${riff}`)),
      );
    }
    nothingPublished(fx, () =>
      assertRefusal(run(fx, 'sB', ['handoff', 'sQ', '--riff', 'R-7', '-m', 'to nobody']), 1, /No session sQ on the board.*sA, sB/),
    );
    nothingPublished(fx, () => assertRefusal(run(fx, 'sB', ['handoff', 'sA', '-m', 'which?']), 2, /--riff/));
    assert.deepEqual(
      riffsByRow(onOrigin(fx, BOARD)),
      new Map([
        ['sA', []],
        ['sB', ['R-7']],
      ]),
    );
  },
);

// ---- hand-written blocks ----------------------------------------------------------------------

test(
  'step 3 by hand (cat >>, git add, git commit through the real hooks, git push): coord reads it and acks it, keeping every other byte',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    // A message sent with coord first, so the hand block lands after an existing one.
    const first = okJson(fx, 'sB', ['send', 'sA', '-m', 'first, sent with coord']);
    gitOk(fx.sB, ['pull', '--quiet', '--ff-only', 'origin', 'main'], { env: fx.env });

    // Exactly the tutorial's heredoc, appended as `cat >>` does.
    const block =
      '\n## 2026-05-31T11:45Z · from:sB · to:sA · type:question · ref:— · status:sent\n' +
      'Are you about to touch `docs/ai/parallel-sessions.md`? I want to add a Layer 7\n' +
      "section and don't want to collide.\n" +
      '→ status:seen <ts> · acked <ts> · resolved <ts>\n';
    fs.appendFileSync(path.join(fx.sB, toFile('sA')), block);
    gitOk(fx.sB, ['add', toFile('sA')], { env: fx.env });
    const commit = git(fx.sB, ['commit', '-m', '[sB] docs(ai-sessions): ask sA about parallel-sessions.md edit'], { env: fx.env });
    assert.equal(commit.code, 0, commit.stdout + commit.stderr);
    gitOk(fx.sB, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });
    const handText = onOrigin(fx, toFile('sA'));
    assert.ok(handText.endsWith(`\n${block}`), handText);

    const inbox = okJson(fx, 'sA', ['inbox']);
    assert.deepEqual(inbox.problems, []);
    assert.equal(inbox.messages.length, 2, JSON.stringify(inbox.messages));
    const hand = inbox.messages.find((m) => m.id !== first.id);
    assert.equal(inbox.messages[0].id, hand.id, 'the older (hand) message is listed first');
    assert.deepEqual(
      { ...hand, id: 'x' },
      {
        id: 'x',
        from: 'sB',
        to: 'sA',
        type: 'question',
        ref: '—',
        sent: '2026-05-31T11:45Z',
        status: NO_STATUS,
        body: QUESTION,
        file: toFile('sA'),
        line: handText.split('\n').indexOf('## 2026-05-31T11:45Z · from:sB · to:sA · type:question · ref:— · status:sent') + 1,
      },
    );
    assert.match(hand.id, ID);
    assert.match(
      ok(fx, 'sA', ['inbox']).stdout,
      new RegExp(`^${hand.id}\\s+sB\\s+question\\s+—\\s+2026-05-31T11:45Z\\s+new\\s+Are you about`, 'm'),
    );

    const before = originHead(fx);
    const ack = okJson(fx, 'sA', ['ack', hand.id]);
    assert.equal(ack.id, hand.id);
    const after = originHead(fx);
    assert.deepEqual(gitOk(fx.repo, ['diff', '--name-only', before, after], { env: fx.env }), `${toFile('sA')}\n`);
    assert.equal(
      onOrigin(fx, toFile('sA'), after),
      handText.replace(
        /→ status:seen <ts> · acked <ts> · resolved <ts>\n$/,
        `→ status:seen ${ack.status.seen} · acked ${ack.status.acked} · resolved <ts>\n`,
      ),
      "only the hand block's status line changed",
    );
    // The id is stable across the ack; the coord-sent message is untouched.
    const again = okJson(fx, 'sA', ['inbox']).messages;
    assert.deepEqual(
      again.map((m) => [m.id, m.status.acked]),
      [
        [hand.id, ack.status.acked],
        [first.id, null],
      ],
    );
  },
);

// ---- refusals, bodies, notes to self --------------------------------------------------------

test(
  'refusals: only the recipient advances; unknown and malformed ids; recipients not on the board or path-like — one clear line, nothing published',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    const m = okJson(fx, 'sB', ['send', 'sA', '--type', 'question', '-m', 'for sA only']);

    for (const verb of ['ack', 'seen', 'resolve']) {
      nothingPublished(fx, () =>
        assertRefusal(run(fx, 'sB', [verb, m.id]), 1, new RegExp(`${m.id} is addressed to sA, not to you \\(sB\\)`)),
      );
    }
    nothingPublished(fx, () => assertRefusal(run(fx, 'sB', ['reply', m.id, '-m', 'hijack']), 1, /addressed to sA, not to you \(sB\)/));
    assert.deepEqual(
      okJson(fx, 'sA', ['inbox']).messages.map((x) => [x.id, x.status]),
      [[m.id, NO_STATUS]],
    );

    // An id no message has (hex, well-formed): exit 1. Not an id at all: exit 2.
    const unknown = m.id.startsWith('0') ? 'fffffffff0' : '0000000000';
    nothingPublished(fx, () => assertRefusal(run(fx, 'sA', ['ack', unknown]), 1, new RegExp(`No message ${unknown}.*coord inbox`)));
    for (const bad of ['zz-top', '../x', '12']) {
      nothingPublished(fx, () => assertRefusal(run(fx, 'sA', ['ack', bad]), 2, /is not a message id/));
    }

    // Recipients: not on the board → 1 naming who is; not an id → 2; no stray file anywhere.
    nothingPublished(fx, () =>
      assertRefusal(run(fx, 'sB', ['send', 'sQ', '-m', 'hello?']), 1, /No session sQ on the board \(on it: sA, sB\)/),
    );
    for (const bad of ['../x', 'sa', 'to-sA.md', '--']) {
      const r = nothingPublished(fx, () => run(fx, 'sB', ['send', bad, '-m', 'escape']));
      assert.equal(r.code, 2, `send ${bad}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error/);
    }
    assert.match(run(fx, 'sB', ['send', '../x', '-m', 'escape']).stderr, /'\.\.\/x' is not a session id/);
    assert.equal(fs.existsSync(path.join(fx.root, 'x')), false);
    assert.equal(fs.existsSync(path.join(fx.sB, QUEUE, '..', 'x')), false);
    assert.deepEqual(
      gitOk(fx.repo, ['ls-tree', '--name-only', 'origin/main', `${QUEUE}/`], { env: fx.env })
        .split('\n')
        .filter((f) => f.includes('to-')),
      [toFile('sA')],
    );
    nothingPublished(fx, () => assertRefusal(run(fx, 'sA', ['inbox', '--from', '../x']), 2, /--from: '\.\.\/x' is not a session id/));
    // An empty body is refused.
    nothingPublished(fx, () => assertRefusal(run(fx, 'sB', ['send', 'sA', '-m', '  ']), 2, /empty/));
  },
);

test(
  'bodies from stdin and --file; a body with header and status look-alikes round-trips exactly and forges nothing; notes to self',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    const fromStdin = JSON.parse(run(fx, 'sB', ['send', 'sA', '--json'], { input: 'typed on stdin\n  indented line\n\n' }).stdout);
    const bodyFile = path.join(fx.root, 'body.txt');
    fs.writeFileSync(bodyFile, 'from a file\nsecond line · with a dot\n');
    const fromFile = okJson(fx, 'sB', ['send', 'sA', '--file', bodyFile]);
    const fromDash = okJson(fx, 'sB', ['send', 'sA', '--file', '-'], { input: 'dash means stdin' });

    const tricky = [
      'Here is how a block looks:',
      '## 2026-01-01T00:00Z · from:sA · to:sB · type:info · ref:— · status:sent',
      'forged body',
      '→ status:seen 2026-01-01T00:01Z · acked 2026-01-01T00:01Z · resolved <ts>',
      '',
      '-> status: seen 2026-01-01T00:02Z',
      '  ## 2026-01-02T00:00Z · from:sB · to:sA · type:handoff · ref:R-1 · status:sent',
      '\\## already backslashed',
      '\\\\→ status:two backslashes',
      '##',
      'last line',
    ].join('\n');
    fs.writeFileSync(bodyFile, tricky);
    const forged = okJson(fx, 'sB', ['send', 'sA', '--type', 'info', '--file', bodyFile]);

    const inbox = okJson(fx, 'sA', ['inbox']);
    assert.deepEqual(inbox.problems, []);
    assert.deepEqual(
      inbox.messages.map((m) => [m.id, m.from, m.to, m.body]),
      [
        [fromStdin.id, 'sB', 'sA', 'typed on stdin\n  indented line'],
        [fromFile.id, 'sB', 'sA', 'from a file\nsecond line · with a dot'],
        [fromDash.id, 'sB', 'sA', 'dash means stdin'],
        [forged.id, 'sB', 'sA', tricky],
      ],
    );
    // No second message: the file has exactly four headers, and sB received nothing.
    const file = onOrigin(fx, toFile('sA'));
    assert.equal(headers(file).length, 4, file);
    assert.equal(file.split('\n').filter((l) => l.startsWith('→ status:')).length, 4, file);
    const b = okJson(fx, 'sB', ['inbox', '--all']);
    assert.deepEqual(b.messages, []);
    assert.deepEqual(b.problems, []);
    // Acking the tricky one advances its own status line, not a look-alike inside it.
    const ack = okJson(fx, 'sA', ['ack', forged.id]);
    const after = okJson(fx, 'sA', ['inbox']).messages.find((m) => m.id === forged.id);
    assert.equal(after.body, tricky);
    assert.deepEqual(after.status, ack.status);
    assert.ok(
      onOrigin(fx, toFile('sA')).endsWith(`last line\n→ status:seen ${ack.status.seen} · acked ${ack.status.acked} · resolved <ts>\n`),
    );

    // --from filters; a note to self shows in my inbox and is mine to ack, never in my unacked list.
    assert.deepEqual(okJson(fx, 'sA', ['inbox', '--from', 'sA']).messages, []);
    const note = okJson(fx, 'sA', ['send', 'sA', '-m', 'note to self: check the comms package']);
    assert.equal(note.to, 'sA');
    const mine = okJson(fx, 'sA', ['inbox', '--from', 'sA']);
    assert.deepEqual(
      mine.messages.map((m) => [m.id, m.from, m.to, m.body]),
      [[note.id, 'sA', 'sA', 'note to self: check the comms package']],
    );
    assert.deepEqual(mine.unacked, []);
    assert.match(okJson(fx, 'sA', ['ack', note.id]).status.acked, STAMP_RE);
    assert.deepEqual(
      okJson(fx, 'sA', ['inbox', '--sent']).messages.map((m) => m.id),
      [note.id],
    );
    // Two identical messages in the same minute get two ids.
    const twin1 = okJson(fx, 'sB', ['send', 'sA', '-m', 'same words']);
    const twin2 = okJson(fx, 'sB', ['send', 'sA', '-m', 'same words']);
    assert.notEqual(twin1.id, twin2.id);
  },
);

// ---- concurrency -------------------------------------------------------------------------------

test(
  'concurrent: 9 sends to sA at once from sessions in 3 clones lose and duplicate nothing; then concurrent acks with new sends lose no status line',
  TIMEOUT,
  async (t) => {
    const fx = fixture(t);
    otherClone(fx, 'clone2', 2); // sC, sD
    otherClone(fx, 'clone3', 2); // sE, sF
    for (const id of ['sC', 'sD', 'sE', 'sF']) assert.ok(fs.existsSync(fx[id]), `${id} worktree`);
    assert.equal(path.dirname(fx.sC), fx.root);
    assert.ok(path.basename(fx.sC).startsWith('clone2-') && path.basename(fx.sE).startsWith('clone3-'), `${fx.sC} ${fx.sE}`);

    const senders = ['sB', 'sC', 'sD', 'sE', 'sF', 'sB', 'sD', 'sE', 'sF'];
    const bodyOf = (who, i) => `concurrent ${i} from ${who}\nsecond line of ${i}`;
    const base = originHead(fx);
    const results = await Promise.all(
      senders.map((who, i) => coordAsync(fx[who], ['send', 'sA', '--json', '-m', bodyOf(who, i)], { env: fx.env })),
    );
    results.forEach((r, i) => assert.equal(r.code, 0, `send ${i} from ${senders[i]}:\n${r.stderr}${r.stdout}`));
    const ids = results.map((r) => JSON.parse(r.stdout).id);
    assert.equal(new Set(ids).size, senders.length);

    const text = onOrigin(fx, toFile('sA'));
    for (const [i, who] of senders.entries()) assert.equal(count(text, bodyOf(who, i)), 1, `body ${i}:\n${text}`);
    assert.equal(headers(text).length, senders.length, text);
    assert.equal(
      gitOk(fx.repo, ['rev-list', '--count', `${base}..origin/main`], { env: fx.env }).trim(),
      String(senders.length),
      'one commit per send',
    );
    const inbox = okJson(fx, 'sA', ['inbox']);
    assert.deepEqual(inbox.problems, []);
    assert.deepEqual(
      inbox.messages.map((m) => `${m.id} ${m.from} ${m.body}`).sort(),
      senders.map((who, i) => `${ids[i]} ${who} ${bodyOf(who, i)}`).sort(),
    );

    // sA acks four of them at once while four new sends race them.
    const toAck = ids.slice(0, 4);
    const late = ['sC', 'sE', 'sB', 'sF'];
    const lateBody = (who, i) => `late ${i} from ${who}`;
    const round2 = await Promise.all([
      ...toAck.map((id) => coordAsync(fx.sA, ['ack', id, '--json'], { env: fx.env })),
      ...late.map((who, i) => coordAsync(fx[who], ['send', 'sA', '-m', lateBody(who, i)], { env: fx.env })),
    ]);
    round2.forEach((r, i) => assert.equal(r.code, 0, `round 2 #${i}:\n${r.stderr}${r.stdout}`));
    const acks = new Map(
      round2.slice(0, 4).map((r) => {
        const j = JSON.parse(r.stdout);
        return [j.id, j.status.acked];
      }),
    );

    const all = okJson(fx, 'sA', ['inbox', '--all']);
    assert.deepEqual(all.problems, []);
    assert.equal(all.messages.length, senders.length + late.length);
    for (const id of ids) {
      const m = all.messages.filter((x) => x.id === id);
      assert.equal(m.length, 1, `message ${id} once`);
      assert.equal(m[0].status.acked, acks.get(id) ?? null, `status of ${id}`);
      if (acks.has(id)) assert.match(m[0].status.acked, STAMP_RE);
    }
    for (const [i, who] of late.entries()) {
      assert.equal(all.messages.filter((m) => m.body === lateBody(who, i) && m.from === who).length, 1, `late ${i}`);
    }
    const final = onOrigin(fx, toFile('sA'));
    assert.equal(final.split('\n').filter((l) => /^→ status:seen \S+ · acked \d/.test(l)).length, 4, final);
  },
);

// ---- sync ----------------------------------------------------------------------------------

test(
  "sync: brings main in (fast-forward, then rebase) keeping the heartbeat's presence edit; refuses on a person's own edit naming it; --autostash",
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    const env = fx.env;
    const sB = fx.sB;
    const boardPath = path.join(sB, BOARD);
    const commitAt = (file, msg, minutes) => {
      const when = new Date(Date.now() + minutes * 60_000).toISOString();
      fs.writeFileSync(path.join(sB, file), `${msg}\n`);
      gitOk(sB, ['add', file], { env });
      const r = git(sB, ['commit', '-m', msg], { env: { ...env, GIT_COMMITTER_DATE: when, GIT_AUTHOR_DATE: when } });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return stampOf(Date.parse(when));
    };
    const presenceOf = (text) => cellsOf(rowsOf(text).find((l) => l.startsWith('| sB ')))[4].split(' ')[0];
    /** The worktree board is origin's board except for sB's presence stamp. */
    const assertOnlyPresence = (expected) => {
      const wt = fs.readFileSync(boardPath, 'utf8');
      assert.equal(presenceOf(wt), expected, wt);
      const head = gitOk(sB, ['show', `HEAD:${BOARD}`], { env });
      assert.equal(wt.replace(expected, presenceOf(head)), head, 'only the presence stamp differs from HEAD');
      assert.deepEqual(gitOk(sB, ['status', '--porcelain', '--untracked-files=no'], { env }), ` M ${BOARD}\n`);
    };

    // A commit with the hooks: the heartbeat leaves its presence edit uncommitted. Published as the tutorial does.
    const p1 = commitAt('notes-1.txt', '[sB] docs: first notes', 3);
    assertOnlyPresence(p1);
    gitOk(sB, ['push', '--quiet', 'origin', 'HEAD:main'], { env });
    // Another session publishes, even changing sB's own row (a handoff to sB); sync fast-forwards and the presence edit stays.
    ok(fx, 'sA', ['riff', 'R-7']);
    okJson(fx, 'sA', ['handoff', 'sB', '--riff', 'R-7', '-m', 'published while sB has its heartbeat edit']);
    const ff = okJson(fx, 'sB', ['sync']);
    assert.equal(ff.how, 'fast-forward');
    assert.equal(ff.after, originHead(fx));
    assert.ok(fs.readFileSync(path.join(sB, toFile('sB')), 'utf8').includes('published while sB has its heartbeat edit'));
    assert.deepEqual(riffsByRow(fs.readFileSync(boardPath, 'utf8')).get('sB'), ['R-7'], "main's change of my row came in");
    assertOnlyPresence(p1);
    assert.equal(okJson(fx, 'sB', ['sync']).how, 'up-to-date');
    assertOnlyPresence(p1);

    // A local commit not yet published + another publish: sync rebases, presence edit kept.
    const p2 = commitAt('notes-2.txt', '[sB] docs: second notes', 5);
    assert.ok(p2 > p1);
    assertOnlyPresence(p2);
    okJson(fx, 'sA', ['send', 'sB', '-m', 'published while sB has a local commit']);
    const reb = okJson(fx, 'sB', ['sync']);
    assert.equal(reb.how, 'rebase');
    const origin = originHead(fx);
    assert.equal(gitOk(sB, ['rev-parse', 'HEAD~1'], { env }).trim(), origin, 'my commit sits on the newest main');
    assert.equal(gitOk(sB, ['log', '-1', '--format=%s'], { env }).trim(), '[sB] docs: second notes');
    assert.equal(fs.readFileSync(path.join(sB, 'notes-2.txt'), 'utf8'), '[sB] docs: second notes\n');
    assertOnlyPresence(p2);

    // A person's own uncommitted edit of another tracked file: refused, naming it, nothing changed.
    okJson(fx, 'sA', ['send', 'sB', '-m', 'one more']);
    fs.appendFileSync(path.join(sB, 'README.md'), 'my own edit\n');
    const headBefore = gitOk(sB, ['rev-parse', 'HEAD'], { env });
    const boardBefore = fs.readFileSync(boardPath, 'utf8');
    const refused = run(fx, 'sB', ['sync']);
    assertRefusal(refused, 1, /README\.md.*--autostash/);
    assert.doesNotMatch(refused.stderr, new RegExp(BOARD.replace(/\./g, '\\.')), 'the heartbeat edit is not named');
    assert.equal(gitOk(sB, ['rev-parse', 'HEAD'], { env }), headBefore, 'HEAD moved');
    assert.equal(fs.readFileSync(boardPath, 'utf8'), boardBefore);
    assert.ok(fs.readFileSync(path.join(sB, 'README.md'), 'utf8').endsWith('my own edit\n'));

    // --autostash: main comes in, my edit and the presence edit are both still there, no stash left.
    const auto = okJson(fx, 'sB', ['sync', '--autostash']);
    assert.equal(auto.how, 'rebase');
    assert.equal(git(sB, ['merge-base', '--is-ancestor', originHead(fx), 'HEAD'], { env }).code, 0, 'main is in');
    assert.ok(fs.readFileSync(path.join(sB, 'README.md'), 'utf8').endsWith('my own edit\n'));
    assert.equal(presenceOf(fs.readFileSync(boardPath, 'utf8')), p2);
    assert.deepEqual(
      gitOk(sB, ['status', '--porcelain', '--untracked-files=no'], { env }).split('\n').filter(Boolean).sort(),
      [` M ${BOARD}`, ' M README.md'].sort(),
    );
    assert.equal(gitOk(sB, ['stash', 'list'], { env }), '');
  },
);

// ---- unread counts ---------------------------------------------------------------------------

test('status --json: each session carries an unread count that drops after seen and ack', TIMEOUT, (t) => {
  const fx = fixture(t);
  const unread = (who) => Object.fromEntries(okJson(fx, who, ['status']).sessions.map((s) => [s.id, s.unread]));
  assert.deepEqual(unread('sA'), { sA: 0, sB: 0 });
  const q1 = okJson(fx, 'sB', ['send', 'sA', '--type', 'question', '-m', 'one']);
  const q2 = okJson(fx, 'sB', ['send', 'sA', '-m', 'two']);
  okJson(fx, 'sA', ['send', 'sB', '-m', 'three']);
  assert.deepEqual(unread('sA'), { sA: 2, sB: 1 });
  assert.deepEqual(unread('sB'), { sA: 2, sB: 1 }, 'the same counts from any session');
  okJson(fx, 'sA', ['seen', q1.id]);
  assert.deepEqual(unread('sB'), { sA: 1, sB: 1 });
  okJson(fx, 'sA', ['ack', q2.id]);
  assert.deepEqual(unread('sA'), { sA: 0, sB: 1 });
  const table = ok(fx, 'sA', ['status']).stdout;
  assert.match(table, /UNREAD/);
  assert.match(table.split('\n').find((l) => l.includes('sB · Douro')) ?? '', /\s1\s/);
  // seen keeps the id and stamps only seen.
  const s = okJson(fx, 'sA', ['inbox']).messages.find((m) => m.id === q1.id);
  assert.match(s.status.seen, STAMP_RE);
  assert.equal(s.status.acked, null);
  // A reply to q1 lands right under q1, before q2, and counts as unread for sB.
  const before = onOrigin(fx, toFile('sA'));
  const r = okJson(fx, 'sA', ['reply', q1.id, '-m', 'answer to one']);
  const after = onOrigin(fx, toFile('sA'));
  const hs = headers(after);
  assert.equal(hs.length, 3, after);
  assert.match(hs[0], / · from:sB · to:sA · type:question · /);
  assert.match(hs[1], new RegExp(` · from:sA · to:sB · type:answer · ref:${q1.id} · `));
  assert.match(hs[2], / · from:sB · to:sA · type:info · /);
  const q2At = before.indexOf(headers(before)[1]);
  const blockOf = (text, start) => text.slice(start);
  assert.equal(blockOf(after, after.indexOf(hs[2])), blockOf(before, q2At), 'q2 and after are untouched');
  assert.ok(after.includes(`\nanswer to one\n→ status:seen <ts> · acked <ts> · resolved <ts>\n\n${hs[2]}\n`), after);
  assert.deepEqual(unread('sA'), { sA: 0, sB: 2 });
  assert.deepEqual(
    okJson(fx, 'sB', ['inbox'])
      .messages.map((m) => m.id)
      .sort(),
    [r.id, okJson(fx, 'sB', ['inbox']).messages.find((m) => m.body === 'three').id].sort(),
  );
});
