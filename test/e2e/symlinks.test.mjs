// coord never writes through a symbolic link it did not make (issue 22). A collaborator can
// commit a link to any file — a tracked one, or one outside the repository — and coord must not
// follow it: not when start copies the .worktreeinclude files, not when init writes its files,
// not when the post-commit heartbeat edits the board, not when a verb saves the pre-commit
// guard's cache in the git dir. The "victim" files all live in each test's own temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BOARD, coord, coordOk, git, gitOk, makeRepo } from '../helpers.mjs';

const TIMEOUT = { timeout: 240_000 };

function fixture(t, opts) {
  const fx = makeRepo(opts);
  t.after(() => fx.cleanup());
  return fx;
}

/** A folder outside the repository, in the test's own temp dir, holding `files` ({name: text}). */
function outside(fx, files = {}) {
  const dir = path.join(fx.root, 'outside');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Every file under `dir` with its text, to compare before and after. */
function snapshot(dir) {
  const all = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, e.name);
      if (e.isDirectory()) walk(abs);
      else all[path.relative(dir, abs)] = fs.readFileSync(abs, 'utf8');
    }
  };
  walk(dir);
  return all;
}

test(
  'start: committed .worktreeinclude links (to a tracked path, out of the repository, a linked folder) copy nothing through them',
  TIMEOUT,
  (t) => {
    const fx = fixture(t);
    const out = outside(fx, { 'victim.txt': 'VICTIM KEEPS THIS\n' });
    fs.mkdirSync(path.join(out, 'dir'));
    // The victim's main checkout: its own secrets, ignored, listed to be copied into every worktree.
    fs.mkdirSync(path.join(fx.repo, 'notes'));
    fs.writeFileSync(path.join(fx.repo, 'notes', 'README.md'), '# notes\n');
    fs.writeFileSync(path.join(fx.repo, '.gitignore'), '.env*\nconfig/\n');
    fs.writeFileSync(path.join(fx.repo, '.worktreeinclude'), '.env\n.env.local\n.env.old\nconfig/\n');
    gitOk(fx.repo, ['add', '-A'], { env: fx.env });
    gitOk(fx.repo, ['commit', '--quiet', '--no-verify', '-m', 'chore: ignore .env, copy it into worktrees'], { env: fx.env });
    gitOk(fx.repo, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });
    const secret = { '.env': 'TOKEN=s3cret-env\n', '.env.local': 'TOKEN=s3cret-local\n', '.env.old': 'TOKEN=s3cret-old\n' };
    for (const [rel, text] of Object.entries(secret)) fs.writeFileSync(path.join(fx.repo, rel), text);
    fs.mkdirSync(path.join(fx.repo, 'config'));
    fs.writeFileSync(path.join(fx.repo, 'config', 'secrets.json'), '{"token":"s3cret-config"}\n');

    // A collaborator's push: the same names as symbolic links (the victim has not pulled it).
    const collab = path.join(fx.root, 'collab');
    gitOk(fx.root, ['clone', '--quiet', fx.origin, collab], { env: fx.env });
    fs.symlinkSync('notes/leak.txt', path.join(collab, '.env')); // into a file git add -A publishes
    fs.symlinkSync('../outside/new.txt', path.join(collab, '.env.local')); // out of the repository, a new file
    fs.symlinkSync('../outside/victim.txt', path.join(collab, '.env.old')); // out of the repository, an existing file
    fs.symlinkSync('../outside/dir', path.join(collab, 'config')); // a folder out of the repository
    gitOk(collab, ['add', '-f', '.env', '.env.local', '.env.old', 'config'], { env: fx.env });
    gitOk(collab, ['commit', '--quiet', '--no-verify', '-m', 'chore: links'], { env: fx.env });
    gitOk(collab, ['push', '--quiet', 'origin', 'HEAD:main'], { env: fx.env });

    const before = snapshot(out);
    const r = coord(fx.repo, ['start', '--json'], { env: fx.env });
    assert.equal(r.code, 0, r.stderr);
    const started = JSON.parse(r.stdout);
    const wt = started.worktree;
    assert.ok(fs.lstatSync(path.join(wt, '.env')).isSymbolicLink(), 'the collaborator’s link is checked out as a link');
    assert.deepEqual(snapshot(out), before, 'nothing outside the repository changed or appeared');
    assert.ok(!fs.existsSync(path.join(wt, 'notes', 'leak.txt')), 'no secret in a file git add -A would publish');
    assert.deepEqual(started.copied, [], 'nothing copied through a link');
    assert.equal(gitOk(wt, ['status', '--porcelain', '--untracked-files=all'], { env: fx.env }), '');
    for (const [rel, at] of [
      ['.env', '.env'],
      ['.env.local', '.env.local'],
      ['.env.old', '.env.old'],
      ['config/secrets.json', 'config'],
    ]) {
      const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      assert.match(
        r.stderr,
        new RegExp(
          `^coord: not copying ${esc(rel)} \\(\\.worktreeinclude\\) into the new worktree: ${esc(at)} is a symbolic link \\(to `,
          'm',
        ),
        r.stderr,
      );
    }
    // The victim's own files are as they were.
    for (const [rel, text] of Object.entries(secret)) assert.equal(fs.readFileSync(path.join(fx.repo, rel), 'utf8'), text);
  },
);

