// The benchmark cases. Each builds its fixture under ctx.root, measures its variants side
// by side (bench/lib.mjs measure), and returns { id, title, setup, rows, budgets, notes }.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { freePort, git, measure, mustRun, sleep, timeProcess } from './lib.mjs';
import {
  BOARD_PATH,
  COORD_IN_REPO,
  QUEUE_DIR,
  baseFiles,
  bareRepo,
  boardRow,
  boardText,
  commitOnTop,
  idAt,
  manyFiles,
  queueFiles,
  stampOf,
} from './fixtures.mjs';

const NODE = process.execPath;

/** `node -e 0`: the floor every hook is measured against. */
const nodeFloor = (cwd, env) => ({
  label: 'node -e 0',
  baseline: true,
  noGit: true,
  run: () => timeProcess(NODE, ['-e', '0'], { cwd, env }),
});

/** A budget line: value against limit; it passes when value ≤ limit (value < limit when `strict`). */
function budget(what, value, limit, { unit = '×', strict = false } = {}) {
  const pass = value === null || value === undefined ? null : strict ? value < limit : value <= limit;
  return { what, value, limit, unit, strict, pass };
}

const row = (rows, label) => rows.find((r) => r.label === label);

// ---------------------------------------------------------------------------------------
// The hooks' fixture: a clone with a session worktree `proj-sA` that has just committed.

function hooksFixture(ctx) {
  const { root, env, bundle } = ctx;
  const dir = path.join(root, 'hooks');
  fs.mkdirSync(dir);
  const now = Math.floor(Date.now() / 1000);
  // Presence two days old: every heartbeat run takes the full path and writes the stamp.
  const board = boardText(10, { presenceMs: Date.now() - 2 * 86400e3 });
  const origin = bareRepo(path.join(dir, 'origin.git'), env, (s) => {
    s.commit({
      message: 'chore: add the project\n',
      time: now - 3600,
      files: [...baseFiles({ bundle, board }).filter(([p]) => p !== 'lefthook.yml'), ...manyFiles(50)],
    });
  });
  const repo = path.join(dir, 'proj');
  git(dir, ['clone', '--quiet', origin, repo], { env });
  // Onboarded by the bundle's own `init`: lefthook.yml's jobs (and any fast-path script) are exactly what users get.
  mustRun(NODE, [bundle, 'init'], { cwd: repo, env });
  git(repo, ['add', '-A'], { env });
  git(repo, ['commit', '--quiet', '-m', 'chore: onboard coord'], { env });
  const lefthook = fs.readFileSync(path.join(repo, 'lefthook.yml'), 'utf8');
  const job = (verb) =>
    /^\s*run:\s*(.*)$/m
      .exec(
        lefthook
          .split('\n')
          .filter((l) => /^\s*run:/.test(l) && l.includes(` ${verb}`))
          .join('\n'),
      )?.[1]
      ?.trim() ?? null;
  const wt = path.join(dir, 'proj-sA');
  git(repo, ['worktree', 'add', '--quiet', '--no-track', '-b', 'session-sA', wt, 'main'], { env });
  fs.writeFileSync(path.join(wt, 'src', 'pkg000', 'file00.ts'), 'export const value0 = 42;\n');
  git(wt, ['commit', '--quiet', '-am', '[sA] feat: first change'], { env }); // a loose commit, as right after `git commit`
  const gitDir = path.join(repo, '.git', 'worktrees', 'proj-sA');
  const msgFile = path.join(gitDir, 'COMMIT_EDITMSG');
  const message = (subject) =>
    `${subject}\n\n# Please enter the commit message for your changes. Lines starting\n# with '#' will be ignored, and an empty message aborts the commit.\n`;
  fs.writeFileSync(msgFile, message('[sA] feat(export): add the CSV button'));
  // What git exports to a hook in a linked worktree (lefthook passes it on).
  const hookEnv = {
    ...env,
    GIT_DIR: gitDir,
    GIT_INDEX_FILE: path.join(gitDir, 'index'),
    GIT_PREFIX: '',
    GIT_EDITOR: ':',
    GIT_EXEC_PATH: mustRun('git', ['--exec-path'], { env }).trim(),
  };
  const boardFile = path.join(wt, BOARD_PATH);
  const committedBoard = fs.readFileSync(boardFile, 'utf8');
  const script = path.join(dir, 'check-prefix.sh');
  fs.writeFileSync(script, BASH_CHECK_PREFIX, { mode: 0o755 });
  const empty = path.join(dir, 'empty.mjs');
  fs.writeFileSync(empty, '');
  return {
    dir,
    repo,
    wt,
    gitDir,
    msgFile,
    message,
    hookEnv,
    boardFile,
    committedBoard,
    script,
    empty,
    commitMsgJob: job('check-prefix'),
    postCommitJob: job('heartbeat'),
  };
}

/**
 * What a team ran before coord: the same check as `coord check-prefix` in bash, no
 * processes (builtins only). Subject = first line that is neither blank nor a comment;
 * session = `session-<id>` branch of this worktree, from $GIT_DIR (set in hooks of a
 * linked worktree) or the `.git` file, then HEAD; merges, reverts, fixup!/squash!/amend!
 * and anything during a rebase pass.
 */
const BASH_CHECK_PREFIX = String.raw`#!/usr/bin/env bash
# commit-msg hook: in a session worktree the subject must start with [<id>].
subject=
while IFS= read -r line || [ -n "$line" ]; do
  line=${'$'}{line%$'\r'}
  case $line in '#'*) continue ;; esac
  trimmed=${'$'}{line#"${'$'}{line%%[![:space:]]*}"}
  trimmed=${'$'}{trimmed%"${'$'}{trimmed##*[![:space:]]}"}
  [ -z "$trimmed" ] && continue
  subject=$trimmed
  break
done < "$1"
gitdir=${'$'}{GIT_DIR:-}
if [ -z "$gitdir" ]; then
  if [ -f .git ]; then read -r _ gitdir < .git
  elif [ -d .git ]; then gitdir=.git
  else exit 0
  fi
fi
{ [ -d "$gitdir/rebase-merge" ] || [ -d "$gitdir/rebase-apply" ]; } && exit 0
read -r head < "$gitdir/HEAD"
branch=
case $head in 'ref: refs/heads/'*) branch=${'$'}{head#ref: refs/heads/} ;; esac
session=
if [[ $branch =~ ^session-(s[A-Z]{1,3})$ ]]; then session=${'$'}{BASH_REMATCH[1]}; fi
while [[ $subject =~ ^(fixup|squash|amend)!\ (.*)$ ]]; do subject=${'$'}{BASH_REMATCH[2]}; done
[[ $subject =~ ^Merge\ (branch|remote-tracking\ branch|commit|tag|pull\ request|[0-9a-f]{7,}) ]] && exit 0
[[ $subject =~ ^(Revert|Reapply)\ \" ]] && exit 0
[ -z "$subject" ] && exit 0
prefix=
if [[ $subject =~ ^\[(s[A-Z]+)\] ]]; then prefix=${'$'}{BASH_REMATCH[1]}; fi
if [ -n "$session" ]; then
  [ "$prefix" = "$session" ] && exit 0
  if [ -n "$prefix" ]; then echo "commit subject prefix [$prefix] does not match worktree (expected [$session])." >&2
  else echo "commit subject has no session prefix: start it with [$session]." >&2
  fi
  exit 1
fi
if [ -n "$prefix" ]; then echo "commit subject prefix [$prefix] used outside a session worktree." >&2; exit 1; fi
exit 0
`;

/** Subjects on which the bash script and coord must agree (a check that the baseline is faithful). */
const AGREEMENT_SUBJECTS = [
  '[sA] feat: x',
  '[sB] feat: x',
  'feat: no prefix',
  'fixup! [sA] feat: x',
  'fixup! [sB] x',
  "Merge branch 'main' into session-sA",
  'Revert "[sB] x"',
  '  [sA] leading blanks',
  '[sAA] longer id',
  '[sa] lower case',
  'squash! amend! [sA] nested',
  '[sA]no space',
];

