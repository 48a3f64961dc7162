// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// Nothing lost, one owner: the destructive paths fail closed, nothing git does not track goes
// without a word, coordination paths that are not files are never replaced, one session per
// Riff, the sender sees a recipient leave, nothing a sender writes reaches a terminal as a
// control sequence, and a closed pipe or an internal error never misleads. Each test here
// failed against the bundle before these fixes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BOARD, boardOnOrigin, coord, coordArgv, coordOk, git, gitOk, makeRepo, rowsOf } from '../helpers.mjs';

const TIMEOUT = { timeout: 180_000 };

function fixture(t, opts) {
  const fx = makeRepo(opts);
  t.after(() => fx.cleanup());
  return fx;
}
const wtOf = (fx, id) => `${fx.repo}-${id}`;
const oneLine = (r, re) => {
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, `expected one stderr line:\n${r.stderr}`);
  assert.match(lines[0], re);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
};
const exists = (p) => fs.existsSync(p);
const branches = (fx) =>
  gitOk(fx.repo, ['branch', '--list', 'session-*', '--format=%(refname:short)'], { env: fx.env }).split('\n').filter(Boolean);
const onBoard = (fx) => rowsOf(boardOnOrigin(fx.repo, fx.env)).map((r) => r.split('·')[0].replace('|', '').trim());

/** Commits `files` ({path: text | {link}}) onto origin/main from the main checkout. */
function commitOnMain(fx, files, message) {
  gitOk(fx.repo, ['pull', '--quiet', '--ff-only', 'origin', 'main'], { env: fx.env });
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(fx.repo, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    if (typeof content === 'string') fs.writeFileSync(abs, content);
    else fs.symlinkSync(content.link, abs);
  }
  gitOk(fx.repo, ['add', '-A'], { env: fx.env });
  gitOk(fx.repo, ['commit', '--quiet', '--no-verify', '-m', message], { env: fx.env });
  gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });
}

test(
  'doctor --fix cannot read the board (wrong branch in .coord.json, or COORD_BRANCH an origin lacks): it reports and removes nothing',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    coordOk(fx.repo, ['start'], { env: fx.env });
    fs.writeFileSync(path.join(fx.repo, '.coord.json'), '{"branch": "no-such-branch"}\n');
    for (const env of [fx.env, { ...fx.env, COORD_BRANCH: 'other' }]) {
      const r = coord(fx.repo, ['doctor', '--fix', '--json'], { env });
      assert.equal(r.code, 1, r.stderr);
      const findings = JSON.parse(r.stdout).findings;
      assert.ok(
        findings.some((f) => /not checked: the board could not be read/.test(f.message)),
        r.stdout,
      );
      assert.ok(!findings.some((f) => f.fixed), r.stdout);
      assert.ok(exists(wtOf(fx, 'sA')), "the live session's worktree is still there");
      assert.deepEqual(branches(fx), ['session-sA']);
    }
  },
);

test(
  'close names files git ignores and refuses; --discard-ignored deletes them; unchanged .worktreeinclude copies go silently',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    commitOnMain(fx, { '.gitignore': '.env\nbuild/\n', '.worktreeinclude': '.env\n' }, 'chore: ignore .env, copy it into worktrees');
    fs.writeFileSync(path.join(fx.repo, '.env'), 'TOKEN=main\n');
    const started = JSON.parse(coordOk(fx.repo, ['start', '--json'], { env: fx.env }).stdout);
    assert.deepEqual(started.copied, ['.env']);
    const sA = wtOf(fx, 'sA');
    assert.equal(fs.readFileSync(path.join(sA, '.env'), 'utf8'), 'TOKEN=main\n');

    // A local build output: ignored, not a copy. Closing would delete it: refused, nothing changed.
    fs.mkdirSync(path.join(sA, 'build'));
    fs.writeFileSync(path.join(sA, 'build', 'out.bin'), 'x');
    const refused = coord(sA, ['close'], { env: fx.env });
    assert.equal(refused.code, 1);
    oneLine(refused, /Not closing sA: .* holds files git ignores \(build\/\)\. .*--discard-ignored/);
    assert.ok(exists(path.join(sA, 'build', 'out.bin')));
    assert.deepEqual(onBoard(fx), ['sA']);

    // The copy changed in the worktree: that is the session's own now, so it is named too.
    fs.writeFileSync(path.join(sA, '.env'), 'TOKEN=changed\n');
    fs.rmSync(path.join(sA, 'build'), { recursive: true });
    const changed = coord(sA, ['close'], { env: fx.env });
    assert.equal(changed.code, 1);
    oneLine(changed, /holds files git ignores \(\.env\)/);

    // Unchanged copy: no loss, the close goes through without a word about it.
    fs.writeFileSync(path.join(sA, '.env'), 'TOKEN=main\n');
    const closed = coordOk(sA, ['close'], { env: fx.env });
    assert.doesNotMatch(closed.stdout + closed.stderr, /ignore/);
    assert.ok(!exists(sA));

    // --discard-ignored: the person said what to do with them.
    coordOk(fx.repo, ['start'], { env: fx.env });
    fs.writeFileSync(path.join(sA, '.env'), 'TOKEN=mine\n');
    coordOk(sA, ['close', '--discard-ignored'], { env: fx.env });
    assert.ok(!exists(sA));
    assert.equal(fs.readFileSync(path.join(fx.repo, '.env'), 'utf8'), 'TOKEN=main\n', "the main checkout's file is untouched");
  },
);

