// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno (there, one JSON spelling and the code one).
// A team that runs commitlint (the real @commitlint/cli with @commitlint/config-conventional) at
// commit-msg, in each config spelling: init makes the [sX] prefix acceptable (or, for a config in code,
// refuses with the line to add, which the person then adds), and in a session worktree commitlint
// still judges the rest of the subject while coord judges the prefix. doctor warns until it is so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { coord, coordOk, git, gitOk, makeEnv, projectRoot, runtime, tempDir } from '../helpers.mjs';

const TIMEOUT = { timeout: 300_000 };
const INIT = runtime === 'deno' ? ['init', '--deno'] : ['init'];
const PRESET = './infrastructure/scripts/coord-commitlint-preset.cjs';
const NOT_SKIPPED = '(commitlint) does not skip';

const TEAM_HOOKS = `# The team's hooks: conventional commits, checked by commitlint.
commit-msg:
  commands:
    commitlint:
      run: node node_modules/@commitlint/cli/cli.js --edit {1}
`;

/**
 * The team's dev dependencies: this checkout's node_modules, entry by entry, with lefthook 2 and
 * commitlint as its bin (this checkout also holds lefthook 1, whose bin would shadow lefthook 2's).
 */
function devDependencies(root) {
  const deps = path.join(root, 'deps');
  const from = path.join(projectRoot, 'node_modules');
  fs.mkdirSync(path.join(deps, '.bin'), { recursive: true });
  for (const name of fs.readdirSync(from)) {
    if (name === '.bin' || name === 'lefthook-v1') continue;
    fs.symlinkSync(path.join(from, name), path.join(deps, name));
  }
  fs.symlinkSync('../lefthook/bin/index.js', path.join(deps, '.bin', 'lefthook'));
  fs.symlinkSync('../@commitlint/cli/cli.js', path.join(deps, '.bin', 'commitlint'));
  return deps;
}

/** A clone (with a bare origin) of a project whose commit-msg hook runs commitlint configured by `files`, hooks installed. */
function teamRepo(t, files) {
  const root = tempDir('commitlint');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const deps = devDependencies(root);
  const base = makeEnv(root);
  // Its bin first: lefthook 2 and commitlint shadow this checkout's (deno stays reachable).
  const env = { ...base, PATH: [path.join(deps, '.bin'), base.PATH].join(path.delimiter) };
  const origin = path.join(root, 'origin.git');
  const repo = path.join(root, 'app');
  gitOk(root, ['init', '-q', '--bare', '-b', 'main', origin], { env });
  gitOk(root, ['clone', '-q', origin, repo], { env });
  const all = { '.gitignore': 'node_modules\n', 'lefthook.yml': TEAM_HOOKS, 'README.md': '# app\n', ...files };
  if (!('package.json' in all)) all['package.json'] = JSON.stringify({ name: 'app', private: true }, null, 2) + '\n';
  for (const [rel, text] of Object.entries(all)) fs.writeFileSync(path.join(repo, rel), text);
  fs.symlinkSync(deps, path.join(repo, 'node_modules'));
  gitOk(repo, ['add', '-A'], { env });
  gitOk(repo, ['commit', '-q', '-m', 'chore: the team runs commitlint'], { env });
  gitOk(repo, ['push', '-q', 'origin', 'HEAD:main'], { env });
  const r = spawnSync(path.join(deps, '.bin', 'lefthook'), ['install'], { cwd: repo, env, encoding: 'utf8' });
  assert.equal(r.status, 0, `lefthook install failed: ${r.stderr}${r.stdout}`);
  return { root, repo, env };
}

/** Stages a change in `dir` and commits it with `subject` through the installed hooks. */
function commit(dir, env, subject) {
  fs.appendFileSync(path.join(dir, 'README.md'), `${subject}\n`);
  gitOk(dir, ['add', 'README.md'], { env });
  const r = git(dir, ['commit', '-m', subject], { env });
  if (r.code !== 0) gitOk(dir, ['reset', '-q'], { env });
  return { ...r, said: r.stdout + r.stderr };
}

const doctorSays = (dir, env) => coord(dir, ['doctor'], { env }).stdout;

