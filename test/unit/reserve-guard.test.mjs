// Reservations as rules (src/protocol/reservations.ts): path patterns, when two meet, the
// table's parse and render, when a reservation counts; and the pre-commit fast path (a POSIX
// sh script generated from the same module) against coord's own verdict: whenever the script
// says "passes" (exit 0), coord passes too, over generated guard caches × worktree layouts ×
// clocks, with the script run by a real sh and a real bundle on a sample.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundle, makeEnv, mulberry32, onboardedScratch } from '../helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'coord-reserve-')));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const entry = path.join(tmp, 'entry.ts');
fs.writeFileSync(
  entry,
  `export * from ${JSON.stringify(path.join(here, '../../src/protocol/reservations.ts'))};\n` +
    `export { parseBoard, emptyBoardText } from ${JSON.stringify(path.join(here, '../../src/protocol/board.ts'))};\n` +
    `export { findWorktree, hookSession } from ${JSON.stringify(path.join(here, '../../src/worktree.ts'))};\n`,
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

const table = (name, rows, fn) => {
  for (const [input, expected] of rows)
    test(`${name}(${JSON.stringify(input)}) → ${JSON.stringify(expected)}`, () => assert.deepEqual(fn(input), expected));
};

// ---- patterns ----------------------------------------------------------------------------
table(
  'reservationPattern',
  [
    [['src/api.ts'], 'src/api.ts'],
    [['./src//api/'], 'src/api/'],
    [['api.ts', 'src'], 'src/api.ts'],
    [['../README.md', 'src'], 'README.md'],
    [['src/**/*.ts'], 'src/**/*.ts'],
    [['.', 'src'], 'src/'],
  ],
  ([p, prefix]) => R.reservationPattern(p, prefix),
);
for (const bad of ['', '/etc/passwd', '../x', 'a`b', 'a|b', 'a\\b', 'a\nb', '.']) {
  test(`reservationPattern refuses ${JSON.stringify(bad)} as a usage error`, () =>
    assert.throws(
      () => R.reservationPattern(bad),
      (e) => e.exitCode === 2,
    ));
}
// Issue 22: a pattern that covers every file is the whole repository, refused as ./ is.
for (const all of ['**', '**/', '**/*', '**/**', '*/', '*/**', '**/*/', './**', 'src/../**', '**/**/*']) {
  test(`reservationPattern refuses ${JSON.stringify(all)}: it is the whole repository`, () =>
    assert.throws(
      () => R.reservationPattern(all),
      (e) => e.exitCode === 2 && /is the whole repository: reserve the files or folders you will change/.test(e.message),
    ));
}
table(
  'reservationPattern keeps globs that leave files out',
  [
    [['*'], '*'],
    [['*.ts'], '*.ts'],
    [['**/*.ts'], '**/*.ts'],
    [['*/*'], '*/*'],
    [['**', 'src'], 'src/**'],
    [['*/', 'src'], 'src/*/'],
  ],
  ([p, prefix]) => R.reservationPattern(p, prefix),
);
test('patterns: every pattern refused as the whole repository covers every file drawn (random check)', () => {
  const rnd = mulberry32(22);
  const parts = ['*', '**', '***', '*', '**', 'a', '?', '*.ts'];
  const names = ['a', 'b', 'ab', 'x.ts', 'README.md', '.env'];
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  let refused = 0;
  let kept = 0;
  for (let i = 0; i < 4000; i++) {
    const p = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(parts)).join('/') + (rnd() < 0.3 ? '/' : '');
    let whole = false;
    try {
      R.reservationPattern(p);
    } catch (e) {
      whole = /whole repository/.test(e.message);
    }
    const files = Array.from({ length: 30 }, () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(names)).join('/'));
    if (whole) {
      refused++;
      for (const f of files) assert.ok(R.patternCovers(p, f), `${p} was refused as the whole repository but leaves ${f} out`);
    } else kept++;
  }
  assert.ok(refused > 100 && kept > 100, `${refused} refused, ${kept} kept`);
});
table(
  'reservationLength (ms) of --for',
  [
    ['90s', 90e3],
    ['2h', 2 * 3600e3],
    ['365d', 365 * 86400e3],
    ['52w', 52 * 604800e3],
  ],
  (t) => R.reservationLength(t),
);
for (const [bad, why] of [
  ['99999999999999d', /is longer than coord accepts \(365d\): reserve for 365d or less/],
  ['366d', /is longer than coord accepts \(365d\)/],
  ['53w', /is longer than coord accepts \(365d\)/],
  ['0.5s', /is not a duration/],
  ['soon', /is not a duration/],
]) {
  test(`reservationLength refuses --for ${bad} as a usage error`, () =>
    assert.throws(
      () => R.reservationLength(bad),
      (e) => e.exitCode === 2 && why.test(e.message),
    ));
}
test('the longest reservation ends on a time coord reads back (its Until counts)', () => {
  const end = Date.parse('2026-11-26T10:00:00Z') + R.reservationLength(R.MAX_RESERVATION);
  const until = R.untilStamp(end, (ms) => new Date(Math.floor(ms / 60e3) * 60e3).toISOString().slice(0, 16) + 'Z');
  assert.equal(R.untilMs(until), end);
});
test('a reservation without a note reads back with no note: the table’s dash is never shown as one', () => {
  const text = R.withReservations(null, [res('src/a.ts', 'sB', '2026-11-26T12:00Z')], () => false);
  assert.match(text, /\| `src\/a\.ts` \| sB \| 2026-11-26T12:00Z \| — \|\n$/);
  const [{ res: back }] = R.parseReservations(text).rows;
  assert.equal(back.note, '');
  const board = R.parseBoard(R.emptyBoardText() + '| sB · Nora | (Riff TBD) | lane | 2026-11-26T09:00Z | 2026-11-26T09:00Z · | x |\n');
  const held = R.inForce(R.parseReservations(text), board, 86400e3, Date.parse('2026-11-26T10:00:00Z'));
  assert.throws(
    () => R.refuseClash(held, 'sA', 'src/a.ts', () => ''),
    (e) => /until 2026-11-26T12:00Z\. Ask them/.test(e.message) && !e.message.includes('—'),
  );
  const cache = R.parseGuardCache(
    R.renderGuardCache(
      'a'.repeat(40),
      held.map((h) => ({ ...h, ends: Math.floor(h.ends / 1e3) })),
    ),
  );
  assert.equal(cache.held[0].note, '');
});

