// coord check-reserved: the pre-commit hook. Refuses a session's commit that stages a file
// another live session has reserved. Never touches the network: it reads the reservations
// the last fetch left in the clone's git dir, and runs one local git command (the staged files).
import type { Parsed, VerbSpec } from '../args.js';
import { err } from '../output.js';
import { env, readText } from '../host.js';
import { stagedFiles } from '../git.js';
import { path } from '../sys.js';
import { findWorktree, hookSession, seatTakenHere } from '../worktree.js';
import { quoted, visible } from '../protocol/display.js';
import { GUARD_CACHE, guardVerdict, OVERRIDE_ENV, parseGuardCache } from '../protocol/reservations.js';

export const spec: VerbSpec = {
  name: 'check-reserved',
  summary: 'pre-commit hook: refuse staging a file another live session has reserved',
  usage: '',
  description: `Reads the reservations as last fetched (no network). ${OVERRIDE_ENV}=1 git commit … lets one commit through.`,
  flags: [],
  positionals: [0, 0],
  group: 'plumbing',
  needs: 'nothing',
};

/** Who a session whose seat was taken back counts as: no one's reservations are its own. */
const TAKEN_SEAT = '(seat taken back)';

export function run(_p: Parsed): number {
  if (env(OVERRIDE_ENV)) return 0;
  const w = findWorktree();
  if (!w) return 0;
  const id = hookSession(w);
  if (!id) return 0;
  const text = readText(path().join(w.commonDir, GUARD_CACHE));
  if (text === null) return 0;
  const { held } = parseGuardCache(text);
  const nowS = Math.floor(Date.now() / 1e3);
  if (!held.some((h) => h.ends > nowS)) return 0;
  // A worktree whose seat was reaped and claimed again holds nothing: the id's reservations are the new holder's.
  const me = held.some((h) => h.session === id) && seatTakenHere(w, id) ? TAKEN_SEAT : id;
  if (!held.some((h) => h.session !== me && h.ends > nowS)) return 0;
  const index = env('GIT_INDEX_FILE');
  const verdict = guardVerdict(held, me, stagedFiles(w.top, index ? path().resolve(index) : undefined), nowS);
  if (verdict.ok) return 0;
  const lines = [`coord: this commit changes ${verdict.hits.length === 1 ? 'a file' : 'files'} another session has reserved:`];
  // File names come from the tree and notes from the blackboard: one line each, as every output shows them.
  for (const { file, held: h } of verdict.hits) {
    const under = h.path !== file ? ` (${visible(h.path)})` : '';
    lines.push(`  ${visible(file)} — reserved by ${h.session}${under} until ${visible(h.until)}${h.note ? `: ${quoted(h.note)}` : ''}`);
  }
  const first = verdict.hits[0];
  const file = visible(first.file);
  lines.push(`Ask them: coord send ${first.held.session} --type question -m "May I change ${file}?"`);
  lines.push(`Or unstage it (git restore --staged ${file}); to commit anyway, once: ${OVERRIDE_ENV}=1 git commit …`);
  err(lines.join('\n'));
  return 1;
}
