// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// The coordination files never conflict in ordinary git use: a session worktree with the
// heartbeat's edit pending, neighbours changing their rows, two sessions appending to one
// inbox by hand — through pull (ff-only, rebase, merge), rebase, cherry-pick and stash pop,
// with real git, real lefthook hooks, a bare origin, and coord's merge driver set up by init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BOARD, coord, coordOk, git, gitOk, makeRepo, mulberry32, rowsOf, stampOf } from '../helpers.mjs';

const TIMEOUT = { timeout: 300_000 };
const QUEUE = 'docs/ai/sessions/queue/to-sA.md';

function fixture(t, sessions = 3) {
  const fx = makeRepo();
  t.after(() => fx.cleanup());
  for (let i = 0; i < sessions; i++) coordOk(fx.repo, ['start'], { env: fx.env });
  return fx;
}
const wt = (fx, id) => `${fx.repo}-${id}`;
const read = (dir, rel) => fs.readFileSync(path.join(dir, rel), 'utf8');
const rowOf = (text, id) => rowsOf(text).find((r) => r.startsWith(`| ${id} `));
const cell = (text, id, n) => rowOf(text, id)?.split('|').slice(1, -1)[n]?.trim();
const noMarkers = (text) => assert.doesNotMatch(text, /^(<{7}|={7}|>{7})/m);
const committed = (fx, dir) =>
  gitOk(dir, ['ls-files', '-u'], { env: fx.env }) === '' && gitOk(dir, ['stash', 'list'], { env: fx.env }) === '';

/** A commit in `dir` dated `minutes` ahead (so the heartbeat moves the stamp), pushed to main. */
function workAndPush(fx, dir, id, minutes, push = true) {
  const when = `@${Math.floor(Date.now() / 1000) + minutes * 60} +0000`;
  gitOk(dir, ['commit', '--allow-empty', '-q', '-m', `[${id}] work`], {
    env: { ...fx.env, GIT_COMMITTER_DATE: when, GIT_AUTHOR_DATE: when },
  });
  if (push) gitOk(dir, ['push', '-q', 'origin', 'HEAD:main'], { env: fx.env });
}

test('init writes the merge attributes and sets the clone up; doctor says so', TIMEOUT, (t) => {
  const fx = fixture(t, 0);
  assert.match(read(fx.repo, '.gitattributes'), /^docs\/ai\/sessions\/active\.md merge=coord$/m);
  assert.match(read(fx.repo, '.gitattributes'), /^docs\/ai\/sessions\/queue\/\*\.md merge=coord$/m);
  assert.match(read(fx.repo, '.gitattributes'), /^docs\/ai\/sessions\/archive\/\*\.md merge=coord$/m);
  assert.match(
    gitOk(fx.repo, ['config', 'merge.coord.driver'], { env: fx.env }),
    /infrastructure\/scripts\/coord\.mjs merge-driver %O %A %B %P/,
  );
  assert.equal(gitOk(fx.repo, ['config', 'merge.autoStash'], { env: fx.env }).trim(), 'true');
  assert.equal(coord(fx.repo, ['doctor'], { env: fx.env }).code, 0);
});

test("the tutorial's git pull --ff-only origin main with the heartbeat's edit pending: works, and the edit survives", TIMEOUT, (t) => {
  const fx = fixture(t, 2);
  const [sA, sB] = [wt(fx, 'sA'), wt(fx, 'sB')];
  gitOk(sA, ['pull', '-q', '--ff-only', 'origin', 'main'], { env: fx.env });
  workAndPush(fx, sA, 'sA', 7);
  const presence = cell(read(sA, BOARD), 'sA', 4);
  assert.match(gitOk(sA, ['status', '--short'], { env: fx.env }), /active\.md/, 'the heartbeat left its edit');
  coordOk(sB, ['scope', 'billing API'], { env: fx.env });
  const r = git(sA, ['pull', '--ff-only', 'origin', 'main'], { env: fx.env });
  assert.equal(r.code, 0, r.stderr);
  const board = read(sA, BOARD);
  noMarkers(board);
  assert.equal(cell(board, 'sB', 5), 'billing API');
  assert.equal(cell(board, 'sA', 4), presence, 'the presence edit survived, still uncommitted');
  assert.ok(committed(fx, sA));
});