table(
  'patternCovers',
  [
    [['src/api.ts', 'src/api.ts'], true],
    [['src/api.ts', 'src/api.tsx'], false],
    [['src/api/', 'src/api/x/y.ts'], true],
    [['src/api/', 'src/apiary.ts'], false],
    [['src/*.ts', 'src/a.ts'], true],
    [['src/*.ts', 'src/a/b.ts'], false],
    [['src/**/*.ts', 'src/a.ts'], true],
    [['src/**/*.ts', 'src/a/b/c.ts'], true],
    [['**/README.md', 'docs/README.md'], true],
    [['src/?.ts', 'src/ab.ts'], false],
    [['src/?.ts', 'src/a.ts'], true],
    [['src/a*b', 'src/a*b'], true],
    [['src/*', 'src/a*b'], true],
  ],
  ([p, f]) => R.patternCovers(p, f),
);
// Every pair is asked both ways round, [a meets b, b meets a]: a meeting pair must say so in
// both directions, and a pair that cannot meet must say so in both too (a false positive one
// way round would refuse a reservation that clashes with nothing).
const bothWays = ([a, b]) => [R.patternsMeet(a, b), R.patternsMeet(b, a)];
table(
  'patternsMeet, pairs that meet',
  [
    ['src/api/', 'src/api/*.ts'],
    ['src/*.ts', 'src/a.*'],
    ['src/**', 'src/a/b/c'],
    ['a/**/z', 'a/b/**'],
    ['*.md', 'README.md'],
    ['src/a?.ts', 'src/*b.ts'],
    ['x/', 'x/'],
    ['src/', 'src/a/b.ts'],
    ['**/x.ts', 'src/*/x.ts'],
  ].map((pair) => [pair, [true, true]]),
  bothWays,
);
table(
  'patternsMeet, pairs that do not meet',
  [
    ['src/*.ts', 'docs/*.md'],
    ['src/a.ts', 'src/b.ts'],
    ['src/', 'docs/'],
    ['a/**/x.ts', 'b/**/x.ts'],
    ['*.md', '*.ts'],
    ['a/*/c', 'a/b/d'],
    ['src/a?.ts', 'src/*bc.ts'],
    ['x/', 'y/'],
    ['src/api/', 'src/apiary.ts'],
    ['**/x.ts', '**/y.ts'],
    ['src/?.ts', 'src/ab.ts'],
    ['src/a/', 'src/a.ts'],
  ].map((pair) => [pair, [false, false]]),
  bothWays,
);

