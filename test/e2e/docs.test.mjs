// docs/tutorial.md is a transcript, and this test keeps it true: it runs every `$ ` line of
// the tutorial's ```console blocks, in order, in a sandbox temp dir, and compares what each
// printed (stdout and stderr together) with the text under it in the doc.
//
//   node --test test/e2e/docs.test.mjs                 fails when an output drifted
//   UPDATE_DOCS=1 node --test test/e2e/docs.test.mjs   rewrites the outputs in the doc
//
// Each line runs with `bash -c` in the directory the transcript is in (`cd` lines move it),
// with a hermetic environment (makeEnv) whose HOME is the sandbox, and with `coord` on PATH
// as a shim for the real bundle (`node dist/coord.mjs`). PATH holds no lefthook, as on a clean
// machine, so `coord init` advises `npx --yes lefthook install`, which is the real npx: the
// sandbox holds a node_modules link to this project's, so npx finds lefthook there and nothing
// is downloaded. A line whose comment says `# fails` must exit non-zero; every other line must exit 0.
//
// Outputs are normalised before they are compared or written, so the doc reads like a real
// session and stays the same from run to run:
// - the sandbox path reads /home/you;
// - stamps (YYYY-MM-DDTHH:MMZ) become example stamps: 2026-05-31T11:40Z for "now" (any
//   minute from the run's start to the moment the output is read, however long the run
//   takes), and 10-minute steps from the edge of that window for stamps outside it (a commit
//   dated 30 minutes ahead reads 12:10Z);
// - commit hashes and message ids (10 hex) become fixed example values, the same value
//   each time the same commit or message shows up. A command may use a message id an
//   earlier output showed: it is given the real id when it runs;
// - ages (`3m ago`) read `0m ago`; lefthook's timings and the order of the hooks it lists
//   are fixed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundle, makeEnv, projectRoot, tempDir } from '../helpers.mjs';

const DOC = path.join(projectRoot, 'docs', 'tutorial.md');
const DOC_NAME = 'docs/tutorial.md';
const SHOWN_HOME = '/home/you';
const EXAMPLE_NOW = Date.parse('2026-05-31T11:40:00Z');
const STEP_MS = 10 * 60e3;
const UPDATE = process.env.UPDATE_DOCS === '1';

