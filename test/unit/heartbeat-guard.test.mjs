// The post-commit fast path (a POSIX sh script generated from src/protocol/heartbeat.ts) and
// `coord heartbeat` must agree: whenever the script says "done" (exit 0), the board it leaves
// is byte for byte the board coord leaves from the same start. Checked over generated boards
// (the shape coord writes, hand edits, traps) × worktree layouts × commit times, with the
// script run by a real sh (and dash) and coord's heartbeat built from the same sources. Real
// commits through lefthook take this path in the e2e tests (lifecycle, package, the tutorial).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { mulberry32, onboardedScratch } from '../helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'coord-heartbeat-')));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const entry = path.join(tmp, 'entry.ts');
fs.writeFileSync(
  entry,
  `export { heartbeatScript } from ${JSON.stringify(path.join(here, '../../src/protocol/heartbeat.ts'))};\n` +
    `export { run as heartbeat } from ${JSON.stringify(path.join(here, '../../src/commands/heartbeat.ts'))};\n` +
    `export { emptyBoardText } from ${JSON.stringify(path.join(here, '../../src/protocol/board.ts'))};\n` +
    `export { stamp } from ${JSON.stringify(path.join(here, '../../src/protocol/stamp.ts'))};\n`,
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

const BOARD = 'docs/ai/sessions/active.md';
const repo = onboardedScratch(tmp);
const script = path.join(repo, 'infrastructure/scripts/coord-heartbeat.sh');

test('init writes the script the rule module renders, and the post-commit job runs it first', () => {
  assert.equal(fs.readFileSync(script, 'utf8'), R.heartbeatScript());
  assert.match(
    fs.readFileSync(path.join(repo, 'lefthook.yml'), 'utf8'),
    /post-commit:\n  commands:\n    coord-heartbeat:\n      run: sh infrastructure\/scripts\/coord-heartbeat\.sh \|\| node infrastructure\/scripts\/coord\.mjs heartbeat\n/,
  );
  assert.equal(spawnSync('sh', ['-n', script]).status, 0);
  const d = spawnSync('dash', ['-n', script]);
  if (!d.error) assert.equal(d.status, 0, String(d.stderr));
});

const SHA = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
/** A worktree at `dir` in the shape git leaves right after a commit: HEAD, the branch ref, the reflog line. */
function layout(dir, { head, linked = true, reflog, refSha = SHA, marker, board, record }) {
  fs.rmSync(dir, { recursive: true, force: true });
  const common = path.join(dir, 'common');
  const wt = path.join(dir, 'wt');
  const gitDir = linked ? path.join(common, 'worktrees', 'wt') : path.join(wt, '.git');
  fs.mkdirSync(path.join(gitDir, 'logs'), { recursive: true });
  fs.mkdirSync(path.join(linked ? common : gitDir, 'refs', 'heads'), { recursive: true });
  fs.mkdirSync(path.join(wt, path.dirname(BOARD)), { recursive: true });
  if (linked) {
    fs.writeFileSync(path.join(wt, '.git'), `gitdir: ${gitDir}\n`);
    fs.writeFileSync(path.join(gitDir, 'commondir'), '../..\n');
  }
  fs.writeFileSync(path.join(gitDir, 'HEAD'), head + '\n');
  const branch = /^ref: refs\/heads\/(.*)$/.exec(head)?.[1];
  if (branch && refSha) fs.writeFileSync(path.join(linked ? common : gitDir, 'refs', 'heads', branch), refSha + '\n');
  if (reflog !== undefined) fs.writeFileSync(path.join(gitDir, 'logs', 'HEAD'), reflog);
  if (marker) fs.mkdirSync(path.join(gitDir, marker));
  if (board !== null) fs.writeFileSync(path.join(wt, BOARD), board);
  if (record !== undefined) fs.writeFileSync(path.join(gitDir, 'coord-claim'), record);
  return wt;
}

const reflogLine = (t, { sha = SHA, tz = '+0000', who = 'A U Thor <a@example.com>' } = {}) =>
  `${'0'.repeat(40)} ${sha} ${who} ${t} ${tz}\tcommit: [sA] x\n`;
const row = (id, presence, { name = 'Sintra', note = '', lead = '', cell } = {}) =>
  `${lead}| ${id} · ${name} | (Riff TBD) | worktree \`session-${id}\` → direct-to-main, \`[${id}]\` | 2026-11-26T09:00Z | ${cell ?? `${presence} ·${note ? ' ' + note : ''} `}| scope x |`;

function* cases() {
  const rnd = mulberry32(2026);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const other = mulberry32(24); // the claim records draw from their own sequence: the other cases stay as they were
  const times = [
    1795000000, 1795000059, 1795000060, 951782400 /* 2000-02-29 */, 1709164800 /* 2024-02-29 */, 4102444799 /* 2099-12-31T23:59:59 */,
    1798761599 /* year end */, 0, 86399,
  ];
  for (let i = 0; i < 700; i++) {
    const t = rnd() < 0.5 ? pick(times) : Math.floor(rnd() * 4e9);
    const at = R.stamp(t * 1000);
    const before = R.stamp((t - 3600) * 1000);
    const later = R.stamp((t + 3600) * 1000);
    const presence = rnd() < 0.6 ? before : pick([at, later, '2026-02-30T10:00Z', '2026-13-01T00:00Z', '9999-99-99T99:99Z', '—']);
    const me = pick(['sA', 'sA', 'sAB', 'sZ']);
    const rows = [row(me, presence, { note: pick(['', '', 'back at 3', ' spaced ', 'Évora', 'x\u00a0']) })];
    const trap = rnd() * 1.4;
    if (trap < 0.08)
      rows.push(row(me, before)); // a second row of the same id
    else if (trap < 0.14)
      rows.unshift(`|\u00a0${me} · hidden | a | b | c | ${before} · | d |`); // a row coord reads, unusual spacing
    else if (trap < 0.2)
      rows[0] = rows[0].replace(' | scope x |', ' | scope x'); // no closing pipe
    else if (trap < 0.26) rows[0] = rows[0].replace('scope x', 'scope \\| piped');
    else if (trap < 0.3) rows[0] = '  ' + rows[0];
    else if (trap < 0.34) rows[0] = rows[0].replace(`${presence} · `, `${presence} ·`);
    else if (trap < 0.38) rows.push(row('sB', before), row(me === 'sA' ? 'sAB' : 'sA', before));
    else if (trap < 0.42) rows.push(`| ${me}X · broken | only |`);
    const text = R.emptyBoardText() + rows.join('\n') + (rnd() < 0.93 ? '\n' : '');
    const board = rnd() < 0.05 ? text.replace(/\n/g, '\r\n') : text;
    const reflog =
      rnd() < 0.7
        ? reflogLine(t)
        : pick([
            reflogLine(t, { sha: OTHER }),
            reflogLine(t, { tz: '-0130' }),
            reflogLine(t).replace('\t', ' '),
            'garbage\n',
            '',
            reflogLine(t - 100) + reflogLine(t),
          ]);
    const head = rnd() < 0.8 ? `ref: refs/heads/session-${me}` : pick(['ref: refs/heads/main', 'ref: refs/heads/.invalid', SHA]);
    yield {
      t,
      board: rnd() < 0.03 ? null : board,
      reflog,
      head,
      linked: rnd() < 0.8,
      marker: rnd() < 0.05 ? 'MERGE_HEAD' : undefined,
      refSha: rnd() < 0.05 ? null : SHA,
      env: rnd() < 0.1 ? { COORD_SESSION: 'sA' } : {},
      // The claim the worktree keeps (protocol/seat.ts): its own row's, another claim of the same id, or odd.
      record:
        other() < 0.7
          ? undefined
          : [
              `${me}\t2026-11-26T09:00Z\tSintra\n`,
              `${me}\t2026-11-26T09:00Z\tSintra\n`,
              `${me}\t2026-11-26T09:01Z\tSintra\n`,
              `${me}\t2026-11-26T09:00Z\tLisboa\n`,
              `sQ\t2026-11-26T09:00Z\tSintra\n`,
              `${me}\t2026-11-26T09:00Z\tSi\\ntra\n`,
              'garbage',
            ][Math.floor(other() * 7)],
    };
  }
}

/** coord's own heartbeat run in `wt`, as the hook runs it. */
function coordRun(wt, env) {
  const cwd = process.cwd();
  const prev = process.env.COORD_SESSION;
  if (env.COORD_SESSION) process.env.COORD_SESSION = env.COORD_SESSION;
  else delete process.env.COORD_SESSION;
  process.chdir(wt);
  try {
    R.heartbeat({ args: [], flags: {} });
  } finally {
    process.chdir(cwd);
    if (prev === undefined) delete process.env.COORD_SESSION;
    else process.env.COORD_SESSION = prev;
  }
}

const readBoard = (wt) => (fs.existsSync(path.join(wt, BOARD)) ? fs.readFileSync(path.join(wt, BOARD), 'utf8') : null);

for (const shell of ['sh', 'dash']) {
  test(`the ${shell} fast path leaves exactly the board coord leaves whenever it says done, and does the common case itself`, (t) => {
    if (spawnSync(shell, ['-c', 'true']).error) {
      t.skip(`${shell} is not installed`);
      return;
    }
    let cases = 0;
    let done = 0;
    let wrote = 0;
    let clean = 0;
    let cleanDone = 0;
    const disagreements = [];
    for (const c of cases_()) {
      cases++;
      const a = layout(path.join(tmp, 'a'), c);
      const b = layout(path.join(tmp, 'b'), c);
      const start = readBoard(a);
      const r = spawnSync(shell, [script], { cwd: a, env: { PATH: process.env.PATH, ...c.env }, encoding: 'utf8' });
      assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
      assert.equal(r.stderr, '', 'the fast path prints nothing');
      if (r.status === 0) {
        done++;
        coordRun(b, c.env);
        if (readBoard(a) !== readBoard(b)) disagreements.push({ case: c, sh: readBoard(a), coord: readBoard(b) });
        if (readBoard(a) !== start) wrote++;
      }
      // The shape coord writes, in a session worktree right after a commit: sh must handle it alone.
      const plain =
        c.board &&
        !c.board.includes('\r') &&
        c.board.endsWith('\n') &&
        c.linked &&
        !c.marker &&
        c.refSha &&
        c.reflog === reflogLine(c.t) &&
        /^ref: refs\/heads\/session-/.test(c.head) &&
        !c.env.COORD_SESSION &&
        (c.record === undefined || c.record === `${c.head.slice('ref: refs/heads/session-'.length)}\t2026-11-26T09:00Z\tSintra\n`);
      const me = c.head.slice('ref: refs/heads/session-'.length);
      const mine = c.board?.split('\n').filter((l) => l.includes(`| ${me} · `)) ?? [];
      if (
        plain &&
        mine.length === 1 &&
        /^\| .* \|$/.test(mine[0]) &&
        !c.board.includes('\\') &&
        !c.board.includes('\u00a0') &&
        /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z · ([!-~](.*[!-~])? )?\|/.test(mine[0]) &&
        !/-(02-30|13-01|99-99)/.test(mine[0]) &&
        (c.board.match(new RegExp(`\\| ${me}[^A-Z]`, 'g')) ?? []).length === 1
      ) {
        const cur = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z) ·/.exec(mine[0].split('|')[5])?.[1];
        if (cur && cur <= R.stamp(c.t * 1000)) {
          clean++;
          if (r.status === 0) cleanDone++;
        }
      }
    }
    assert.deepEqual(disagreements.slice(0, 3), [], `${disagreements.length} cases where sh and coord leave different boards`);
    assert.ok(cases >= 700 && done > 150 && wrote > 50, `${cases} cases, ${done} done by sh, ${wrote} written by sh`);
    assert.ok(clean > 40, `only ${clean} clean cases generated`);
    assert.equal(cleanDone, clean, 'every clean case is done by sh alone');
    console.log(`heartbeat fast path (${shell}): ${cases} cases, ${done} done by sh (${wrote} wrote the stamp), 0 disagreements`);
  });
}
const cases_ = cases;

