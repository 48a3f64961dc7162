// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// Agents: prime, inbox --brief and watch, and the Claude Code hooks that init --claude writes,
// run the way Claude Code runs them (a shell command, hook JSON on stdin, stdout to the model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bundle, coord, coordOk, gitOk, makeRepo, projectRoot } from '../helpers.mjs';

const TIMEOUT = { timeout: 180_000 };

function fixture(t) {
  const fx = makeRepo({ lefthook: false });
  t.after(() => fx.cleanup());
  coordOk(fx.repo, ['start'], { env: fx.env });
  coordOk(fx.repo, ['start'], { env: fx.env });
  return { ...fx, sA: `${fx.repo}-sA`, sB: `${fx.repo}-sB` };
}

/**
 * Runs a hook command from .claude/settings.json as Claude Code does: through a shell, with
 * CLAUDE_PROJECT_DIR set, the event's JSON on stdin, from `cwd`. The repo's copy of coord is
 * replaced by the bundle under test so both runtimes are exercised.
 */
function runHook(command, { cwd, projectDir, env, input }) {
  const node = process.env.COORD_RUNTIME === 'deno' ? `${path.join(projectRoot, 'node_modules/.bin/deno')} run -A` : process.execPath;
  const cmd = command.replace(/^node /, `${node} `);
  const r = spawnSync('sh', ['-c', cmd], {
    cwd,
    env: { ...env, CLAUDE_PROJECT_DIR: projectDir },
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('init --claude merges the two hooks into .claude/settings.json and teaches the protocol in CLAUDE.md', TIMEOUT, (t) => {
  const fx = makeRepo({ lefthook: false });
  t.after(() => fx.cleanup());
  const settings = path.join(fx.repo, '.claude', 'settings.json');
  fs.mkdirSync(path.dirname(settings));
  const theirs = {
    permissions: { allow: ['Bash(npm test)'] },
    hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'echo pre' }] }] },
  };
  fs.writeFileSync(settings, JSON.stringify(theirs));
  fs.writeFileSync(path.join(fx.repo, 'AGENTS.md'), '# Agents\n\nHouse rules.\n');
  coordOk(fx.repo, ['init', '--claude'], { env: fx.env });
  const merged = JSON.parse(fs.readFileSync(settings, 'utf8'));
  assert.deepEqual(merged.permissions, theirs.permissions, 'their settings stay');
  assert.deepEqual(merged.hooks.PreToolUse, theirs.hooks.PreToolUse, 'their hooks stay');
  assert.match(merged.hooks.SessionStart[0].hooks[0].command, /coord\.mjs" prime --hook$/);
  assert.match(merged.hooks.UserPromptSubmit[0].hooks[0].command, /coord\.mjs" inbox --brief$/);
  const agents = fs.readFileSync(path.join(fx.repo, 'AGENTS.md'), 'utf8');
  assert.ok(agents.startsWith('# Agents\n\nHouse rules.\n'), 'their text stays first');
  assert.match(agents, /coord:begin[\s\S]*coord inbox[\s\S]*coord:end/);
  assert.equal(fs.existsSync(path.join(fx.repo, 'CLAUDE.md')), false, 'AGENTS.md exists, so CLAUDE.md is not created');
  // Running it again changes nothing.
  const before = [fs.readFileSync(settings, 'utf8'), agents];
  const again = coordOk(fx.repo, ['init', '--claude', '--json'], { env: fx.env });
  assert.ok(
    JSON.parse(again.stdout).written.every((w) => w.action === 'unchanged'),
    again.stdout,
  );
  assert.deepEqual([fs.readFileSync(settings, 'utf8'), fs.readFileSync(path.join(fx.repo, 'AGENTS.md'), 'utf8')], before);
  // A broken settings file is named, not overwritten.
  fs.writeFileSync(settings, '{ nope');
  const bad = coord(fx.repo, ['init', '--claude'], { env: fx.env });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /\.claude\/settings\.json cannot be read as JSON/);
  assert.equal(fs.readFileSync(settings, 'utf8'), '{ nope');
});