test(
  "the heartbeat's edit committed (git commit -a) while neighbours start, scope and close: pull --rebase, pull (merge), coord sync never conflict",
  TIMEOUT,
  (t) => {
    const fx = fixture(t, 3);
    const [sA, sB, sC] = [wt(fx, 'sA'), wt(fx, 'sB'), wt(fx, 'sC')];
    let minutes = 5;
    for (const [how, args] of [
      ['pull --rebase', ['pull', '--rebase', 'origin', 'main']],
      ['pull --no-rebase', ['pull', '--no-rebase', '--no-edit', 'origin', 'main']],
      ['sync', null],
    ]) {
      workAndPush(fx, sA, 'sA', (minutes += 3), false);
      gitOk(sA, ['commit', '-a', '-q', '-m', '[sA] presence rides along'], { env: fx.env });
      const mine = cell(read(sA, BOARD), 'sA', 4);
      coordOk(sB, ['scope', `scope while ${how}`], { env: fx.env });
      coordOk(sC, ['riff', `R-${how.length}`], { env: fx.env });
      coordOk(fx.repo, ['start'], { env: fx.env });
      const r = args ? git(sA, args, { env: fx.env }) : coord(sA, ['sync'], { env: fx.env });
      assert.equal(r.code, 0, `${how}: ${r.stderr}${r.stdout}`);
      const board = read(sA, BOARD);
      noMarkers(board);
      assert.equal(cell(board, 'sB', 5), `scope while ${how}`, how);
      assert.equal(cell(board, 'sC', 1), `R-${how.length}`, how);
      assert.equal(cell(board, 'sA', 4), mine, how);
      assert.ok(committed(fx, sA), how);
      gitOk(sA, ['push', '-q', 'origin', 'HEAD:main'], { env: fx.env });
    }
    assert.equal(rowsOf(read(sA, BOARD)).length, 6);
  },
);

test("two sessions append to one inbox by hand (tutorial step 3) and push: the second push's rebase keeps both blocks", TIMEOUT, (t) => {
  const fx = fixture(t, 3);
  const [sB, sC] = [wt(fx, 'sB'), wt(fx, 'sC')];
  coordOk(sB, ['send', 'sA', '-m', 'first, through coord'], { env: fx.env });
  for (const dir of [sB, sC]) gitOk(dir, ['pull', '-q', '--ff-only', 'origin', 'main'], { env: fx.env });
  const block = (from, body) =>
    `\n## ${stampOf(Date.now() + (from === 'sB' ? 60e3 : 120e3))} · from:${from} · to:sA · type:question · ref:— · status:sent\n${body}\n→ status:seen <ts> · acked <ts> · resolved <ts>\n`;
  fs.appendFileSync(path.join(sB, QUEUE), block('sB', 'by hand from sB'));
  fs.appendFileSync(path.join(sC, QUEUE), block('sC', 'by hand from sC'));
  for (const [dir, id] of [
    [sB, 'sB'],
    [sC, 'sC'],
  ]) {
    gitOk(dir, ['add', QUEUE], { env: fx.env });
    gitOk(dir, ['commit', '-q', '-m', `[${id}] docs(ai-sessions): question to sA`], { env: fx.env });
  }
  gitOk(sB, ['push', '-q', 'origin', 'HEAD:main'], { env: fx.env });
  assert.notEqual(git(sC, ['push', '-q', 'origin', 'HEAD:main'], { env: fx.env }).code, 0, 'the second push is behind');
  const r = git(sC, ['pull', '--rebase', 'origin', 'main'], { env: fx.env });
  assert.equal(r.code, 0, r.stderr);
  gitOk(sC, ['push', '-q', 'origin', 'HEAD:main'], { env: fx.env });
  const text = gitOk(fx.repo, ['show', `origin/main:${QUEUE}`], { env: fx.env });
  noMarkers(text);
  const inbox = JSON.parse(coordOk(wt(fx, 'sA'), ['inbox', '--json'], { env: fx.env }).stdout);
  assert.deepEqual(
    inbox.messages.map((m) => m.body),
    ['first, through coord', 'by hand from sB', 'by hand from sC'],
  );
  assert.deepEqual(inbox.problems, []);
});