/** The console blocks of a markdown text: each with its line range and its `$ ` steps. */
function parseConsoleBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```console\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (end >= lines.length) throw new Error(`${DOC_NAME}:${i + 1}: this console block is never closed.`);
    const steps = [];
    for (let j = start; j < end; j++) {
      const line = lines[j];
      if (line.startsWith('$ ')) steps.push({ cmd: line.slice(2), line: j + 1, expected: [] });
      else if (steps.length) steps[steps.length - 1].expected.push(line);
      else if (line.trim()) throw new Error(`${DOC_NAME}:${j + 1}: a console block must start with a "$ " command line.`);
    }
    blocks.push({ start, end, steps });
    i = end;
  }
  return { lines, blocks };
}

const stampOf = (ms) => new Date(ms).toISOString().slice(0, 16) + 'Z';
const minuteOf = (ms) => Math.floor(ms / 60e3) * 60e3;
const example = (kind, n) => crypto.createHash('sha1').update(`coord docs ${kind} ${n}`).digest('hex');
const trimLines = (s) =>
  s
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');

/** Turns real outputs into the doc's stable form, and the doc's ids in commands back into real ones. */
class Normaliser {
  constructor(root, runStart) {
    this.root = root;
    this.startMinute = minuteOf(runStart);
    this.messages = new Map(); // real id -> example id
    this.commits = new Map(); // first 7 chars of the real hash -> { example, real }
  }

  messageId(real) {
    if (!this.messages.has(real)) this.messages.set(real, example('message', this.messages.size).slice(0, 10));
    return this.messages.get(real);
  }

  commit(real) {
    const key = real.slice(0, 7);
    let entry = this.commits.get(key);
    if (!entry) {
      entry = { example: example('commit', this.commits.size), real };
      this.commits.set(key, entry);
    }
    if (real.length > entry.real.length) entry.real = real;
    return entry.example.slice(0, real.length);
  }

  /** True when an all-letter hex word names a commit (a word like "defaced" must stay a word). */
  static isCommit(word, cwd, env) {
    if (!fs.existsSync(cwd)) return false;
    return spawnSync('git', ['rev-parse', '--quiet', '--verify', `${word}^{commit}`], { cwd, env, encoding: 'utf8' }).status === 0;
  }

  output(text, cwd, env) {
    let s = text.split(this.root).join(SHOWN_HOME);
    // "Now" is every minute the run has been in so far: a stamp written late in the run is
    // as much "now" as one written at its start. Stamps outside that window are counted from its edge.
    const nowMinute = minuteOf(Date.now());
    s = s.replace(/\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})Z/g, (_, t) => {
      const at = Date.parse(`${t}:00Z`);
      const off = at < this.startMinute ? at - this.startMinute : at > nowMinute ? at - nowMinute : 0;
      return stampOf(EXAMPLE_NOW + Math.round(off / STEP_MS) * STEP_MS);
    });
    s = s.replace(/\b[0-9a-f]{7,40}\b/g, (word) => {
      if (word.length === 10) return this.messageId(word);
      if (!/\d/.test(word) && !this.commits.has(word.slice(0, 7)) && !Normaliser.isCommit(word, cwd, env)) return word;
      return this.commit(word);
    });
    s = s.replace(/\b\d+[mhd] ago\b/g, '0m ago');
    s = s.replace(/\(\d+(?:\.\d+)? seconds?\)/g, '(0.10 seconds)');
    s = s.replace(/(sync hooks: \S*\()([^)]*)\)/g, (_, head, list) => `${head}${list.split(/,\s*/).sort().join(', ')})`);
    return trimLines(s);
  }

  /** A command as written in the doc, with the example ids it uses replaced by the real ones. */
  command(cmd, where) {
    return cmd.replace(/\b[0-9a-f]{7,40}\b/g, (word) => {
      for (const [real, shown] of this.messages) if (shown === word) return real;
      for (const { example: ex, real } of this.commits.values())
        if (ex.startsWith(word) && real.length >= word.length) return real.slice(0, word.length);
      if (word.length === 10)
        throw new Error(
          `${where}: the command uses message id ${word}, which no earlier output in the doc showed; copy ids from an earlier output.`,
        );
      return word;
    });
  }
}

/** The sandbox: HOME, a `coord` shim on PATH, and node_modules for npx. */
function sandbox() {
  const root = tempDir('docs');
  const bin = path.join(root, '.bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'coord'), `#!/bin/sh\nexec "${process.execPath}" "${bundle}" "$@"\n`, { mode: 0o755 });
  fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(root, 'node_modules'));
  const base = makeEnv(root);
  // npm's own settings (set when this runs under `npm test`) would change what npx does;
  // offline and without the update notice, npx runs the local lefthook and says nothing else.
  for (const k of Object.keys(base)) if (/^npm_/i.test(k) || k === 'INIT_CWD') delete base[k];
  // A clean machine: git, node and npx, but no lefthook on PATH (not this project's, not one installed
  // globally), so coord prints the install command a new user gets and the doc shows that one.
  const withoutLefthook = base.PATH.split(path.delimiter).filter((d) => d && !fs.existsSync(path.join(d, 'lefthook')));
  const env = {
    ...base,
    HOME: root,
    PATH: [bin, ...withoutLefthook].join(path.delimiter),
    npm_config_update_notifier: 'false',
    npm_config_offline: 'true',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  return { root, env, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** Runs one `$ ` line; returns { code, output } (output: stdout and stderr as one stream). */
function runStep(cmd, state, where) {
  const cd = /^cd(?:\s+(\S+))?\s*$/.exec(cmd.trim());
  if (cd) {
    const arg = (cd[1] ?? '~').replace(/^~(?=\/|$)/, state.env.HOME);
    const target = path.resolve(state.cwd, arg);
    if (!fs.existsSync(target)) throw new Error(`${where}: cd ${cd[1]}: no such directory (${target}).`);
    state.cwd = target;
    return { code: 0, output: '' };
  }
  if (!fs.existsSync(state.cwd))
    throw new Error(`${where}: the transcript is in ${state.cwd}, which no longer exists: cd somewhere first.`);
  const r = spawnSync('bash', ['-c', `exec 2>&1\n${cmd}`], {
    cwd: state.cwd,
    env: state.env,
    input: '',
    encoding: 'utf8',
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw new Error(`${where}: bash could not run: ${r.error.message}`);
  return { code: r.status ?? 128, output: r.stdout ?? '' };
}

test(`${DOC_NAME}: says at the top that this test checks its outputs`, () => {
  const head = fs.readFileSync(DOC, 'utf8').split('\n').slice(0, 5).join('\n');
  assert.match(head, /test\/e2e\/docs\.test\.mjs/);
});

test(
  `${DOC_NAME}: every command prints what the doc shows${UPDATE ? ' (UPDATE_DOCS=1: rewriting the outputs)' : ''}`,
  { timeout: 600_000 },
  (t) => {
    const text = fs.readFileSync(DOC, 'utf8');
    const doc = parseConsoleBlocks(text);
    assert.ok(doc.blocks.length >= 10, `${DOC_NAME} has only ${doc.blocks.length} console blocks`);
    const box = sandbox();
    t.after(() => box.cleanup());
    const state = { cwd: box.root, env: box.env };
    const norm = new Normaliser(box.root, Date.now());
    let ran = 0;
    for (const block of doc.blocks) {
      for (const step of block.steps) {
        const where = `${DOC_NAME}:${step.line}`;
        const { code, output } = runStep(norm.command(step.cmd, where), state, where);
        const actual = norm.output(output, state.cwd, state.env);
        const mustFail = /\s#\s*fails\b/.test(step.cmd);
        if (mustFail !== (code !== 0)) {
          assert.fail(
            `${where}: \`$ ${step.cmd}\` ${mustFail ? 'should fail (it says # fails) but exited 0' : `exited ${code}`}; it printed:\n${actual}`,
          );
        }
        if (actual.split('\n').some((l) => l.startsWith('$ ')))
          assert.fail(`${where}: the output has a line starting with "$ ", which would read as a command.`);
        if (UPDATE) step.actual = actual;
        else {
          assert.equal(
            actual,
            trimLines(step.expected.join('\n')),
            `${where}: \`$ ${step.cmd}\` printed something else than the doc shows. If the change is intended, run ` +
              'UPDATE_DOCS=1 node --test test/e2e/docs.test.mjs and review the diff of docs/tutorial.md.',
          );
        }
        ran++;
      }
    }
    if (UPDATE) {
      const lines = doc.lines.slice();
      for (const block of [...doc.blocks].reverse()) {
        const content = block.steps.flatMap((s) => [`$ ${s.cmd}`, ...(s.actual ? s.actual.split('\n') : [])]);
        lines.splice(block.start, block.end - block.start, ...content);
      }
      fs.writeFileSync(DOC, lines.join('\n'));
    }
    assert.ok(ran > 0);
  },
);
