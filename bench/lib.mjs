// Measuring: run a set of variants side by side (interleaved, rotating order so drift and
// order effects cancel), collect wall times, medians, p90, ratios, and git process counts.
// Only node: built-ins.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Wall time of one process run, spawned synchronously; the output is captured. */
export function timeProcess(file, args, { cwd, env, input } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, {
    cwd,
    env,
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 256 << 20,
    timeout: 300_000,
    killSignal: 'SIGKILL',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const code = r.error ? -1 : (r.status ?? 128);
  return {
    ms,
    code,
    stdout: r.stdout?.toString() ?? '',
    stderr: r.error ? r.error.message : (r.stderr?.toString() ?? ''),
  };
}

/** Runs a process untimed and throws when it fails: for fixtures, set-up and clean-up. */
export function mustRun(file, args, opts = {}) {
  const r = spawnSync(file, args, {
    maxBuffer: 1 << 30,
    encoding: opts.input instanceof Uint8Array ? undefined : 'utf8',
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...opts,
  });
  if (r.error || r.status !== 0) {
    const said = (r.error?.message ?? `${r.stderr ?? ''}${r.stdout ?? ''}`).toString().trim().split('\n').slice(-6).join('\n');
    throw new Error(
      `${path.basename(file)} ${args.join(' ').slice(0, 200)} (in ${opts.cwd ?? process.cwd()}) failed with ${r.status}:\n${said}`,
    );
  }
  return r.stdout?.toString() ?? '';
}

export const git = (cwd, args, opts = {}) => mustRun('git', args, { cwd, ...opts });

/** Median and p90 (nearest rank) of a list of numbers. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return { median: null, p90: null, min: null, n: 0 };
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const p90 = s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)];
  return { median, p90, min: s[0], n: s.length };
}

/**
 * Git processes recorded in a GIT_TRACE2_EVENT file: all of them, and those started
 * directly by the measured process (a child git's session id carries its parent's, `a/b`).
 */
export function countGit(traceFile) {
  if (!fs.existsSync(traceFile)) return { top: 0, all: 0, commands: [] };
  let top = 0;
  let all = 0;
  const commands = [];
  for (const line of fs.readFileSync(traceFile, 'utf8').split('\n')) {
    if (!line) continue;
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      continue;
    }
    if (ev.event !== 'start') continue;
    all++;
    if (!ev.sid.includes('/')) {
      top++;
      commands.push(ev.argv?.[1] ?? '?');
    }
  }
  return { top, all, commands };
}

/**
 * A variant: { label, run(extraEnv) → { ms, code, stderr }, expectCode? } — `run` does its own untimed
 * set-up and clean-up and returns only the time of the part being measured. `baseline: true`
 * marks what ratios are taken against (the first baseline unless a row names `vs`).
 *
 * Runs `warmup` rounds, then `rounds` rounds (fewer, but at least `minRounds`, once
 * `maxSeconds` have passed), each variant once per round, the order rotating by one each
 * round. A failed run (non-zero exit) stops that variant: its row shows the error instead
 * of a time (times of an error path would mislead).
 */
export async function measure(
  variants,
  { warmup, rounds, maxSeconds = Infinity, minRounds = 3, traceDir, log = () => {}, aborted = () => false },
) {
  const samples = variants.map(() => []);
  const failed = variants.map(() => null);
  const once = (i, env) => {
    if (failed[i]) return null;
    if (aborted()) throw new Error('interrupted');
    let r;
    try {
      r = variants[i].run(env ?? {});
    } catch (e) {
      r = { ms: NaN, code: -1, stderr: e.message };
    }
    if (r.code !== (variants[i].expectCode ?? 0)) {
      failed[i] = `exit ${r.code}: ${(r.stderr || '').trim().split('\n').filter(Boolean).slice(-2).join(' / ').slice(0, 300)}`;
      log(`  ! ${variants[i].label}: ${failed[i]}`);
      return null;
    }
    return r;
  };
  // Between runs the event loop gets a turn, so Ctrl-C / SIGTERM are handled at once (clean-up, daemon stopped).
  const breathe = () => new Promise((resolve) => setImmediate(resolve));
  for (let w = 0; w < warmup; w++)
    for (let i = 0; i < variants.length; i++) {
      once(i);
      await breathe();
    }
  const t0 = Date.now();
  for (let round = 0; round < rounds; round++) {
    // A slow machine gets fewer rounds rather than a run that never ends.
    if (round >= minRounds && (Date.now() - t0) / 1000 > maxSeconds) {
      log(`  time limit (${maxSeconds} s): stopped after ${round} of ${rounds} rounds`);
      break;
    }
    for (let k = 0; k < variants.length; k++) {
      const i = (k + round) % variants.length;
      const r = once(i);
      if (r) samples[i].push(r.ms);
      await breathe();
    }
  }
  // One more run of each variant, untimed, with git's trace on: how many git processes it starts.
  const git = variants.map((v, i) => {
    if (v.noGit) return { top: 0, all: 0, commands: [] };
    const file = path.join(traceDir, `trace-${process.pid}-${Date.now()}-${i}.json`);
    fs.rmSync(file, { force: true });
    const r = once(i, { GIT_TRACE2_EVENT: file });
    const c = r ? countGit(file) : null;
    fs.rmSync(file, { force: true });
    return c;
  });
  const rows = variants.map((v, i) => ({
    label: v.label,
    baseline: !!v.baseline,
    vs: v.vs ?? null,
    failed: failed[i],
    git: git[i],
    ...stats(samples[i]),
  }));
  const baseOf = (row) => rows.find((r) => (row.vs ? r.label === row.vs : r.baseline));
  for (const row of rows) {
    const base = baseOf(row);
    row.ratioTo = base && base !== row ? base.label : null;
    row.ratio = base && base !== row && row.median !== null && base.median ? row.median / base.median : null;
    if (failed[rows.indexOf(row)]) {
      row.median = null;
      row.p90 = null;
    }
  }
  return rows;
}

/** A free TCP port on the loopback interface. */
export async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
