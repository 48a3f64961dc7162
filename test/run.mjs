// npm test: every check, in order, stopping at the first failure with a line saying which
// and what to do. Stages: type-check; the committed bundle is a fresh build; unit and
// end-to-end tests under Node with line coverage of the bundle; end-to-end tests under Deno.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const COVERAGE_LINES = 85;
const DENO_MARK = '// deno: yes';

// Stages test the committed bundle under the runtime they name: nothing from the caller overrides that.
const baseEnv = { ...process.env };
for (const k of ['COORD_BUNDLE', 'COORD_RUNTIME', 'NODE_V8_COVERAGE']) delete baseEnv[k];

class StageFailure extends Error {}

/** Runs a program with the terminal's stdin; output is passed through and also returned. */
function run(file, args, { env = baseEnv, capture = false } = {}) {
  if (!fs.existsSync(file) && file.includes(path.sep)) throw new StageFailure(`${path.relative(root, file)} is missing: run npm ci first.`);
  if (!capture) {
    const r = spawnSync(file, args, { stdio: 'inherit', env });
    if (r.error) throw new StageFailure(`cannot run ${file}: ${r.error.message}`);
    return Promise.resolve({ code: r.status ?? 1, out: '' });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['inherit', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('error', (e) => reject(new StageFailure(`cannot run ${file}: ${e.message}`)));
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, out }));
  });
}

/** Test files matching dir/*.test.mjs, sorted; the shell glob of the README, without a shell. */
function testFiles(dir) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs)
    .filter((f) => f.endsWith('.test.mjs'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** How many tests failed, from the test runner's summary (spec or TAP), or null if none was printed. */
function failedTests(out) {
  const counts = [...out.matchAll(/^\s*(?:#|ℹ)\s+fail\s+(\d+)\s*$/gm)].map((m) => Number(m[1]));
  return counts.length ? counts.reduce((a, b) => a + b, 0) : null;
}

/** Source lines longer than this fail the format stage (prettier wraps code; long strings it cannot, so they are split by hand). */
const MAX_LINE = 140;
const FORMATTED = ['src', 'test', 'bench', 'build.mjs'];

/** Every .ts file under src/, relative to the root. */
function sourceFiles(dir = 'src') {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(rel) : e.name.endsWith('.ts') ? [rel] : [];
  });
}

const stages = [
  [
    `format: prettier --check ${FORMATTED.join(' ')}; src lines at most ${MAX_LINE} characters`,
    async () => {
      const { code } = await run(bin('prettier'), ['--check', '--log-level', 'warn', ...FORMATTED]);
      if (code !== 0) throw new StageFailure('files above are not formatted: run npm run format and commit the result.');
      const long = sourceFiles().flatMap((file) =>
        fs
          .readFileSync(path.join(root, file), 'utf8')
          .split('\n')
          .flatMap((line, i) => (line.length > MAX_LINE ? [`${file}:${i + 1} (${line.length})`] : [])),
      );
      if (long.length) throw new StageFailure(`source lines over ${MAX_LINE} characters: ${long.join(', ')}; split them.`);
    },
  ],
  [
    'type-check: tsc --noEmit -p .',
    async () => {
      const { code } = await run(bin('tsc'), ['--noEmit', '-p', '.']);
      if (code !== 0) throw new StageFailure('the TypeScript sources do not type-check (errors above).');
    },
  ],

  [
    'bundle: dist/coord.mjs is byte-identical to a fresh build',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coord-build-'));
      try {
        const fresh = path.join(dir, 'coord.mjs');
        const { code } = await run(process.execPath, ['build.mjs', fresh]);
        if (code !== 0) throw new StageFailure('node build.mjs failed (errors above).');
        for (const name of ['coord.mjs', 'coord.mjs.sha256']) {
          const committed = path.join(root, 'dist', name);
          const built = path.join(dir, name);
          if (!fs.existsSync(committed) || !fs.readFileSync(built).equals(fs.readFileSync(committed))) {
            throw new StageFailure(`dist/${name} is stale: run npm run build and commit it`);
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  ],

  [
    `tests under Node with coverage: c8 --check-coverage --lines ${COVERAGE_LINES} node --test`,
    async () => {
      const files = [...testFiles('test/unit'), ...testFiles('test/e2e')];
      if (!files.length) throw new StageFailure('no test files found under test/unit or test/e2e.');
      const { code, out } = await run(
        bin('c8'),
        [
          '--check-coverage',
          '--lines',
          String(COVERAGE_LINES),
          '--include',
          'dist/coord.mjs',
          '--reporter',
          'text-summary',
          process.execPath,
          '--test',
          '--test-concurrency=2',
          '--test-reporter=spec',
          ...files,
        ],
        { capture: true },
      );
      if (code === 0) return;
      const failed = failedTests(out);
      const coverage = /ERROR: Coverage for lines \(([\d.]+)%\)/.exec(out);
      if (failed) throw new StageFailure(`${failed} test(s) failed under Node (see above).`);
      if (coverage)
        throw new StageFailure(
          `all tests passed, but line coverage of dist/coord.mjs is ${coverage[1]}%, under the ${COVERAGE_LINES}% floor: add tests for the uncovered verbs.`,
        );
      throw new StageFailure(`the test run failed (exit ${code}); see above.`);
    },
  ],

  [
    'end-to-end tests under Deno: COORD_RUNTIME=deno node --test',
    async () => {
      if (!fs.existsSync(bin('deno'))) throw new StageFailure('node_modules/.bin/deno is missing: run npm ci first.');
      const marked = [...testFiles('test/unit'), ...testFiles('test/e2e')].filter((f) => {
        const first = fs.readFileSync(path.join(root, f), 'utf8').split('\n', 1)[0];
        return first.includes(DENO_MARK);
      });
      const files = [...new Set(['test/e2e/lifecycle.test.mjs', ...marked])];
      console.log(`deno-ready: ${files.join(' ')}`);
      const { code, out } = await run(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
        env: { ...baseEnv, COORD_RUNTIME: 'deno' },
        capture: true,
      });
      if (code !== 0) throw new StageFailure(`${failedTests(out) ?? 'some'} test(s) failed under Deno (see above).`);
    },
  ],
];

const started = Date.now();
for (const [i, [name, stage]] of stages.entries()) {
  const t0 = Date.now();
  console.log(`\n=== npm test ${i + 1}/${stages.length}: ${name}`);
  try {
    await stage();
  } catch (e) {
    if (!(e instanceof StageFailure)) throw e;
    console.error(`\nnpm test FAILED at stage ${i + 1}/${stages.length} (${name}):\n  ${e.message}`);
    process.exit(1);
  }
  console.log(`=== ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log(`\nnpm test: all ${stages.length} stages passed in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