/** Onboarded: the session worktree and the main checkout obey both coord's rule and the team's commitlint. */
function bothRulesHold(fx) {
  const { repo, env } = fx;
  gitOk(repo, ['add', '-A'], { env });
  const onboard = commit(repo, env, 'chore: onboard coord');
  assert.equal(onboard.code, 0, `the onboarding commit was refused:\n${onboard.said}`);
  gitOk(repo, ['push', '-q', 'origin', 'HEAD:main'], { env });
  assert.ok(!doctorSays(repo, env).includes(NOT_SKIPPED), 'doctor still warns about commitlint after init');

  const wt = JSON.parse(coordOk(repo, ['start', '--json'], { env }).stdout).worktree;
  // The team's hooks need their dependencies in the worktree too.
  if (!fs.existsSync(path.join(wt, 'node_modules'))) fs.symlinkSync(path.join(fx.root, 'deps'), path.join(wt, 'node_modules'));

  const good = commit(wt, env, '[sA] feat(api): add the endpoint');
  assert.equal(good.code, 0, `a right conventional subject was refused in the session worktree:\n${good.said}`);
  const bad = commit(wt, env, '[sA] bad subject');
  assert.notEqual(bad.code, 0, 'a subject that is not conventional went through');
  assert.match(bad.said, /type may not be empty/, `commitlint did not refuse it:\n${bad.said}`);
  const upper = commit(wt, env, '[sA] FEAT: shout');
  assert.notEqual(upper.code, 0, 'an upper-case type went through');
  assert.match(upper.said, /type must be lower-case/, `commitlint's type-case rule did not judge the rest:\n${upper.said}`);
  const wrong = commit(wt, env, '[sB] feat: not mine');
  assert.notEqual(wrong.code, 0, "another session's prefix went through");
  assert.match(wrong.said, /prefix \[sB\] does not match worktree/, `coord did not refuse it:\n${wrong.said}`);
  assert.ok(!doctorSays(wt, env).includes(NOT_SKIPPED), 'doctor warns about commitlint in the session worktree');
  // What git writes itself, as coord's rule lets it through: commitlint's default ignores take it too.
  const fixup = commit(wt, env, '[sA] fixup! [sA] feat(api): add the endpoint');
  assert.notEqual(fixup.code, 0, 'a prefix before fixup! went through');
  const wrapped = commit(wt, env, 'fixup! [sA] feat(api): add the endpoint');
  assert.equal(wrapped.code, 0, `a fixup! of a session commit was refused:\n${wrapped.said}`);
  const revert = git(wt, ['revert', '--no-edit', 'HEAD'], { env });
  assert.equal(revert.code, 0, `git revert was refused:\n${revert.stdout}${revert.stderr}`);
  const side = gitOk(wt, ['commit-tree', 'HEAD~1^{tree}', '-p', 'HEAD~1', '-m', '[sA] chore: side'], { env }).trim();
  const merge = git(wt, ['merge', '--no-ff', '--no-edit', side], { env });
  assert.equal(merge.code, 0, `git merge was refused:\n${merge.stdout}${merge.stderr}`);
  const log = gitOk(wt, ['log', '--first-parent', '-2', '--format=%s'], { env });
  assert.match(log, /^Merge commit '[0-9a-f]+' into session-sA\nRevert "fixup! \[sA\] feat\(api\): add the endpoint"\n$/);

  const main = commit(repo, env, 'feat: x');
  assert.equal(main.code, 0, `an unprefixed conventional subject was refused in the main checkout:\n${main.said}`);
  const mainBad = commit(repo, env, 'not conventional');
  assert.notEqual(mainBad.code, 0, 'commitlint no longer runs in the main checkout');
  assert.match(mainBad.said, /subject may not be empty/);
}

for (const [file, text] of [
  ['.commitlintrc.json', '{\n  "extends": ["@commitlint/config-conventional"]\n}\n'],
  ['.commitlintrc.yml', '# conventional commits\nextends:\n  - "@commitlint/config-conventional"\n'],
  [
    'package.json',
    JSON.stringify({ name: 'app', private: true, commitlint: { extends: ['@commitlint/config-conventional'] } }, null, 2) + '\n',
  ],
]) {
  // The spellings differ only in init's edit, which is the same code under Deno: there one of them is enough.
  const skip = runtime === 'deno' && file !== 'package.json';
  test(`${file}: init names coord's preset in it; the prefix passes and every rule judges the rest`, { ...TIMEOUT, skip }, (t) => {
    const fx = teamRepo(t, { [file]: text });
    assert.ok(doctorSays(fx.repo, fx.env).includes(NOT_SKIPPED), 'doctor did not warn before init');
    const init = coord(fx.repo, INIT, { env: fx.env });
    assert.equal(init.code, 0, `init failed:\n${init.stderr}${init.stdout}`);
    assert.match(fs.readFileSync(path.join(fx.repo, file), 'utf8'), new RegExp(`parserPreset["']?: "?${PRESET.replace(/\./g, '\\.')}`));
    bothRulesHold(fx);
  });
}

test('commitlint.config.mjs: init refuses that part with the line to add, writes the rest; added by hand, it works', TIMEOUT, (t) => {
  const config = "export default {\n  extends: ['@commitlint/config-conventional'],\n};\n";
  const fx = teamRepo(t, { 'commitlint.config.mjs': config });
  const init = coord(fx.repo, INIT, { env: fx.env });
  assert.equal(init.code, 1, `init did not refuse:\n${init.stderr}${init.stdout}`);
  assert.match(init.stderr, /commitlint\.config\.mjs is code, which coord does not edit/);
  assert.ok(init.stderr.includes(`parserPreset: '${PRESET}',`), `no line to add:\n${init.stderr}`);
  assert.equal(fs.readFileSync(path.join(fx.repo, 'commitlint.config.mjs'), 'utf8'), config, 'init edited code');
  assert.ok(fs.existsSync(path.join(fx.repo, PRESET)), 'init did not write the preset the line names');
  assert.match(fs.readFileSync(path.join(fx.repo, 'lefthook.yml'), 'utf8'), /check-prefix/, "init did not write coord's jobs");
  assert.ok(doctorSays(fx.repo, fx.env).includes(NOT_SKIPPED), 'doctor did not warn while the line is missing');
  // The person adds the line init printed, where it said.
  const line = init.stderr.split('\n').find((l) => l.startsWith('parserPreset:'));
  fs.writeFileSync(path.join(fx.repo, 'commitlint.config.mjs'), config.replace('export default {\n', `export default {\n  ${line}\n`));
  coordOk(fx.repo, INIT, { env: fx.env });
  bothRulesHold(fx);
  // A preset someone edited, or one that is gone, is no longer coord's rule: doctor says so.
  const preset = path.join(fx.repo, PRESET);
  fs.writeFileSync(preset, fs.readFileSync(preset, 'utf8').replace('{1,3}', '{1,9}'));
  assert.match(doctorSays(fx.repo, fx.env), /coord-commitlint-preset\.cjs is not the preset this coord writes/);
  fs.rmSync(preset);
  assert.match(doctorSays(fx.repo, fx.env), /names infrastructure\/scripts\/coord-commitlint-preset\.cjs, which is missing/);
});
