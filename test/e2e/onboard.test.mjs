// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno.
// Onboarding repositories built like real ones: a default branch that is not main, a history,
// a team's own hooks in each of lefthook's config spellings (parallel jobs, glob and skip keys,
// comments everywhere, a local override), forms coord must not touch, and every clone after
// the first. The team's hooks and coord's are checked to run at a real commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { coord, coordOk, git, gitOk, lefthookBin, makeEnv, runtime, tempDir } from '../helpers.mjs';

const TIMEOUT = { timeout: 180_000 };
const INIT = runtime === 'deno' ? ['init', '--deno'] : ['init'];

/** A bare origin whose default branch is `branch`, and a clone of it with a history of three commits and `files`. */
function realRepo(t, { branch = 'master', files = {} } = {}) {
  const root = tempDir('onboard');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const env = makeEnv(root);
  const origin = path.join(root, 'origin.git');
  const repo = path.join(root, 'app');
  gitOk(root, ['init', '-q', '--bare', '-b', branch, origin], { env });
  gitOk(root, ['init', '-q', '-b', branch, repo], { env });
  gitOk(repo, ['remote', 'add', 'origin', origin], { env });
  for (const [i, name] of ['README.md', 'src/index.ts', 'src/util.ts'].entries()) {
    fs.mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    fs.writeFileSync(path.join(repo, name), `// ${name} v${i}\n`);
    gitOk(repo, ['add', '-A'], { env });
    gitOk(repo, ['commit', '-q', '-m', `feat: ${name}`], { env });
  }
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo, rel), text);
  }
  gitOk(repo, ['add', '-A'], { env });
  gitOk(repo, ['commit', '-q', '--allow-empty', '-m', "chore: the team's hooks"], { env });
  gitOk(repo, ['push', '-q', '-u', 'origin', branch], { env });
  gitOk(repo, ['remote', 'set-head', 'origin', '--auto'], { env });
  return { root, env, origin, repo };
}

const TEAM_HOOKS = `# Our hooks. Keep them fast.
pre-commit:
  parallel: true   # lint and types side by side
  commands:
    lint:
      glob: "*.{ts,js}"
      run: echo lint {staged_files} >> "$(git rev-parse --git-common-dir)/team-pre-commit.log"
    types:
      skip:
        - merge
        - rebase
      run: echo types >> "$(git rev-parse --git-common-dir)/team-pre-commit.log"

commit-msg:
  commands:
    # conventional commits, checked by the team's own job
    team-subject:
      run: echo team-commit-msg >> "$(git rev-parse --git-common-dir)/team-commit-msg.log"
`;

const read = (dir, rel) => fs.readFileSync(path.join(dir, rel), 'utf8');