test(
  'a queue path that is a directory or a symbolic link is refused with one line, never replaced; the other verbs go on',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    coordOk(fx.repo, ['start'], { env: fx.env });
    coordOk(fx.repo, ['start'], { env: fx.env });
    coordOk(fx.repo, ['start'], { env: fx.env });
    commitOnMain(
      fx,
      {
        'docs/ai/sessions/queue/to-sA.md/notes.txt': 'keep me\n',
        'docs/ai/sessions/queue/to-sB.md': { link: '../active.md' },
      },
      'docs: odd entries where inboxes go',
    );
    const tree = () => gitOk(fx.repo, ['ls-tree', '-r', 'origin/main', '--', 'docs/ai/sessions/queue'], { env: fx.env });
    const before = tree();
    const sC = wtOf(fx, 'sC');
    for (const [to, kind] of [
      ['sA', 'a directory'],
      ['sB', 'a symbolic link'],
    ]) {
      const r = coord(sC, ['send', to, '-m', 'hello'], { env: fx.env });
      assert.equal(r.code, 1, r.stderr);
      oneLine(r, new RegExp(`docs/ai/sessions/queue/to-${to}\\.md is ${kind}, not a file: coord never replaces it`));
      assert.equal(tree(), before);
    }
    assert.match(tree(), /notes\.txt/);
    assert.match(tree(), /^120000 /m);
    // Verbs that do not write those paths are not stopped by them.
    coordOk(sC, ['status'], { env: fx.env });
    coordOk(sC, ['inbox'], { env: fx.env });
    coordOk(wtOf(fx, 'sA'), ['send', 'sC', '-m', 'still works'], { env: fx.env });
    assert.match(JSON.parse(coordOk(sC, ['inbox', '--json'], { env: fx.env }).stdout).messages[0].body, /still works/);
  },
);

test('one owner per Riff: riff, start --riff and handoff share one rule; riff ids are checked as handoff checks them', TIMEOUT, (t) => {
  const fx = fixture(t);
  coordOk(fx.repo, ['start'], { env: fx.env });
  coordOk(fx.repo, ['start'], { env: fx.env });
  const [sA, sB] = [wtOf(fx, 'sA'), wtOf(fx, 'sB')];
  coordOk(sA, ['riff', 'R-5'], { env: fx.env });
  for (const [cwd, args] of [
    [sB, ['riff', 'R-5']],
    [sB, ['riff', '--add', 'R-5']],
    [fx.repo, ['start', '--riff', 'R-5']],
  ]) {
    const r = coord(cwd, args, { env: fx.env });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    oneLine(r, /Riff R-5 is held by sA \(Sintra\)/);
  }
  assert.equal(rowsOf(boardOnOrigin(fx.repo, fx.env)).filter((r) => r.includes('R-5')).length, 1);
  const spaced = coord(sB, ['riff', 'R 5'], { env: fx.env });
  assert.equal(spaced.code, 2);
  oneLine(spaced, /'R 5' is not a Riff id/);
  const handoff = coord(sA, ['handoff', 'sB', '--riff', 'R 5', '-m', 'x'], { env: fx.env });
  assert.equal(handoff.code, 2);
  oneLine(handoff, /--riff: 'R 5' is not a Riff id/);
  assert.doesNotMatch(handoff.stderr, /--ref/);
  coordOk(sA, ['handoff', 'sB', '--riff', 'R-5', '-m', 'yours'], { env: fx.env });
  coordOk(sA, ['riff', 'R-6'], { env: fx.env });
});

