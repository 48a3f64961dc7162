// The benchmark suite still runs: `node bench/run.mjs --quick --json` gives every case with
// numbers in it. No timing thresholds here (machines are noisy; budgets are read from the
// table, see docs/benchmarks.md), only that each case measured something. Nor a time limit
// on the run: a loaded or slow machine only takes longer, so the bench is never killed and
// the test's own timeout (45 minutes, inside CI's 90) is there to catch a real hang only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CASES = [
  'check-prefix',
  'check-reserved',
  'heartbeat',
  'start',
  'inbox-status',
  'archive',
  'send',
  'deno',
  'merge-driver',
  'contention',
  'bundle',
  'commit',
  'large-files',
];

/** Runs a program to its end, however long it takes: its exit code, signal, stdout and stderr (or the spawn error). */
function runToEnd(file, args, options) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    let error;
    child.on('error', (e) => {
      error = e;
    });
    child.on('close', (status, signal) =>
      resolve({
        error,
        status,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

test('npm run bench --quick --json: every case, with numeric medians', { timeout: 45 * 60_000 }, async () => {
  const r = await runToEnd(process.execPath, [path.join(root, 'bench', 'run.mjs'), '--quick', '--json'], { cwd: root });
  assert.equal(r.error, undefined, `bench could not run: ${r.error?.message}`);
  assert.equal(r.status, 0, `bench exited ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}:\n${r.stderr.slice(-3000)}`);
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch (e) {
    assert.fail(`stdout is not JSON (${e.message}):\n${r.stdout.slice(0, 2000)}`);
  }

  assert.equal(report.quick, true);
  for (const key of ['nproc', 'cpu', 'node', 'git', 'date']) assert.ok(report.machine[key], `machine.${key} is missing`);
  assert.deepEqual(
    report.cases.map((c) => c.id),
    CASES,
    'every case, in order',
  );

  for (const c of report.cases) {
    assert.equal(c.error, undefined, `case ${c.id} failed: ${c.error}`);
    assert.ok(c.rows.length > 0, `case ${c.id} has no rows`);
    if (c.id === 'bundle') {
      assert.ok(Number.isFinite(c.rows[0].kib) && c.rows[0].kib > 0, 'bundle size in KiB');
      continue;
    }
    if (c.id === 'contention') {
      for (const row of c.rows) {
        assert.ok(row.landed, `contention / ${row.label}: not every message landed${row.error ? ` (${row.error})` : ''}`);
        assert.ok(
          Number.isFinite(row.wallMs) && row.wallMs > 0 && Number.isFinite(row.ratio),
          `contention / ${row.label}: wall ${row.wallMs}`,
        );
        assert.ok(
          Number.isInteger(row.attempts) && row.attempts >= row.writers,
          `contention / ${row.label}: ${row.attempts} attempts for ${row.writers} changes`,
        );
      }
      assert.deepEqual(
        c.rows.map((row) => row.layout),
        ['serial', 'one clone', 'clones'],
      );
      continue;
    }
    for (const row of c.rows) {
      assert.equal(row.failed, null, `${c.id} / ${row.label} failed: ${row.failed}`);
      assert.ok(Number.isFinite(row.median) && row.median > 0, `${c.id} / ${row.label}: median ${row.median}`);
      assert.ok(Number.isFinite(row.p90) && row.p90 >= row.median, `${c.id} / ${row.label}: p90 ${row.p90}`);
      assert.ok(row.baseline || Number.isFinite(row.ratio), `${c.id} / ${row.label}: ratio ${row.ratio}`);
      assert.ok(Number.isInteger(row.git?.top) && Number.isInteger(row.git?.all), `${c.id} / ${row.label}: git process count`);
    }
    for (const b of c.budgets)
      assert.ok(typeof b.value === 'number' && typeof b.pass === 'boolean', `${c.id}: budget '${b.what}' has no value`);
  }
  const labels = report.cases.flatMap((c) => c.rows.map((row) => row.label));
  for (const want of ['coord check-prefix', 'coord heartbeat', 'coord send', 'deno: coord check-prefix', 'deno: coord heartbeat']) {
    assert.ok(labels.includes(want), `a row '${want}'`);
  }
  assert.ok(
    labels.some((l) => l.startsWith('coord start')) &&
      labels.some((l) => l.startsWith('coord inbox')) &&
      labels.some((l) => l.startsWith('coord status')),
  );
});