test("a worktree whose claim is not its id's row (the seat was reaped and claimed again): neither sh nor coord moves that row's stamp", () => {
  const t = 1796000000; // after the rows' stamps
  const board = R.emptyBoardText() + row('sA', '2026-11-26T09:00Z') + '\n';
  for (const [record, moves] of [
    ['sA\t2026-11-26T09:00Z\tSintra\n', true], // its own claim: the stamp moves
    ['sA\t2026-11-26T08:59Z\tSintra\n', false], // an earlier claim of sA
    ['sA\t2026-11-26T09:00Z\tDouro\n', false], // another session claimed sA in the same minute
  ]) {
    const c = { head: 'ref: refs/heads/session-sA', reflog: reflogLine(t), board, record };
    const a = layout(path.join(tmp, 'a'), c);
    const r = spawnSync('sh', [script], { cwd: a, env: { PATH: process.env.PATH }, encoding: 'utf8' });
    assert.equal(r.status, moves ? 0 : 1, `${JSON.stringify(record)}: ${r.stderr}`);
    const b = layout(path.join(tmp, 'b'), c);
    coordRun(b, {});
    for (const wt of [a, b]) {
      assert.equal(readBoard(wt) !== board, moves, `${JSON.stringify(record)} in ${wt === a ? 'sh' : 'coord'}`);
    }
  }
});
