// Fixtures for the benchmarks, built fast in a temp dir: repositories written with
// `git fast-import` (thousands of files or commits in one process), boards in the shape of
// `coord start`'s rows, queue files in the documented message grammar. Only node: built-ins.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git, mustRun } from './lib.mjs';

export const BOARD_PATH = 'docs/ai/sessions/active.md';
export const QUEUE_DIR = 'docs/ai/sessions/queue';
export const COORD_IN_REPO = 'infrastructure/scripts/coord.mjs';

/** A fresh real-path temp dir. */
export function tempRoot(label) {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `coord-bench-${label}-`)));
}

/** Variables that change what node does at start-up; dropped unless --keep-node-env. */
export const NODE_STARTUP_VARS = ['NODE_OPTIONS', 'NODE_V8_COVERAGE', 'NODE_EXTRA_CA_CERTS', 'NODE_COMPILE_CACHE', 'NODE_DEBUG'];

/**
 * The environment of every process the benchmark starts: nothing of the caller's git,
 * coord or lefthook settings leaks in; a git config of its own (GIT_CONFIG_GLOBAL) and no
 * system config. Node's start-up variables are dropped too (a coverage run's
 * NODE_V8_COVERAGE; NODE_EXTRA_CA_CERTS, which makes node parse a CA bundle at every start,
 * 50+ ms, and so hides coord's own cost) unless `keepNodeEnv`.
 * Returns { env, dropped } (the names dropped that were set).
 */
export function makeEnv(root, { keepNodeEnv = false } = {}) {
  const env = {};
  const dropped = [];
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(GIT_|COORD_|LEFTHOOK)/.test(k)) continue;
    if (!keepNodeEnv && NODE_STARTUP_VARS.includes(k)) {
      dropped.push(k);
      continue;
    }
    env[k] = v;
  }
  const gitconfig = path.join(root, 'gitconfig');
  fs.writeFileSync(
    gitconfig,
    [
      '[user]',
      '\tname = Coord Bench',
      '\temail = coord-bench@example.invalid',
      '[init]',
      '\tdefaultBranch = main',
      '[commit]',
      '\tgpgsign = false',
      '[tag]',
      '\tgpgsign = false',
      '[gc]',
      '\tauto = 0',
      '[maintenance]',
      '\tauto = false',
      '[advice]',
      '\tdetachedHead = false',
      '',
    ].join('\n'),
  );
  return {
    env: {
      ...env,
      GIT_CONFIG_GLOBAL: gitconfig,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CEILING_DIRECTORIES: path.dirname(root),
      NO_COLOR: '1',
      DENO_NO_UPDATE_CHECK: '1',
    },
    dropped,
  };
}

/** The n-th session id: sA … sZ, sAA, … (as coord numbers them). */
export function idAt(n) {
  let s = '';
  n += 1;
  while (n > 0) {
    n -= 1;
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26);
  }
  return 's' + s;
}

export const stampOf = (ms) => new Date(ms).toISOString().slice(0, 16) + 'Z';

const NAMES = [
  'Sintra',
  'Douro',
  'Porto',
  'Braga',
  'Coimbra',
  'Faro',
  'Aveiro',
  'Tavira',
  'Lagos',
  'Cascais',
  'Minho',
  'Tejo',
  'Mondego',
  'Guarda',
  'Viseu',
  'Leiria',
  'Beja',
  'Evora',
  'Obidos',
  'Tomar',
  'Peniche',
  'Ericeira',
  'Marvao',
  'Batalha',
  'Nazare',
  'Madeira',
  'Alentejo',
  'Algarve',
  'Arrabida',
  'Monsanto',
];

const BOARD_HEADER = [
  '# Active sessions',
  '',
  'One row per live session; coord keeps it (`coord status` reads it, `coord start` adds to it).',
  'Hand edits are fine: keep one row per line and six cells per row.',
  '',
  '| Session | Riff | Lane | Claimed | Presence | Scope |',
  '|---|---|---|---|---|---|',
];

/** A board row as src/protocol/board.ts renderRow writes it. */
export function boardRow({ id, name, riffs = [], branch = 'main', claimed, presence, note = '', scope }) {
  const cells = [
    `${id} · ${name}`,
    riffs.length ? riffs.join(', ') : '(Riff TBD)',
    `worktree \`session-${id}\` → direct-to-${branch}, \`[${id}]\``,
    claimed,
    `${presence} ·${note ? ' ' + note : ''}`,
    scope,
  ].map((v) => v.replace(/\|/g, '\\|').trim());
  return `| ${cells.join(' | ')} |`;
}

/** A board with `n` sessions (sA, sB, …), claimed and present at the given times. */
export function boardText(n, { now = Date.now(), presenceMs } = {}) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const id = idAt(i);
    rows.push(
      boardRow({
        id,
        name: i < NAMES.length ? NAMES[i] : `${NAMES[i % NAMES.length]}${Math.floor(i / NAMES.length) + 1}`,
        riffs: i % 3 === 0 ? [] : [`R-${100 + i}`],
        claimed: stampOf(now - (i + 1) * 3600e3),
        presence: stampOf(presenceMs ?? now - i * 600e3),
        scope:
          i % 3 === 0
            ? 'scope TBD — update this row when you pick a Riff'
            : `area ${i}: refactor the ${['billing', 'search', 'auth', 'export'][i % 4]} module`,
      }),
    );
  }
  return [...BOARD_HEADER, ...rows].join('\n') + '\n';
}

/**
 * Queue files holding `total` messages to `sessions` sessions, in the grammar of
 * src/protocol/message.ts (blocks separated by one blank line, as appendBlock writes them).
 * Returns a Map path → text.
 */