for (const spelling of ['.lefthook.yml', '.config/lefthook.yml', 'lefthook.yaml']) {
  test(
    `hooks in ${spelling}, default branch master: init merges into that file, keeps every byte of it, records master; at a real commit the team's hooks and coord's both run`,
    TIMEOUT,
    (t) => {
      const fx = realRepo(t, { files: { [spelling]: TEAM_HOOKS } });
      const r = coordOk(fx.repo, INIT, { env: fx.env });
      assert.ok(!fs.existsSync(path.join(fx.repo, 'lefthook.yml')) || spelling === 'lefthook.yml', "no second config beside the team's");
      const merged = read(fx.repo, spelling);
      for (const line of TEAM_HOOKS.split('\n')) assert.ok(merged.includes(line), `kept: ${line}`);
      assert.match(merged, /coord-check-prefix:/);
      assert.match(merged, /coord-heartbeat:/);
      assert.equal(JSON.parse(read(fx.repo, '.coord.json')).branch, 'master');
      assert.match(r.stdout, /Blackboard branch: master/);
      assert.match(r.stdout, /git push origin HEAD:master/);
      assert.doesNotMatch(r.stdout + r.stderr, /HEAD:main\b/);
      assert.equal(git(fx.repo, ['rev-parse', '--verify', '-q', 'refs/remotes/origin/main'], { env: fx.env }).code, 1);
      assert.equal(spawnValidate(fx), 0, 'lefthook still loads the config');

      // Commit what init listed, install the hooks once, and work in a session.
      const add = /^ {2}git add (.*)$/m.exec(r.stdout)[1].split(' ');
      gitOk(fx.repo, ['add', ...add], { env: fx.env });
      gitOk(fx.repo, ['commit', '-q', '-m', 'chore: onboard coord'], { env: fx.env });
      gitOk(fx.repo, ['push', '-q', 'origin', 'HEAD:master'], { env: fx.env });
      assert.equal(gitOk(fx.repo, ['status', '--porcelain'], { env: fx.env }), '', 'init listed every file to commit');
      runLefthook(fx, ['install']);
      coordOk(fx.repo, ['start'], { env: fx.env });
      const sA = `${fx.repo}-sA`;
      fs.writeFileSync(path.join(sA, 'src', 'index.ts'), '// changed in sA\n');
      gitOk(sA, ['add', '-A'], { env: fx.env });
      const wrong = git(sA, ['commit', '-q', '-m', '[sB] feat: wrong prefix'], { env: fx.env });
      assert.notEqual(wrong.code, 0, "coord's commit-msg job refused the wrong prefix");
      const later = `@${Math.floor(Date.now() / 1000) + 300} +0000`; // a later minute than the claim, so the heartbeat moves the stamp
      gitOk(sA, ['commit', '-q', '-m', '[sA] feat: right prefix'], { env: { ...fx.env, GIT_COMMITTER_DATE: later } });
      const gitDir = gitOk(sA, ['rev-parse', '--git-common-dir'], { env: fx.env }).trim();
      assert.match(
        fs.readFileSync(path.resolve(sA, gitDir, 'team-commit-msg.log'), 'utf8'),
        /team-commit-msg/,
        "the team's commit-msg job ran",
      );
      assert.match(gitOk(sA, ['status', '--short'], { env: fx.env }), /active\.md/, "coord's heartbeat ran");
      gitOk(sA, ['push', '-q', 'origin', 'HEAD:master'], { env: fx.env });
      if (spelling !== '.lefthook.yml') return;

      // A second clone that follows only the per-clone step works at its first commit.
      const second = path.join(fx.root, 'second');
      gitOk(fx.root, ['clone', '-q', fx.origin, second], { env: fx.env });
      const install = /^ {2}(\S.*?) +# once per clone/m.exec(r.stdout)[1];
      assert.match(install, /lefthook install$/);
      const lh = spawnSync(lefthookBin, ['install'], { cwd: second, env: fx.env, encoding: 'utf8' });
      assert.equal(lh.status, 0, lh.stderr);
      coordOk(second, ['start'], { env: fx.env });
      const sB = `${second}-sB`;
      const wrongThere = git(sB, ['commit', '--allow-empty', '-q', '-m', '[sA] not mine'], { env: fx.env });
      assert.notEqual(wrongThere.code, 0);
      const ok = git(sB, ['commit', '--allow-empty', '-q', '-m', '[sB] first commit here'], {
        env: { ...fx.env, GIT_COMMITTER_DATE: later },
      });
      assert.equal(ok.code, 0, ok.stderr);
      assert.doesNotMatch(ok.stderr, /Error|internal error|not found/i);
      assert.match(gitOk(sB, ['status', '--short'], { env: fx.env }), /active\.md/, 'the heartbeat ran in the second clone');
      assert.equal(coord(second, ['doctor'], { env: fx.env }).code, 0, 'doctor is content in the second clone');
    },
  );
}