test('init: a committed script, .gitattributes or folder that is a symbolic link is refused by name; nothing is written', TIMEOUT, (t) => {
  const fx = fixture(t);
  const out = outside(fx, { bashrc: '# my bashrc\nexport PS1=x\n', profile: '# my profile\n' });
  fs.mkdirSync(path.join(out, 'scripts'));
  const cases = [
    { link: 'infrastructure/scripts/coord-heartbeat.sh', to: path.join(out, 'bashrc') },
    { link: '.gitattributes', to: '../outside/profile' },
    { link: 'infrastructure/scripts', to: path.join(out, 'scripts') },
    { link: 'docs/ai', to: '../../outside/scripts' },
  ];
  for (const c of cases) {
    const abs = path.join(fx.repo, c.link);
    fs.rmSync(abs, { recursive: true, force: true });
    fs.symlinkSync(c.to, abs);
    gitOk(fx.repo, ['add', '-A'], { env: fx.env });
    gitOk(fx.repo, ['commit', '--quiet', '--no-verify', '-m', `chore: ${c.link} as a link`], { env: fx.env });
    const tree = gitOk(fx.repo, ['ls-files', '-s'], { env: fx.env });
    const before = snapshot(out);
    for (const args of [['init'], ['init', '--claude', '--agents']]) {
      const r = coord(fx.repo, args, { env: fx.env });
      assert.deepEqual(snapshot(out), before, `${c.link}: nothing outside the repository changed`);
      assert.equal(r.code, 1, `${c.link}: ${r.stdout}${r.stderr}`);
      const esc = c.link.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      assert.match(
        r.stderr,
        new RegExp(`^coord: ${esc} is a symbolic link \\(to .*\\): coord never writes through one\\. Remove ${esc} `, 'm'),
      );
      assert.match(r.stderr, /coord init again\.\nNothing was written\.\n$/);
      assert.equal(gitOk(fx.repo, ['status', '--porcelain', '--untracked-files=all'], { env: fx.env }), '', 'nothing written');
      assert.equal(gitOk(fx.repo, ['ls-files', '-s'], { env: fx.env }), tree);
    }
    gitOk(fx.repo, ['reset', '--quiet', '--hard', 'HEAD~1'], { env: fx.env });
  }
  // Put right, init runs as before.
  coordOk(fx.repo, ['init'], { env: fx.env });
});