test(
  'close of a Riff holder refuses and names the handoff; --release-riffs lets go in the commit; the sender sees the recipient has left',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    coordOk(fx.repo, ['start'], { env: fx.env });
    coordOk(fx.repo, ['start'], { env: fx.env });
    const [sA, sB] = [wtOf(fx, 'sA'), wtOf(fx, 'sB')];
    coordOk(sA, ['riff', 'R-7'], { env: fx.env });
    coordOk(sB, ['send', 'sA', '--type', 'question', '-m', 'still there?'], { env: fx.env });
    const refused = coord(sA, ['close'], { env: fx.env });
    assert.equal(refused.code, 1);
    oneLine(refused, /sA holds Riff R-7: hand it over first \(coord handoff <sX> --riff R-7/);
    assert.deepEqual(onBoard(fx), ['sA', 'sB']);
    assert.ok(exists(sA));

    const closed = coordOk(sA, ['close', '--release-riffs'], { env: fx.env });
    assert.match(closed.stdout, /Released Riff R-7/);
    assert.match(closed.stdout, /1 message\(s\) to sA are left unresolved/);
    assert.match(gitOk(fx.repo, ['log', '-1', '--format=%s', 'origin/main'], { env: fx.env }), /self-close sA, releasing Riff R-7/);

    const sent = coordOk(sB, ['inbox', '--sent'], { env: fx.env });
    assert.match(sent.stdout, /closed unread by sA · \S+ \(claimed /);
    const json = JSON.parse(coordOk(sB, ['inbox', '--sent', '--json'], { env: fx.env }).stdout);
    assert.equal(json.messages[0].recipientOnBoard, false);
  },
);

test(
  "a body's control sequences (ESC, OSC, CR, C1, bidi overrides) never reach the terminal; --json keeps the exact text",
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    coordOk(fx.repo, ['start'], { env: fx.env });
    coordOk(fx.repo, ['start'], { env: fx.env });
    const [sA, sB] = [wtOf(fx, 'sA'), wtOf(fx, 'sB')];
    const body = 'look \x1b]0;pwned\x07here\x1b[2J\rgone \u009b31m \u202eevil';
    coordOk(sB, ['send', 'sA', '-m', body], { env: fx.env });
    for (const args of [['inbox'], ['prime'], ['inbox', '--brief']]) {
      const r = coordOk(sA, args, { env: fx.env });
      assert.doesNotMatch(r.stdout, /[\x1b\x07\r\u009b\u202e]/, `${args.join(' ')} printed a control character`);
      assert.match(r.stdout, /\\x1b\]0;pwned\\x07here/, args.join(' '));
    }
    assert.equal(JSON.parse(coordOk(sA, ['inbox', '--json'], { env: fx.env }).stdout).messages[0].body, body);
    // A hand-edited board cell is shown the same way.
    commitOnMain(
      fx,
      { [BOARD]: boardOnOrigin(fx.repo, fx.env).replace(/(\| sB · Douro \|.*\| )scope TBD[^|]*\|/, '$1\x1b[31mred\x1b[0m |') },
      'docs: a hand edit',
    );
    const status = coordOk(sA, ['status'], { env: fx.env });
    assert.doesNotMatch(status.stdout, /\x1b/);
    assert.match(status.stdout, /\\x1b\[31mred/);
  },
);