/** Runs the real lefthook in the repository. */
function runLefthook(fx, args) {
  const r = spawnSync(lefthookBin, args, { cwd: fx.repo, env: fx.env, encoding: 'utf8' });
  assert.equal(r.status, 0, `lefthook ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r;
}
/** lefthook validate's exit code: 0 when lefthook loads the config. */
const spawnValidate = (fx) => spawnSync(lefthookBin, ['validate'], { cwd: fx.repo, env: fx.env, encoding: 'utf8' }).status;

for (const [name, file, text, re] of [
  ['lefthook.json', 'lefthook.json', '{\n  "pre-commit": {"commands": {"lint": {"run": "echo lint"}}}\n}\n', /"coord-check-prefix": \{/],
  ['lefthook.toml', 'lefthook.toml', '[pre-commit.commands.lint]\nrun = "echo lint"\n', /\[commit-msg\.commands\.coord-check-prefix\]/],
  [
    'a flow-style section',
    'lefthook.yml',
    'commit-msg: {commands: {team: {run: echo team}}}\n',
    /commit-msg:\n {2}commands:\n {4}coord-check-prefix:/,
  ],
  [
    'an empty section',
    'lefthook.yml',
    'pre-commit:\n  commands:\n    lint:\n      run: echo lint\ncommit-msg: {}\n',
    /coord-check-prefix:/,
  ],
  [
    'an anchor merged into a section',
    'lefthook.yml',
    'base: &base\n  commands:\n    team:\n      run: echo team\ncommit-msg:\n  <<: *base\n',
    /coord-check-prefix:/,
  ],
]) {
  test(`a config coord cannot merge safely (${name}): refused with the lines to add by hand, the file untouched, exit 1`, TIMEOUT, (t) => {
    const fx = realRepo(t, { branch: 'main', files: { [file]: text } });
    const r = coord(fx.repo, INIT, { env: fx.env });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(read(fx.repo, file), text, "the team's file is byte for byte what it was");
    assert.match(r.stderr, new RegExp(`could not add coord's jobs to ${file.replace('.', '\\.')}`));
    assert.match(r.stderr, re, 'the exact lines to add');
    assert.ok(!fs.existsSync(path.join(fx.repo, 'lefthook.yml')) || file === 'lefthook.yml', 'no second config that would shadow it');
  });
}

test("a lefthook-local.yml beside the team's config: coord merges into the main config, the local file stays as it is", TIMEOUT, (t) => {
  const local =
    'commit-msg:\n  commands:\n    team-subject:\n      run: echo local override >> "$(git rev-parse --git-common-dir)/team-commit-msg.log"\n';
  const fx = realRepo(t, { files: { 'lefthook.yml': TEAM_HOOKS, 'lefthook-local.yml': local } });
  coordOk(fx.repo, INIT, { env: fx.env });
  assert.equal(read(fx.repo, 'lefthook-local.yml'), local);
  assert.match(read(fx.repo, 'lefthook.yml'), /coord-check-prefix:/);
  assert.equal(spawnValidate(fx), 0);
});

test(
  "trunk as origin's default branch; .coord.json that does not parse is refused and kept; a copy placed before init is listed to commit",
  TIMEOUT,
  (t) => {
    const fx = realRepo(t, { branch: 'trunk', files: { 'lefthook.yml': TEAM_HOOKS } });
    fs.writeFileSync(path.join(fx.repo, '.coord.json'), '{"branch": "trunk",\n');
    const broken = coord(fx.repo, INIT, { env: fx.env });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /Not onboarding: \.coord\.json is not valid JSON/);
    assert.equal(read(fx.repo, '.coord.json'), '{"branch": "trunk",\n');
    assert.ok(!fs.existsSync(path.join(fx.repo, 'docs/ai/sessions/active.md')), 'nothing written');
    fs.rmSync(path.join(fx.repo, '.coord.json'));
    // install.sh puts the script in place first, then runs init: it must still be committed.
    fs.mkdirSync(path.join(fx.repo, 'infrastructure/scripts'), { recursive: true });
    fs.copyFileSync(coordArgvBundle(), path.join(fx.repo, 'infrastructure/scripts/coord.mjs'));
    const r = coordOk(fx.repo, [...INIT, '--json'], { env: fx.env });
    const out = JSON.parse(r.stdout);
    assert.equal(out.branch, 'trunk');
    assert.ok(out.toCommit.includes('infrastructure/scripts/coord.mjs'), JSON.stringify(out.toCommit));
    const doctor = JSON.parse(coord(fx.repo, ['doctor', '--json'], { env: fx.env }).stdout);
    assert.ok(
      doctor.findings.some((f) => /not committed: .*infrastructure\/scripts\/coord\.mjs/.test(f.message)),
      JSON.stringify(doctor),
    );
    // Pushed without it: start and status say that every other clone's hooks would run without coord.
    gitOk(fx.repo, ['add', ...out.toCommit.filter((f) => f !== 'infrastructure/scripts/coord.mjs')], { env: fx.env });
    gitOk(fx.repo, ['commit', '-q', '--no-verify', '-m', 'chore: onboard coord, but not coord'], { env: fx.env });
    gitOk(fx.repo, ['push', '-q', 'origin', 'HEAD:trunk'], { env: fx.env });
    const started = coordOk(fx.repo, ['start'], { env: fx.env });
    assert.match(
      started.stderr,
      /infrastructure\/scripts\/coord\.mjs is not on origin\/trunk: the hooks of every clone that pulls it run without coord\. Commit and push it .*git add infrastructure\/scripts\/coord\.mjs/,
    );
    assert.match(coordOk(fx.repo, ['status'], { env: fx.env }).stderr, /coord\.mjs is not on origin\/trunk/);
    assert.deepEqual(JSON.parse(coordOk(fx.repo, ['status', '--json'], { env: fx.env }).stdout).missingScripts, [
      'infrastructure/scripts/coord.mjs',
    ]);
  },
);

