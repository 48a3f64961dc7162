// The commit-msg fast path (a POSIX sh script generated from src/protocol/subject.ts) and
// coord's own check-prefix must agree: whenever the script says "passes" (exit 0), coord
// passes too. Checked over a large generated table of subjects × worktree layouts, with
// the script run by a real sh and coord's decision taken from the same source modules
// the bundle is built from (and, for a sample, from the real bundle as a process).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundle, makeEnv, onboardedScratch } from '../helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'coord-guard-')));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// The rule's modules, bundled as the bundle bundles them.
const entry = path.join(tmp, 'entry.ts');
fs.writeFileSync(
  entry,
  `export * from ${JSON.stringify(path.join(here, '../../src/protocol/subject.ts'))};\nexport { findWorktree, hookSession, operationInProgress } from ${JSON.stringify(path.join(here, '../../src/worktree.ts'))};\n`,
);
await build({
  entryPoints: [entry],
  bundle: true,
  format: 'esm',
  platform: 'node',
  outfile: path.join(tmp, 'rule.mjs'),
  logLevel: 'silent',
});
const R = await import(pathToFileURL(path.join(tmp, 'rule.mjs')).href);

// The script exactly as `coord init` writes it.
const repo = onboardedScratch(tmp);
const guard = path.join(repo, 'infrastructure/scripts/coord-prefix-guard.sh');
assert.equal(fs.readFileSync(guard, 'utf8'), R.prefixGuardScript(), 'init writes the script the rule module renders');
assert.match(
  fs.readFileSync(path.join(repo, 'lefthook.yml'), 'utf8'),
  /run: sh infrastructure\/scripts\/coord-prefix-guard\.sh "\{1\}" \|\| node infrastructure\/scripts\/coord\.mjs check-prefix "\{1\}"/,
);

/** A worktree layout: a `.git` file (linked worktree) or dir, a HEAD, maybe an operation in progress. */
function layout(name, head, { linked = true, marker } = {}) {
  const wt = path.join(tmp, 'wt', name);
  const gitDir = linked ? path.join(tmp, 'gd', name) : path.join(wt, '.git');
  fs.mkdirSync(wt, { recursive: true });
  fs.mkdirSync(gitDir, { recursive: true });
  if (linked) fs.writeFileSync(path.join(wt, '.git'), `gitdir: ${gitDir}\n`);
  fs.writeFileSync(path.join(gitDir, 'HEAD'), head + '\n');
  if (marker) fs.mkdirSync(path.join(gitDir, marker), { recursive: true });
  return wt;
}

const layouts = [
  layout('po-platform-sB', 'ref: refs/heads/session-sB'),
  layout('po-platform-sAB', 'ref: refs/heads/session-sAB'),
  layout('main-checkout', 'ref: refs/heads/main', { linked: false }),
  layout('detached', '0123456789abcdef0123456789abcdef01234567', { linked: false }),
  layout('odd-branch', 'ref: refs/heads/session-bogus'),
  layout('lowercase-id', 'ref: refs/heads/session-sb'),
  layout('rebasing-sB', 'ref: refs/heads/session-sB', { marker: 'rebase-merge' }),
  layout('merging-sA', 'ref: refs/heads/session-sA', { marker: 'MERGE_HEAD' }),
];

// Subjects: the common ones, and every trap we know of for a fast path.
const words = [
  '[sB]',
  '[sA]',
  '[sAB]',
  '[sb]',
  '[s B]',
  '[sB ]',
  'fixup! ',
  'squash! ',
  'amend! ',
  'Revert "',
  'Merge branch ',
  '#',
  ' ',
  '\t',
  '\u00a0',
  '\ufeff',
  '',
  'feat: x',
  '[',
  'sB',
  '\\[sB]',
  'fix',
  '[sBB]',
];
function* messages() {
  for (const a of words)
    for (const b of words) {
      yield `${a}${b} subject\n`;
      yield `# comment\n\n${a}${b} subject\r\nbody\n`;
    }
  yield '';
  yield '# only a comment\n';
  yield '\u00a0\n[sA] x\n';
  yield '   \n\t\n[sA] x\n';
}