test('a reader that goes away (coord … | head -1) ends the verb quietly: no stack trace, exit 0, the work done', TIMEOUT, async (t) => {
  const fx = fixture(t);
  coordOk(fx.repo, ['start'], { env: fx.env });
  for (const args of [['status'], ['--help'], ['send', 'sA', '--as', 'sA', '-m', 'to myself']]) {
    const [file, ...argv] = coordArgv(args);
    const r = await new Promise((resolve) => {
      const child = spawn(file, argv, { cwd: fx.repo, env: fx.env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader is gone before coord writes a byte
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '', args.join(' '));
  }
  assert.match(gitOk(fx.repo, ['show', 'origin/main:docs/ai/sessions/queue/to-sA.md'], { env: fx.env }), /to myself/);
});

test(
  'smaller ones: reap --older-than below the live threshold; close on a detached HEAD; the advice fits the refusal; one prefix per usage error; an internal error after a publish says so; a hand-edited claim cell',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    coordOk(fx.repo, ['start'], { env: fx.env });
    coordOk(fx.repo, ['start'], { env: fx.env });
    const [sA, sB] = [wtOf(fx, 'sA'), wtOf(fx, 'sB')];

    // Detached HEAD in sA's worktree: refused with advice that works, nothing changed.
    gitOk(sA, ['checkout', '--quiet', '--detach'], { env: fx.env });
    const detached = coord(sA, ['close', '--as', 'sA'], { env: fx.env });
    assert.equal(detached.code, 1);
    oneLine(detached, /is on a detached HEAD, not session-sA\. Check out session-sA there \(git -C .* switch session-sA\)/);
    assert.ok(exists(sA));
    gitOk(sA, ['switch', '--quiet', 'session-sA'], { env: fx.env });

    // Uncommitted work: the advice names --keep-worktree, not --keep-branch.
    fs.writeFileSync(path.join(sA, 'wip.txt'), 'x');
    const dirty = coord(sA, ['close'], { env: fx.env });
    oneLine(dirty, /--keep-worktree/);
    assert.doesNotMatch(dirty.stderr, /--keep-branch/);
    fs.rmSync(path.join(sA, 'wip.txt'));

    // One prefix per usage error.
    for (const args of [['riff'], ['start', '--bogus'], ['send']]) {
      const r = coord(sB, args, { env: fx.env });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^coord: /);
      assert.doesNotMatch(r.stderr, /coord: coord|^coord [a-z-]+: /m);
    }

    // An unexpected error after the publish must not claim nothing was published.
    const injected = coord(sB, ['scope', 'after the push'], { env: { ...fx.env, COORD_CRASH_AT: 'after-publish:throw' } });
    assert.equal(injected.code, 1);
    assert.match(injected.stderr, /internal error: injected fault at after-publish/);
    assert.match(injected.stderr, /A change was published before the failure \(origin\/main [0-9a-f]{7}\)/);
    assert.doesNotMatch(injected.stderr, /Nothing was published/);

    // A claim cell edited by hand into something that is not a stamp shows as unknown, not NaN.
    commitOnMain(
      fx,
      { [BOARD]: boardOnOrigin(fx.repo, fx.env).replace(/^(\| sB · Douro \| [^|]*\| [^|]*\| )[^|]*\|/m, '$1yesterday |') },
      'docs: hand edit',
    );
    assert.doesNotMatch(coordOk(sA, ['status'], { env: fx.env }).stdout, /NaN/);

    // reap --older-than 1s, below the 30m live threshold: a session idle for 2s is reaped.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2100);
    const reaped = JSON.parse(coordOk(fx.repo, ['reap', '--older-than', '1s', '--dry-run', '--json'], { env: fx.env }).stdout);
    assert.deepEqual(reaped.reaped.sort(), ['sA', 'sB']);
  },
);

test(
  "the ack chain's provenance: inbox --sent says which session's commit wrote each block and stamped each status, and flags what history does not back",
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    for (let i = 0; i < 3; i++) coordOk(fx.repo, ['start'], { env: fx.env });
    const [sA, sB] = [wtOf(fx, 'sA'), wtOf(fx, 'sB')];
    const id = JSON.parse(coordOk(sB, ['send', 'sA', '--type', 'question', '-m', 'are you there?', '--json'], { env: fx.env }).stdout).id;
    coordOk(sA, ['ack', id], { env: fx.env });
    const honest = JSON.parse(coordOk(sB, ['inbox', '--sent', '--json'], { env: fx.env }).stdout).messages[0];
    assert.deepEqual(honest.provenance, { sent: 'sB', seen: 'sA', acked: 'sA', resolved: null });
    assert.equal(honest.backed, true);

    // sB stamps "resolved" on sA's behalf, and writes a block claiming to come from sC, by hand.
    const file = 'docs/ai/sessions/queue/to-sA.md';
    const text = gitOk(fx.repo, ['show', `origin/main:${file}`], { env: fx.env });
    const forged =
      text.replace(/(→ status:seen \S+ · acked \S+)/, '$1 · resolved 2026-11-26T12:00Z') +
      '\n## 2026-11-26T12:01Z · from:sC · to:sA · type:info · ref:— · status:sent\nnot really sC\n';
    commitOnMain(fx, { [file]: forged }, '[sB] docs(ai-sessions): tidy');
    const after = JSON.parse(coordOk(sB, ['inbox', '--sent', '--json'], { env: fx.env }).stdout).messages[0];
    assert.equal(after.provenance.resolved, 'sB');
    assert.equal(after.backed, false);
    assert.match(coordOk(sB, ['inbox', '--sent'], { env: fx.env }).stdout, /resolved \(! resolved not by a sA commit\)/);
    const sC = JSON.parse(coordOk(fx.repo, ['inbox', '--sent', '--json', '--as', 'sC'], { env: fx.env }).stdout).messages[0];
    assert.equal(sC.provenance.sent, 'sB');
    assert.equal(sC.backed, false);
  },
);

