// Before and after, side by side in one run: builds the bundle of a commit and the bundle of
// the working tree into a temp dir, then runs bench/run.mjs (this checkout's suite, so both
// bundles meet the same cases and fixtures) with each, alternately BEFORE, AFTER, BEFORE,
// AFTER, and prints a markdown table of every coord row: each run's median ratio (the
// report's `ratio`, against the baseline of the same run) and its git process counts.
// Only node: built-ins.
//
//   node bench/compare.mjs <commit> [--quick] [--rounds N] [--only CASE,…] [--save DIR]
//
// The commit's tree comes from `git archive` (no worktree is registered), and is built with
// its own build.mjs by this checkout's esbuild (node_modules is linked into the tree). The
// temp dir is removed at the end, on failure and on Ctrl-C too.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES } from './cases.mjs';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `usage: node bench/compare.mjs <commit> [--quick] [--rounds N] [--only CASE,…] [--save DIR]
  <commit>     BEFORE: any commit git can name; AFTER is the working tree (uncommitted changes included)
  --quick      pass --quick to every run (small fixtures, few runs)
  --rounds N   rounds of BEFORE then AFTER (default 2)
  --only LIST  pass --only to every run (${CASES.map(([id]) => id).join(', ')})
  --save DIR   also write each run's JSON report to DIR (round-1-before.json, …)`;

/** Rows compared: the ones that run coord (directly, under Deno, through lefthook or a commit). */
const VERB_PREFIXES = ['coord ', 'deno: coord', 'lefthook', 'git commit'];

function fail(msg, code = 2) {
  console.error(`compare: ${msg}`);
  process.exit(code);
}

function parseOptions(argv) {
  const o = { commit: null, quick: false, rounds: 2, only: null, save: null };
  const value = (a, i) => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--rounds' || a.startsWith('--rounds=')) {
      const v = value(a, i);
      if (!a.includes('=')) i++;
      o.rounds = Number(v);
      if (!Number.isInteger(o.rounds) || o.rounds < 1) fail(`--rounds needs a whole number ≥ 1, not '${v}'\n${USAGE}`);
    } else if (a === '--only' || a.startsWith('--only=')) {
      const v = value(a, i);
      if (!a.includes('=')) i++;
      o.only = (v ?? '').split(',').filter(Boolean);
    } else if (a === '--save' || a.startsWith('--save=')) {
      o.save = value(a, i);
      if (!a.includes('=')) i++;
      if (!o.save) fail(`--save needs a directory\n${USAGE}`);
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('-')) fail(`unknown option '${a}'\n${USAGE}`);
    else if (o.commit) fail(`one commit only ('${o.commit}', then '${a}')\n${USAGE}`);
    else o.commit = a;
  }
  if (!o.commit) fail(`which commit is BEFORE?\n${USAGE}`);
  const known = new Set(CASES.map(([id]) => id));
  if (o.only?.length === 0) fail(`--only needs a list of cases\n${USAGE}`);
  for (const id of o.only ?? []) if (!known.has(id)) fail(`unknown case '${id}'\n${USAGE}`);
  return o;
}

const log = (s) => process.stderr.write(`compare: ${s}\n`);

/** Runs a command to its end; its output is returned, a failure throws with its stderr. */
function run(file, args, opts = {}) {
  const r = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, ...opts });
  if (r.error) throw new Error(`${file} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || '').trim()}`);
  return r.stdout;
}

const git = (...args) => run('git', args, { cwd: projectRoot }).trim();

const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

/** Builds `tree` (a checkout of coord) with its build.mjs into `out`, with this checkout's esbuild. */
function buildBundle(tree, out) {
  run(process.execPath, ['build.mjs', out], { cwd: tree });
  if (!fs.existsSync(out)) throw new Error(`${tree}: build.mjs wrote no ${out} (does it take the output path as its argument?)`);
  return out;
}

/** The running bench child, so that a signal can stop it before the temp dir goes. */
let child = null;

/** One bench/run.mjs with `bundle`; resolves to its JSON report (its table goes to our stderr). */
function bench(bundle, opts) {
  const args = [path.join(projectRoot, 'bench', 'run.mjs'), '--json', '--bundle', bundle];
  if (opts.quick) args.push('--quick');
  if (opts.only) args.push('--only', opts.only.join(','));
  return new Promise((resolve, reject) => {
    const chunks = [];
    // Its own process group: a Ctrl-C reaches it once, forwarded by our handler (a second would cut its clean-up short).
    child = spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    child.stdout.on('data', (c) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      child = null;
      const text = Buffer.concat(chunks).toString('utf8');
      if (code !== 0) return reject(new Error(`bench/run.mjs --bundle ${bundle} exited ${code ?? signal}`));
      try {
        resolve({ text, report: JSON.parse(text) });
      } catch (e) {
        reject(new Error(`bench/run.mjs printed no JSON report: ${e.message}`));
      }
    });
  });
}

