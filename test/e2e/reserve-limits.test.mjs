// The minor items of issue 22, end to end with the real bundle, real git and lefthook's hooks:
// a --for coord could not read back is a usage error naming the longest it takes; a pattern
// that covers the whole repository is refused as ./ is; a reservation without a note never
// shows the table's dash as its note (reserve's refusal, the pre-commit refusal, the
// reservations list, the agent's notice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { coord, coordOk, git, gitOk, makeRepo } from '../helpers.mjs';

const TIMEOUT = { timeout: 240_000 };
const RES = 'docs/ai/sessions/reservations.md';

test('reserve: --for past 365d and whole-repository patterns are usage errors that publish nothing', TIMEOUT, (t) => {
  const fx = makeRepo();
  t.after(() => fx.cleanup());
  const a = JSON.parse(coordOk(fx.repo, ['start', '--as', 'sA', '--json'], { env: fx.env }).stdout).worktree;
  const head = () => gitOk(fx.repo, ['ls-remote', fx.origin, 'refs/heads/main'], { env: fx.env });
  const before = head();

  const long = coord(a, ['reserve', 'src/a.ts', '--for', '99999999999999d'], { env: fx.env });
  assert.equal(long.code, 2, long.stdout + long.stderr);
  assert.match(long.stderr, /--for "99999999999999d" is longer than coord accepts \(365d\): reserve for 365d or less/);
  for (const all of ['**', '**/*', './']) {
    const r = coord(a, ['reserve', all], { env: fx.env });
    assert.equal(r.code, 2, `${all}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /is the whole repository: reserve the files or folders you will change\./);
  }
  assert.equal(head(), before, 'nothing published');
  // The longest it takes is taken, and reads back as a reservation that counts.
  coordOk(a, ['reserve', 'src/a.ts', '--for', '365d'], { env: fx.env });
  const listed = JSON.parse(coordOk(a, ['reservations', '--json'], { env: fx.env }).stdout);
  assert.deepEqual(
    listed.reservations.map((r) => [r.path, r.counts]),
    [['src/a.ts', true]],
  );
  assert.deepEqual(listed.problems, []);
});

test('a reservation without a note: no ("—") in the reserve refusal, the pre-commit refusal, the list or the notice', TIMEOUT, (t) => {
  const fx = makeRepo();
  t.after(() => fx.cleanup());
  const start = (as) => JSON.parse(coordOk(fx.repo, ['start', '--as', as, '--json'], { env: fx.env }).stdout).worktree;
  const a = start('sA');
  const b = start('sB');
  coordOk(a, ['reserve', 'src/api.ts'], { env: fx.env });
  assert.match(gitOk(fx.repo, ['show', `origin/main:${RES}`], { env: fx.env }), /\| `src\/api\.ts` \| sA \| \S+ \| — \|/);

  const refused = coord(b, ['reserve', 'src/api.ts'], { env: fx.env });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /src\/api\.ts is reserved by sA \(\S+\) until \S+\. Ask them/);
  assert.doesNotMatch(refused.stderr, /—/);

  fs.mkdirSync(path.join(b, 'src'), { recursive: true });
  fs.writeFileSync(path.join(b, 'src/api.ts'), 'b\n');
  gitOk(b, ['add', 'src/api.ts'], { env: fx.env });
  const commit = git(b, ['commit', '-m', '[sB] feat: api'], { env: fx.env });
  assert.notEqual(commit.code, 0, 'the guard refuses');
  assert.match(commit.stdout + commit.stderr, /src\/api\.ts — reserved by sA until \S+\n/);
  assert.doesNotMatch(commit.stdout + commit.stderr, /"—"/);

  const list = coordOk(b, ['reservations', '--json'], { env: fx.env });
  assert.equal(JSON.parse(list.stdout).reservations[0].note, '');
  const brief = coordOk(b, ['inbox', '--brief'], { env: fx.env, input: JSON.stringify({ cwd: b, hook_event_name: 'UserPromptSubmit' }) });
  // The notice quotes the path (text from the tree): «src/api.ts»; a note would follow in («…»).
  assert.match(brief.stdout, /«src\/api\.ts» is reserved by sA until \S+\n/);
  assert.doesNotMatch(brief.stdout, /\(«?"?—"?»?\)/);
});
