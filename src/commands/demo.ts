// coord demo: the tutorial, played by coord on a throw-away repo with a bare origin. Every
// step prints the command a person would type and what it printed; nothing outside DIR is touched.
import { bool, type Parsed, type VerbSpec } from '../args.js';
import { CoordError } from '../errors.js';
import { runProgram, type RunResult } from '../process.js';
import { bold, dim, out } from '../output.js';
import { fs, isDeno, os, path, url } from '../sys.js';
import { env as hostEnv } from '../host.js';
import { BOARD_PATH, queueFile } from '../protocol/layout.js';
import { coordJobs } from '../protocol/lefthook.js';
import { runtimeCommand } from '../clonesetup.js';

export const spec: VerbSpec = {
  name: 'demo',
  summary: 'play the two-session tutorial on a throw-away repo (in DIR, or a temp dir)',
  usage: '[DIR] [--keep]',
  description:
    'Makes DIR/origin.git (bare) and a clone DIR/po-platform, onboards it, and plays the tutorial\n' +
    'with two sessions: claims, a refused mislabelled commit, a heartbeat, the board, close.\n' +
    'DIR must be empty or absent. A temp dir is removed afterwards unless --keep.',
  flags: [{ name: 'keep', help: 'keep the temp dir (a DIR you name is always kept)' }],
  positionals: [0, 1],
  group: 'setup',
  needs: 'nothing',
};

interface Step {
  cwd: string;
  /** The command as a person types it; shown shell-quoted, so a pasted line runs exactly this. */
  argv: string[];
  file: string;
  args: string[];
  env?: Record<string, string>;
  expectFail?: boolean;
  quiet?: boolean;
}