export async function checkPrefix(ctx) {
  const f = hooksFixture(ctx);
  ctx.shared.hooks = f;
  // Agreement of the bash baseline with coord on a table of subjects (untimed).
  const disagree = [];
  const probe = path.join(f.dir, 'probe-msg');
  for (const subject of AGREEMENT_SUBJECTS) {
    fs.writeFileSync(probe, f.message(subject));
    const a = spawnSync('bash', [f.script, probe], { cwd: f.wt, env: f.hookEnv }).status;
    const b = spawnSync(NODE, [COORD_IN_REPO, 'check-prefix', probe], { cwd: f.wt, env: f.hookEnv }).status;
    if (a !== b) disagree.push(`'${subject}': bash ${a}, coord ${b}`);
  }
  const variants = [
    nodeFloor(f.wt, f.hookEnv),
    { label: 'node empty.mjs (ESM floor)', noGit: true, run: () => timeProcess(NODE, [f.empty], { cwd: f.wt, env: f.hookEnv }) },
    {
      label: 'bash check-prefix.sh (same check)',
      noGit: true,
      run: () => timeProcess('bash', [f.script, f.msgFile], { cwd: f.wt, env: f.hookEnv }),
    },
    {
      label: 'coord check-prefix',
      run: (x) => timeProcess(NODE, [COORD_IN_REPO, 'check-prefix', f.msgFile], { cwd: f.wt, env: { ...f.hookEnv, ...x } }),
    },
  ];
  // The commit-msg job exactly as `init` wrote it into lefthook.yml, run the way lefthook runs a job (sh -c, {1} = the message file).
  const jobRun = f.commitMsgJob && f.commitMsgJob !== `node ${COORD_IN_REPO} check-prefix {1}` ? f.commitMsgJob : null;
  if (jobRun) {
    const cmd = (file) => jobRun.replaceAll('{1}', file);
    const refused = path.join(f.dir, 'refused-msg');
    fs.writeFileSync(refused, f.message('[sB] feat: not my session'));
    variants.push(
      {
        label: 'lefthook job, accepted subject',
        run: (x) => timeProcess('sh', ['-c', cmd(f.msgFile)], { cwd: f.wt, env: { ...f.hookEnv, ...x } }),
      },
      {
        label: 'lefthook job, refused subject',
        expectCode: 1,
        run: (x) => timeProcess('sh', ['-c', cmd(refused)], { cwd: f.wt, env: { ...f.hookEnv, ...x } }),
      },
    );
  }
  const rows = await measure(variants, { ...ctx.cfg.hooks, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted });
  const c = row(rows, 'coord check-prefix');
  const j = row(rows, 'lefthook job, accepted subject');
  return {
    id: 'check-prefix',
    title: '1. check-prefix (commit-msg hook), as lefthook runs it in a session worktree',
    setup:
      `node ${COORD_IN_REPO} check-prefix $GIT_DIR/COMMIT_EDITMSG, cwd = linked worktree proj-sA, hook env (GIT_DIR, GIT_INDEX_FILE, …)` +
      (jobRun ? `; lefthook job = sh -c '${jobRun}' as init wrote it (lefthook's own start-up not included)` : ''),
    rows,
    budgets: [
      budget('coord check-prefix / node -e 0', c.ratio, 1.1),
      ...(j ? [budget('lefthook commit-msg job, accepting path / node -e 0', j.ratio, 1.1)] : []),
      budget('check-prefix git processes', c.git?.all ?? null, 0, { unit: 'procs' }),
    ],
    notes: [
      disagree.length
        ? `bash baseline disagrees with coord on: ${disagree.join('; ')}`
        : `bash baseline agrees with coord on ${AGREEMENT_SUBJECTS.length} subjects`,
      jobRun
        ? `lefthook.yml commit-msg job (from init): ${jobRun}`
        : "lefthook.yml runs coord directly (no sh fast path in this bundle's init)",
    ],
  };
}

export async function heartbeat(ctx) {
  const f = ctx.shared.hooks ?? (ctx.shared.hooks = hooksFixture(ctx));
  // Untimed before each run: the presence is old again, so the stamp is written every run.
  const fresh = (run) => (x) => {
    fs.writeFileSync(f.boardFile, f.committedBoard);
    return run(x);
  };
  const variants = [
    nodeFloor(f.wt, f.hookEnv),
    {
      label: 'coord heartbeat',
      run: fresh((x) => timeProcess(NODE, [COORD_IN_REPO, 'heartbeat'], { cwd: f.wt, env: { ...f.hookEnv, ...x } })),
    },
  ];
  const jobRun = f.postCommitJob && f.postCommitJob !== `node ${COORD_IN_REPO} heartbeat` ? f.postCommitJob : null;
  if (jobRun)
    variants.push({
      label: 'lefthook post-commit job (sh fast path)',
      run: fresh((x) => timeProcess('sh', ['-c', jobRun], { cwd: f.wt, env: { ...f.hookEnv, ...x } })),
    });
  const rows = await measure(variants, { ...ctx.cfg.hooks, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted });
  // One more run of each (untimed): did it write the stamp, i.e. was the full path measured?
  const writes = (v) => {
    v.run({});
    return fs.readFileSync(f.boardFile, 'utf8') !== f.committedBoard;
  };
  const wrote = variants.slice(1).map((v) => [v.label, writes(v)]);
  fs.writeFileSync(f.boardFile, f.committedBoard);
  const h = row(rows, 'coord heartbeat');
  const j = row(rows, 'lefthook post-commit job (sh fast path)');
  return {
    id: 'heartbeat',
    title: '2. heartbeat (post-commit hook), right after a commit in the session worktree',
    setup:
      `node ${COORD_IN_REPO} heartbeat, cwd = proj-sA, HEAD a loose commit; the board's presence is reset before each run so every run writes it` +
      (jobRun ? `; lefthook job = sh -c '${jobRun}' as init wrote it (lefthook's own start-up not included)` : ''),
    rows,
    budgets: [
      budget('heartbeat / node -e 0', h.ratio, 1.2),
      ...(j
        ? [
            budget('lefthook post-commit job, sh fast path / node -e 0', j.ratio, 1.1),
            budget('post-commit fast path git processes', j.git?.all ?? null, 0, { unit: 'procs' }),
          ]
        : []),
      budget('heartbeat git processes', h.git?.top ?? null, 1, { unit: 'procs' }),
    ],
    notes: wrote.map(([label, w]) =>
      w
        ? `${label} wrote the presence stamp (the full path was measured)`
        : `WARNING: ${label} did not write the presence stamp: the early-return path was measured`,
    ),
  };
}

// ---------------------------------------------------------------------------------------
// start: against the git commands it cannot avoid.