test("init --deno on a Node set-up switches coord's jobs, and init without it switches them back, saying so", TIMEOUT, (t) => {
  const fx = realRepo(t, { files: { 'lefthook.yml': TEAM_HOOKS } });
  coordOk(fx.repo, ['init'], { env: fx.env });
  const toDeno = coordOk(fx.repo, ['init', '--deno'], { env: fx.env });
  assert.match(toDeno.stdout, /switched +coord-check-reserved, coord-check-prefix, coord-heartbeat in lefthook\.yml to deno run -A/);
  assert.match(
    read(fx.repo, 'lefthook.yml'),
    /run: sh infrastructure\/scripts\/coord-heartbeat\.sh \|\| deno run -A infrastructure\/scripts\/coord\.mjs heartbeat/,
  );
  assert.doesNotMatch(read(fx.repo, 'lefthook.yml'), /run: node infrastructure/);
  const back = coordOk(fx.repo, ['init'], { env: fx.env });
  assert.match(back.stdout, /switched +coord-check-reserved, coord-check-prefix, coord-heartbeat in lefthook\.yml to node/);
  assert.equal(read(fx.repo, 'lefthook.yml').match(/coord-heartbeat:/g).length, 1);
  // A heartbeat job as an earlier init wrote it (Node on every commit) is brought up to the sh fast path.
  fs.writeFileSync(
    path.join(fx.repo, 'lefthook.yml'),
    read(fx.repo, 'lefthook.yml').replace(
      'run: sh infrastructure/scripts/coord-heartbeat.sh || node infrastructure/scripts/coord.mjs heartbeat',
      'run: node infrastructure/scripts/coord.mjs heartbeat',
    ),
  );
  assert.match(coordOk(fx.repo, ['init'], { env: fx.env }).stdout, /switched +coord-heartbeat in lefthook\.yml to node/);
  assert.match(
    read(fx.repo, 'lefthook.yml'),
    /run: sh infrastructure\/scripts\/coord-heartbeat\.sh \|\| node infrastructure\/scripts\/coord\.mjs heartbeat/,
  );
});

test('doctor: a second config spelling that lefthook ignores, hooks not installed (with the command that installs them)', TIMEOUT, (t) => {
  const fx = realRepo(t, { files: { '.lefthook.yml': TEAM_HOOKS } });
  coordOk(fx.repo, INIT, { env: fx.env });
  fs.writeFileSync(path.join(fx.repo, 'lefthook.yml'), '# a stray file\n');
  const doctor = JSON.parse(coord(fx.repo, ['doctor', '--json'], { env: fx.env }).stdout);
  const msgs = doctor.findings.map((f) => `${f.message} → ${f.fix}`);
  assert.ok(
    msgs.some((m) => /lefthook loads lefthook\.yml only: the hooks in \.lefthook\.yml do not run/.test(m)),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) =>
      /no pre-commit, commit-msg, post-commit hook is installed in this clone \(the reservation guard, the commit-subject prefix check and the presence heartbeat do not run\).*→ run (npx lefthook install|lefthook install|npx --yes lefthook install)/.test(
        m,
      ),
    ),
    msgs.join('\n'),
  );
});

/** The bundle under test, as install.sh would have downloaded it. */
function coordArgvBundle() {
  return process.env.COORD_BUNDLE
    ? path.resolve(process.env.COORD_BUNDLE)
    : path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../dist/coord.mjs');
}