test('patterns: whenever a file falls under two patterns, they meet (random check)', () => {
  const rnd = mulberry32(14);
  const parts = ['a', 'b', 'ab', 'x.ts', '*', '?', '**', '*.ts', 'a*'];
  const names = ['a', 'b', 'ab', 'x.ts', 'y.ts', 'aa'];
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const pattern = () => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(parts)).join('/') + (rnd() < 0.2 ? '/' : '');
  let both = 0;
  for (let i = 0; i < 12000; i++) {
    const a = pattern();
    const b = pattern();
    const file = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(names)).join('/');
    if (R.patternCovers(a, file) && R.patternCovers(b, file)) {
      both++;
      assert.ok(R.patternsMeet(a, b), `${a} and ${b} both cover ${file}`);
    }
  }
  assert.ok(both > 100, `only ${both} shared files drawn`);
});

test('patterns: patternsMeet gives the same answer both ways round (random check)', () => {
  const rnd = mulberry32(15);
  const parts = ['a', 'b', 'ab', 'x.ts', 'x.md', '*', '?', '**', '*.ts', 'a*', '?b'];
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const pattern = () => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(parts)).join('/') + (rnd() < 0.2 ? '/' : '');
  const seen = { true: 0, false: 0 };
  for (let i = 0; i < 12000; i++) {
    const a = pattern();
    const b = pattern();
    const ab = R.patternsMeet(a, b);
    assert.equal(R.patternsMeet(b, a), ab, `${a} meets ${b} is ${ab}, but ${b} meets ${a} is not`);
    seen[ab]++;
  }
  assert.ok(seen.true > 100 && seen.false > 100, `too few of one answer drawn: ${JSON.stringify(seen)}`);
});