test("cherry-pick and stash pop of board and inbox changes across neighbours' changes", TIMEOUT, (t) => {
  const fx = fixture(t, 2);
  const [sA, sB] = [wt(fx, 'sA'), wt(fx, 'sB')];
  // stash pop: a hand edit of my scope, stashed while a neighbour's change comes in.
  const edited = read(sA, BOARD).replace(/^(\| sA · Sintra \|.*\| )scope TBD[^|]*\|$/m, '$1stashed scope |');
  fs.writeFileSync(path.join(sA, BOARD), edited);
  gitOk(sA, ['stash', '-q'], { env: fx.env });
  coordOk(sB, ['scope', 'neighbour'], { env: fx.env });
  gitOk(sA, ['pull', '-q', '--ff-only', 'origin', 'main'], { env: fx.env });
  const pop = git(sA, ['stash', 'pop'], { env: fx.env });
  assert.equal(pop.code, 0, pop.stderr);
  assert.equal(cell(read(sA, BOARD), 'sA', 5), 'stashed scope');
  assert.equal(cell(read(sA, BOARD), 'sB', 5), 'neighbour');
  // cherry-pick: sB's own commit of an inbox change, picked onto a branch where another block came in.
  gitOk(sA, ['checkout', '-q', '--', BOARD], { env: fx.env });
  coordOk(sB, ['send', 'sA', '-m', 'one'], { env: fx.env });
  gitOk(sB, ['pull', '-q', '--ff-only', 'origin', 'main'], { env: fx.env });
  gitOk(sB, ['switch', '-q', '-c', 'side'], { env: fx.env });
  fs.appendFileSync(path.join(sB, QUEUE), '\n## 2026-11-26T12:05Z · from:sB · to:sA · type:info · ref:— · status:sent\non the side\n');
  gitOk(sB, ['commit', '-q', '-am', 'docs(ai-sessions): side note'], { env: fx.env });
  const side = gitOk(sB, ['rev-parse', 'HEAD'], { env: fx.env }).trim();
  gitOk(sB, ['switch', '-q', 'session-sB'], { env: fx.env });
  coordOk(sB, ['send', 'sA', '-m', 'two'], { env: fx.env });
  gitOk(sB, ['pull', '-q', '--ff-only', 'origin', 'main'], { env: fx.env });
  const pick = git(sB, ['cherry-pick', side], { env: fx.env });
  assert.equal(pick.code, 0, pick.stderr);
  const bodies = JSON.parse(coordOk(sA, ['inbox', '--json', '--all'], { env: { ...fx.env } }).stdout).messages.map((m) => m.body);
  assert.deepEqual(bodies, ['one', 'two']);
  assert.match(read(sB, QUEUE), /one[\s\S]*two[\s\S]*on the side|one[\s\S]*on the side[\s\S]*two/);
  noMarkers(read(sB, QUEUE));
});

test("a clone without the set-up falls back to git's line merge (never worse); start and doctor --fix set it up", TIMEOUT, (t) => {
  const fx = fixture(t, 1);
  const clone = path.join(fx.root, 'second');
  gitOk(fx.root, ['clone', '-q', fx.origin, clone], { env: fx.env });
  assert.equal(git(clone, ['config', 'merge.coord.driver'], { env: fx.env }).code, 1, 'a fresh clone has no driver');
  const doctor = JSON.parse(coord(clone, ['doctor', '--json'], { env: fx.env }).stdout);
  const finding = doctor.findings.find((f) => /lacks merge\.coord\.name, merge\.coord\.driver/.test(f.message));
  assert.ok(finding && finding.fixable, JSON.stringify(doctor));
  const fixed = JSON.parse(coord(clone, ['doctor', '--fix', '--json'], { env: fx.env }).stdout);
  assert.ok(fixed.findings.find((f) => /lacks merge\.coord/.test(f.message)).fixed);
  assert.match(gitOk(clone, ['config', 'merge.coord.driver'], { env: fx.env }), /merge-driver/);
  const third = path.join(fx.root, 'third');
  gitOk(fx.root, ['clone', '-q', fx.origin, third], { env: fx.env });
  coordOk(third, ['start'], { env: fx.env });
  assert.match(gitOk(third, ['config', 'merge.coord.driver'], { env: fx.env }), /merge-driver/);
});