test('heartbeat: a board under a symbolic link is never written, by the post-commit hook, its sh fast path or coord', TIMEOUT, (t) => {
  const fx = fixture(t);
  const started = JSON.parse(coordOk(fx.repo, ['start', '--json'], { env: fx.env }).stdout);
  const wt = started.worktree;
  // The board's folder, replaced by a link to a folder outside holding a board with this session's row, an old presence.
  const out = outside(fx);
  fs.mkdirSync(path.join(out, 'ai', 'sessions'), { recursive: true });
  const board = fs
    .readFileSync(path.join(wt, BOARD), 'utf8')
    .replace(/(\| sA · [^|]*\|[^|]*\|[^|]*\|[^|]*\| )\S+ ·/, '$12020-01-01T00:00Z ·');
  assert.match(board, /2020-01-01T00:00Z ·/);
  fs.writeFileSync(path.join(out, 'ai', 'sessions', 'active.md'), board);
  fs.rmSync(path.join(wt, 'docs', 'ai'), { recursive: true });
  fs.symlinkSync(path.join(out, 'ai'), path.join(wt, 'docs', 'ai'));
  const before = snapshot(out);

  // A real commit: lefthook runs the post-commit job (the sh fast path, then coord heartbeat).
  fs.writeFileSync(path.join(wt, 'work.txt'), 'work\n');
  gitOk(wt, ['add', 'work.txt'], { env: fx.env });
  const c = git(wt, ['commit', '-m', '[sA] work'], { env: fx.env });
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual(snapshot(out), before, 'the commit wrote nothing through the link');
  assert.match(c.stdout + c.stderr, /docs\/ai is a symbolic link \(to .*\): coord never writes through one/);

  // The two directly: the sh fast path steps aside (exit 1), coord refuses and names the link.
  const fast = fastPath(wt, fx);
  assert.equal(fast.status, 1, fast.stderr);
  const r = coord(wt, ['heartbeat'], { env: fx.env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^coord heartbeat: docs\/ai is a symbolic link \(to .*\): coord never writes through one; presence not updated\./);
  assert.deepEqual(snapshot(out), before, 'nothing outside the repository changed');

  // The board file itself as a link (the folder real again): the same.
  fs.rmSync(path.join(wt, 'docs', 'ai'));
  gitOk(wt, ['checkout', '--', 'docs/ai'], { env: fx.env });
  fs.rmSync(path.join(wt, BOARD));
  fs.symlinkSync(path.join(out, 'ai', 'sessions', 'active.md'), path.join(wt, BOARD));
  assert.equal(fastPath(wt, fx).status, 1);
  assert.equal(coord(wt, ['heartbeat'], { env: fx.env }).code, 1);
  assert.deepEqual(snapshot(out), before);
});

/** The post-commit fast path run as lefthook runs it, in the worktree. */
const fastPath = (wt, fx) => spawnSync('sh', ['infrastructure/scripts/coord-heartbeat.sh'], { cwd: wt, env: fx.env, encoding: 'utf8' });

test('guard cache: a link planted in the git dir is never followed', TIMEOUT, (t) => {
  const fx = fixture(t);
  const out = outside(fx, { 'victim.txt': 'VICTIM\n' });
  fs.mkdirSync(path.join(out, 'coord'));
  const common = path.join(fx.repo, '.git');
  // The cache file itself a link: replaced, its target untouched.
  fs.mkdirSync(path.join(common, 'coord'), { recursive: true });
  fs.rmSync(path.join(common, 'coord', 'reservations'), { force: true });
  fs.symlinkSync(path.join(out, 'victim.txt'), path.join(common, 'coord', 'reservations'));
  coordOk(fx.repo, ['status'], { env: fx.env });
  assert.equal(fs.readFileSync(path.join(out, 'victim.txt'), 'utf8'), 'VICTIM\n');
  assert.ok(fs.lstatSync(path.join(common, 'coord', 'reservations')).isFile(), 'a file of its own now');

  // The folder above it a link: refused, said in one line, nothing written there.
  fs.rmSync(path.join(common, 'coord'), { recursive: true });
  fs.symlinkSync(path.join(out, 'coord'), path.join(common, 'coord'));
  const r = coord(fx.repo, ['status'], { env: fx.env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(path.join(out, 'coord')), [], 'nothing written through the link');
  assert.match(r.stderr, /^coord: coord is a symbolic link \(to .*\): coord never writes through one, so the pre-commit guard's cache/m);
  assert.equal(fs.readFileSync(path.join(out, 'victim.txt'), 'utf8'), 'VICTIM\n');
});