// ---- the table ---------------------------------------------------------------------------

const fmtRatio = (r) => (r == null ? '—' : `${r.toFixed(2)}×`);

function cell(row) {
  if (!row) return 'absent';
  if (row.failed) return 'FAILED';
  if (row.baseline && row.ratio == null) return 'baseline';
  return fmtRatio(row.ratio);
}

const gitCell = (row) => (!row ? 'absent' : row.git ? `${row.git.top} / ${row.git.all}` : '?');

/** The distinct values in order, one when all runs agree. */
const distinct = (xs) => [...new Set(xs)].join(', ');

const esc = (s) => String(s ?? '').replace(/\|/g, '\\|');
const mdRow = (cells) => `| ${cells.map(esc).join(' | ')} |`;

/**
 * AFTER slower than BEFORE in every round by more than the spread of the BEFORE rounds
 * (max − min of their ratios): a slowdown the noise between two BEFORE runs does not explain.
 */
function slower(before, after) {
  const b = before.map((r) => r?.ratio);
  const a = after.map((r) => r?.ratio);
  if ([...a, ...b].some((x) => x == null) || b.length < 2) return null;
  const spread = Math.max(...b) - Math.min(...b);
  return a.every((x, i) => x - b[i] > spread) ? { spread, by: a.map((x, i) => x - b[i]) } : false;
}

function table(runs, rounds, labels) {
  // Rows in the order of the first report, keyed by case and label (labels repeat across cases).
  const keys = [];
  const seen = new Set();
  const caseTitle = new Map();
  for (const { report } of runs)
    for (const c of report.cases) {
      caseTitle.set(c.id, c.title);
      for (const r of c.rows ?? []) {
        const key = `${c.id}\u0000${r.label}`;
        if (typeof r.label !== 'string' || !VERB_PREFIXES.some((p) => r.label.startsWith(p)) || seen.has(key)) continue;
        seen.add(key);
        keys.push([c.id, r.label]);
      }
    }
  const rowOf = (run, id, label) => run.report.cases.find((c) => c.id === id)?.rows?.find((r) => r.label === label);
  const side = (name) => runs.filter((r) => r.side === name);
  const B = side('before');
  const A = side('after');
  const roundsLabel = Array.from({ length: rounds }, (_, i) => `r${i + 1}`).join(' / ');
  const head = [
    'case',
    'variant',
    'ratio against',
    `BEFORE ${labels.before} (${roundsLabel})`,
    `AFTER, working tree (${roundsLabel})`,
    'git BEFORE (direct / all)',
    'git AFTER (direct / all)',
    'AFTER slower?',
  ];
  const out = [mdRow(head), `|${head.map(() => '---').join('|')}|`];
  const flagged = [];
  for (const [id, label] of keys) {
    const b = B.map((r) => rowOf(r, id, label));
    const a = A.map((r) => rowOf(r, id, label));
    const against = distinct([...b, ...a].filter(Boolean).map((r) => r.ratioTo ?? (r.baseline ? '—' : '')));
    const s = slower(b, a);
    const verdict = s == null ? '' : s ? `YES: +${s.by.map((x) => x.toFixed(2)).join(' / +')} > spread ${s.spread.toFixed(2)}` : 'no';
    if (s)
      flagged.push(
        `${label} (${id}): AFTER − BEFORE by round ${s.by.map((x) => `+${x.toFixed(2)}`).join(', ')}, BEFORE spread ${s.spread.toFixed(2)}`,
      );
    out.push(
      mdRow([
        id,
        label,
        against,
        b.map(cell).join(' / '),
        a.map(cell).join(' / '),
        distinct(b.map(gitCell)),
        distinct(a.map(gitCell)),
        verdict,
      ]),
    );
  }
  // Bundle size when the bundle case ran: not a verb, but the other thing a refactor changes.
  const size = (run) => rowOf(run, 'bundle', 'dist/coord.mjs');
  if (runs.some(size))
    out.push(
      mdRow([
        'bundle',
        'bundle size (KiB, gzip -9)',
        '',
        distinct(B.map((r) => (size(r) ? `${size(r).kib.toFixed(1)} (${size(r).gzipKib.toFixed(1)})` : 'absent'))),
        distinct(A.map((r) => (size(r) ? `${size(r).kib.toFixed(1)} (${size(r).gzipKib.toFixed(1)})` : 'absent'))),
        '',
        '',
        '',
      ]),
    );
  const errors = runs.flatMap((r) => r.report.cases.filter((c) => c.error).map((c) => `${r.name}: ${c.id} failed: ${c.error}`));
  return { text: out.join('\n'), flagged, errors, caseTitle };
}

