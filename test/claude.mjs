// Claude Code's hooks as the client runs them, for the end-to-end tests: a repository onboarded by
// init --claude, the command it installed for an event, and a run of it through a shell in the
// project with the hook's JSON on stdin.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { coordOk, gitOk, makeRepo, runtime } from './helpers.mjs';

/** A repository with a bare origin, onboarded by coord init --claude, committed and pushed. */
export function claudeRepo(t) {
  const fx = makeRepo();
  t.after(() => fx.cleanup());
  coordOk(fx.repo, runtime === 'deno' ? ['init', '--deno', '--claude'] : ['init', '--claude'], { env: fx.env });
  gitOk(fx.repo, ['add', '-A'], { env: fx.env });
  gitOk(fx.repo, ['commit', '-q', '-m', 'chore: coord for Claude Code'], { env: fx.env });
  gitOk(fx.repo, ['push', '-q', 'origin', 'HEAD:main'], { env: fx.env });
  return fx;
}

/** The command init --claude installed for `event`. */
export function hookCommand(fx, event) {
  const settings = JSON.parse(fs.readFileSync(path.join(fx.repo, '.claude', 'settings.json'), 'utf8'));
  const cmds = settings.hooks[event].flatMap((g) => g.hooks.map((h) => h.command)).filter((c) => c.includes('coord.mjs'));
  assert.equal(cmds.length, 1, `${event}: one coord hook`);
  return cmds[0];
}

/** The JSON Claude Code writes on a hook's stdin. */
export const hookInput = (fx, event, extra) =>
  JSON.stringify({
    session_id: `s-${Math.random().toString(36).slice(2)}`,
    transcript_path: path.join(fx.root, 't.jsonl'),
    cwd: fx.repo,
    permission_mode: 'default',
    hook_event_name: event,
    ...extra,
  });

/** Runs a hook command as Claude Code does: through a shell in the project, the JSON on stdin. */
export function runHook(fx, event, extra = {}, cwd = fx.repo) {
  const r = spawnSync('sh', ['-c', hookCommand(fx, event)], {
    cwd,
    env: hookEnv(fx),
    input: hookInput(fx, event, extra),
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The environment Claude Code gives a hook. */
export const hookEnv = (fx) => ({ ...fx.env, CLAUDE_PROJECT_DIR: fx.repo });