function startFixture(ctx, label, fileCount) {
  const { root, env, bundle } = ctx;
  const dir = path.join(root, `start-${label}`);
  fs.mkdirSync(dir);
  const board = boardText(3);
  const origin = bareRepo(path.join(dir, 'origin.git'), env, (s) => {
    s.commit({
      message: 'chore: onboard coord\n',
      time: Math.floor(Date.now() / 1000) - 3600,
      files: [...baseFiles({ bundle, board }), ...manyFiles(fileCount)],
    });
  });
  const repo = path.join(dir, 'proj');
  git(dir, ['clone', '--quiet', origin, repo], { env });
  const base = git(repo, ['rev-parse', 'refs/remotes/origin/main'], { env }).trim();
  // Back to the state before the run: origin's main and our tracking ref at base, no worktree but the main one, no extra branches.
  const reset = () => {
    git(origin, ['update-ref', 'refs/heads/main', base], { env });
    git(repo, ['update-ref', 'refs/remotes/origin/main', base], { env });
    const list = git(repo, ['worktree', 'list', '--porcelain'], { env });
    for (const m of list.matchAll(/^worktree (.+)$/gm)) if (m[1] !== repo) git(repo, ['worktree', 'remove', '--force', m[1]], { env });
    git(repo, ['worktree', 'prune'], { env });
    const branches = git(repo, ['for-each-ref', '--format=%(refname)', 'refs/heads/'], { env })
      .split('\n')
      .filter((b) => b && b !== 'refs/heads/main');
    if (branches.length) git(repo, ['update-ref', '--stdin'], { env, input: branches.map((b) => `delete ${b}\n`).join('') });
  };
  // The bare commands' commit: the same change start makes (one row added to the board).
  const claimBoard =
    board + boardRow({ id: 'sD', name: 'Porto2', claimed: stampOf(Date.now()), presence: stampOf(Date.now()), scope: 'bench' }) + '\n';
  const variants = [
    {
      label: `bare git: fetch + push + worktree add`,
      baseline: true,
      run: (x) => {
        const e = { ...env, ...x };
        let ms = 0;
        const steps = [];
        const step = (args) => {
          const r = timeProcess('git', args, { cwd: repo, env: e });
          ms += r.ms;
          steps.push(r);
          return r;
        };
        try {
          if (step(['fetch', 'origin', 'main']).code) return steps.at(-1);
          const sha = commitOnTop(repo, 'refs/remotes/origin/main', [[BOARD_PATH, claimBoard]], '[sD] docs(ai-sessions): claim sD\n', env); // untimed
          if (step(['push', 'origin', `${sha}:refs/heads/main`]).code) return steps.at(-1);
          if (step(['worktree', 'add', '--quiet', '--no-track', '-b', 'bench-x', `${repo}-x`, sha]).code) return steps.at(-1);
          return { ms, code: 0 };
        } finally {
          reset();
        }
      },
    },
    {
      label: `coord start`,
      run: (x) => {
        try {
          return timeProcess(NODE, [ctx.coord, 'start', '--json', '--scope', 'bench'], { cwd: repo, env: { ...env, ...x } });
        } finally {
          reset();
        }
      },
    },
  ];
  return variants;
}

export async function start(ctx) {
  const big = ctx.cfg.bigFiles;
  const rows = [];
  for (const [label, count, opts] of [
    ['small', 50, ctx.cfg.startSmall],
    [`${big / 1000}k files`, big, ctx.cfg.startBig],
  ]) {
    ctx.log(`  fixture: repo with ${count} files`);
    const variants = startFixture(ctx, label.replace(/\W+/g, ''), count);
    for (const v of variants) v.label = `${v.label} (${label})`;
    variants[1].vs = variants[0].label;
    rows.push(...(await measure(variants, { ...opts, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted })));
  }
  const bigRow = rows.find((r) => r.label === `coord start (${big / 1000}k files)`);
  return {
    id: 'start',
    title: `3. start, against the bare git commands it cannot avoid (small repo; ${big.toLocaleString('en')} files)`,
    setup:
      'clone of a local bare origin; bare = git fetch origin main + git push <sha>:main (a commit adding one board row, made untimed) + git worktree add --no-track -b x ../dir <sha>; worktree removal and the reset of main are not timed',
    rows,
    budgets: [budget(`start / bare git (${big.toLocaleString('en')} files)`, bigRow.ratio, 1.3)],
    notes: [],
  };
}

// ---------------------------------------------------------------------------------------
// inbox and status on a big queue, 50 sessions and long history.

export function historyFixture(ctx, commits) {
  const { root, env, bundle, cfg } = ctx;
  const dir = path.join(root, `history-${commits}`);
  fs.mkdirSync(dir);
  const sessions = cfg.sessions;
  const now = Math.floor(Date.now() / 1000);
  const step = 1800; // one commit every 30 minutes: a 7-day window holds ~336 of them, whatever the length of history
  const t0 = now - commits * step;
  const board = boardText(sessions);
  const queue = queueFiles(cfg.messages, sessions);
  const origin = bareRepo(path.join(dir, 'origin.git'), env, (s) => {
    s.commit({ message: 'chore: onboard coord\n', time: t0, files: [...baseFiles({ bundle, board: boardText(0) }), ...manyFiles(200)] });
    for (let i = 1; i < commits - 1; i++) {
      const id = idAt(i % sessions);
      const message = i % 10 === 0 ? `chore(deps): bump ${i}\n` : `[${id}] feat(area${i % 20}): change ${i}\n`;
      s.commit({
        message,
        time: t0 + i * step,
        files: [
          [
            `src/pkg${String(Math.floor((i % 200) / 100)).padStart(3, '0')}/file${String(i % 100).padStart(2, '0')}.ts`,
            `export const value = ${i};\n`,
          ],
        ],
      });
    }
    s.commit({ message: '[sA] docs(ai-sessions): board and queue\n', time: now, files: [[BOARD_PATH, board], ...queue] });
  });
  const repo = path.join(dir, 'proj');
  git(dir, ['clone', '--quiet', '--no-checkout', origin, repo], { env });
  git(repo, ['checkout', '--quiet', 'main'], { env });
  // 50 local session branches (sessions are worktrees of one clone), each at a recent commit.
  const recent = git(repo, ['rev-list', '-n', String(sessions * 2), 'main'], { env })
    .split('\n')
    .filter(Boolean);
  git(repo, ['update-ref', '--stdin'], {
    env,
    input: Array.from({ length: sessions }, (_, i) => `create refs/heads/session-${idAt(i)} ${recent[i + 1]}\n`).join(''),
  });
  const wt = path.join(dir, 'proj-sA');
  git(repo, ['worktree', 'add', '--quiet', wt, 'session-sA'], { env });
  return { repo, wt };
}

export async function inboxStatus(ctx) {
  const { env, cfg } = ctx;
  const [small, large] = cfg.history;
  const fx = {};
  for (const n of [small, large]) {
    ctx.log(`  fixture: ${n.toLocaleString('en')} commits, ${cfg.messages.toLocaleString('en')} messages, ${cfg.sessions} sessions`);
    fx[n] = historyFixture(ctx, n);
  }
  const k = (n) => `${n >= 1000 ? n / 1000 + 'k' : n} commits`;
  const coordIn =
    (n, verb, extra = {}) =>
    (x) =>
      timeProcess(NODE, [ctx.coord, verb], { cwd: fx[n].wt, env: { ...env, ...extra, ...x } });
  const variants = [nodeFloor(fx[large].wt, env)];
  for (const verb of ['inbox', 'status']) {
    for (const n of [small, large]) variants.push({ label: `coord ${verb} (${k(n)})`, run: coordIn(n, verb) });
    variants.push({ label: `coord ${verb} (${k(large)}, no remote)`, run: coordIn(large, verb, { COORD_REMOTE: 'none' }) });
  }
  const rows = await measure(variants, { ...cfg.inbox, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted });
  // How time changes with the length of history: the larger history against the smaller, same queue and board.
  const flat = (verb) => {
    const a = row(rows, `coord ${verb} (${k(small)})`);
    const b = row(rows, `coord ${verb} (${k(large)})`);
    return a?.median && b?.median != null ? b.median / a.median : null;
  };
  return {
    id: 'inbox-status',
    title: `4. inbox and status: ${cfg.messages.toLocaleString('en')} messages, ${cfg.sessions} sessions on the board, ${k(small)} vs ${k(large)} of history`,
    setup: `cwd = session worktree proj-sA; origin is a local bare repo (the fetch is real, and up to date); "no remote" sets COORD_REMOTE=none so the verb reads local main without fetching; history is one commit per 30 min (a 7-day window holds ~336)`,
    rows,
    budgets: [
      budget(`inbox / node -e 0 (${k(large)})`, row(rows, `coord inbox (${k(large)})`).ratio, 2, { strict: true }),
      budget(`status / node -e 0 (${k(large)})`, row(rows, `coord status (${k(large)})`).ratio, 2, { strict: true }),
      budget(`inbox flat: ${k(large)} / ${k(small)}`, flat('inbox'), 1.15),
      budget(`status flat: ${k(large)} / ${k(small)}`, flat('status'), 1.15),
    ],
    notes: [],
  };
}

