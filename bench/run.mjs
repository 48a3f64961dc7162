// npm run bench: coord's benchmark suite. Builds its fixtures in a temp dir, runs every
// case many times after a warm-up with its baseline interleaved (same run, rotating order),
// and prints medians, p90, ratios and git process counts, with the budgets next to them.
// Benchmarks inform: the exit code is 0 whatever the numbers (1 only when the suite itself
// could not run). Only node: built-ins.
//
//   node bench/run.mjs [--quick] [--json] [--markdown] [--keep] [--keep-node-env] [--only CASE,…] [--bundle PATH]
//
// The bundle measured is dist/coord.mjs, or with --bundle PATH that file (another commit's
// build, say: bench/compare.mjs builds two and runs this with each).
//
// Cases: see CASES in bench/cases.mjs and docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES } from './cases.mjs';
import { NODE_STARTUP_VARS, makeEnv, tempRoot } from './fixtures.mjs';
import { render } from './report.mjs';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `usage: node bench/run.mjs [--quick] [--json] [--markdown] [--keep] [--keep-node-env] [--only CASE,…] [--bundle PATH]
  --quick      fewer runs and smaller fixtures (a smoke test, about a minute)
  --json       print the results as one JSON document on stdout (the table goes to stderr)
  --markdown   print the table as markdown (for docs/benchmarks.md)
  --keep       keep the temp dir with the fixtures
  --keep-node-env  keep NODE_OPTIONS, NODE_EXTRA_CA_CERTS, … in the measured processes' env
               (dropped by default: they change node's start-up, the floor of every ratio)
  --only LIST  run only these cases (${CASES.map(([id]) => id).join(', ')})
  --bundle PATH  measure this coord bundle instead of dist/coord.mjs (e.g. one built from another commit)`;

function parseOptions(argv) {
  const o = { quick: false, json: false, markdown: false, keep: false, keepNodeEnv: false, only: null, bundle: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--markdown') o.markdown = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--keep-node-env') o.keepNodeEnv = true;
    else if (a === '--only' || a.startsWith('--only='))
      o.only = (a.includes('=') ? a.split('=')[1] : (argv[++i] ?? '')).split(',').filter(Boolean);
    else if (a === '--bundle' || a.startsWith('--bundle=')) {
      o.bundle = a.includes('=') ? a.slice(a.indexOf('=') + 1) : (argv[++i] ?? '');
      if (!o.bundle) {
        console.error(`bench: --bundle needs a path\n${USAGE}`);
        process.exit(2);
      }
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`bench: unknown option '${a}'\n${USAGE}`);
      process.exit(2);
    }
  }
  const known = new Set(CASES.map(([id]) => id));
  for (const id of o.only ?? [])
    if (!known.has(id)) {
      console.error(`bench: unknown case '${id}'\n${USAGE}`);
      process.exit(2);
    }
  return o;
}

/**
 * Runs and fixture sizes. Full: about 6 minutes on a busy 2-core VM, and at most about 10
 * however loaded (rounds stop at maxSeconds per case), plus about 6 for the contention case
 * (one run per cell, its pushes take seconds); quick: about a minute.
 */
function config(quick) {
  return quick
    ? {
        hooks: { warmup: 2, rounds: 10, maxSeconds: 10 },
        deno: { warmup: 2, rounds: 8, maxSeconds: 10 },
        startSmall: { warmup: 1, rounds: 3, maxSeconds: 10 },
        startBig: { warmup: 0, rounds: 2, maxSeconds: 10, minRounds: 2 },
        bigFiles: 2000,
        inbox: { warmup: 1, rounds: 4, maxSeconds: 10 },
        send: { warmup: 1, rounds: 4, maxSeconds: 10 },
        messages: 1000,
        sessions: 50,
        history: [500, 5000],
        contention: { writers: [4], delays: [0.2], layouts: ['one clone', 'clones'] },
      }
    : {
        hooks: { warmup: 5, rounds: 100, maxSeconds: 60 },
        deno: { warmup: 5, rounds: 80, maxSeconds: 60 },
        startSmall: { warmup: 2, rounds: 20, maxSeconds: 45 },
        startBig: { warmup: 1, rounds: 12, maxSeconds: 120, minRounds: 5 },
        bigFiles: 20000,
        inbox: { warmup: 3, rounds: 30, maxSeconds: 90 },
        send: { warmup: 3, rounds: 30, maxSeconds: 45 },
        messages: 10000,
        sessions: 50,
        history: [5000, 50000],
        contention: { writers: [12, 24], delays: [0.5, 1], layouts: ['one clone', 'clones'] },
      };
}