test(
  'property: random pairs of board and inbox edits merge through real git (rebase, merge, cherry-pick, stash pop) to what applying both gives',
  TIMEOUT,
  (t) => {
    const fx = fixture(t, 0);
    const dir = fx.repo;
    const env = fx.env;
    const rnd = mulberry32(11);
    const T = (m) => `2026-11-26T1${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}Z`;
    const rowLine = (id, scope, presence, riff = '(Riff TBD)') =>
      `| ${id} · N${id} | ${riff} | worktree \`session-${id}\` → direct-to-main, \`[${id}]\` | ${T(0)} | ${presence} · | ${scope} |`;
    const ids = ['sA', 'sB', 'sC', 'sD'];
    const header = read(dir, BOARD);
    const baseRows = ids.slice(0, 3).map((id) => rowLine(id, 'base', T(1)));
    const baseQueue = `## ${T(2)} · from:sB · to:sA · type:question · ref:— · status:sent\nbase question\n→ status:seen <ts> · acked <ts> · resolved <ts>\n`;
    /** One side's edits: the rows as a map, the appended blocks, and whether it acks the base question. */
    const sideEdits = (tag) => {
      const rows = new Map(baseRows.map((l, i) => [ids[i], l]));
      const id = ids[Math.floor(rnd() * 3)];
      const kind = Math.floor(rnd() * 4);
      if (kind === 0) rows.set(id, rowLine(id, `scope by ${tag}`, T(1)));
      if (kind === 1) rows.set(id, rowLine(id, 'base', T(10 + Math.floor(rnd() * 40))));
      if (kind === 2) rows.set(`s${tag === 'a' ? 'E' : 'F'}`, rowLine(`s${tag === 'a' ? 'E' : 'F'}`, 'new', T(3)));
      if (kind === 3 && id !== 'sA') rows.delete(id);
      const blocks = Array.from(
        { length: Math.floor(rnd() * 3) },
        (_, i) =>
          `## ${T(20 + Math.floor(rnd() * 30))} · from:s${tag === 'a' ? 'B' : 'C'} · to:sA · type:info · ref:— · status:sent\n${tag} block ${i}\n→ status:seen <ts> · acked <ts> · resolved <ts>\n`,
      );
      return { rows, blocks, ack: rnd() < 0.4, kind, id };
    };
    const write = (s) => {
      fs.writeFileSync(path.join(dir, BOARD), header + [...s.rows.values()].join('\n') + '\n');
      let q = baseQueue;
      if (s.ack) q = q.replace('→ status:seen <ts> · acked <ts>', `→ status:seen ${T(30)} · acked ${T(30)}`);
      fs.writeFileSync(path.join(dir, QUEUE), [q, ...s.blocks].join('\n'));
    };
    gitOk(dir, ['switch', '-q', '-c', 'prop-base'], { env });
    write({ rows: new Map(baseRows.map((l, i) => [ids[i], l])), blocks: [], ack: false });
    gitOk(dir, ['add', '-A'], { env });
    gitOk(dir, ['commit', '-q', '--no-verify', '-m', 'base'], { env });
    const ops = ['rebase', 'merge', 'cherry-pick', 'stash'];
    let runs = 0;
    for (let n = 0; n < 8; n++) {
      const a = sideEdits('a');
      const b = sideEdits('b');
      for (const op of ops) {
        gitOk(dir, ['checkout', '-q', '-B', 'side-b', 'prop-base'], { env });
        write(b);
        if (op !== 'stash') gitOk(dir, ['commit', '-q', '--no-verify', '-am', 'b'], { env });
        else gitOk(dir, ['stash', '-q'], { env });
        gitOk(dir, ['checkout', '-q', '-B', 'side-a', 'prop-base'], { env });
        write(a);
        gitOk(dir, ['commit', '-q', '--no-verify', '-am', 'a'], { env });
        const r =
          op === 'rebase'
            ? git(dir, ['rebase', '-q', 'side-b'], { env: { ...env, GIT_EDITOR: 'true' } })
            : op === 'merge'
              ? git(dir, ['merge', '-q', '--no-edit', 'side-b'], { env })
              : op === 'cherry-pick'
                ? git(dir, ['cherry-pick', '--keep-redundant-commits', 'side-b'], { env })
                : git(dir, ['stash', 'pop'], { env });
        runs++;
        const what = `case ${n} (${a.kind}/${a.id} vs ${b.kind}/${b.id}) through ${op}`;
        assert.equal(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);
        const board = read(dir, BOARD);
        const queue = read(dir, QUEUE);
        noMarkers(board);
        noMarkers(queue);
        // What applying both gives: every row change of each side, every block of each side, the ack.
        for (const s of [a, b]) {
          const other = s === a ? b : a;
          for (const [id, line] of s.rows)
            if (line !== baseRows[ids.indexOf(id)]) {
              const removedThere = ids.indexOf(id) >= 0 && !other.rows.has(id);
              const changedThere = other.rows.get(id) !== baseRows[ids.indexOf(id)];
              if (!removedThere && !changedThere) assert.equal(rowOf(board, id), line, `${what}: row ${id}`);
              if (changedThere && s.kind === 1 && other.kind === 1)
                assert.equal(cell(board, id, 4), [cell(line, id, 4), cell(other.rows.get(id), id, 4)].sort()[1], `${what}: newer presence`);
            }
          for (const id of ids.slice(0, 3)) if (!s.rows.has(id)) assert.equal(rowOf(board, id), undefined, `${what}: ${id} removed`);
          for (const block of s.blocks) assert.ok(queue.includes(block.split('\n')[1]), `${what}: block lost`);
          if (s.ack) assert.match(queue, /→ status:seen \S+Z · acked \S+Z/, `${what}: ack lost`);
        }
        gitOk(dir, ['reset', '-q', '--hard'], { env });
        git(dir, ['stash', 'clear'], { env });
      }
    }
    assert.equal(runs, 32);
  },
);
