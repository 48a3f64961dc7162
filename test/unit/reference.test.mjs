// `coord <verb> --help` and docs/reference.md never disagree: every verb `coord --help` lists
// has a `### \`coord <verb>\`` section, every flag a verb's --help lists is in that section's
// flag table (flags every verb takes: in the common table), and no table lists a flag the
// verb does not have. Runs the real bundle's --help, which reads no repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bundle, projectRoot } from '../helpers.mjs';

const REFERENCE = fs.readFileSync(path.join(projectRoot, 'docs', 'reference.md'), 'utf8');
const README = fs.readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
const COMMON_HEADING = '### Flags every verb accepts';

function help(args) {
  const r = spawnSync(process.execPath, [bundle, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 0, `coord ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The groups of `coord --help` (a heading line ending in ':', then indented verb lines), in its order. */
function groups() {
  const text = help(['--help']);
  const body = text.split('\nIdentity:')[0];
  return body
    .split('\n\n')
    .slice(1)
    .map((block) => {
      const [heading, ...lines] = block.split('\n').filter(Boolean);
      return { heading, lines };
    })
    .filter((g) => g.heading.endsWith(':') && g.lines.length && g.lines.every((l) => /^ {2}\S/.test(l)));
}

/** The verbs of `coord --help`, in its order. */
function verbs() {
  const list = groups().flatMap((g) => g.lines);
  assert.ok(list.length, 'coord --help lists no verbs');
  return list.map((l) => /^ {2}(\S+)\s/.exec(l)?.[1]).filter(Boolean);
}

test('coord --help lists the verbs in groups a person can scan, every summary in one column', () => {
  const found = groups();
  assert.deepEqual(
    found.map((g) => g.heading.replace(/ \(.*\)/, '')),
    ['Sessions:', 'Messages:', 'Collisions:', 'Set-up:', 'Plumbing:'],
  );
  const columns = new Set(found.flatMap((g) => g.lines).map((l) => /^ {2}\S+\s+/.exec(l)[0].length));
  assert.equal(columns.size, 1, `summaries start in ${columns.size} columns`);
  const plumbing = found.at(-1).lines.map((l) => l.trim().split(/\s/)[0]);
  for (const verb of ['check-prefix', 'check-reserved', 'heartbeat', 'merge-driver', 'worktree-create', 'worktree-remove']) {
    assert.ok(plumbing.includes(verb), `${verb} is under Plumbing`);
  }
});

/** The long flag names in the Options list of `coord <verb> --help`. */
function helpFlags(verb) {
  const options = help([verb, '--help']).split('\nOptions:\n')[1]?.split('\n\n')[0];
  assert.ok(options, `coord ${verb} --help has no Options list`);
  return options
    .split('\n')
    .map((l) => /^\s+(?:-\w, )?--([a-z][a-z0-9-]*)/.exec(l)?.[1])
    .filter(Boolean);
}

/** The text of a `### ` section of the reference, up to the next heading of level 1–3. */
function section(heading) {
  const lines = REFERENCE.split('\n');
  const at = lines.indexOf(heading);
  if (at < 0) return null;
  const end = lines.findIndex((l, i) => i > at && /^#{1,3} /.test(l));
  return lines.slice(at + 1, end < 0 ? lines.length : end).join('\n');
}

/** Flags named in the first cell of a section's table rows: | `--name VALUE` | … | */
const tableFlags = (text) => [...text.matchAll(/^\| `(?:-\w, )?--([a-z][a-z0-9-]*)[^`]*` \|/gm)].map((m) => m[1]);

const VERBS = verbs();
const FLAGS = new Map(VERBS.map((v) => [v, helpFlags(v)]));
// --help on every verb; --as on every verb that acts as a session (not the hooks, init, demo).
const COMMON = ['as', 'help'];
const NO_IDENTITY = ['check-prefix', 'check-reserved', 'heartbeat', 'init', 'demo', 'merge-driver', 'worktree-create', 'worktree-remove'];

test('coord --help lists verbs; every verb takes --help, and --as unless it acts without a session', () => {
  assert.ok(VERBS.length >= 15, `only ${VERBS.length} verbs parsed from coord --help`);
  for (const [verb, flags] of FLAGS) {
    assert.ok(flags.includes('help'), `coord ${verb} has no --help`);
    assert.equal(flags.includes('as'), !NO_IDENTITY.includes(verb), `--as of coord ${verb}`);
  }
});

test("the common flags are in the reference's common table", () => {
  const text = section(COMMON_HEADING);
  assert.ok(text, `docs/reference.md has no "${COMMON_HEADING}" section`);
  assert.deepEqual(tableFlags(text).sort(), [...COMMON].sort());
  for (const verb of NO_IDENTITY) assert.ok(text.includes(`\`${verb}\``), `the common section says ${verb} takes no --as`);
});

for (const verb of VERBS) {
  test(`coord ${verb}: a reference section whose flag table matches --help`, () => {
    const text = section(`### \`coord ${verb}\``);
    assert.ok(text !== null, `docs/reference.md has no "### \`coord ${verb}\`" section`);
    const own = FLAGS.get(verb).filter((f) => !COMMON.includes(f) || (f === 'as' && verb === 'start'));
    const listed = tableFlags(text);
    for (const flag of own) assert.ok(listed.includes(flag), `--${flag} of coord ${verb} is not in its table in docs/reference.md`);
    for (const flag of listed) {
      assert.ok(
        FLAGS.get(verb).includes(flag),
        `docs/reference.md lists --${flag} for coord ${verb}, which coord ${verb} --help does not have`,
      );
    }
    assert.match(text, new RegExp(`^\`coord ${verb}\\b[^\`]*\``, 'm'), `the section of coord ${verb} has no usage line`);
  });
}

test('the reference has no section for a verb coord does not have', () => {
  const documented = [...REFERENCE.matchAll(/^### `coord ([a-z-]+)`/gm)].map((m) => m[1]);
  for (const v of documented) assert.ok(VERBS.includes(v), `docs/reference.md documents coord ${v}, which coord --help does not list`);
});

test('the usage line in each section is the one --help prints', () => {
  for (const verb of VERBS) {
    const usage = /^Usage: (coord .*)$/m.exec(help([verb, '--help']))[1];
    assert.ok(
      section(`### \`coord ${verb}\``).includes(`\`${usage}\``),
      `docs/reference.md: the usage of coord ${verb} is not \`${usage}\``,
    );
  }
});

test("the README's verb table lists every verb a person types (every group of coord --help but Plumbing)", () => {
  const typed = groups()
    .filter((g) => !g.heading.startsWith('Plumbing'))
    .flatMap((g) => g.lines.map((l) => l.trim().split(/\s/)[0]));
  assert.ok(typed.length >= 15, `only ${typed.length} verbs outside Plumbing in coord --help`);
  // The first cell of each row: `verb`, or several as `a` / `b`.
  const listed = new Set(
    README.split('\n')
      .filter((l) => l.startsWith('| `'))
      .flatMap((l) => [...l.split('|')[1].matchAll(/`([a-z-]+)`/g)].map((m) => m[1])),
  );
  const missing = typed.filter((v) => !listed.has(v));
  assert.deepEqual(missing, [], `README.md's verb table (## The verbs) has no row for: ${missing.join(', ')}`);
});