function firstLine(file, args) {
  const r = spawnSync(file, args, { encoding: 'utf8' });
  return r.error ? `(${path.basename(file)} not found)` : (r.stdout || r.stderr).split('\n')[0].trim();
}

function machine(denoBin) {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    deno: fs.existsSync(denoBin) ? firstLine(denoBin, ['--version']) : null,
    git: firstLine('git', ['--version']),
    date: new Date().toISOString(),
  };
}

// ---- main ------------------------------------------------------------------------------

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const log = (s) => process.stderr.write(`bench: ${s}\n`);
  const bundle = opts.bundle ? path.resolve(opts.bundle) : path.join(projectRoot, 'dist', 'coord.mjs');
  if (!fs.existsSync(bundle)) {
    console.error(
      opts.bundle ? `bench: --bundle ${opts.bundle}: no such file.` : 'bench: dist/coord.mjs is missing: run node build.mjs first.',
    );
    return 1;
  }
  if (opts.bundle) log(`bundle: ${bundle}`);
  const denoBin = path.join(projectRoot, 'node_modules', '.bin', 'deno');
  const root = tempRoot(opts.quick ? 'quick' : 'full');
  const cleanups = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const f of cleanups.reverse()) {
      try {
        await f();
      } catch {
        /* best effort */
      }
    }
    if (opts.keep) log(`fixtures kept in ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  };
  // Whatever happens (an error, Ctrl-C), the git daemon is stopped and the temp dir removed.
  const ctx = { aborted: false };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      ctx.aborted = true;
      log(`${sig}: stopping the git daemon and removing ${root}`);
      cleanup().finally(() => process.exit(130));
    });
  }
  try {
    const { env, dropped } = makeEnv(root, { keepNodeEnv: opts.keepNodeEnv });
    if (dropped.length) log(`dropped from the measured processes' env: ${dropped.join(', ')} (--keep-node-env keeps them)`);
    const coordCopy = path.join(root, 'coord.mjs');
    fs.copyFileSync(bundle, coordCopy);
    const traceDir = path.join(root, 'traces');
    fs.mkdirSync(traceDir);
    Object.assign(ctx, {
      root,
      env,
      bundle,
      coord: coordCopy,
      deno: denoBin,
      traceDir,
      cfg: config(opts.quick),
      log,
      shared: {},
      cleanups,
    });
    const report = {
      quick: opts.quick,
      machine: machine(denoBin),
      config: ctx.cfg,
      droppedEnv: dropped,
      keptNodeEnv: opts.keepNodeEnv ? NODE_STARTUP_VARS.filter((k) => process.env[k] !== undefined) : [],
      cases: [],
      seconds: 0,
    };
    for (const [id, fn] of CASES) {
      if (opts.only && !opts.only.includes(id)) continue;
      const t0 = Date.now();
      log(`${id} ...`);
      try {
        report.cases.push(await fn(ctx));
      } catch (e) {
        if (ctx.aborted) return 130;
        log(`${id} failed: ${e.stack ?? e.message}`);
        report.cases.push({
          id,
          title: id,
          setup: '',
          rows: [],
          budgets: [],
          notes: [],
          error: e.message.split('\n').slice(0, 4).join(' / '),
        });
      }
      log(`${id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    report.seconds = (Date.now() - started) / 1000;
    const text = render(report, opts.markdown);
    if (opts.json) {
      process.stderr.write(text + '\n');
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else {
      process.stdout.write(text + '\n');
    }
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`bench: ${e.stack ?? e.message}`);
    process.exitCode = 1;
  },
);
