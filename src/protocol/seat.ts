// The claim a session worktree owns: which row of the board is its own. An id names a seat,
// not a session: once a stale seat is reaped and claimed again (from any clone), the old holder
// must not act on the new holder's row. The worktree keeps the claim it made (id, claimed
// stamp, name) in its own git dir; a write compares it with the board's row for that id.
import type { SessionRow } from './board.js';
import { isSessionId } from './ids.js';
import { STAMP_RE } from './stamp.js';

/** The file in a session worktree's own git dir that holds its claim. */
export const CLAIM_RECORD = 'coord-claim';

export interface ClaimRecord {
  id: string;
  claimed: string;
  name: string;
}

/** One line: id, claimed stamp, name, tab-separated (a name never holds a tab; the sh fast paths read it with one `read`). */
export function renderClaimRecord(r: ClaimRecord): string {
  return `${r.id}\t${r.claimed}\t${r.name}\n`;
}

/** The record a worktree holds, or null when the text is not one (then the worktree is treated as unfenced, as before). */
export function parseClaimRecord(text: string | null): ClaimRecord | null {
  const m = /^([^\t\n]*)\t([^\t\n]*)\t([^\t\n]*)\r?\n?$/.exec(text ?? '');
  if (!m || !isSessionId(m[1]) || !STAMP_RE.test(m[2])) return null;
  return { id: m[1], claimed: m[2], name: m[3].trim() };
}

/**
 * Whose the seat is now. `own`: the row is the record's claim. `gone`: no row for the id (reaped,
 * not claimed again): nothing of another session is at risk, the verbs say what they say today.
 * `taken`: the id's row is another claim, so the record's session ended.
 */
export type Seat = { kind: 'own' } | { kind: 'gone' } | { kind: 'taken'; holder: SessionRow };

export function seatOf(record: ClaimRecord, row: SessionRow | undefined | null): Seat {
  if (!row) return { kind: 'gone' };
  return row.claimed === record.claimed && row.name === record.name ? { kind: 'own' } : { kind: 'taken', holder: row };
}

/** What a session whose seat was taken is told: who holds it now, and the way back. */
export function seatTakenText(record: ClaimRecord, holder: SessionRow, worktree: string): string {
  const mine = `${record.id}${record.name ? ` · ${record.name}` : ''} claimed ${record.claimed}`;
  const now = `${holder.id}${holder.name ? ` · ${holder.name}` : ''} claimed ${holder.claimed || '(no stamp)'}`;
  return (
    `${record.id}'s seat was taken back (this worktree's claim, ${mine}, is off the board: reaped?) and is now held by ` +
    `${now}: this worktree's session ended. Nothing was published. Start a new one with coord start; your worktree and ` +
    `commits here are untouched (to remove this worktree once its work is merged or pushed: git worktree remove ${worktree}).`
  );
}