/** A repo whose blackboard holds `archived` messages in the archive (closed sessions' mail), beside the live board and queues. */
function archiveFixture(ctx, archived) {
  const { root, env, bundle, cfg } = ctx;
  const dir = path.join(root, `archive-${archived}`);
  fs.mkdirSync(dir);
  const now = Math.floor(Date.now() / 1000);
  const old = [...queueFiles(archived, cfg.sessions, { now: Date.now() - 90 * 86400e3 })].map(([file, text], i) => [
    file.replace(`${QUEUE_DIR}/`, 'docs/ai/sessions/archive/').replace(/\.md$/, '-20260101T0000Z.md'),
    `# Mail to ${idAt(i)} · Old${i} (claimed 2026-01-01T00:00Z), closed: not read as an inbox\n\n${text}`,
  ]);
  const origin = bareRepo(path.join(dir, 'origin.git'), env, (s) => {
    s.commit({ message: 'chore: onboard coord\n', time: now - 60, files: baseFiles({ bundle, board: boardText(0) }) });
    const files = [[BOARD_PATH, boardText(cfg.sessions)], ...queueFiles(cfg.messages, cfg.sessions), ...old];
    s.commit({ message: '[sA] docs(ai-sessions): board, queue and archive\n', time: now, files });
  });
  const repo = path.join(dir, 'proj');
  git(dir, ['clone', '--quiet', '--no-checkout', origin, repo], { env });
  git(repo, ['checkout', '--quiet', 'main'], { env });
  git(repo, ['branch', 'session-sA', 'main'], { env });
  const wt = path.join(dir, 'proj-sA');
  git(repo, ['worktree', 'add', '--quiet', wt, 'session-sA'], { env });
  return wt;
}

/** inbox and status with 100,000 archived messages against none: neither reads the archive, so the cost stays flat. */
export async function archive(ctx) {
  const { env, cfg } = ctx;
  const sizes = [0, 100_000];
  const wt = {};
  for (const n of sizes) {
    ctx.log(`  fixture: ${n.toLocaleString('en')} archived messages, ${cfg.messages.toLocaleString('en')} live`);
    wt[n] = archiveFixture(ctx, n);
  }
  const label = (verb, n) => `coord ${verb} (${n.toLocaleString('en')} archived)`;
  const variants = [nodeFloor(wt[0], env)];
  for (const verb of ['inbox', 'status'])
    for (const n of sizes)
      variants.push({ label: label(verb, n), run: (x) => timeProcess(NODE, [ctx.coord, verb], { cwd: wt[n], env: { ...env, ...x } }) });
  const rows = await measure(variants, { ...cfg.inbox, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted });
  const flat = (verb) => {
    const a = row(rows, label(verb, 0));
    const b = row(rows, label(verb, 100_000));
    return a?.median && b?.median != null ? b.median / a.median : null;
  };
  return {
    id: 'archive',
    title: `4b. inbox and status: 100,000 archived messages against none (${cfg.messages.toLocaleString('en')} live, ${cfg.sessions} sessions)`,
    setup:
      "cwd = session worktree proj-sA; origin is a local bare repo; the archive is closed sessions' mail under docs/ai/sessions/archive/",
    rows,
    budgets: [
      budget('inbox flat: 100k archived / none', flat('inbox'), 1.15),
      budget('status flat: 100k archived / none', flat('status'), 1.15),
    ],
    notes: [],
  };
}

// ---------------------------------------------------------------------------------------
// send, end to end, against a loopback git daemon.

/** Starts `git daemon` on a free loopback port; returns { url, stop }. stop() is safe to call twice. */
async function startDaemon(ctx, base) {
  const port = await freePort();
  const log = fs.openSync(path.join(ctx.root, 'git-daemon.log'), 'w');
  const child = spawn(
    'git',
    [
      'daemon',
      '--reuseaddr',
      '--export-all',
      '--enable=receive-pack',
      `--base-path=${base}`,
      '--listen=127.0.0.1',
      `--port=${port}`,
      '--informative-errors',
      base,
    ],
    {
      env: ctx.env,
      stdio: ['ignore', log, log],
    },
  );
  fs.closeSync(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && !exited; i++) await sleep(20);
    if (!exited) child.kill('SIGKILL');
  };
  ctx.cleanups.push(stop);
  const url = `git://127.0.0.1:${port}/origin.git`;
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`git daemon exited at once: ${fs.readFileSync(path.join(ctx.root, 'git-daemon.log'), 'utf8').trim()}`);
    const r = spawnSync('git', ['ls-remote', url], { env: ctx.env });
    if (r.status === 0) break;
    if (i > 100) throw new Error(`git daemon did not answer on ${url}: ${r.stderr}`);
    await sleep(50);
  }
  return { url, stop, pid: child.pid };
}

export async function send(ctx) {
  const { root, env, bundle } = ctx;
  const dir = path.join(root, 'send');
  const base = path.join(dir, 'srv');
  fs.mkdirSync(base, { recursive: true });
  const now = Math.floor(Date.now() / 1000);
  bareRepo(path.join(base, 'origin.git'), env, (s) => {
    s.commit({
      message: 'chore: onboard coord\n',
      time: now - 3600,
      files: [...baseFiles({ bundle, board: boardText(5) }), ...queueFiles(100, 5), ...manyFiles(200)],
    });
  });
  const daemon = await startDaemon(ctx, base);
  try {
    const repo = path.join(dir, 'proj');
    git(dir, ['clone', '--quiet', daemon.url, repo], { env });
    const wt = path.join(dir, 'proj-sA');
    git(repo, ['worktree', 'add', '--quiet', '--no-track', '-b', 'session-sA', wt, 'origin/main'], { env });
    let k = 0;
    const pushOne = (x, withFetch) => {
      const e = { ...env, ...x };
      let ms = 0;
      if (withFetch) {
        const f = timeProcess('git', ['fetch', '--quiet', 'origin', 'main'], { cwd: repo, env: e });
        if (f.code) return f;
        ms += f.ms;
      }
      const sha = commitOnTop(repo, 'refs/remotes/origin/main', [['docs/bench/pushed.txt', `push ${++k}\n`]], `bench: push ${k}\n`, env); // untimed
      const r = timeProcess('git', ['push', '--quiet', 'origin', `${sha}:refs/heads/main`], { cwd: repo, env: e });
      return { ...r, ms: ms + r.ms };
    };
    const variants = [
      { label: 'git push (one commit)', baseline: true, run: (x) => pushOne(x, false) },
      { label: 'git fetch + git push', vs: 'git push (one commit)', run: (x) => pushOne(x, true) },
      {
        label: 'coord send',
        run: (x) =>
          timeProcess(NODE, [ctx.coord, 'send', 'sB', '--type', 'info', '-m', `bench message ${++k}`], { cwd: wt, env: { ...env, ...x } }),
      },
    ];
    const rows = await measure(variants, { ...ctx.cfg.send, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted });
    return {
      id: 'send',
      title: '5. send, end to end, against a loopback git daemon remote',
      setup: `git daemon on 127.0.0.1 (git:// protocol, receive-pack enabled); cwd = session worktree proj-sA; the raw push's commit is made untimed`,
      rows,
      budgets: [],
      notes: [],
    };
  } finally {
    await daemon.stop();
  }
}

// ---------------------------------------------------------------------------------------
// The hooks under Deno.