/**
 * A git that can make reftable repositories (git 2.45+): the system's, or the bin folder
 * named by COORD_TEST_REFTABLE_GIT. Null when there is none: the test then says it skipped.
 */
function reftableGit(env) {
  const dirs = [process.env.COORD_TEST_REFTABLE_GIT, ''].filter((d) => d !== undefined);
  for (const dir of dirs) {
    const PATH = dir ? `${dir}${path.delimiter}${env.PATH}` : env.PATH;
    const probe = fs.mkdtempSync(path.join(path.dirname(env.GIT_CONFIG_GLOBAL), 'probe-'));
    const r = git(probe, ['init', '--quiet', '--ref-format=reftable', 'x'], { env: { ...env, PATH } });
    fs.rmSync(probe, { recursive: true, force: true });
    if (r.code === 0) return PATH;
  }
  return null;
}

test(
  'a reftable repository (HEAD reads "ref: refs/heads/.invalid"): the hooks and verbs ask git which branch, and still know the session',
  TIMEOUT,
  (t) => {
    const fx = fixture(t, { origin: false, lefthook: false });
    const PATH = reftableGit(fx.env);
    if (!PATH) {
      t.skip('no git with reftable support here (git 2.45+; set COORD_TEST_REFTABLE_GIT to its bin folder)');
      return;
    }
    const env = { ...fx.env, PATH };
    const repo = path.join(fx.root, 'rt');
    gitOk(fx.root, ['init', '--quiet', '--ref-format=reftable', '-b', 'main', repo], { env });
    fs.writeFileSync(path.join(repo, 'README.md'), '# rt\n');
    gitOk(repo, ['add', '-A'], { env });
    gitOk(repo, ['commit', '--quiet', '-m', 'initial commit'], { env });
    coordOk(repo, ['init'], { env });
    gitOk(repo, ['add', '-A'], { env });
    gitOk(repo, ['commit', '--quiet', '-m', 'chore: onboard coord'], { env });
    coordOk(repo, ['start'], { env });
    const sA = `${repo}-sA`;
    assert.equal(
      fs.readFileSync(gitOk(sA, ['rev-parse', '--git-path', 'HEAD'], { env }).trim(), 'utf8').trim(),
      'ref: refs/heads/.invalid',
    );

    const msg = path.join(fx.root, 'msg');
    fs.writeFileSync(msg, '[sA] feat: in a reftable worktree\n');
    coordOk(sA, ['check-prefix', msg], { env });
    fs.writeFileSync(msg, '[sB] feat: not mine\n');
    assert.equal(coord(sA, ['check-prefix', msg], { env }).code, 1);
    assert.equal(JSON.parse(coordOk(sA, ['status', '--json'], { env }).stdout).session, 'sA');
    gitOk(sA, ['commit', '--allow-empty', '--quiet', '-m', '[sA] work'], {
      env: { ...env, GIT_COMMITTER_DATE: `${Math.floor(Date.now() / 1000) + 300} +0000` },
    });
    coordOk(sA, ['heartbeat'], { env });
    assert.match(gitOk(sA, ['status', '--short'], { env }), /docs\/ai\/sessions\/active\.md/, 'the heartbeat moved the presence stamp');
  },
);