export function queueFiles(total, sessions, { now = Date.now() } = {}) {
  const ids = Array.from({ length: sessions }, (_, i) => idAt(i));
  const blocks = new Map(ids.map((id) => [id, []]));
  const types = ['question', 'answer', 'info', 'handoff', 'info'];
  for (let k = 0; k < total; k++) {
    const to = ids[k % sessions];
    const from = ids[(k * 7 + 3) % sessions] === to ? ids[(k * 7 + 4) % sessions] : ids[(k * 7 + 3) % sessions];
    const sent = now - (total - k) * 60e3;
    const t = (m) => stampOf(sent + m * 60e3);
    const roll = k % 10;
    const status =
      roll < 6
        ? `→ status:seen ${t(5)} · acked ${t(6)} · resolved ${t(30)}`
        : roll < 8
          ? `→ status:seen ${t(5)} · acked ${t(6)} · resolved <ts>`
          : roll < 9
            ? `→ status:seen ${t(5)} · acked <ts> · resolved <ts>`
            : '→ status:seen <ts> · acked <ts> · resolved <ts>';
    const body =
      k % 4 === 0
        ? `Message ${k}: are you touching src/module-${k % 97}.ts?\n\nI would like to change its exports; details in R-${k % 300}.`
        : `Message ${k}: build of module ${k % 97} is green again; go ahead with R-${k % 300}.`;
    blocks
      .get(to)
      .push(
        [
          `## ${stampOf(sent)} · from:${from} · to:${to} · type:${types[k % types.length]} · ref:${k % 5 === 0 ? `R-${k % 300}` : '—'} · status:sent`,
          body,
          status,
        ].join('\n'),
      );
  }
  return new Map(ids.map((id) => [`${QUEUE_DIR}/to-${id}.md`, blocks.get(id).join('\n\n') + '\n']));
}

/**
 * A git fast-import stream writer: commits on one branch with inline file contents.
 * `commit({ message, time, files: Map|[[path, content|null]] })`; `toBuffer()` at the end.
 */
export class Stream {
  constructor(ref = 'refs/heads/main') {
    this.ref = ref;
    this.parts = [];
    this.marks = 0;
  }
  push(s) {
    this.parts.push(typeof s === 'string' ? Buffer.from(s) : s);
  }
  data(s) {
    const b = Buffer.from(s);
    this.push(`data ${b.length}\n`);
    this.push(b);
    this.push('\n');
  }
  commit({ message, time, files = [], ident = 'Coord Bench <coord-bench@example.invalid>', from }) {
    const mark = ++this.marks;
    this.push(`commit ${this.ref}\nmark :${mark}\nauthor ${ident} ${time} +0000\ncommitter ${ident} ${time} +0000\n`);
    this.data(message);
    if (from) this.push(`from ${from}\n`);
    for (const [p, content] of files) {
      if (content === null) this.push(`D ${p}\n`);
      else {
        this.push(`M 100644 inline ${p}\n`);
        this.data(content);
      }
    }
    this.push('\n');
    return mark;
  }
  toBuffer() {
    return Buffer.concat([...this.parts, Buffer.from('done\n')]);
  }
}

/** Feeds a stream to `git fast-import` in `repo` (bare or not). */
export function fastImport(repo, stream, env) {
  mustRun('git', ['fast-import', '--quiet', '--done'], { cwd: repo, env, input: stream.toBuffer() });
}

/** One commit on top of `base` that sets `files`, without touching any worktree (fast-import). Returns its sha. */
export function commitOnTop(repo, base, files, message, env) {
  const s = new Stream('refs/bench/scratch');
  s.commit({ message, time: Math.floor(Date.now() / 1000), files, from: base });
  s.push('get-mark :1\nreset refs/bench/scratch\n\n');
  const r = spawnSync('git', ['fast-import', '--quiet', '--done'], { cwd: repo, env, input: s.toBuffer(), maxBuffer: 1 << 20 });
  const sha = /^[0-9a-f]{40,64}$/m.exec(r.stdout?.toString() ?? '')?.[0];
  if (r.status !== 0 || !sha) throw new Error(`fast-import failed: ${r.stderr}`);
  return sha;
}

/** A bare repository `dir` filled by `fill(stream)`, with `main` as HEAD. */
export function bareRepo(dir, env, fill) {
  git(path.dirname(dir), ['init', '--quiet', '--bare', '-b', 'main', dir], { env });
  const s = new Stream();
  fill(s);
  fastImport(dir, s, env);
  return dir;
}

/** Files every fixture repo holds: a README, the board, coord's copy, lefthook.yml. */
export function baseFiles({ bundle, board }) {
  return [
    ['README.md', '# bench project\n'],
    [BOARD_PATH, board],
    [`${QUEUE_DIR}/.gitkeep`, ''],
    [COORD_IN_REPO, fs.readFileSync(bundle, 'utf8')],
    [
      'lefthook.yml',
      [
        'commit-msg:',
        '  jobs:',
        '    - name: coord-check-prefix',
        `      run: node ${COORD_IN_REPO} check-prefix {1}`,
        'post-commit:',
        '  jobs:',
        '    - name: coord-heartbeat',
        `      run: node ${COORD_IN_REPO} heartbeat`,
        '',
      ].join('\n'),
    ],
  ];
}

/** `count` small source files spread over directories of 100 (for the big-checkout repo). */
export function manyFiles(count) {
  const files = [];
  for (let i = 0; i < count; i++) {
    const dir = `src/pkg${String(Math.floor(i / 100)).padStart(3, '0')}`;
    files.push([`${dir}/file${String(i % 100).padStart(2, '0')}.ts`, `export const value${i} = ${i};\n`]);
  }
  return files;
}