export async function deno(ctx) {
  const f = ctx.shared.hooks ?? (ctx.shared.hooks = hooksFixture(ctx));
  const bin = ctx.deno;
  if (!fs.existsSync(bin)) {
    return {
      id: 'deno',
      title: '6. the hooks under Deno',
      setup: '',
      rows: [],
      budgets: [],
      notes: [`${bin} is missing (npm ci installs it): case skipped`],
      skipped: true,
    };
  }
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8', env: ctx.env }).stdout.split('\n')[0];
  const floor = 'deno run -A empty.mjs';
  const variants = [
    nodeFloor(f.wt, f.hookEnv),
    { label: floor, noGit: true, vs: 'node -e 0', run: () => timeProcess(bin, ['run', '-A', f.empty], { cwd: f.wt, env: f.hookEnv }) },
    {
      label: 'deno: coord check-prefix',
      vs: floor,
      run: (x) => timeProcess(bin, ['run', '-A', COORD_IN_REPO, 'check-prefix', f.msgFile], { cwd: f.wt, env: { ...f.hookEnv, ...x } }),
    },
    {
      label: 'deno: coord heartbeat',
      vs: floor,
      run: (x) => {
        fs.writeFileSync(f.boardFile, f.committedBoard);
        return timeProcess(bin, ['run', '-A', COORD_IN_REPO, 'heartbeat'], { cwd: f.wt, env: { ...f.hookEnv, ...x } });
      },
    },
  ];
  const rows = await measure(variants, { ...ctx.cfg.deno, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted });
  fs.writeFileSync(f.boardFile, f.committedBoard);
  for (const r of rows) {
    if (r.label.startsWith('deno:'))
      r.also = { to: 'node -e 0', ratio: r.median != null ? r.median / row(rows, 'node -e 0').median : null };
  }
  return {
    id: 'deno',
    title: `6. the two hooks under Deno (${version})`,
    setup: `deno run -A ${COORD_IN_REPO} …, same worktree and hook env as cases 1 and 2; ratios against deno run -A empty.mjs (and node -e 0)`,
    rows,
    budgets: [],
    notes: [],
  };
}

// ---------------------------------------------------------------------------------------
// The merge driver: git runs it inside a rebase, merge, pull or stash pop, once per
// coordination file both sides changed, so its cost is waited for like a hook's.

export async function mergeDriver(ctx) {
  const f = ctx.shared.hooks ?? (ctx.shared.hooks = hooksFixture(ctx));
  const dir = path.join(ctx.root, 'merge');
  fs.mkdirSync(dir);
  const now = Date.now();
  const board = boardText(50, { now });
  const edit = (text, id, from, to) =>
    text
      .split('\n')
      .map((l) => (l.startsWith(`| ${id} `) ? l.replace(from, to) : l))
      .join('\n');
  const [qFile, qText] = [...queueFiles(1000, 2, { now })].find(([p]) => p.endsWith('to-sA.md'));
  const append = (text, from, body) =>
    `${text}\n## ${stampOf(now + 60e3)} · from:${from} · to:sA · type:info · ref:— · status:sent\n${body}\n→ status:seen <ts> · acked <ts> · resolved <ts>\n`;
  const files = {
    board: [
      board,
      edit(board, 'sA', /\| \d{4}-\S+Z · \|(?=[^|]*\|$)/, `| ${stampOf(now + 120e3)} · |`),
      edit(board, 'sB', /\|[^|]*\|$/, '| billing API |'),
    ],
    queue: [qText, append(qText, 'sB', 'ours'), append(qText, 'sC', 'theirs')],
  };
  for (const [kind, [o, a, b]] of Object.entries(files))
    for (const [n, t] of [
      ['O', o],
      ['A', a],
      ['B', b],
    ])
      fs.writeFileSync(path.join(dir, `${kind}.${n}`), t);
  const reset = (kind) => fs.writeFileSync(path.join(dir, `${kind}.A`), files[kind][1]); // the driver writes its result into A
  const driver = (kind, target) => ({
    label: `coord merge-driver, ${kind === 'board' ? 'board of 50 rows' : 'inbox of 500 blocks'}`,
    run: (x) => {
      reset(kind);
      return timeProcess(NODE, [path.join(f.repo, COORD_IN_REPO), 'merge-driver', `${kind}.O`, `${kind}.A`, `${kind}.B`, target], {
        cwd: dir,
        env: { ...ctx.env, ...x },
      });
    },
  });
  const variants = [
    nodeFloor(dir, ctx.env),
    {
      label: 'git merge-file, board (the line merge: conflicts here)',
      expectCode: 1,
      run: () => timeProcess('git', ['merge-file', '-p', 'board.A', 'board.O', 'board.B'], { cwd: dir, env: ctx.env }),
    },
    driver('board', BOARD_PATH),
    driver('queue', qFile),
  ];
  const rows = await measure(variants, { ...ctx.cfg.hooks, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted });
  reset('board');
  const merged = fs.readFileSync(path.join(dir, 'board.A'), 'utf8');
  mustRun(NODE, [path.join(f.repo, COORD_IN_REPO), 'merge-driver', 'board.O', 'board.A', 'board.B', BOARD_PATH], {
    cwd: dir,
    env: ctx.env,
  });
  const both = fs.readFileSync(path.join(dir, 'board.A'), 'utf8');
  return {
    id: 'merge-driver',
    title: '7. merge driver, one call (git makes one per coordination file both sides changed)',
    setup: `node ${COORD_IN_REPO} merge-driver O A B <path>: a board of 50 rows (presence moved on one side, a scope on the other), an inbox of 500 blocks (a block appended on each side)`,
    rows,
    budgets: [budget('merge-driver, board / node -e 0', row(rows, variants[2].label).ratio, 1.5)],
    notes: [
      both !== merged && both.includes('billing API')
        ? "the measured merge kept both sides' changes"
        : "WARNING: the merge did not keep both sides' changes",
    ],
  };
}

// ---------------------------------------------------------------------------------------
// The pre-commit guard: what every commit pays for reservations.

export async function checkReserved(ctx) {
  const f = ctx.shared.hooks ?? hooksFixture(ctx);
  ctx.shared.hooks = f;
  const lefthook = fs.readFileSync(path.join(f.repo, 'lefthook.yml'), 'utf8');
  const jobRun = /^\s*run:\s*(.*check-reserved.*)$/m.exec(lefthook)?.[1]?.trim() ?? null;
  const cache = path.join(f.repo, '.git', 'coord', 'reservations');
  fs.mkdirSync(path.dirname(cache), { recursive: true });
  const later = Math.floor(Date.now() / 1000) + 86400;
  const header = '# coord: reservations in force (bench)\nsha 0000000000000000000000000000000000000000\n';
  const own = `${header}sA ${later} src/\t2026-01-01T00:00Z\tmine\n`;
  const foreign = `${header}sB ${later} docs/elsewhere/\t2026-01-01T00:00Z\ttheirs\n`;
  // A staged change, so the slow path has something to match (unstaged again at the end).
  const staged = path.join(f.wt, 'src', 'pkg000', 'file01.ts');
  const before = fs.readFileSync(staged, 'utf8');
  fs.writeFileSync(staged, before + '// staged\n');
  git(f.wt, ['add', staged], { env: ctx.env });
  // Each run first puts the cache it needs in place (untimed: only the process is timed).
  const withCache = (text, run) => (x) => {
    fs.writeFileSync(cache, text);
    return run(x);
  };
  const variants = [
    nodeFloor(f.wt, f.hookEnv),
    {
      label: 'coord check-reserved, another session holds an unrelated path',
      run: withCache(foreign, (x) => timeProcess(NODE, [COORD_IN_REPO, 'check-reserved'], { cwd: f.wt, env: { ...f.hookEnv, ...x } })),
    },
  ];
  if (jobRun) {
    variants.push(
      {
        label: 'lefthook pre-commit job, nobody else holds anything',
        run: withCache(own, (x) => timeProcess('sh', ['-c', jobRun], { cwd: f.wt, env: { ...f.hookEnv, ...x } })),
      },
      {
        label: 'lefthook pre-commit job, another session holds an unrelated path',
        run: withCache(foreign, (x) => timeProcess('sh', ['-c', jobRun], { cwd: f.wt, env: { ...f.hookEnv, ...x } })),
      },
    );
  }
  if (f.commitMsgJob)
    variants.push({
      label: 'lefthook commit-msg job, accepted subject',
      run: (x) => timeProcess('sh', ['-c', f.commitMsgJob.replaceAll('{1}', f.msgFile)], { cwd: f.wt, env: { ...f.hookEnv, ...x } }),
    });
  let rows;
  try {
    rows = await measure(variants, { ...ctx.cfg.hooks, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted });
  } finally {
    git(f.wt, ['reset', '--quiet', '--', staged], { env: ctx.env });
    fs.writeFileSync(staged, before);
    fs.rmSync(cache, { force: true });
  }
  const fast = row(rows, 'lefthook pre-commit job, nobody else holds anything');
  const slow = row(rows, 'lefthook pre-commit job, another session holds an unrelated path');
  return {
    id: 'check-reserved',
    title: '1b. check-reserved (pre-commit hook: the reservation guard), as lefthook runs it in a session worktree',
    setup: `sh -c '${jobRun}' as init wrote it, cwd = linked worktree proj-sA, one staged file; the guard's cache holds only sA's own reservation (fast path) or one of sB elsewhere (coord matches the staged files)`,
    rows,
    budgets: [
      ...(fast
        ? [
            budget('lefthook pre-commit job, accepting path / node -e 0', fast.ratio, 1.1),
            budget('pre-commit fast path git processes', fast.git?.all ?? null, 0, { unit: 'procs' }),
          ]
        : []),
      ...(slow ? [budget('pre-commit job when another session holds something / node -e 0', slow.ratio, 2.5)] : []),
    ],
    notes: [jobRun ? `lefthook.yml pre-commit job (from init): ${jobRun}` : "this bundle's init writes no pre-commit job"],
  };
}

