// deno: yes — test/run.mjs runs this file again with COORD_RUNTIME=deno (about 30 s there).
// Races, end to end: many coord processes at the same moment, from several clones of one
// origin, against a path remote and against a real network remote (git daemon on
// loopback). Nothing lost, no id handed out twice, no orphan branch or worktree.
// The real bundle as processes, real git; timings are printed, never asserted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  BOARD,
  STAMP,
  boardOnOrigin,
  cellsOf,
  coord,
  coordAsync,
  coordOk,
  git,
  gitOk,
  lefthookBin,
  makeRepo,
  rowsOf,
  runtime,
} from '../helpers.mjs';

const TIMEOUT = { timeout: 240_000 };
const QUEUE = 'docs/ai/sessions/queue';

/** A repo for one test, removed when the test ends. */
function fixture(t, opts) {
  const fx = makeRepo(opts);
  t.after(() => fx.cleanup());
  return fx;
}

/** A free TCP port on loopback (bound, read, released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const daemons = new Set();
/** Kills a daemon and everything it forked (it leads its own process group). */
function killDaemon(child) {
  if (child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
  daemons.delete(child);
}
// Whatever happens in a test, no git daemon outlives the file.
after(() => {
  for (const d of [...daemons]) killDaemon(d);
});

/**
 * Serves every repository under `base` over git:// on loopback, pushes allowed.
 * `git-daemon` is started directly (not through the `git` wrapper, which would leave it
 * running when killed), in a process group of its own. Returns { url(name), stop() }.
 */
async function gitDaemon(t, base, env) {
  const daemonBin = path.join(gitOk(base, ['--exec-path'], { env }).trim(), 'git-daemon');
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const child = spawn(
      daemonBin,
      ['--reuseaddr', '--export-all', '--enable=receive-pack', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base],
      { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    daemons.add(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    const stop = () => killDaemon(child);
    t.after(stop);
    const url = (name) => `git://127.0.0.1:${port}/${name}`;
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000 && child.exitCode === null) {
      const r = spawnSync('git', ['ls-remote', url('origin.git')], { env, encoding: 'utf8', timeout: 5000 });
      if (r.status === 0) return { url, stop, port };
      await new Promise((r2) => setTimeout(r2, 50));
    }
    stop();
    if (tries >= 3) throw new Error(`git daemon did not come up on port ${port}: ${stderr}`);
  }
}

/** Installs the real lefthook hooks in a clone (so doctor has nothing to say about them). */
function lefthookInstall(dir, env) {
  const r = spawnSync(lefthookBin, ['install'], { cwd: dir, env, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`lefthook install failed in ${dir}: ${r.error?.message ?? r.stderr + r.stdout}`);
}

/** Clones `url` into root/<name>, with lefthook installed. */
function cloneInto(fx, url, name) {
  const dir = path.join(fx.root, name);
  gitOk(fx.root, ['clone', '--quiet', url, dir], { env: fx.env });
  lefthookInstall(dir, fx.env);
  return dir;
}

/** How many times each git sub-command ran, from one GIT_TRACE2_EVENT file. */
function gitCounts(traceFile) {
  const counts = {};
  if (!fs.existsSync(traceFile)) return counts;
  for (const m of fs
    .readFileSync(traceFile, 'utf8')
    .matchAll(/"event":"start".*?"argv":\["(?:[^"]*\/)?git",(?:"-C","[^"]*",)?"([a-z-]+)"/g)) {
    counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  }
  return counts;
}

/**
 * Runs every job at the same moment; each gets its own git trace so the attempts it took
 * (push count) can be read afterwards. Returns [{ ...result, args, cwd, pushes }], wall ms.
 */
async function burst(fx, jobs) {
  const traceDir = fs.mkdtempSync(path.join(fx.root, 'trace-'));
  const t0 = Date.now();
  const results = await Promise.all(
    jobs.map(({ cwd, args }, i) => {
      const env = { ...fx.env, GIT_TRACE2_EVENT: path.join(traceDir, `job-${i}.json`) };
      return coordAsync(cwd, args, { env, timeout: 200_000 }).then((r) => ({ ...r, cwd, args }));
    }),
  );
  const wallMs = Date.now() - t0;
  results.forEach((r, i) => {
    const c = gitCounts(path.join(traceDir, `job-${i}.json`));
    r.pushes = c.push ?? 0;
    r.commits = c['fast-import'] ?? 0;
  });
  fs.rmSync(traceDir, { recursive: true, force: true });
  return { results, wallMs };
}

const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { total: s.reduce((a, b) => a + b, 0), max: s.at(-1), median: s[Math.floor(s.length / 2)] };
};

/** Fails with every failed job's output. */
function assertAllOk(results) {
  const bad = results.filter((r) => r.code !== 0);
  assert.equal(
    bad.length,
    0,
    bad.map((r) => `coord ${r.args.join(' ')} in ${r.cwd} exited ${r.code}:\n${r.stderr}${r.stdout}`).join('\n---\n'),
  );
}

/** Session branches, worktrees (besides the main one) and refs/coord refs of one clone. */
function localState(dir, env) {
  const branches = gitOk(dir, ['for-each-ref', '--format=%(refname:lstrip=2)', 'refs/heads/session-*'], { env })
    .split('\n')
    .filter(Boolean)
    .sort();
  const worktrees = [];
  let cur = null;
  for (const line of gitOk(dir, ['worktree', 'list', '--porcelain'], { env }).split('\n')) {
    if (line.startsWith('worktree ')) {
      cur = { dir: line.slice(9), branch: null };
      worktrees.push(cur);
    }
    if (line.startsWith('branch refs/heads/') && cur) cur.branch = line.slice(18);
  }
  const scratch = gitOk(dir, ['for-each-ref', 'refs/coord/'], { env }).trim();
  const marks = fs.existsSync(path.join(dir, '.git', 'coord'))
    ? fs.readdirSync(path.join(dir, '.git', 'coord')).filter((n) => n.startsWith('claiming-'))
    : [];
  const siblings = fs
    .readdirSync(path.dirname(dir))
    .filter((e) => e.startsWith(`${path.basename(dir)}-s`))
    .sort();
  return { branches, worktrees: worktrees.filter((w) => w.dir !== dir), scratch, marks, siblings };
}

/**
 * Board, refs and worktrees agree after a race: each clone holds exactly the worktrees and
 * branches of the ids claimed from it, nothing half-made is left, and the board on origin
 * has one row per claimed id, each claimed by exactly one commit.
 */
function assertRaceOutcome(fx, clones, starts, n) {
  const ids = starts.map((s) => s.id);
  assert.equal(new Set(ids).size, n, `ids handed out: ${ids.join(' ')}`);
  assert.equal(new Set(starts.map((s) => s.name)).size, n, `names handed out: ${starts.map((s) => s.name).join(' ')}`);

  const board = boardOnOrigin(clones[0], fx.env);
  const rows = rowsOf(board);
  assert.equal(rows.length, n, `rows on origin/main:\n${board}`);
  assert.deepEqual(rows.map((r) => cellsOf(r)[0].split(' · ')[0]).sort(), [...ids].sort());
  for (const s of starts)
    assert.ok(
      rows.some((r) => cellsOf(r)[0] === `${s.id} · ${s.name}`),
      `row of ${s.id} · ${s.name}`,
    );
  const claims = gitOk(clones[0], ['log', '--format=%s', 'origin/main'], { env: fx.env })
    .split('\n')
    .filter((l) => / claim s[A-Z]+ at /.test(l));
  assert.equal(claims.length, n, `claim commits on origin/main:\n${claims.join('\n')}`);
  assert.deepEqual(claims.map((l) => /^\[(s[A-Z]+)\]/.exec(l)[1]).sort(), [...ids].sort());

  for (const dir of clones) {
    const mine = starts
      .filter((s) => s.clone === dir)
      .map((s) => s.id)
      .sort();
    const st = localState(dir, fx.env);
    assert.deepEqual(
      st.branches,
      mine.map((id) => `session-${id}`),
      `session branches in ${dir}`,
    );
    assert.deepEqual(st.worktrees.map((w) => w.dir).sort(), mine.map((id) => `${dir}-${id}`).sort(), `worktrees of ${dir}`);
    for (const w of st.worktrees) assert.equal(w.branch, `session-${w.dir.slice(dir.length + 1)}`, `${w.dir} is on its session branch`);
    assert.deepEqual(st.siblings, mine.map((id) => `${path.basename(dir)}-${id}`).sort(), `no stray worktree directory next to ${dir}`);
    assert.equal(st.scratch, '', `no ref left under refs/coord/ in ${dir}`);
    assert.deepEqual(st.marks, [], `no note of an unfinished start left in ${dir}/.git/coord`);
    for (const id of mine) {
      const wt = `${dir}-${id}`;
      const head = gitOk(wt, ['show', `HEAD:${BOARD}`], { env: fx.env });
      assert.equal(rowsOf(head).filter((r) => r.startsWith(`| ${id} · `)).length, 1, `${wt} starts from a board holding its own row`);
      assert.equal(gitOk(wt, ['status', '--porcelain'], { env: fx.env }), '', `${wt} is clean`);
    }
    const doc = coord(dir, ['doctor', '--json'], { env: fx.env });
    const findings = JSON.parse(doc.stdout).findings.filter((f) => f.level !== 'info');
    assert.deepEqual(findings, [], `coord doctor in ${dir} finds nothing to fix`);
    assert.equal(doc.code, 0);
  }
}

/** 12 starts at the same moment over the clones (4 each), checked and timed. */
async function twelveStarts(t, fx, clones, label) {
  const jobs = Array.from({ length: 12 }, (_, i) => ({ cwd: clones[i % clones.length], args: ['start', '--json'] }));
  const { results, wallMs } = await burst(fx, jobs);
  assertAllOk(results);
  const starts = results.map((r) => ({ ...JSON.parse(r.stdout), clone: r.cwd, pushes: r.pushes }));
  const pushes = summary(results.map((r) => r.pushes));
  const line = `12 concurrent starts (${label}, ${runtime}): ${wallMs} ms wall; push attempts total ${pushes.total}, median ${pushes.median}, max ${pushes.max}; ids ${starts.map((s) => s.id).join(' ')}`;
  console.log(line);
  assertRaceOutcome(fx, clones, starts, 12);
  for (const s of starts) assert.match(s.claimed, new RegExp(`^${STAMP}$`));
  return starts;
}

test(
  '12 starts at the same moment from 3 clones of a path origin: 12 distinct ids, 12 rows, 12 worktrees, no orphan',
  TIMEOUT,
  async (t) => {
    const fx = fixture(t);
    const clones = [fx.repo, cloneInto(fx, fx.origin, 'clone-b'), cloneInto(fx, fx.origin, 'clone-c')];
    await twelveStarts(t, fx, clones, 'path remote');

    // The next claim after the race takes the next id, from any clone.
    const next = JSON.parse(coordOk(clones[1], ['start', '--json'], { env: fx.env }).stdout);
    assert.equal(next.id, 'sM');
  },
);

test('12 starts at the same moment from 3 clones of a git:// origin served by git daemon on loopback', TIMEOUT, async (t) => {
  const fx = fixture(t);
  const daemon = await gitDaemon(t, fx.root, fx.env);
  const url = daemon.url('origin.git');
  // The fixture's own clone is re-pointed at the daemon; two more clones come over the network.
  gitOk(fx.repo, ['remote', 'set-url', 'origin', url], { env: fx.env });
  const clones = [fx.repo, cloneInto(fx, url, 'net-b'), cloneInto(fx, url, 'net-c')];
  for (const c of clones) assert.equal(gitOk(c, ['remote', 'get-url', 'origin'], { env: fx.env }).trim(), url);
  await twelveStarts(t, fx, clones, 'git:// remote');

  // What the daemon serves is what the bare repository holds.
  const served = gitOk(fx.root, ['ls-remote', url, 'refs/heads/main'], { env: fx.env }).split('\t')[0];
  assert.equal(served, gitOk(fx.origin, ['rev-parse', 'main'], { env: fx.env }).trim());
  daemon.stop();
});

/** The sessions' rows, parsed from a board text. */
function rowsById(board) {
  return new Map(
    rowsOf(board).map((r) => {
      const c = cellsOf(r);
      return [c[0].split(' · ')[0], c];
    }),
  );
}

/** Every message block in the queue files of origin/main: { file, header, body, status }. */
function blocksOnOrigin(dir, env) {
  gitOk(dir, ['fetch', '--quiet', 'origin'], { env });
  const files = gitOk(dir, ['ls-tree', '--name-only', `origin/main:${QUEUE}`], { env })
    .split('\n')
    .filter((f) => f.endsWith('.md'));
  const blocks = [];
  for (const f of files) {
    const text = gitOk(dir, ['show', `origin/main:${QUEUE}/${f}`], { env });
    let cur = null;
    for (const line of text.split('\n')) {
      if (line.startsWith('## ')) {
        cur = { file: f, header: line, body: [], status: null };
        blocks.push(cur);
      } else if (cur && line.startsWith('→ status:')) {
        cur.status = line;
        cur = null;
      } else if (cur) cur.body.push(line);
    }
  }
  return blocks.map((b) => ({ ...b, body: b.body.join('\n') }));
}

test('sends, acks, scope changes and closes from many sessions at once, over two clones: nothing lost', TIMEOUT, async (t) => {
  const fx = fixture(t);
  const other = cloneInto(fx, fx.origin, 'clone-b');
  const ids = ['sA', 'sB', 'sC', 'sD', 'sE', 'sF', 'sG', 'sH'];
  const home = {};
  for (const [i, id] of ids.entries()) {
    home[id] = i < 4 ? fx.repo : other;
    assert.equal(JSON.parse(coordOk(home[id], ['start', '--json'], { env: fx.env }).stdout).id, id);
  }
  // One message waiting for each of sA..sF, to be acked during the burst.
  const staying = ids.slice(0, 6);
  const closing = ids.slice(6);
  const waiting = {};
  for (const [i, id] of staying.entries()) {
    const from = ids[(i + 1) % ids.length];
    waiting[id] = JSON.parse(
      coordOk(fx.repo, ['send', id, '--as', from, '--type', 'question', '-m', `waiting for ${id} from ${from}`, '--json'], { env: fx.env })
        .stdout,
    ).id;
  }
  const before = gitOk(fx.repo, ['rev-parse', 'origin/main'], { env: fx.env }).trim();

  const jobs = [];
  // Every session (the closing ones too) sends one message to a session that stays.
  const sends = ids.map((from, i) => ({
    from,
    to: staying[(i + 2) % staying.length],
    body: `burst message from ${from} | with a pipe and \`code\``,
  }));
  // Two byte-identical messages, same sender, same recipient, same minute: both must land, with two ids.
  sends.push({ ...sends[0] });
  for (const s of sends) jobs.push({ cwd: home[s.from], args: ['send', s.to, '--as', s.from, '-m', s.body, '--json'] });
  for (const id of staying) jobs.push({ cwd: home[id], args: ['ack', waiting[id], '--as', id, '--json'] });
  for (const id of staying) jobs.push({ cwd: home[id], args: ['scope', `burst scope of ${id}`, '--as', id, '--json'] });
  for (const id of closing) jobs.push({ cwd: home[id], args: ['close', '--as', id, '--json'] });

  const { results, wallMs } = await burst(fx, jobs);
  const pushes = summary(results.map((r) => r.pushes));
  const line = `${jobs.length} concurrent writes (send/ack/scope/close, ${runtime}): ${wallMs} ms wall; push attempts total ${pushes.total}, median ${pushes.median}, max ${pushes.max}`;
  console.log(line);
  // None may give up. A push is turned away only when main moved since that attempt's
  // fetch, and main moves only by another job's write: each job publishes one commit (see
  // the history check below), and one write cannot land in two disjoint fetch-to-push
  // windows of the same job. So a job loses at most jobs.length - 1 rounds and pushes at
  // most jobs.length (23) times, well under the 40 attempts coord allows before 'Gave up'.
  // Every job's outcome is accounted for: each exited 0, and each stayed within that bound.
  assertAllOk(results);
  for (const r of results) {
    assert.ok(
      r.pushes >= 1 && r.pushes <= jobs.length,
      `coord ${r.args.join(' ')} in ${r.cwd} pushed ${r.pushes} times; with ${jobs.length} writers at most ${jobs.length} rounds can be needed`,
    );
  }

  // The board: closed rows gone, every other row present with its new scope.
  const board = boardOnOrigin(fx.repo, fx.env);
  const rows = rowsById(board);
  assert.deepEqual([...rows.keys()].sort(), staying, `rows on origin/main:\n${board}`);
  for (const id of staying) assert.equal(rows.get(id)[5], `burst scope of ${id}`, `scope of ${id}`);
  assert.equal(rowsOf(board).length, staying.length, 'one row per session, no duplicate');

  // Every message exactly once (the two identical ones twice, with distinct ids).
  const blocks = blocksOnOrigin(fx.repo, fx.env);
  const sentIds = results.filter((r) => r.args[0] === 'send').map((r) => JSON.parse(r.stdout).id);
  assert.equal(new Set(sentIds).size, sends.length, `send ids: ${sentIds.join(' ')}`);
  for (const s of new Set(sends.map((x) => x.body))) {
    const want = sends.filter((x) => x.body === s);
    const got = blocks.filter((b) => b.body === s);
    assert.equal(got.length, want.length, `blocks with body ${JSON.stringify(s)}`);
    for (const b of got) {
      assert.equal(b.file, `to-${want[0].to}.md`);
      assert.match(b.header, new RegExp(`^## ${STAMP} · from:${want[0].from} · to:${want[0].to} · type:info · ref:— · status:sent$`));
      assert.equal(b.status, '→ status:seen <ts> · acked <ts> · resolved <ts>');
    }
  }
  // Every ack stamped on its own block, and only there.
  for (const id of staying) {
    const got = blocks.filter((b) => b.body.startsWith(`waiting for ${id} from `));
    assert.equal(got.length, 1, `the message waiting for ${id}`);
    assert.match(got[0].status, new RegExp(`^→ status:seen ${STAMP} · acked ${STAMP} · resolved <ts>$`), `status of the message to ${id}`);
  }
  assert.equal(blocks.length, staying.length + sends.length, 'no other block appeared or vanished');
  // And each recipient sees exactly its messages in its inbox.
  for (const id of staying) {
    const inbox = JSON.parse(coordOk(fx.repo, ['inbox', '--as', id, '--json'], { env: fx.env }).stdout);
    const want = sends.filter((s) => s.to === id).length + 1;
    assert.equal(inbox.messages.length, want, `inbox of ${id}`);
  }

  // The closed sessions' worktrees and branches are gone; the rest are untouched.
  for (const id of closing) {
    assert.ok(!fs.existsSync(`${home[id]}-${id}`), `worktree of ${id} removed`);
    assert.notEqual(
      git(home[id], ['rev-parse', '--verify', '--quiet', `refs/heads/session-${id}`], { env: fx.env }).code,
      0,
      `branch of ${id} deleted`,
    );
  }
  for (const id of staying) assert.ok(fs.existsSync(`${home[id]}-${id}`), `worktree of ${id} kept`);

  // One commit per write, each publishing exactly one change: history has no merges and no lost update.
  const log = gitOk(fx.repo, ['log', '--format=%P%x09%s', `${before}..origin/main`], { env: fx.env })
    .trim()
    .split('\n');
  assert.equal(log.length, jobs.length, `commits published by the burst:\n${log.join('\n')}`);
  assert.ok(
    log.every((l) => !l.split('\t')[0].includes(' ')),
    'no merge commits',
  );
  for (const dir of [fx.repo, other]) assert.equal(localState(dir, fx.env).scratch, '', `no refs/coord/ ref left in ${dir}`);
});
