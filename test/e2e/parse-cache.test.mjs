// The parsed-queue cache under the git dir is only a speed-up: a hand-broken or missing
// entry is parsed again, entries of old versions are dropped, and answers never change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { coordOk, makeRepo } from '../helpers.mjs';

test('inbox answers the same with a fresh, a broken and a missing parse cache; old entries are pruned', { timeout: 120_000 }, (t) => {
  const fx = makeRepo({ lefthook: false });
  t.after(() => fx.cleanup());
  coordOk(fx.repo, ['start'], { env: fx.env });
  coordOk(fx.repo, ['start'], { env: fx.env });
  const sA = `${fx.repo}-sA`;
  const sB = `${fx.repo}-sB`;
  for (const body of ['one', 'two', 'three']) coordOk(sB, ['send', 'sA', '-m', body], { env: fx.env });
  const inbox = () => JSON.parse(coordOk(sA, ['inbox', '--json'], { env: fx.env }).stdout).messages;
  const first = inbox();
  assert.deepEqual(
    first.map((m) => m.body),
    ['one', 'two', 'three'],
  );
  const dir = fs.readdirSync(path.join(fx.repo, '.git', 'coord')).find((d) => d.startsWith('parsed-'));
  assert.ok(dir, 'the cache directory exists after a read');
  const cacheDir = path.join(fx.repo, '.git', 'coord', dir);
  const entries = fs.readdirSync(cacheDir).filter((f) => !f.startsWith('.'));
  assert.equal(entries.length, 1, 'one entry: the current version of to-sA.md');
  assert.deepEqual(inbox(), first, 'served from the cache: the same answer');
  fs.writeFileSync(path.join(cacheDir, entries[0]), '{"messages": [broken');
  assert.deepEqual(inbox(), first, 'a broken entry is parsed again');
  fs.rmSync(cacheDir, { recursive: true });
  assert.deepEqual(inbox(), first, 'a missing cache is rebuilt');
  coordOk(sA, ['ack', first[0].id], { env: fx.env });
  const after = inbox();
  assert.ok(after[0].status.acked, 'the new version of the file is read, not the cached old one');
  assert.deepEqual(fs.readdirSync(cacheDir).filter((f) => !f.startsWith('.')).length, 1, "the old version's entry is pruned");
});