// ---- main --------------------------------------------------------------------------------

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  const sha = git('rev-parse', '--verify', `${opts.commit}^{commit}`);
  const short = sha.slice(0, 7);
  const head = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  const labels = { before: short, after: `working tree (${head}${dirty ? ' + uncommitted changes' : ''})` };

  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'coord-compare-')));
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      log(`${sig}: stopping the run and removing ${tmp}`);
      const done = () => {
        cleanup();
        process.exit(130);
      };
      // The bench child removes its own fixtures when signalled; wait for it (not forever).
      if (child) {
        child.once('close', done);
        child.kill(sig);
        setTimeout(done, 30_000).unref();
      } else done();
    });
  }
  try {
    // BEFORE: the commit's tree, without touching this repository's worktrees or index.
    const tree = path.join(tmp, 'before');
    fs.mkdirSync(tree);
    const tar = path.join(tmp, 'before.tar');
    run('git', ['archive', '--format=tar', '-o', tar, sha], { cwd: projectRoot });
    run('tar', ['-xf', tar, '-C', tree]);
    fs.rmSync(tar);
    // ESM ignores NODE_PATH: build.mjs's `import 'esbuild'` finds this checkout's through the link.
    fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    log(`building ${short} (BEFORE) ...`);
    const bundles = {
      before: buildBundle(tree, path.join(tmp, `coord-${short}.mjs`)),
    };
    log(`building the working tree (AFTER) ...`);
    bundles.after = buildBundle(projectRoot, path.join(tmp, 'coord-after.mjs'));
    const distCopy = path.join(projectRoot, 'dist', 'coord.mjs');
    const sameAsDist = fs.existsSync(distCopy) && fs.readFileSync(distCopy).equals(fs.readFileSync(bundles.after));

    if (opts.save) fs.mkdirSync(opts.save, { recursive: true });
    const runs = [];
    const started = new Date();
    for (let round = 1; round <= opts.rounds; round++)
      for (const side of ['before', 'after']) {
        const name = `round ${round} ${side.toUpperCase()}`;
        const load0 = loadavg();
        const t0 = Date.now();
        log(`${name} (${labels[side]}), load average ${load0} ...`);
        const { text, report } = await bench(bundles[side], opts);
        const seconds = (Date.now() - t0) / 1000;
        const load1 = loadavg();
        log(`${name} done in ${seconds.toFixed(0)} s, load average ${load1}`);
        runs.push({ side, round, name, report, seconds, load0, load1 });
        if (opts.save) fs.writeFileSync(path.join(opts.save, `round-${round}-${side}.json`), text);
      }

    const { text, flagged, errors } = table(runs, opts.rounds, labels);
    const m = runs[0].report.machine;
    const lines = [
      `- coord before and after: BEFORE ${short} (\`git archive\`, built by its build.mjs), AFTER ${labels.after}` +
        `${sameAsDist ? ', identical to dist/coord.mjs' : ', differs from dist/coord.mjs'}`,
      `- ${opts.quick ? 'QUICK runs (small fixtures, few runs)' : 'full runs'}${opts.only ? `, cases ${opts.only.join(', ')}` : ', all cases'}; ` +
        `${opts.rounds} round${opts.rounds > 1 ? 's' : ''} of BEFORE then AFTER, started ${started.toISOString()}`,
      `- machine: ${m.nproc} cores, ${m.cpu}, ${m.memGiB} GiB, ${m.os}; node ${m.node}, ${m.deno ?? 'no deno'}, ${m.git}`,
      `- runs (load average 1 / 5 / 15 min at start → end): ${runs
        .map((r) => `${r.name} ${r.seconds.toFixed(0)} s, ${r.load0} → ${r.load1}`)
        .join('; ')}`,
      `- cells: the median's ratio against the row's baseline measured in the same run, one per round; ` +
        `"AFTER slower?" is YES when AFTER − BEFORE exceeds the spread of the BEFORE rounds (max − min) in every round`,
      '',
      text,
      '',
      flagged.length
        ? `AFTER slower than BEFORE beyond the BEFORE spread in every round:\n${flagged.map((f) => `- ${f}`).join('\n')}`
        : 'No row where AFTER is slower than BEFORE beyond the BEFORE spread in every round.',
    ];
    if (errors.length) lines.push('', 'Case errors:', ...errors.map((e) => `- ${e}`));
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`compare: ${e.stack ?? e.message}`);
    process.exitCode = 1;
  },
);