function guardSays(wt, file, env) {
  const r = spawnSync('sh', [guard, file], { cwd: wt, env, encoding: 'utf8' });
  return r.status;
}

function coordSays(wt, text, env) {
  const prev = process.env.COORD_SESSION;
  if (env.COORD_SESSION) process.env.COORD_SESSION = env.COORD_SESSION;
  else delete process.env.COORD_SESSION;
  try {
    const w = R.findWorktree(wt);
    if (R.operationInProgress(w.gitDir) === 'rebase') return true;
    return R.checkSubject(R.subjectOf(text), { session: R.hookSession(w), worktree: w.name, branch: w.branch }).ok;
  } finally {
    if (prev === undefined) delete process.env.COORD_SESSION;
    else process.env.COORD_SESSION = prev;
  }
}

test('the sh fast path never passes a commit that coord refuses, and passes the common cases itself', () => {
  const base = { PATH: process.env.PATH };
  let cases = 0;
  let fast = 0;
  const disagreements = [];
  let i = 0;
  for (const text of messages()) {
    const file = path.join(tmp, `msg-${i++}`);
    fs.writeFileSync(file, text);
    for (const wt of layouts) {
      // COORD_SESSION matters only outside a session worktree: vary it there.
      const envs = /-s[A-Z]+$/.test(wt) ? [base] : [base, { ...base, COORD_SESSION: 'sA' }];
      for (const env of envs) {
        cases++;
        const g = guardSays(wt, file, env);
        if (g === 0) {
          fast++;
          if (!coordSays(wt, text, env))
            disagreements.push(`${path.basename(wt)} ${JSON.stringify(text)} COORD_SESSION=${env.COORD_SESSION ?? ''}`);
        } else {
          assert.equal(g, 1, 'the script exits 0 or 1, nothing else');
        }
      }
    }
  }
  assert.deepEqual(disagreements.slice(0, 10), [], `${disagreements.length} cases where the fast path passes what coord refuses`);
  assert.ok(cases > 8000, `only ${cases} cases`);
  assert.ok(fast > 500, `the fast path decided only ${fast} of ${cases} cases: it is not doing its job`);
  console.log(`prefix guard: ${cases} cases, ${fast} decided by sh, 0 disagreements`);
});

test('the common cases take the fast path; refusals always reach coord', () => {
  const sB = layouts[0];
  const main = layouts[2];
  const write = (name, text) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
  };
  assert.equal(guardSays(sB, write('ok', '[sB] feat: x\n'), process.env), 0);
  assert.equal(guardSays(main, write('plain', 'feat: x\n'), process.env), 0);
  for (const [where, text] of [
    [sB, '[sA] test: wrong prefix\n'],
    [sB, 'no prefix\n'],
    [main, '[sA] x\n'],
    [main, 'fixup! [sA] x\n'],
  ]) {
    assert.equal(guardSays(where, write('refuse', text), process.env), 1, `${text} must reach coord`);
  }
});

test('the real bundle agrees on a sample of the table', () => {
  const env = { ...makeEnv(tmp) };
  const sample = [
    ['[sB] ok\n', 0, 0],
    ['[sA] no\n', 0, 1],
    ['x\n', 0, 1],
    ['feat: x\n', 2, 0],
    ['[sA] x\n', 2, 1],
    ['fixup! [sB] x\n', 0, 0],
    ['Revert "[sA] x"\n', 0, 0],
  ];
  for (const [text, at, expected] of sample) {
    const file = path.join(tmp, 'sample');
    fs.writeFileSync(file, text);
    const r = spawnSync(process.execPath, [bundle, 'check-prefix', file], { cwd: layouts[at], env, encoding: 'utf8' });
    assert.equal(r.status, expected, `${JSON.stringify(text)} in ${path.basename(layouts[at])}: ${r.stderr}`);
    assert.equal(coordSays(layouts[at], text, env) ? 0 : 1, expected);
    if (guardSays(layouts[at], file, env) === 0) assert.equal(expected, 0);
  }
});