test('the hooks as Claude Code runs them: SessionStart primes, UserPromptSubmit reports new mail once', TIMEOUT, (t) => {
  const fx = fixture(t);
  coordOk(fx.repo, ['init', '--claude'], { env: fx.env });
  const settings = JSON.parse(fs.readFileSync(path.join(fx.repo, '.claude', 'settings.json'), 'utf8'));
  const sessionStart = settings.hooks.SessionStart[0].hooks[0].command.replace(
    '$CLAUDE_PROJECT_DIR/infrastructure/scripts/coord.mjs',
    bundle,
  );
  const promptHook = settings.hooks.UserPromptSubmit[0].hooks[0].command.replace(
    '$CLAUDE_PROJECT_DIR/infrastructure/scripts/coord.mjs',
    bundle,
  );
  const base = { session_id: 'abc', transcript_path: '/dev/null' };

  const primed = runHook(sessionStart, {
    cwd: fx.sA,
    projectDir: fx.sA,
    env: fx.env,
    input: { ...base, hook_event_name: 'SessionStart', source: 'startup', cwd: fx.sA },
  });
  assert.equal(primed.code, 0, primed.stderr);
  assert.match(primed.stdout, /you are sA · «Sintra», working in .*-sA/);
  assert.match(primed.stdout, /every commit subject starts with \[sA\]/);
  assert.match(primed.stdout, /sB · «Douro» — live/);
  assert.match(primed.stdout, /No messages waiting for you/);

  const prompt = (cwd) =>
    runHook(promptHook, {
      cwd,
      projectDir: fx.sA,
      env: fx.env,
      input: { ...base, hook_event_name: 'UserPromptSubmit', prompt: 'carry on', cwd: fx.sA },
    });
  const quiet = prompt(fx.sA);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stdout, '', 'nothing new: nothing printed');

  const sent = coordOk(fx.sB, ['send', 'sA', '--type', 'question', '--json', '-m', 'Can I take the billing tests?'], { env: fx.env });
  const id = JSON.parse(sent.stdout).id;
  // The hook process runs from elsewhere: the cwd in the hook's JSON decides whose inbox it is.
  const told = prompt(path.dirname(fx.repo));
  assert.equal(told.code, 0, told.stderr);
  assert.match(told.stdout, new RegExp(`1 new message for sA:\\n  ${id} from sB \\(question\\): «Can I take the billing tests\\?»`));
  assert.ok(told.stdout.split('\n').filter(Boolean).length <= 4, 'a few lines at most');
  assert.equal(prompt(fx.sA).stdout, '', 'shown once: the next prompt is quiet');
  assert.equal(gitOk(fx.sA, ['status', '--porcelain'], { env: fx.env }), '', 'the marker lives in the git dir, not in tracked files');

  // Primed again, the message is listed until acked; then it is gone.
  assert.match(
    runHook(sessionStart, { cwd: fx.sA, projectDir: fx.sA, env: fx.env, input: { ...base, cwd: fx.sA } }).stdout,
    new RegExp(`${id} from sB \\(question\\)`),
  );
  coordOk(fx.sA, ['ack', id], { env: fx.env });
  const json = JSON.parse(coordOk(fx.sA, ['prime', '--json'], { env: fx.env }).stdout);
  assert.equal(json.session.id, 'sA');
  assert.deepEqual(json.unread, []);
  assert.deepEqual(
    json.others.map((o) => o.id),
    ['sB'],
  );
  assert.ok(json.commands.some((c) => c.command.startsWith('coord inbox')));
  const sender = JSON.parse(coordOk(fx.sB, ['prime', '--json'], { env: fx.env }).stdout);
  assert.deepEqual(sender.unacked, [], 'acked: no longer pending for the sender');
});

test('the hooks never fail the prompt: outside a session, outside a repo, with garbage on stdin', TIMEOUT, (t) => {
  const fx = fixture(t);
  const outside = path.dirname(fx.repo);
  for (const [cwd, input] of [
    [fx.repo, '{}'],
    [outside, 'not json'],
    [fx.sA, ''],
  ]) {
    const r = spawnSync(process.execPath, [bundle, 'inbox', '--brief'], { cwd, env: fx.env, input, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
  }
  const primed = coord(fx.repo, ['prime', '--hook'], { env: fx.env, input: JSON.stringify({ cwd: fx.repo }) });
  assert.equal(primed.code, 0);
  assert.match(primed.stdout, /not in a coord session here[\s\S]*coord start/);
  const broken = coord(outside, ['prime', '--hook'], { env: fx.env, input: '{}' });
  assert.equal(broken.code, 0, 'a hook never fails');
  assert.match(broken.stdout, /could not read the board: Not inside a git repository/);
  const plain = coord(outside, ['prime'], { env: fx.env });
  assert.equal(plain.code, 1, 'without --hook, an error is an error');
});

test('watch prints board changes and new messages as they arrive; --count stops it', TIMEOUT, async (t) => {
  const fx = fixture(t);
  const { spawn } = await import('node:child_process');
  const argv =
    process.env.COORD_RUNTIME === 'deno'
      ? [path.join(projectRoot, 'node_modules/.bin/deno'), 'run', '-A', bundle]
      : [process.execPath, bundle];
  const child = spawn(argv[0], [...argv.slice(1), 'watch', '--interval', '1s', '--count', '120', '--json'], { cwd: fx.sA, env: fx.env });
  let stdout = '';
  let ready;
  let seenAll;
  const isReady = new Promise((r) => {
    ready = r;
  });
  const allSeen = new Promise((r) => {
    seenAll = r;
  });
  child.stdout.on('data', (d) => {
    stdout += d;
    if (stdout.includes('"event":"ready"')) ready();
    if (['"event":"scope"', '"event":"message"', '"event":"claimed"'].every((e) => stdout.includes(e))) seenAll();
  });
  const done = new Promise((resolve) => child.on('close', resolve));
  await isReady;
  coordOk(fx.sB, ['scope', 'billing tests'], { env: fx.env });
  coordOk(fx.sB, ['send', 'sA', '-m', 'watch this'], { env: fx.env });
  coordOk(fx.repo, ['start', '--name', 'Lisboa'], { env: fx.env });
  await Promise.race([allSeen, done]);
  child.kill('SIGINT');
  await done;
  const events = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(events[0].event, 'ready');
  assert.ok(
    events.some((e) => e.event === 'scope' && e.id === 'sB'),
    stdout,
  );
  assert.ok(
    events.some((e) => e.event === 'message' && e.from === 'sB' && e.to === 'sA'),
    stdout,
  );
  assert.ok(
    events.some((e) => e.event === 'claimed' && e.id === 'sC' && e.name === 'Lisboa'),
    stdout,
  );
  const once = coordOk(fx.sA, ['watch', '--count', '1'], { env: fx.env });
  assert.match(once.stdout, /Watching origin\/main every 15s as sA/);
  const bad = coord(fx.sA, ['watch', '--interval', '0s'], { env: fx.env });
  assert.equal(bad.code, 2);
});
