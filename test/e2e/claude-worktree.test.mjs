// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// Claude Code's own worktrees are coord sessions: the hook commands init --claude installs,
// run exactly as Claude Code runs them (a shell, the hook's JSON on stdin, CLAUDE_PROJECT_DIR),
// for claude --worktree, parallel subagents, the removal of a clean and of a busy worktree,
// and SessionStart inside the worktree that was made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { boardOnOrigin, coordOk, gitOk, rowsOf } from '../helpers.mjs';
import { claudeRepo as fixture, hookCommand, hookEnv, hookInput as input, runHook } from '../claude.mjs';

const TIMEOUT = { timeout: 180_000 };

function runHookAsync(fx, event, extra = {}) {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', hookCommand(fx, event)], { cwd: fx.repo, env: hookEnv(fx) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input(fx, event, extra));
  });
}
const pathOf = (stdout) =>
  stdout
    .split('\n')
    .filter((l) => l.trim())
    .pop();

test(
  "claude --worktree: WorktreeCreate claims a session and prints only its worktree's absolute path; SessionStart there names the session; WorktreeRemove closes it",
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    const made = runHook(fx, 'WorktreeCreate', { name: 'fix-login' });
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout, `${fx.repo}-sA\n`, 'stdout is the path and nothing else');
    assert.ok(path.isAbsolute(pathOf(made.stdout)) && fs.existsSync(pathOf(made.stdout)));
    assert.match(made.stderr, /sA · Sintra claimed for Claude Code's worktree 'fix-login'/);
    const row = rowsOf(boardOnOrigin(fx.repo, fx.env)).find((r) => r.startsWith('| sA '));
    assert.match(row, /\| fix-login \|$/, 'the slug is the scope');

    const primed = runHook(fx, 'SessionStart', { source: 'startup', cwd: pathOf(made.stdout) }, pathOf(made.stdout));
    assert.equal(primed.code, 0);
    assert.match(primed.stdout, /you are sA · «Sintra», working in .*-sA/);

    const removed = runHook(fx, 'WorktreeRemove', { worktree_path: pathOf(made.stdout) });
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(!fs.existsSync(pathOf(made.stdout)));
    assert.deepEqual(rowsOf(boardOnOrigin(fx.repo, fx.env)), []);
    assert.equal(gitOk(fx.repo, ['branch', '--list', 'session-sA'], { env: fx.env }), '');
  },
);

test('parallel subagents: four WorktreeCreate at once get four sessions and four worktrees', TIMEOUT, async (t) => {
  const fx = fixture(t);
  const results = await Promise.all(['a', 'b', 'c', 'd'].map((n) => runHookAsync(fx, 'WorktreeCreate', { name: `agent-${n}` })));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const paths = results.map((r) => pathOf(r.stdout)).sort();
  assert.deepEqual(
    paths,
    ['sA', 'sB', 'sC', 'sD'].map((id) => `${fx.repo}-${id}`),
  );
  assert.equal(rowsOf(boardOnOrigin(fx.repo, fx.env)).length, 4);
});

test(
  'WorktreeRemove of a worktree holding an unpublished commit refuses (non-zero, the reason on stderr) and keeps it; a failed WorktreeCreate leaves nothing claimed',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    const dir = pathOf(runHook(fx, 'WorktreeCreate', { name: 'busy' }).stdout);
    gitOk(dir, ['commit', '--allow-empty', '-q', '-m', '[sA] work not pushed'], { env: fx.env });
    const refused = runHook(fx, 'WorktreeRemove', { worktree_path: dir });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Not closing sA: session-sA has 1 commit\(s\) not on origin\/main/);
    assert.ok(fs.existsSync(dir));
    assert.equal(rowsOf(boardOnOrigin(fx.repo, fx.env)).length, 1);

    const before = boardOnOrigin(fx.repo, fx.env);
    const failed = spawnSync('sh', ['-c', hookCommand(fx, 'WorktreeCreate')], {
      cwd: fx.repo,
      env: { ...fx.env, CLAUDE_PROJECT_DIR: fx.repo, COORD_CRASH_AT: 'before-worktree:throw' },
      input: input(fx, 'WorktreeCreate', { name: 'doomed' }),
      encoding: 'utf8',
    });
    assert.equal(failed.status, 1);
    assert.equal(failed.stdout, '');
    assert.equal(
      failed.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('coord: ')).length,
      1,
      failed.stderr,
    );
    assert.match(failed.stderr, /the claim of sB was taken back, nothing is left claimed/);
    assert.equal(boardOnOrigin(fx.repo, fx.env), before);
    assert.deepEqual(
      fs.readdirSync(path.join(fx.repo, '.git', 'coord')).filter((f) => f.startsWith('claiming-')),
      [],
    );
  },
);

test(
  'prime --hook in the main checkout says the two flows that work, not "cd"; init --agents writes AGENTS.md and leaves a CLAUDE.md that points at it',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    const primed = runHook(fx, 'SessionStart', { source: 'startup' });
    assert.match(primed.stdout, /claude --worktree <name>/);
    assert.match(primed.stdout, /Do not cd into a worktree from here/);
    assert.doesNotMatch(primed.stdout, /then cd into/);
    const pointer = '# Claude\n\n@AGENTS.md\n';
    fs.writeFileSync(path.join(fx.repo, 'CLAUDE.md'), pointer);
    fs.writeFileSync(path.join(fx.repo, 'AGENTS.md'), '# Agents\n\nHouse rules.\n');
    coordOk(fx.repo, ['init', '--claude', '--agents'], { env: fx.env });
    assert.equal(fs.readFileSync(path.join(fx.repo, 'CLAUDE.md'), 'utf8'), pointer);
    const agents = fs.readFileSync(path.join(fx.repo, 'AGENTS.md'), 'utf8');
    assert.match(agents, /House rules\./);
    assert.match(agents, /claude --worktree <name>/);
    assert.equal(agents.match(/coord:begin/g).length, 1);
  },
);

test(
  'WorktreeCreate with stdin that is not a JSON object exits non-zero with one line and claims nothing; WorktreeRemove too',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    const before = boardOnOrigin(fx.repo, fx.env);
    for (const [event, raw] of [
      ['WorktreeCreate', ''],
      ['WorktreeCreate', '{"name": "fix-login"'],
      ['WorktreeCreate', '["fix-login"]'],
      ['WorktreeRemove', 'not json'],
    ]) {
      const r = spawnSync('sh', ['-c', hookCommand(fx, event)], {
        cwd: fx.repo,
        env: { ...fx.env, CLAUDE_PROJECT_DIR: fx.repo },
        input: raw,
        encoding: 'utf8',
      });
      assert.notEqual(r.status, 0, `${event} with ${JSON.stringify(raw)}: ${r.stdout}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^coord: ${event} needs the hook's JSON object on stdin, but stdin (is|holds)[^\n]*\n$`));
    }
    assert.equal(boardOnOrigin(fx.repo, fx.env), before, 'nothing claimed');
    assert.ok(!fs.existsSync(`${fx.repo}-sA`), 'no worktree');
    assert.equal(gitOk(fx.repo, ['branch', '--list', 'session-*'], { env: fx.env }), '');
  },
);
