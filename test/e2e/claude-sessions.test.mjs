// deno: yes
// One Claude Code session per worktree name, and none left behind: WorktreeCreate run twice with
// one name returns the live session's worktree, and reap --abandoned closes the sessions of a
// client that never called WorktreeRemove (claude -p) only when that client is gone, the session
// did nothing and nothing of anyone's is in its worktree. The hooks run as Claude Code runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { boardOnOrigin, coord, coordOk, gitOk, rowsOf } from '../helpers.mjs';
import { claudeRepo as fixture, hookCommand, hookEnv, hookInput as hookJson, runHook } from '../claude.mjs';

const TIMEOUT = { timeout: 240_000 };

// A stand-in for the client: a process that runs the hook through a shell, as Claude Code does, and then
// keeps running until it is killed — as `claude -p` runs and then ends without calling WorktreeRemove.
const CLIENT = `
const { spawnSync } = require('node:child_process');
const r = spawnSync('sh', ['-c', process.env.HOOK], { input: process.env.HOOK_INPUT, encoding: 'utf8' });
process.stdout.write(JSON.stringify({ code: r.status, stdout: r.stdout, stderr: r.stderr }) + '\\n');
setInterval(() => {}, 1000);
`;
function startClient(t, fx, name) {
  const child = spawn(process.execPath, ['-e', CLIENT], {
    cwd: fx.repo,
    env: { ...hookEnv(fx), HOOK: hookCommand(fx, 'WorktreeCreate'), HOOK_INPUT: hookJson(fx, 'WorktreeCreate', { name }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      if (!text.includes('\n')) return;
      const made = JSON.parse(text);
      if (made.code !== 0) reject(new Error(made.stderr));
      const stop = () =>
        new Promise((done) => {
          child.once('exit', done);
          child.kill('SIGKILL');
        });
      resolve({ dir: made.stdout.trim(), pid: child.pid, stop });
    });
  });
}

test('WorktreeCreate twice with one name gives one session: the same path, one row, nothing claimed the second time', TIMEOUT, (t) => {
  const fx = fixture(t);
  const first = runHook(fx, 'WorktreeCreate', { name: 'fix-login' });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, `${fx.repo}-sA\n`);
  const board = boardOnOrigin(fx.repo, fx.env);

  const again = runHook(fx, 'WorktreeCreate', { name: 'fix-login' });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, first.stdout, 'the same worktree, path only on stdout');
  assert.match(again.stderr, /sA already works in Claude Code's worktree 'fix-login': returning it, nothing claimed/);
  assert.equal(boardOnOrigin(fx.repo, fx.env), board, 'no second claim');
  assert.equal(rowsOf(board).length, 1);
  assert.ok(!fs.existsSync(`${fx.repo}-sB`));

  // Another name is another session; once the first is removed, its name claims anew.
  const other = runHook(fx, 'WorktreeCreate', { name: 'other' });
  assert.equal(other.stdout, `${fx.repo}-sB\n`);
  const removed = runHook(fx, 'WorktreeRemove', { worktree_path: `${fx.repo}-sA` });
  assert.equal(removed.code, 0, removed.stderr);
  const anew = runHook(fx, 'WorktreeCreate', { name: 'fix-login' });
  assert.equal(anew.code, 0, anew.stderr);
  assert.match(anew.stderr, /sA · \S+ claimed for Claude Code's worktree 'fix-login'/);
  assert.equal(rowsOf(boardOnOrigin(fx.repo, fx.env)).length, 2);
});

test(
  'reap --abandoned closes a -p session whose client is gone and that did nothing; keeps one whose client runs and one with uncommitted work',
  TIMEOUT,
  async (t) => {
    const fx = fixture(t);
    const idle = await startClient(t, fx, 'scripted-a'); // sA: its client ends, nothing done
    const live = await startClient(t, fx, 'scripted-b'); // sB: its client still runs
    const busy = await startClient(t, fx, 'scripted-c'); // sC: its client ends, a change left in the worktree
    const committed = await startClient(t, fx, 'scripted-d'); // sD: its client ends, a commit on its branch
    assert.deepEqual(
      [idle.dir, live.dir, busy.dir, committed.dir],
      ['sA', 'sB', 'sC', 'sD'].map((id) => `${fx.repo}-${id}`),
    );
    fs.writeFileSync(path.join(busy.dir, 'notes.md'), 'half a thought\n');
    gitOk(committed.dir, ['commit', '--allow-empty', '-q', '-m', '[sD] work'], { env: fx.env });
    await idle.stop();
    await busy.stop();
    await committed.stop();

    // Just made: not idle for the default hour, so nothing is closed yet.
    const early = JSON.parse(coordOk(fx.repo, ['reap', '--abandoned', '--json'], { env: fx.env }).stdout);
    assert.deepEqual(early.abandoned, []);
    assert.equal(rowsOf(boardOnOrigin(fx.repo, fx.env)).length, 4);

    await new Promise((r) => setTimeout(r, 1500));
    const dry = JSON.parse(coordOk(fx.repo, ['reap', '--abandoned', '--idle', '1s', '--dry-run', '--json'], { env: fx.env }).stdout);
    assert.deepEqual(dry.abandoned, ['sA']);
    assert.ok(fs.existsSync(idle.dir), 'a dry run changes nothing');

    const r = coord(fx.repo, ['reap', '--abandoned', '--idle', '1s'], { env: fx.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Closed sA: their client is gone/);
    assert.match(r.stdout, new RegExp(`Kept sB .*: its client \\(pid ${live.pid}\\) still runs`));
    assert.match(r.stdout, /Kept sC .*holds uncommitted changes \(notes\.md\)/);
    assert.match(r.stdout, /Kept sD .*: its branch has commits since the claim/);
    const rows = rowsOf(boardOnOrigin(fx.repo, fx.env));
    assert.deepEqual(
      rows.map((row) => row.slice(2, 4)),
      ['sB', 'sC', 'sD'],
    );
    assert.ok(!fs.existsSync(idle.dir), "the abandoned session's worktree is gone");
    assert.equal(gitOk(fx.repo, ['branch', '--list', 'session-sA'], { env: fx.env }), '');
    assert.equal(fs.readFileSync(path.join(busy.dir, 'notes.md'), 'utf8'), 'half a thought\n');
    assert.ok(fs.existsSync(committed.dir) && fs.existsSync(live.dir));
  },
);