export function run(p: Parsed): number {
  // The demo runs coord again as a process, which needs it as a file (not Deno's URL import).
  if (!import.meta.url.startsWith('file:'))
    throw new CoordError(`The demo needs coord as a file, not ${import.meta.url}: download coord.mjs and run it from there.`);
  const given = p.args[0];
  const root = given ? path().resolve(given) : fs().mkdtempSync(path().join(os().tmpdir(), 'coord-demo-'));
  if (given) {
    if (fs().existsSync(root) && fs().readdirSync(root).length)
      throw new CoordError(`'${root}' is not empty: give an empty or new directory, so the demo touches nothing of yours.`);
    fs().mkdirSync(root, { recursive: true });
  }
  const self = url().fileURLToPath(import.meta.url);
  const runtime = isDeno ? [process.execPath, 'run', '-A'] : [process.execPath];
  const repo = path().join(root, 'po-platform');
  const origin = path().join(root, 'origin.git');
  // The demo's own git identity and a config of its own: the person's settings are never read or changed.
  const env: Record<string, string> = {
    GIT_CONFIG_GLOBAL: path().join(root, 'gitconfig'),
    GIT_CONFIG_NOSYSTEM: '1',
    NO_COLOR: '1',
    LEFTHOOK_OUTPUT: 'failure,execution_out',
    GIT_AUTHOR_NAME: 'Demo',
    GIT_AUTHOR_EMAIL: 'demo@example.com',
    GIT_COMMITTER_NAME: 'Demo',
    GIT_COMMITTER_EMAIL: 'demo@example.com',
  };
  fs().writeFileSync(
    env.GIT_CONFIG_GLOBAL,
    '[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[advice]\n\tdetachedHead = false\n',
  );
  const coord = (cwd: string, ...args: string[]): Step => ({
    cwd,
    argv: ['coord', ...args],
    file: runtime[0],
    args: [...runtime.slice(1), self, ...args],
  });
  const gitStep = (cwd: string, ...args: string[]): Step => ({ cwd, argv: ['git', ...args], file: 'git', args });
  // For the tests: each shown command's argv, one JSON line each, to compare with what the shown line splits into.
  const trace = hostEnv('COORD_DEMO_TRACE');
  // The one place the demo runs a program: every step is checked, and shown unless it is set-up.
  const exec = (s: Step): RunResult => {
    const shown = s.argv.map(quote).join(' ');
    if (!s.quiet) {
      out(`${dim(`[${path().relative(root, s.cwd) || '.'}]`)} ${bold('$ ' + shown)}`);
      if (trace) fs().appendFileSync(trace, JSON.stringify(s.argv) + '\n');
    }
    const r = runProgram(s.file, s.args, { cwd: s.cwd, env: { ...env, ...s.env } });
    const text = (r.stdout + r.stderr).trimEnd();
    if (text && !s.quiet)
      out(
        text
          .split('\n')
          .map((l) => '  ' + l)
          .join('\n'),
      );
    if ((r.code !== 0) !== !!s.expectFail) {
      throw new CoordError(
        `demo step '${shown}' ${s.expectFail ? 'should have failed but passed' : `failed (exit ${r.code})`}; the ` +
          `demo repo is kept at ${root}.`,
      );
    }
    return r;
  };
  const say = (title: string, text = '') => out(`\n${bold(title)}${text ? '\n' + text : ''}`);

  say(`coord demo — a throw-away origin and clone in ${root}`);
  const setUp = (cwd: string, ...args: string[]) => exec({ ...gitStep(cwd, ...args), quiet: true });
  setUp(root, 'init', '--quiet', '--bare', '-b', 'main', origin);
  setUp(root, 'clone', '--quiet', origin, repo);
  fs().writeFileSync(path().join(repo, 'README.md'), '# po-platform\n');
  setUp(repo, 'add', 'README.md');
  setUp(repo, 'commit', '--quiet', '-m', 'initial commit');
  setUp(repo, 'push', '--quiet', 'origin', 'HEAD:main');

  say('Onboard the repo (once per project)', 'coord init writes the board, the queue folder, a copy of itself and the lefthook jobs.');
  exec(coord(repo, 'init'));
  exec(gitStep(repo, 'add', '-A'));
  exec(gitStep(repo, 'commit', '--quiet', '-m', 'chore: onboard coord'));
  exec(gitStep(repo, 'push', '--quiet', 'origin', 'HEAD:main'));
  installHooks(repo, env, exec);

  say('Step 1 — terminal 1 claims a session');
  exec(coord(repo, 'start'));
  const sA = `${repo}-sA`;
  const sB = `${repo}-sB`;
  exec(gitStep(sA, 'grep', '-h', '^| sA', '--', BOARD_PATH));

  say('Step 2 — terminal 2 claims a second session; the board shows both');
  exec(coord(repo, 'start'));
  exec(gitStep(sB, 'grep', '-h', '^| s', '--', BOARD_PATH));
  say('The safety net: a commit with the wrong prefix is refused by the commit-msg hook');
  exec({ ...gitStep(sB, 'commit', '--allow-empty', '-m', '[sA] test: wrong prefix'), expectFail: true });
  exec(gitStep(sB, 'commit', '--allow-empty', '--quiet', '-m', '[sB] test: right prefix'));
  exec(gitStep(sB, 'push', '--quiet', 'origin', 'HEAD:main'));

  say('Step 3 — sB asks sA a question (the message is a commit on main)');
  const asked = exec(
    coord(
      sB,
      'send',
      'sA',
      '--type',
      'question',
      '-m',
      "Are you about to touch `docs/ai/parallel-sessions.md`? I want to add a Layer 7\nsection and don't want to collide.",
    ),
  );
  const qid = /Sent question ([0-9a-f]+)/.exec(asked.stdout)![1];

  say('Step 4 — sA reads its inbox, acks, and answers under the question');
  exec(coord(sA, 'inbox'));
  exec(coord(sA, 'ack', qid));
  exec(coord(sA, 'reply', qid, '--resolve', '-m', "No — I'm only in docs/developers/. Go ahead with Layer 7, the file is yours."));
  say('sB sees the ball was caught: seen, acked, resolved, and the answer');
  exec(coord(sB, 'inbox', '--sent'));
  exec(coord(sB, 'inbox'));
  exec(gitStep(sB, 'show', `origin/main:${queueFile('sA')}`));

  say(
    'Step 5 — presence moves by itself',
    'sA commits (dated two minutes on, so the move shows); the post-commit hook moves its presence stamp and leaves the edit uncommitted.',
  );
  const later = new Date(Date.now() + 120e3).toISOString();
  const dated = gitStep(sA, 'commit', '--allow-empty', '--quiet', '-m', '[sA] chore: some work');
  // Shown through env(1) with the dates, so the pasted line makes the same commit.
  exec({
    ...dated,
    argv: ['env', `GIT_COMMITTER_DATE=${later}`, `GIT_AUTHOR_DATE=${later}`, ...dated.argv],
    env: { GIT_COMMITTER_DATE: later, GIT_AUTHOR_DATE: later },
  });
  exec(gitStep(sA, 'grep', '-h', '^| sA', '--', BOARD_PATH));
  exec(gitStep(sA, 'status', '--short'));
  exec(coord(sA, 'status'));
  say('Step 6 — sA hands the Layer 7 work to sB: message and Riff move in one commit');
  exec(coord(sA, 'riff', 'R-7'));
  exec(
    coord(
      sA,
      'handoff',
      'sB',
      '--riff',
      'R-7',
      '-m',
      "Handing you the Layer 7 doc work — you're already in parallel-sessions.md and I'm booked on the comms package. Over to you.",
    ),
  );
  const inboxB = exec(coord(sB, 'inbox', '--json'));
  const handoffId = (JSON.parse(inboxB.stdout).messages as { id: string; type: string }[]).find((m) => m.type === 'handoff')!.id;
  exec(coord(sB, 'ack', handoffId));
  exec(coord(sB, 'status'));

  say('Publishing work: sync brings main in (the presence edit stays on top), then push');
  exec(coord(sA, 'sync'));
  exec(gitStep(sA, 'push', '--quiet', 'origin', 'HEAD:main'));

  say('Step 7 — clean up: each session closes itself');
  exec(coord(sB, 'close', '--release-riffs'));
  exec(coord(sA, 'close'));
  exec(coord(repo, 'status'));

  say('Done.', given || bool(p, 'keep') ? `The demo repo stays in ${root}.` : 'The temp dir is removed.');
  if (!given && !bool(p, 'keep')) fs().rmSync(root, { recursive: true, force: true });
  return 0;
}

/** lefthook when it can be found (as the team would run it), else coord's jobs written straight into .git/hooks. */
function installHooks(repo: string, env: Record<string, string>, exec: (s: Step) => RunResult): void {
  const here = path().dirname(url().fileURLToPath(import.meta.url));
  const candidates = [
    path().join(here, '..', 'node_modules', '.bin', 'lefthook'),
    ...(process.env.PATH ?? '').split(path().delimiter).map((d) => path().join(d, 'lefthook')),
  ];
  const lefthook = candidates.find((c) => fs().existsSync(c));
  if (lefthook) {
    // The binary found, by its path: the shown line runs the same lefthook when pasted.
    exec({ cwd: repo, argv: [lefthook, 'install'], file: lefthook, args: ['install'], env });
    return;
  }
  out(dim("  (lefthook is not installed here: writing coord's jobs straight into .git/hooks)"));
  const hooks = path().join(repo, '.git', 'hooks');
  for (const job of coordJobs(runtimeCommand())) {
    fs().writeFileSync(path().join(hooks, job.hook), `#!/bin/sh\n${job.run.replaceAll('{1}', '$1')}\n`, { mode: 0o755 });
  }
}

const quote = (a: string) => (/^[\w@%+=:,./^-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
