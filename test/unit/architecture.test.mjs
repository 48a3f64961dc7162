// Keeps docs/architecture.md true: reads every import in src/ and checks the layering rules
// the page states, and that the page names every module there is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const src = path.join(root, 'src');

/** Every module under src/ as 'commands/send' → { text, imports: ['args', 'protocol/ids', 'node:fs', …] }. */
function modules() {
  const found = new Map();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.name.endsWith('.ts')) {
        const name = path.relative(src, abs).replace(/\.ts$/, '').split(path.sep).join('/');
        const text = fs.readFileSync(abs, 'utf8');
        const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map(
          (m) => m[1] ?? m[2],
        );
        const imports = specs.map((s) =>
          s.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(name), s)).replace(/\.js$/, '') : s,
        );
        found.set(name, { text, imports });
      }
    }
  };
  walk(src);
  return found;
}

const mods = modules();
const layer = (name) => (name.startsWith('commands/') ? 'commands' : name.startsWith('protocol/') ? 'protocol' : name);
const importers = (target) =>
  [...mods]
    .filter(([, m]) => m.imports.includes(target))
    .map(([n]) => n)
    .sort();

test('the module table was read (the rules below are not vacuous)', () => {
  assert.ok(mods.size >= 40, `only ${mods.size} modules found`);
  assert.ok(mods.get('commands/send').imports.includes('plans'), 'send imports plans');
  assert.ok(mods.get('cli').imports.includes('commands/start'), 'cli imports the commands');
});

test('no command imports another command; only cli imports commands', () => {
  const bad = [];
  for (const [name, m] of mods) {
    for (const i of m.imports) if (i.startsWith('commands/') && name !== 'cli') bad.push(`${name} → ${i}`);
  }
  assert.deepEqual(bad, []);
});

test('protocol/ and plans.ts are pure: they import only protocol/ and errors', () => {
  const bad = [];
  for (const [name, m] of mods) {
    if (layer(name) !== 'protocol' && name !== 'plans') continue;
    for (const i of m.imports) if (!i.startsWith('protocol/') && i !== 'errors') bad.push(`${name} → ${i}`);
    if (/\bprocess\.|Date\.now\(\)|Math\.random\(\)/.test(m.text.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')) && name === 'plans')
      bad.push(`${name} reads the clock, randomness or the process`);
  }
  assert.deepEqual(bad, []);
});

test('only process.ts starts processes; only git.ts, tools.ts (lefthook) and demo (which plays commands) import it', () => {
  const cpUsers = [...mods]
    .filter(([, m]) => /\bcp\(\)|node:child_process/.test(m.text))
    .map(([n]) => n)
    .sort();
  assert.deepEqual(cpUsers, ['process', 'sys'], 'sys.ts declares the lazy loader, process.ts is its only user');
  assert.deepEqual(mods.get('sys').text.match(/\bcp\(\)\./g) ?? [], []);
  assert.deepEqual(importers('process'), ['commands/demo', 'git', 'tools']);
});

test('only publish.ts writes the blackboard: commitFiles, pushRef and casRef are imported nowhere else', () => {
  for (const op of ['commitFiles', 'pushRef', 'casRef']) {
    const users = [...mods].filter(([n, m]) => n !== 'git' && new RegExp(`\\b${op}\\b`).test(m.text)).map(([n]) => n);
    assert.deepEqual(users, ['publish'], op);
  }
});

test('the read side does not import the write side; read-only verbs never import publish', () => {
  assert.ok(!mods.get('blackboard').imports.includes('publish'));
  for (const verb of ['status', 'inbox', 'prime', 'watch', 'check-prefix', 'heartbeat']) {
    assert.ok(!mods.get(`commands/${verb}`).imports.includes('publish'), verb);
  }
});

test('each layer imports only from the layers the page allows', () => {
  // The "may import" column of docs/architecture.md, as data: a module's imports must be in its list.
  const allowed = {
    main: ['cli', 'host'],
    errors: [],
    sys: [],
    host: ['sys', 'protocol'],
    process: ['sys', 'errors'],
    git: ['process', 'sys', 'errors'],
    worktree: ['git', 'host', 'sys', 'protocol'],
    config: ['sys', 'errors', 'protocol'],
    context: ['git', 'worktree', 'config', 'errors', 'protocol'],
    blackboard: ['git', 'mailbox', 'worktree', 'host', 'sys', 'errors', 'context', 'protocol'],
    publish: ['git', 'blackboard', 'context', 'lock', 'sys', 'errors', 'protocol'],
    lock: ['sys'],
    hookinput: ['sys'],
    clientrecord: ['sys', 'host', 'worktree', 'protocol'],
    closing: ['blackboard', 'context', 'errors', 'git', 'plans', 'publish', 'session', 'sys', 'worktree', 'protocol'],
    claim: ['blackboard', 'context', 'errors', 'git', 'plans', 'publish', 'session', 'clonesetup', 'sys', 'protocol'],
    tools: ['process', 'sys'],
    clonesetup: ['git', 'sys', 'protocol'],
    provenance: ['git', 'context', 'protocol'],
    output: ['host'],
    args: ['errors'],
    session: ['git', 'blackboard', 'context', 'host', 'sys', 'protocol'],
    liveness: ['git', 'blackboard', 'context', 'errors', 'protocol'],
    cli: ['commands', 'args', 'errors', 'output', 'sys', 'host', 'blackboard', 'context'],
    mailbox: ['args', 'errors', 'sys', 'protocol'],
    ackchain: ['args', 'output', 'context', 'plans', 'publish', 'protocol'],
    overlaps: ['git', 'blackboard', 'context', 'worktree', 'protocol'],
  };
  const bad = [];
  for (const [name, m] of mods) {
    const own = allowed[layer(name)];
    if (!own) continue;
    for (const i of m.imports) {
      if (i.startsWith('node:')) {
        if (name !== 'sys') bad.push(`${name} → ${i}`);
        continue;
      }
      if (!own.includes(layer(i)) && layer(i) !== layer(name)) bad.push(`${name} → ${i}`);
    }
  }
  assert.deepEqual(bad, []);
  // The page lists the same allowances.
  const page = fs.readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');
  for (const [name, list] of Object.entries(allowed)) {
    const row = page.split('\n').find((l) => l.startsWith(`| \`${name}.ts\` |`));
    assert.ok(row, `docs/architecture.md has no row for ${name}.ts`);
    for (const dep of list) assert.ok(row.includes(`\`${dep}\``), `the row of ${name}.ts does not list ${dep}`);
  }
});

test('docs/architecture.md names every module under src/', () => {
  const page = fs.readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');
  const missing = [...mods.keys()]
    .filter((n) => !n.startsWith('commands/'))
    .filter((n) => !page.includes(`${n.split('/').pop()}.ts`) && !page.includes(`${n}.ts`));
  assert.deepEqual(missing, []);
});

test('no import runs back up: the import graph of src/ has no cycle (type imports count)', () => {
  const cycles = [];
  const state = new Map(); // name → 'open' while on the path, 'done' after
  const visit = (name, trail) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(name)), name].join(' → '));
      return;
    }
    state.set(name, 'open');
    for (const i of mods.get(name)?.imports ?? []) if (mods.has(i)) visit(i, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of mods.keys()) visit(name, []);
  assert.deepEqual(cycles, []);
});