// ---------------------------------------------------------------------------------------
// Many writers at once against an origin whose pushes are slow (a hosted remote's
// pre-receive): push attempts that reach the server, and wall time against the same sends
// made one after another.

/** How many `git push` processes coord started, from one GIT_TRACE2_EVENT file. */
function pushesIn(traceFile) {
  if (!fs.existsSync(traceFile)) return 0;
  return [...fs.readFileSync(traceFile, 'utf8').matchAll(/"event":"start".*?"argv":\["(?:[^"]*\/)?git","push"/g)].length;
}

/** Runs coord in each of `jobs` ({ cwd, args }) at the same moment; resolves to { wallMs, results: [{ code, stderr, pushes }] }. */
async function allAtOnce(ctx, jobs, traceDir) {
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(
    jobs.map(
      ({ cwd, args }, i) =>
        new Promise((resolve) => {
          const trace = path.join(traceDir, `w${i}.json`);
          fs.rmSync(trace, { force: true });
          const child = spawn(NODE, [ctx.coord, ...args], {
            cwd,
            env: { ...ctx.env, GIT_TRACE2_EVENT: trace },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr.setEncoding('utf8').on('data', (d) => {
            stderr += d;
          });
          const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
          child.on('close', (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? 128, stderr, pushes: pushesIn(trace) });
          });
        }),
    ),
  );
  return { wallMs: Number(process.hrtime.bigint() - t0) / 1e6, results };
}

export async function contention(ctx) {
  const { root, env, bundle, cfg } = ctx;
  const { writers: sizes, delays, layouts } = cfg.contention;
  const most = Math.max(...sizes);
  const dir = path.join(root, 'contention');
  fs.mkdirSync(dir);
  const origin = bareRepo(path.join(dir, 'origin.git'), env, (s) => {
    s.commit({
      message: 'chore: onboard coord\n',
      time: Math.floor(Date.now() / 1000) - 3600,
      files: [...baseFiles({ bundle, board: boardText(most) }), ...manyFiles(200)],
    });
  });
  const base = git(origin, ['rev-parse', 'main'], { env }).trim();
  // The server side: every push that reaches it is counted, then takes `delay` seconds (what a hosted remote's checks cost).
  const counter = path.join(dir, 'attempts');
  const delayFile = path.join(dir, 'delay');
  fs.writeFileSync(
    path.join(origin, 'hooks', 'pre-receive'),
    `#!/bin/sh\ncat >/dev/null\necho x >> '${counter}'\nsleep "$(cat '${delayFile}')"\n`,
    { mode: 0o755 },
  );
  const clones = [];
  for (let i = 0; i < most; i++) {
    const c = path.join(dir, `clone-${i}`);
    git(dir, ['clone', '--quiet', origin, c], { env });
    clones.push(c);
  }
  const traceDir = path.join(dir, 'traces');
  fs.mkdirSync(traceDir);
  let run = 0;
  const reset = (delay) => {
    git(origin, ['update-ref', 'refs/heads/main', base], { env });
    fs.writeFileSync(counter, '');
    fs.writeFileSync(delayFile, String(delay));
  };
  const sendArgs = (n, i, tag) => ['send', idAt((i + 1) % n), '--as', idAt(i), '--type', 'info', '-m', `contention ${tag} from ${idAt(i)}`];
  /** Every message of the run on origin's main exactly once, in one commit each. */
  const landed = (n, tag) => {
    const commits = git(origin, ['rev-list', '--count', `${base}..main`], { env }).trim();
    const files = Array.from({ length: n }, (_, i) => `main:${QUEUE_DIR}/to-${idAt((i + 1) % n)}.md`);
    const text = mustRun('git', ['cat-file', '--batch'], { cwd: origin, env, input: files.join('\n') + '\n' });
    const each = Array.from({ length: n }, (_, i) => text.split(`contention ${tag} from ${idAt(i)}\n`).length - 1);
    return Number(commits) === n && each.every((k) => k === 1);
  };
  const attemptsMade = () => fs.readFileSync(counter, 'utf8').split('\n').filter(Boolean).length;
  const rows = [];
  for (const n of sizes) {
    for (const delay of delays) {
      if (ctx.aborted) break;
      // The baseline: the same n sends, one after another, from one clone.
      reset(delay);
      const tag = `r${++run}`;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        const r = timeProcess(NODE, [ctx.coord, ...sendArgs(n, i, tag)], { cwd: clones[0], env });
        if (r.code !== 0) throw new Error(`serial send ${i} failed: ${r.stderr.trim().split('\n').pop()}`);
      }
      const serialMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const serialAttempts = attemptsMade();
      const serialLanded = landed(n, tag);
      rows.push({
        label: `${n} sends one after another, ${delay} s pushes`,
        writers: n,
        delayS: delay,
        layout: 'serial',
        wallMs: serialMs,
        serialMs,
        ratio: 1,
        attempts: serialAttempts,
        perChange: serialAttempts / n,
        maxAttempts: null,
        landed: serialLanded,
        failed: 0,
      });
      ctx.log(`  ${n} writers, ${delay} s: serial ${(serialMs / 1000).toFixed(1)} s, ${serialAttempts} pushes`);
      for (const layout of layouts) {
        reset(delay);
        const tagL = `r${++run}`;
        const where = (i) => (layout === 'one clone' ? clones[0] : clones[i]);
        const { wallMs, results } = await allAtOnce(
          ctx,
          Array.from({ length: n }, (_, i) => ({ cwd: where(i), args: sendArgs(n, i, tagL) })),
          traceDir,
        );
        const failed = results.filter((r) => r.code !== 0);
        const attempts = attemptsMade();
        const row = {
          label: `${n} sends at once, ${delay} s pushes, ${layout === 'one clone' ? 'one clone' : `${n} clones`}`,
          writers: n,
          delayS: delay,
          layout,
          wallMs,
          serialMs,
          ratio: wallMs / serialMs,
          attempts,
          perChange: attempts / n,
          maxAttempts: Math.max(...results.map((r) => r.pushes)),
          landed: failed.length === 0 && landed(n, tagL),
          failed: failed.length,
        };
        if (failed.length) row.error = failed[0].stderr.trim().split('\n').pop();
        rows.push(row);
        ctx.log(
          `  ${row.label}: ${(wallMs / 1000).toFixed(1)} s (${row.ratio.toFixed(2)}×), ${attempts} pushes (${row.perChange.toFixed(2)} per change, max ${row.maxAttempts})${row.landed ? '' : ', NOT ALL LANDED'}`,
        );
      }
    }
  }
  const concurrent = rows.filter((r) => r.layout !== 'serial');
  const cell = (r) => `${r.writers} writers, ${r.delayS} s, ${r.layout === 'one clone' ? 'one clone' : `${r.writers} clones`}`;
  return {
    id: 'contention',
    title: `8. contention: ${sizes.join(' and ')} sends at the same moment against an origin whose pushes take ${delays.join(' or ')} s`,
    setup:
      'a bare origin whose pre-receive hook counts each push that reaches it, then sleeps (what a hosted remote costs); `coord send` processes started together, from one clone (sessions sharing its git dir: the realistic case) or each from its own clone; the serial baseline is the same sends one after another, measured in the same run; attempts = pushes the server saw',
    rows,
    budgets: concurrent.flatMap((r) => [
      budget(`push attempts per change (${cell(r)})`, Math.round(r.perChange * 100) / 100, 3, { unit: 'per change', strict: true }),
      budget(`wall / serial (${cell(r)})`, r.ratio, 1.3),
    ]),
    notes: [
      concurrent.every((r) => r.landed) && rows.every((r) => r.landed)
        ? 'every message landed exactly once, one commit each, in every run'
        : `NOT EVERYTHING LANDED: ${rows
            .filter((r) => !r.landed)
            .map((r) => `${r.label}${r.error ? ` (${r.error})` : ''}`)
            .join('; ')}`,
    ],
  };
}

