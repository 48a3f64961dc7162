// coord doctor on a healthy repo, and on one moving from the old bash scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { coord, coordOk, makeRepo } from '../helpers.mjs';

test('doctor: all good after init + lefthook; names the old bash jobs left in lefthook.yml', { timeout: 120_000 }, (t) => {
  const fx = makeRepo();
  t.after(() => fx.cleanup());
  const healthy = coordOk(fx.repo, ['doctor', '--json'], { env: fx.env });
  assert.deepEqual(JSON.parse(healthy.stdout).findings, []);
  assert.match(coordOk(fx.repo, ['doctor'], { env: fx.env }).stdout, /All good/);
  const file = path.join(fx.repo, 'lefthook.yml');
  const before = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(
    file,
    before.replace(
      'commit-msg:\n  commands:\n',
      'commit-msg:\n  commands:\n    prefix:\n      run: bash infrastructure/scripts/check-worktree-prefix.sh {1}\n',
    ),
  );
  const r = coord(fx.repo, ['doctor', '--json'], { env: fx.env });
  assert.equal(r.code, 1);
  const findings = JSON.parse(r.stdout).findings;
  assert.ok(
    findings.some((f) => f.level === 'warn' && /still runs check-worktree-prefix\.sh/.test(f.message) && /delete those jobs/.test(f.fix)),
    r.stdout,
  );
  assert.equal(
    fs.readFileSync(file, 'utf8').includes('check-worktree-prefix.sh'),
    true,
    "doctor only reports; it does not edit the team's config",
  );
});

test("doctor --fix removes a closed session's worktree only when nothing in it is the person's own work", { timeout: 120_000 }, (t) => {
  const fx = makeRepo({ lefthook: false });
  t.after(() => fx.cleanup());
  coordOk(fx.repo, ['start'], { env: fx.env });
  const sA = `${fx.repo}-sA`;
  coordOk(sA, ['close', '--keep-worktree'], { env: fx.env });
  const board = path.join(sA, 'docs/ai/sessions/active.md');
  const committed = fs.readFileSync(board, 'utf8');
  // A person's own edit of the board (not a presence stamp) is work: kept, and named.
  fs.writeFileSync(board, committed + '\nA note someone typed.\n');
  const r = coord(fx.repo, ['doctor', '--fix', '--json'], { env: fx.env });
  assert.equal(r.code, 1);
  assert.ok(
    JSON.parse(r.stdout).findings.some((f) => /belongs to sA.*holds uncommitted changes/.test(f.message) && !f.fixed),
    r.stdout,
  );
  assert.ok(fs.existsSync(sA), "the worktree with the person's edit is kept");
  // Without it, the leftover worktree and branch go.
  fs.writeFileSync(board, committed);
  const fixed = coord(fx.repo, ['doctor', '--fix', '--json'], { env: fx.env });
  assert.ok(
    JSON.parse(fixed.stdout).findings.some((f) => /belongs to sA/.test(f.message) && f.fixed),
    fixed.stdout,
  );
  assert.equal(fs.existsSync(sA), false);
});
