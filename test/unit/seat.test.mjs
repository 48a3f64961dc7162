// The seat fence's pure rule (src/protocol/seat.ts): the claim a worktree keeps, read back
// exactly, and whether the board's row for its id is still that claim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSource } from './load.mjs';

const S = await loadSource('protocol/seat.ts');
const B = await loadSource('protocol/board.ts');

const record = { id: 'sB', claimed: '2026-12-04T10:00Z', name: 'Douro' };
const board = (rows) => B.parseBoard(B.emptyBoardText() + rows.map((r) => r + '\n').join(''));
const rowText = (ident, claimed) =>
  `| ${ident} | (Riff TBD) | worktree \`session-sB\` → direct-to-main, \`[sB]\` | ${claimed} | ${claimed} · | x |`;

test('a claim record renders as one tab-separated line and parses back; anything else is no record', () => {
  const text = S.renderClaimRecord(record);
  assert.equal(text, 'sB\t2026-12-04T10:00Z\tDouro\n');
  assert.deepEqual(S.parseClaimRecord(text), record);
  assert.deepEqual(S.parseClaimRecord(S.renderClaimRecord({ ...record, name: 'São Jorge' })), { ...record, name: 'São Jorge' });
  for (const bad of [
    null,
    '',
    'garbage',
    'sB 2026-12-04T10:00Z Douro\n',
    'bad\t2026-12-04T10:00Z\tDouro\n',
    'sB\tyesterday\tDouro\n',
    'sB\t2026-12-04T10:00Z\tDouro\nmore\n',
  ])
    assert.equal(S.parseClaimRecord(bad), null, JSON.stringify(bad));
});

test('the seat is own while the row is the same claim; taken when the claimed stamp or the name differ; gone without a row', () => {
  const own = B.findRow(board([rowText('sB · Douro', '2026-12-04T10:00Z')]), 'sB');
  assert.deepEqual(S.seatOf(record, own), { kind: 'own' });
  const later = B.findRow(board([rowText('sB · Lisboa', '2026-12-05T09:00Z')]), 'sB');
  assert.deepEqual(S.seatOf(record, later), { kind: 'taken', holder: later });
  const sameMinuteOtherName = B.findRow(board([rowText('sB · Lisboa', '2026-12-04T10:00Z')]), 'sB');
  assert.equal(S.seatOf(record, sameMinuteOtherName).kind, 'taken');
  const sameNameLater = B.findRow(board([rowText('sB · Douro', '2026-12-04T10:01Z')]), 'sB');
  assert.equal(S.seatOf(record, sameNameLater).kind, 'taken');
  assert.deepEqual(S.seatOf(record, B.findRow(board([]), 'sB')), { kind: 'gone' });
});

test('the refusal names the new holder, its claim and the way back, and says nothing was published', () => {
  const holder = B.findRow(board([rowText('sB · Lisboa', '2026-12-05T09:00Z')]), 'sB');
  const text = S.seatTakenText(record, holder, '/w/repo-sB');
  assert.match(text, /^sB's seat was taken back /);
  assert.match(text, /sB · Douro claimed 2026-12-04T10:00Z/);
  assert.match(text, /now held by sB · Lisboa claimed 2026-12-05T09:00Z: this worktree's session ended\./);
  assert.match(text, /Nothing was published\. Start a new one with coord start; your worktree and commits here are untouched/);
  assert.match(text, /git worktree remove \/w\/repo-sB/);
});