// ---------------------------------------------------------------------------------------
// A whole commit through lefthook: coord's jobs against the bash hooks they replace.

/**
 * What a team ran before coord after each commit: the presence stamp of this session's row
 * moved to the commit's time with sed (the session-heartbeat.sh of the tutorial).
 */
const BASH_HEARTBEAT = String.raw`#!/usr/bin/env bash
# post-commit: move this session's presence stamp on the board to the commit's time (working tree only).
gitdir=${'$'}{GIT_DIR:-}
if [ -z "$gitdir" ]; then
  if [ -f .git ]; then read -r _ gitdir < .git; else gitdir=.git; fi
fi
read -r head < "$gitdir/HEAD"
[[ $head =~ ^ref:\ refs/heads/session-(s[A-Z]{1,3})$ ]] || exit 0
id=${'$'}{BASH_REMATCH[1]}
board=docs/ai/sessions/active.md
[ -f "$board" ] || exit 0
ts=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%MZ) || exit 0
sed -i -E "s/^(\| $id · [^|]*\|[^|]*\|[^|]*\|[^|]*\| )[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}Z ·/\1$ts ·/" "$board"
`;

export async function commitHooks(ctx) {
  const { root, env, bundle } = ctx;
  const dir = path.join(root, 'commit');
  fs.mkdirSync(dir);
  const lefthook = path.join(path.dirname(ctx.deno), 'lefthook');
  if (!fs.existsSync(lefthook)) throw new Error(`${lefthook} is missing: run npm ci first`);
  const board = boardText(10, { presenceMs: Date.now() - 2 * 86400e3 });
  const origin = bareRepo(path.join(dir, 'origin.git'), env, (s) => {
    s.commit({
      message: 'chore: add the project\n',
      time: Math.floor(Date.now() / 1000) - 3600,
      files: [...baseFiles({ bundle, board }).filter(([p]) => p !== 'lefthook.yml'), ...manyFiles(50)],
    });
  });
  const side = (name, configure) => {
    const repo = path.join(dir, name);
    git(dir, ['clone', '--quiet', origin, repo], { env });
    configure(repo);
    git(repo, ['add', '-A'], { env });
    git(repo, ['commit', '--quiet', '--no-verify', '-m', 'chore: hooks'], { env });
    mustRun(lefthook, ['install'], { cwd: repo, env });
    const wt = `${repo}-sA`;
    git(repo, ['worktree', 'add', '--quiet', '--no-track', '-b', 'session-sA', wt, 'HEAD'], { env });
    return { repo, wt, board: path.join(wt, BOARD_PATH) };
  };
  const coordSide = side('coord', (repo) => mustRun(NODE, [bundle, 'init'], { cwd: repo, env }));
  // The same two hooks as the bash set (no reservation guard): what the fast paths cost, hook for hook.
  const twoHooks = side('coord2', (repo) => {
    mustRun(NODE, [bundle, 'init'], { cwd: repo, env });
    const yml = path.join(repo, 'lefthook.yml');
    fs.writeFileSync(yml, fs.readFileSync(yml, 'utf8').replace(/^pre-commit:\n(?:[ \t].*\n|\n)*/m, ''));
  });
  const bashSide = side('bash', (repo) => {
    const scripts = path.join(repo, 'infrastructure', 'scripts');
    fs.mkdirSync(scripts, { recursive: true });
    fs.writeFileSync(path.join(scripts, 'check-worktree-prefix.sh'), BASH_CHECK_PREFIX, { mode: 0o755 });
    fs.writeFileSync(path.join(scripts, 'session-heartbeat.sh'), BASH_HEARTBEAT, { mode: 0o755 });
    fs.writeFileSync(
      path.join(repo, 'lefthook.yml'),
      [
        'commit-msg:',
        '  commands:',
        '    check-worktree-prefix:',
        '      run: bash infrastructure/scripts/check-worktree-prefix.sh {1}',
        'post-commit:',
        '  commands:',
        '    session-heartbeat:',
        '      run: bash infrastructure/scripts/session-heartbeat.sh',
        '',
      ].join('\n'),
    );
  });
  const hookEnv = { ...env, LEFTHOOK_OUTPUT: 'failure' };
  // Each run: the board's presence is two days old again (untimed), so both heartbeats write it; then one commit.
  const commit =
    (s, extra = []) =>
    (x) => {
      fs.writeFileSync(s.board, board);
      return timeProcess('git', [...extra, 'commit', '--quiet', '--allow-empty', '-m', '[sA] feat: bench'], {
        cwd: s.wt,
        env: { ...hookEnv, ...x },
      });
    };
  const variants = [
    { label: 'git commit, the bash hooks (check-worktree-prefix.sh, session-heartbeat.sh)', baseline: true, run: commit(bashSide) },
    { label: "git commit, coord's jobs (reservation guard, prefix check, heartbeat)", run: commit(coordSide) },
    { label: "git commit, coord's commit-msg and post-commit jobs only", run: commit(twoHooks) },
    { label: 'git commit, no hooks', run: commit(coordSide, ['-c', 'core.hooksPath=/dev/null']) },
  ];
  const rows = await measure(variants, { ...ctx.cfg.hooks, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted });
  // One more commit on each side (untimed): did each heartbeat move the stamp?
  const moved = (s) => {
    commit(s)({});
    return !fs.readFileSync(s.board, 'utf8').includes(board.split('\n').find((l) => l.startsWith('| sA ')));
  };
  const c = row(rows, variants[1].label);
  const two = row(rows, variants[2].label);
  return {
    id: 'commit',
    title: "10. one commit in a session worktree through lefthook: coord's jobs against the bash hooks they replace",
    setup: `git commit --allow-empty in proj-sA; lefthook ${mustRun(lefthook, ['version'], { env }).trim()} installed from init's lefthook.yml (coord) or a lefthook.yml running the two bash scripts; the board's presence reset before each run so both heartbeats write`,
    rows,
    budgets: [
      budget("commit through coord's jobs / through the bash hooks", c.ratio, 1.1),
      budget("commit through coord's commit-msg and post-commit jobs / the bash hooks", two.ratio, 1.1),
    ],
    notes: [
      [coordSide, twoHooks, bashSide].every(moved)
        ? 'every heartbeat moved the presence stamp (checked on one more commit per side)'
        : 'WARNING: a heartbeat did not move the presence stamp',
      'coord runs three hooks (pre-commit, commit-msg, post-commit), the bash set two: one more lefthook start per commit',
    ],
  };
}

export async function bundleSize(ctx) {
  const buf = fs.readFileSync(ctx.bundle);
  const kib = buf.length / 1024;
  const gz = zlib.gzipSync(buf, { level: 9 }).length / 1024;
  return {
    id: 'bundle',
    title: '9. bundle size of dist/coord.mjs',
    setup: '',
    rows: [{ label: 'dist/coord.mjs', kib, gzipKib: gz, bytes: buf.length, lines: buf.toString('utf8').split('\n').length }],
    budgets: [budget('bundle size', kib, 100, { unit: 'KiB', strict: true })],
    notes: await bundleWeights(),
  };
}