// ---- the table ---------------------------------------------------------------------------
const res = (path, session, until = '2026-11-26T12:00Z', note = '') => ({ path, session, until, note });
test('withReservations adds after the last row, drops only what it is told, keeps every other byte', () => {
  const first = R.withReservations(null, [res('src/api/', 'sA', '2026-11-26T12:00Z', 'a | b')], () => false);
  assert.match(first, /^# Reservations\n/);
  assert.match(first, /\n\| `src\/api\/` \| sA \| 2026-11-26T12:00Z \| a \\\| b \|\n$/);
  const hand = first.replace('# Reservations\n', '# Reservations\n\nA note of ours.\n');
  const second = R.withReservations(hand, [res('b.md', 'sB', '2026-11-26T12:00:30Z')], () => false);
  assert.ok(second.startsWith(hand), 'the existing text stays as it was');
  assert.deepEqual(
    R.parseReservations(second).rows.map((r) => r.res),
    [res('src/api/', 'sA', '2026-11-26T12:00Z', 'a | b'), res('b.md', 'sB', '2026-11-26T12:00:30Z', '')],
  );
  assert.equal(
    R.withReservations(second, [], (r) => r.session === 'sB'),
    hand,
  );
});
test('parseReservations reports rows it cannot count', () => {
  const text =
    R.withReservations(null, [], () => false) + '| `a` | sA | soon | x |\n| `../a` | sA | 2026-11-26T12:00Z | x |\n| `a` | sA | x |\n';
  const t = R.parseReservations(text);
  assert.equal(t.rows.length, 0);
  assert.deepEqual(
    t.problems.map((p) => p.line),
    [9, 10, 11],
  );
});

const T = Date.parse('2026-11-26T10:00:00Z');
const boardWith = (...rows) => R.parseBoard(R.emptyBoardText() + rows.join('\n') + '\n');
const row = (id, presence, scope = 'x') => `| ${id} · N${id} | (Riff TBD) | lane | ${presence} | ${presence} · | ${scope} |`;
table(
  'countsUntil (ms after T)',
  [
    [[res('a', 'sA', '2026-11-26T12:00Z'), row('sA', '2026-11-26T09:00Z')], 2 * 3600e3],
    [[res('a', 'sA', '2026-11-28T12:00Z'), row('sA', '2026-11-26T09:00Z')], 23 * 3600e3], // cut where sA turns stale
    [[res('a', 'sA', '2026-11-28T12:00Z'), row('sA', '2026-11-24T09:00Z', 'paused — resuming Monday')], 2 * 86400e3 + 2 * 3600e3],
    [[res('a', 'sB', '2026-11-26T12:00Z'), row('sA', '2026-11-26T09:00Z')], null], // off the board
    [[res('a', 'sA', '2026-11-26T10:00:30Z'), row('sA', '2026-11-26T09:00Z')], 30e3],
  ],
  ([r, line]) => {
    const v = R.countsUntil(r, boardWith(line), 86400e3);
    return v === null ? null : v - T;
  },
);

// ---- the guard's fast path against coord's verdict ---------------------------------------
const repo = onboardedScratch(tmp);
const script = path.join(repo, 'infrastructure/scripts/coord-reserved-guard.sh');
test('init writes the script the rule module renders, and the pre-commit job runs it first', () => {
  assert.equal(fs.readFileSync(script, 'utf8'), R.reservedGuardScript());
  assert.match(
    fs.readFileSync(path.join(repo, 'lefthook.yml'), 'utf8'),
    /pre-commit:\n  commands:\n    coord-check-reserved:\n      run: sh infrastructure\/scripts\/coord-reserved-guard\.sh \|\| node infrastructure\/scripts\/coord\.mjs check-reserved\n/,
  );
});
const dash = spawnSync('sh', ['-n', script]);
test('the script is valid POSIX sh (dash -n where dash exists)', () => {
  assert.equal(dash.status, 0);
  const d = spawnSync('dash', ['-n', script]);
  if (!d.error) assert.equal(d.status, 0, d.stderr?.toString());
});

/** A worktree layout with its common dir (where the cache lives): linked (`.git` file + commondir) or not. */
function layout(name, head, { linked = true, relativeCommon = true } = {}) {
  const wt = path.join(tmp, 'wt', name);
  const common = path.join(tmp, 'common', name);
  const gitDir = linked ? path.join(common, 'worktrees', name) : path.join(wt, '.git');
  fs.mkdirSync(wt, { recursive: true });
  fs.mkdirSync(gitDir, { recursive: true });
  fs.mkdirSync(path.join(common, 'coord'), { recursive: true });
  if (linked) {
    fs.writeFileSync(path.join(wt, '.git'), `gitdir: ${gitDir}\n`);
    fs.writeFileSync(path.join(gitDir, 'commondir'), relativeCommon ? '../..\n' : `${common}\n`);
  }
  fs.writeFileSync(path.join(gitDir, 'HEAD'), head + '\n');
  return { wt, cacheDir: linked ? path.join(common, 'coord') : path.join(gitDir, 'coord'), name };
}
const layouts = [
  layout('sB', 'ref: refs/heads/session-sB'),
  layout('sAB', 'ref: refs/heads/session-sAB', { relativeCommon: false }),
  layout('main', 'ref: refs/heads/main', { linked: false }),
  layout('detached', '0123456789abcdef0123456789abcdef01234567', { linked: false }),
  layout('odd', 'ref: refs/heads/session-bogus'),
  layout('reftable', 'ref: refs/heads/.invalid'),
];
for (const l of layouts) fs.mkdirSync(l.cacheDir, { recursive: true });

const NOW = 1_800_000_000;
// `date` as the script sees it: a fixed clock, so sh and coord judge the same moment.
const bin = path.join(tmp, 'bin');
fs.mkdirSync(bin);
fs.writeFileSync(path.join(bin, 'date'), `#!/bin/sh\necho ${NOW}\n`, { mode: 0o755 });

function* caches() {
  const rnd = mulberry32(7);
  const who = ['sA', 'sB', 'sAB', 'sZ', 'sb', 'xx', '#sA', ''];
  const ends = [String(NOW + 3600), String(NOW - 1), String(NOW), String(NOW + 1), '', 'soon', '99999999999999', '-5', '0'];
  const paths = ['src/a.ts', 'src/', 'src/*.ts', 'docs/**', 'a b.txt'];
  const line = () => {
    const w = who[Math.floor(rnd() * who.length)];
    const e = ends[Math.floor(rnd() * ends.length)];
    const p = paths[Math.floor(rnd() * paths.length)];
    const shape = rnd();
    if (shape < 0.75) return `${w} ${e} ${p}\t2026-11-26T12:00Z\tnote`;
    if (shape < 0.85) return `${w} ${e} ${p}`; // fields missing
    if (shape < 0.9) return `  ${w} ${e} ${p}\t\t`;
    if (shape < 0.95) return '';
    return '# a comment';
  };
  yield null; // no cache at all
  yield 'sha abc\n';
  for (let i = 0; i < 260; i++) {
    const n = Math.floor(rnd() * 4);
    const lines = ['# coord: header', 'sha 0123', ...Array.from({ length: n }, line)];
    yield lines.join(rnd() < 0.1 ? '\r\n' : '\n') + (rnd() < 0.8 ? '\n' : '');
  }
}

/** What check-reserved decides, from the same rule module (override, session, cache, verdict). */
function coordPasses(l, cache, env, staged) {
  if (env.COORD_RESERVED_OK) return true;
  const prev = process.env.COORD_SESSION;
  if (env.COORD_SESSION) process.env.COORD_SESSION = env.COORD_SESSION;
  else delete process.env.COORD_SESSION;
  try {
    const me = R.hookSession(R.findWorktree(l.wt));
    if (!me || cache === null) return true;
    return R.guardVerdict(R.parseGuardCache(cache).held, me, staged, NOW).ok;
  } finally {
    if (prev === undefined) delete process.env.COORD_SESSION;
    else process.env.COORD_SESSION = prev;
  }
}

test('the sh fast path never passes a commit that coord refuses, and decides the clean cases itself', () => {
  const base = { PATH: `${bin}:${process.env.PATH}` };
  const staged = ['src/a.ts', 'src/b/c.ts', 'docs/x/y.md', 'a b.txt', 'other.txt'];
  let cases = 0;
  let fast = 0;
  let clean = 0;
  let cleanFast = 0;
  const disagreements = [];
  for (const cache of caches()) {
    for (const l of layouts) {
      const file = path.join(l.cacheDir, 'reservations');
      if (cache === null) fs.rmSync(file, { force: true });
      else fs.writeFileSync(file, cache);
      for (const env of [base, { ...base, COORD_SESSION: 'sA' }, { ...base, COORD_RESERVED_OK: '1' }]) {
        cases++;
        const r = spawnSync('sh', [script], { cwd: l.wt, env, encoding: 'utf8' });
        assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
        const passes = coordPasses(l, cache, env, staged);
        if (r.status === 0) {
          fast++;
          if (!passes) disagreements.push(`${l.name} ${JSON.stringify(cache)} ${JSON.stringify(env)}`);
        }
        // A well-formed cache with nothing foreign in force, in a session worktree: sh must answer it alone.
        const parsed = cache === null ? null : R.parseGuardCache(cache);
        const wellFormed = parsed && parsed.unsure.length === 0 && !cache.includes('\r');
        const me = l.name === 'sB' ? 'sB' : l.name === 'sAB' ? 'sAB' : null;
        if (me && wellFormed && !env.COORD_SESSION && !parsed.held.some((h) => h.session !== me && h.ends > NOW)) {
          clean++;
          if (r.status === 0) cleanFast++;
        }
      }
    }
  }
  assert.deepEqual(disagreements.slice(0, 5), [], `${disagreements.length} cases where the fast path passes what coord refuses`);
  assert.ok(cases > 4000, `only ${cases} cases`);
  assert.ok(clean > 100, `only ${clean} clean cases generated`);
  assert.equal(cleanFast, clean, 'every clean case is decided by sh alone');
  console.log(`reservation guard: ${cases} cases, ${fast} decided by sh, 0 disagreements`);
});

test('the real bundle agrees on a sample: a real worktree, a staged file, a cache a day either side of now', () => {
  const env = makeEnv(tmp);
  const main = path.join(tmp, 'real');
  const git = (cwd, args) => {
    const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  git(tmp, ['init', '-q', '-b', 'main', main]);
  git(main, ['commit', '-q', '--allow-empty', '-m', 'init']);
  const wt = path.join(tmp, 'real-sB');
  git(main, ['worktree', 'add', '-q', '-b', 'session-sB', wt]);
  fs.mkdirSync(path.join(wt, 'src'));
  fs.writeFileSync(path.join(wt, 'src/a.ts'), 'x\n');
  git(wt, ['add', 'src/a.ts']);
  fs.mkdirSync(path.join(main, '.git/coord'), { recursive: true });
  const now = Math.floor(Date.now() / 1e3);
  for (const [lines, expected] of [
    [[`sA ${now + 86400} src/\t2026-11-26T12:00Z\tmoving`], 1],
    [[`sA ${now - 86400} src/\t2026-11-26T12:00Z\t`], 0],
    [[`sB ${now + 86400} src/\t2026-11-26T12:00Z\t`], 0],
    [[`sA ${now + 86400} docs/\t2026-11-26T12:00Z\t`], 0],
  ]) {
    const cache = R.renderGuardCache('abc', []) + lines.join('\n') + '\n';
    fs.writeFileSync(path.join(main, '.git/coord/reservations'), cache);
    const r = spawnSync(process.execPath, [bundle, 'check-reserved'], { cwd: wt, env, encoding: 'utf8' });
    assert.equal(r.status, expected, `${lines}: ${r.stderr}`);
    if (expected === 1) assert.match(r.stderr, /src\/a\.ts — reserved by sA \(src\/\) until 2026-11-26T12:00Z: «moving»/);
    const sh = spawnSync('sh', [script], { cwd: wt, env, encoding: 'utf8' });
    if (sh.status === 0) assert.equal(expected, 0);
  }
});
