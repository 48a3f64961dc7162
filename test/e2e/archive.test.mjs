// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// One session, one mailbox (issue 24): when a session's row leaves the board (close, reap),
// the mail addressed to it moves in that same commit to an archive file of that session, so a
// later session given the same id starts with an empty inbox, while the sender still sees what
// became of each message. The real bundle as a process, real git, a bare origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { coord, coordAsync, coordOk, git, gitOk, makeRepo } from '../helpers.mjs';

const TIMEOUT = { timeout: 300_000 };
const QUEUE = 'docs/ai/sessions/queue';
const ARCHIVE = 'docs/ai/sessions/archive';
const OLD = '2026-01-01T00:00Z';

function fixture(t, n) {
  const fx = makeRepo();
  t.after(() => fx.cleanup());
  for (let i = 0; i < n; i++) {
    const j = JSON.parse(coordOk(fx.repo, ['start', '--json'], { env: fx.env }).stdout);
    fx[j.id] = j.worktree;
    fx[`${j.id}Claimed`] = j.claimed ?? null;
  }
  return fx;
}
const ok = (fx, who, args) => coordOk(fx[who], args, { env: fx.env });
const okJson = (fx, who, args) => JSON.parse(ok(fx, who, [...args, '--json']).stdout);

/** The files under `dir` on origin/main, with their texts. */
function onOrigin(fx, dir) {
  gitOk(fx.repo, ['fetch', '--quiet', 'origin'], { env: fx.env });
  const names = gitOk(fx.repo, ['ls-tree', '--name-only', 'origin/main', `${dir}/`], { env: fx.env })
    .split('\n')
    .filter(Boolean);
  return new Map(names.map((f) => [f, gitOk(fx.repo, ['show', `origin/main:${f}`], { env: fx.env })]));
}
const blocksIn = (text) => (text.match(/^## /gm) ?? []).length;

test('a reused id starts with an empty inbox; the sender sees its message closed unread by the old session', TIMEOUT, (t) => {
  const fx = fixture(t, 2);
  const sent = okJson(fx, 'sA', ['send', 'sB', '-m', 'please review src/login.ts']);
  const before = okJson(fx, 'sB', ['inbox']).messages.map((m) => m.id);
  assert.deepEqual(before, [sent.id]);
  ok(fx, 'sB', ['close']);
  // The row's removal and the move are one commit.
  const last = gitOk(fx.repo, ['show', '--no-renames', '--name-status', '--format=%s', 'origin/main'], { env: fx.env });
  assert.match(last, /self-close sB/);
  assert.match(last, new RegExp(`^A\\s+${ARCHIVE}/to-sB-\\d+T\\d+Z\\.md$`, 'm'));
  assert.match(last, new RegExp(`^[DM]\\s+${QUEUE}/to-sB\\.md$`, 'm'));
  const archive = [...onOrigin(fx, ARCHIVE)];
  assert.equal(archive.length, 1);
  assert.match(archive[0][1], /^# Mail to sB · \S+ \(claimed \S+\), closed/);
  assert.match(archive[0][1], /please review src\/login\.ts/);

  // A new session claims sB again: its inbox and its prompt hook are silent about the old message.
  const again = JSON.parse(coordOk(fx.repo, ['start', '--json'], { env: fx.env }).stdout);
  assert.equal(again.id, 'sB');
  fx.sB = again.worktree;
  assert.deepEqual(okJson(fx, 'sB', ['inbox', '--all']).messages, []);
  const brief = coord(fx.sB, ['inbox', '--brief'], { env: fx.env, input: JSON.stringify({ cwd: fx.sB }) });
  assert.equal(brief.code, 0);
  assert.doesNotMatch(brief.stdout + brief.stderr, /review|unread|sA/);

  // The sender: closed unread by the old sB, whatever the seat holds now; provenance still says sA wrote it.
  const mine = okJson(fx, 'sA', ['inbox', '--sent']).messages;
  assert.equal(mine.length, 1);
  assert.equal(mine[0].id, sent.id);
  assert.equal(mine[0].recipientOnBoard, false);
  assert.equal(mine[0].archived.why, 'closed');
  assert.match(mine[0].archived.session, /^sB · /);
  assert.equal(mine[0].provenance.sent, 'sA');
  const text = ok(fx, 'sA', ['inbox', '--sent']).stdout;
  assert.match(text, /closed unread by sB · \S+ \(claimed \d{4}-/);
});

test("reap moves the reaped sessions' mail to the archive in its commit", TIMEOUT, (t) => {
  const fx = fixture(t, 1);
  const e = { env: fx.env };
  const lane = '`session-sD` → direct-to-main, `[sD]`';
  gitOk(fx.repo, ['pull', '--quiet', '--rebase', 'origin', 'main'], e);
  fs.appendFileSync(path.join(fx.repo, 'docs/ai/sessions/active.md'), `| sD · Braga | (Riff TBD) | ${lane} | ${OLD} | ${OLD} · | old |\n`);
  // And a message to sA resolved long ago, written by hand: reap takes it out of sA's live inbox too.
  const resolvedLongAgo = `## ${OLD} · from:sD · to:sA · type:info · ref:— · status:sent\nlong done\n→ status:seen ${OLD} · acked ${OLD} · resolved ${OLD}\n`;
  fs.mkdirSync(path.join(fx.repo, QUEUE), { recursive: true });
  fs.appendFileSync(path.join(fx.repo, QUEUE, 'to-sA.md'), resolvedLongAgo);
  gitOk(fx.repo, ['add', '-A'], e);
  gitOk(fx.repo, ['commit', '--quiet', '-am', 'hand edit: an old row'], e);
  gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], e);
  okJson(fx, 'sA', ['send', 'sD', '-m', 'for the old one']);
  const reap = JSON.parse(coordOk(fx.repo, ['reap', '--older-than', '1h', '--json'], e).stdout);
  assert.deepEqual([reap.reaped, reap.archivedResolved], [['sD'], 1]);
  const archive = onOrigin(fx, ARCHIVE);
  assert.equal(archive.size, 2);
  assert.match(archive.get([...archive.keys()].find((f) => f.endsWith('-resolved.md'))), /long done/);
  assert.doesNotMatch(onOrigin(fx, QUEUE).get(`${QUEUE}/to-sA.md`) ?? '', /long done/);
  assert.match(archive.get(`${ARCHIVE}/to-sD-20260101T0000Z.md`), /^# Mail to sD · Braga \(claimed 2026-01-01T00:00Z\), reaped/);
  assert.equal(onOrigin(fx, QUEUE).has(`${QUEUE}/to-sD.md`), false);
  assert.match(ok(fx, 'sA', ['inbox', '--sent']).stdout, /reaped unread by sD · Braga/);
});

test('sends racing a close: every message is in the archive or refused, none lost', TIMEOUT, async (t) => {
  const fx = fixture(t, 2);
  const N = 4;
  const sends = Array.from({ length: N }, (_, i) => coordAsync(fx.sA, ['send', 'sB', '-m', `racing ${i}`], { env: fx.env }));
  const close = coordAsync(fx.sB, ['close'], { env: fx.env });
  const results = await Promise.all(sends);
  const closed = await close;
  assert.equal(closed.code, 0, closed.stderr);
  const live = [...onOrigin(fx, QUEUE).values()].join('\n');
  const archived = [...onOrigin(fx, ARCHIVE).values()].join('\n');
  let landed = 0;
  results.forEach((r, i) => {
    const body = `racing ${i}`;
    if (r.code === 0) {
      landed++;
      // Landed before the close (the close took it to the archive); after the close a send to sB is refused.
      assert.ok(archived.includes(body), `${body} was sent but is not in the archive:\n${archived}`);
      assert.ok(!live.includes(body));
    } else assert.match(r.stderr, /No session sB on the board/);
  });
  assert.equal(blocksIn(archived), landed);
  t.diagnostic(`${landed} of ${N} sends landed before the close`);
});