/**
 * What each module weighs in the bundle (esbuild's own accounting of a build like build.mjs's),
 * by area and the heaviest modules, and what whitespace minifying alone (names kept) would give.
 */
async function bundleWeights() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return ['esbuild is not installed: no per-module weights'];
  }
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const opts = {
    entryPoints: [path.join(root, 'src/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: ['node18', 'es2022'],
    legalComments: 'none',
    write: false,
    metafile: true,
    logLevel: 'silent',
    define: { __VERSION__: '"bench"' },
  };
  const plain = await esbuild.build(opts);
  const spaced = await esbuild.build({ ...opts, minifyWhitespace: true, metafile: false });
  const inputs = Object.entries(Object.values(plain.metafile.outputs)[0].inputs).map(([file, v]) => [
    path.relative(path.join(root, 'src'), path.resolve(root, file)),
    v.bytesInOutput,
  ]);
  const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
  const areas = new Map();
  for (const [file, bytes] of inputs) {
    const area = file.startsWith('commands/')
      ? 'commands/ (the verbs)'
      : file.startsWith('protocol/')
        ? 'protocol/ (the rules)'
        : 'the rest (git, blackboard, publish, …)';
    areas.set(area, (areas.get(area) ?? 0) + bytes);
  }
  const heaviest = inputs.sort((a, b) => b[1] - a[1]).slice(0, 10);
  return [
    `by area: ${[...areas].map(([a, b]) => `${a} ${kib(b)}`).join(', ')}`,
    `heaviest modules: ${heaviest.map(([f, b]) => `${f} ${kib(b)}`).join(', ')}`,
    `with whitespace minified (identifiers kept): ${kib(spaced.outputFiles[0].contents.length)}`,
  ];
}

// ---------------------------------------------------------------------------------------
// Large coordination files (issue 22): a board of 10k rows and an inbox of 10k blocks, at
// two sizes a tenth apart, so that linear time shows as a ratio of about ten at most.

/** A clone of an origin whose board holds `n` rows (nearly all stale) and whose inbox to sA holds `n` blocks. */
function largeFixture(ctx, n, now) {
  const { root, env, bundle } = ctx;
  const dir = path.join(root, `large-${n}`);
  fs.mkdirSync(dir);
  const board = boardText(n, { now, presenceMs: now - 3 * 86400e3 });
  const origin = bareRepo(path.join(dir, 'origin.git'), env, (s) => {
    s.commit({
      message: 'chore: a large board and inbox\n',
      time: Math.floor(now / 1e3) - 3600,
      files: [...baseFiles({ bundle, board }), ...queueFiles(n, 1, { now })],
    });
  });
  const repo = path.join(dir, 'proj');
  git(dir, ['clone', '--quiet', origin, repo], { env });
  // The merge driver's three versions: both sides changed every row (block), one side added a third more.
  const added = Math.floor(n * 0.3);
  const scoped = (text) => text.replace(/^(\| s[A-Z]+ .*\| )[^|]*\|$/gm, '$1billing API |');
  const rows = Array.from(
    { length: added },
    (_, i) => boardRow({ id: idAt(n + i), name: `New${i}`, claimed: stampOf(now), presence: stampOf(now), scope: 'new' }) + '\n',
  );
  const [, inbox] = [...queueFiles(n, 1, { now })][0];
  const block = (from, i) =>
    `\n## ${stampOf(now + (i + 1) * 60e3)} · from:${from} · to:sA · type:info · ref:— · status:sent\n${from} adds ${i}\n` +
    '→ status:seen <ts> · acked <ts> · resolved <ts>\n';
  const blocks = (from) => Array.from({ length: added }, (_, i) => block(from, i)).join('');
  const merges = {
    board: [board, boardText(n, { now, presenceMs: now + 60e3 }), scoped(board) + rows.join('')],
    queue: [inbox, inbox + blocks('sB'), inbox.replace(/status:seen <ts>/g, `status:seen ${stampOf(now + 30e3)}`) + blocks('sC')],
  };
  for (const [kind, texts] of Object.entries(merges)) texts.forEach((t, i) => fs.writeFileSync(path.join(dir, `${kind}.${'OAB'[i]}`), t));
  return { dir, repo, merges };
}

export async function largeFiles(ctx) {
  const { env, cfg } = ctx;
  const large = cfg.messages; // 10,000 (1,000 with --quick)
  const small = large / 10;
  const now = Date.now();
  const k = (n) => (n >= 1000 ? `${n / 1000}k` : String(n));
  const fx = {};
  for (const n of [small, large]) {
    ctx.log(`  fixture: a board of ${n.toLocaleString('en')} rows, an inbox of ${n.toLocaleString('en')} blocks`);
    fx[n] = largeFixture(ctx, n, now);
  }
  const verb = (n, args) => (x) => timeProcess(NODE, [ctx.coord, ...args], { cwd: fx[n].repo, env: { ...env, ...x } });
  const driver = (n, kind) => (x) => {
    fs.writeFileSync(path.join(fx[n].dir, `${kind}.A`), fx[n].merges[kind][1]); // the driver writes its result into A
    const target = kind === 'board' ? BOARD_PATH : `${QUEUE_DIR}/to-sA.md`;
    return timeProcess(NODE, [ctx.coord, 'merge-driver', `${kind}.O`, `${kind}.A`, `${kind}.B`, target], {
      cwd: fx[n].dir,
      env: { ...env, ...x },
    });
  };
  const label = {
    reap: (n) => `coord reap --dry-run (${k(n)} rows)`,
    status: (n) => `coord status (${k(n)} rows, ${k(n)} messages)`,
    board: (n) => `coord merge-driver, board of ${k(n)} rows`,
    queue: (n) => `coord merge-driver, inbox of ${k(n)} blocks`,
  };
  const variants = [nodeFloor(fx[large].repo, env)];
  for (const n of [small, large])
    variants.push(
      { label: label.reap(n), run: verb(n, ['reap', '--dry-run']) },
      { label: label.status(n), run: verb(n, ['status']) },
      { label: label.board(n), run: driver(n, 'board') },
      { label: label.queue(n), run: driver(n, 'queue') },
    );
  const rows = await measure(variants, { ...cfg.inbox, traceDir: ctx.traceDir, log: ctx.log, aborted: () => ctx.aborted });
  // Linear time: ten times the rows costs at most ten times as much (the row-by-row code cost about a hundred).
  const growth = (what) => {
    const [a, b] = [row(rows, label[what](small)), row(rows, label[what](large))];
    return a?.median && b?.median != null ? b.median / a.median : null;
  };
  return {
    id: 'large-files',
    title: `11. large coordination files: a board of ${k(large)} rows and an inbox of ${k(large)} blocks, against ${k(small)}`,
    setup:
      'cwd = a clone of a local bare origin (no session); the board nearly all stale (reap would remove all but ~24 rows); ' +
      'merge-driver: every row (block) changed on both sides, a third more added on one side (on each, for the inbox)',
    rows,
    budgets: [
      ['reap', 'reap --dry-run'],
      ['status', 'status'],
      ['board', 'merge-driver, board'],
      ['queue', 'merge-driver, inbox'],
    ].map(([what, name]) => budget(`${name}: ${k(large)} / ${k(small)}`, growth(what), 10)),
    notes: [],
  };
}

export const CASES = [
  ['check-prefix', checkPrefix],
  ['check-reserved', checkReserved],
  ['heartbeat', heartbeat],
  ['start', start],
  ['inbox-status', inboxStatus],
  ['archive', archive],
  ['send', send],
  ['deno', deno],
  ['merge-driver', mergeDriver],
  ['contention', contention],
  ['bundle', bundleSize],
  ['commit', commitHooks],
  ['large-files', largeFiles],
];
