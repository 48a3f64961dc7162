// Stamps are computed by hand (no Date on the hook path): they must agree with Date's UTC
// calendar everywhere, leap days and century years included, and parse back exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSource } from './load.mjs';

const S = await loadSource('protocol/stamp.ts');

test('stamp() agrees with Date over 200,000 moments from 1970 to 2400', () => {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const edges = [
    0,
    Date.UTC(2000, 1, 29, 23, 59),
    Date.UTC(2100, 2, 1),
    Date.UTC(2024, 11, 31, 23, 59, 59),
    Date.UTC(1999, 11, 31, 23, 59),
  ];
  for (let i = 0; i < 200_000; i++) {
    const ms = i < edges.length ? edges[i] : Math.floor(rnd() * Date.UTC(2400, 0, 1));
    const want = new Date(ms).toISOString().slice(0, 16) + 'Z';
    assert.equal(S.stamp(ms), want, `at ${ms}`);
    assert.equal(S.parseStamp(want), Math.floor(ms / 60e3) * 60e3, `parse ${want}`);
  }
});

test('parseStamp refuses what is not a real minute', () => {
  for (const bad of [
    '2026-02-29T10:00Z',
    '2026-13-01T00:00Z',
    '2026-04-31T00:00Z',
    '2026-01-01T24:00Z',
    '2026-01-01T10:60Z',
    '2026-01-01 10:00Z',
    '<ts>',
    '',
  ]) {
    assert.equal(S.parseStamp(bad), null, bad);
  }
  assert.equal(S.parseStamp('2024-02-29T12:34Z'), Date.UTC(2024, 1, 29, 12, 34));
});