test('the cycle check sees a cycle when there is one', () => {
  // blackboard → mailbox is a real import; were mailbox to import blackboard back, the walk above must report it.
  assert.ok(mods.get('blackboard').imports.includes('mailbox'));
  const withBack = new Map([...mods].map(([n, m]) => [n, n === 'mailbox' ? { ...m, imports: [...m.imports, 'blackboard'] } : m]));
  const seen = new Set();
  const onPath = new Set();
  let found = false;
  const visit = (name) => {
    if (onPath.has(name)) {
      found = true;
      return;
    }
    if (seen.has(name)) return;
    seen.add(name);
    onPath.add(name);
    for (const i of withBack.get(name)?.imports ?? []) if (withBack.has(i)) visit(i);
    onPath.delete(name);
  };
  visit('blackboard');
  assert.ok(found);
});

test('one runner: only cli.ts opens the context, and a verb reports through it', () => {
  const openers = [...mods].filter(([n, m]) => n !== 'context' && /\bopenContext\b/.test(m.text)).map(([n]) => n);
  assert.deepEqual(openers, ['cli']);
  // --json is printed by the runner from the verb's Report; watch streams one object per event.
  const printers = [...mods].filter(([n, m]) => n.startsWith('commands/') && /\bjson\(/.test(m.text)).map(([n]) => n);
  assert.deepEqual(printers, ['commands/watch']);
  // Every verb declares what the runner opens for it.
  for (const [n, m] of mods) {
    if (!n.startsWith('commands/') || /advanceSpec\(/.test(m.text)) continue;
    assert.match(m.text, /\bneeds: '(nothing|repo|speaker|session)'/, `${n} declares needs`);
    assert.match(m.text, /\bgroup: '\w+'/, `${n} declares its help group`);
  }
});

test('the read and write paths keep no state in module variables: a run carries it (Context.run)', () => {
  const paths = [
    'blackboard',
    'publish',
    'context',
    'mailbox',
    'liveness',
    'plans',
    'overlaps',
    'session',
    'claim',
    'closing',
    'provenance',
    'lock',
    'git',
    'cli',
  ];
  const bad = paths.filter((n) => /^(?:export\s+)?(?:let|var)\s/m.test(mods.get(n).text));
  assert.deepEqual(bad, []);
});
