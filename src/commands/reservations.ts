// coord reservations: the reservations on the blackboard, which count and until when.
import { bool, type Parsed, type VerbSpec } from '../args.js';
import { boardName, refresh, Snapshot } from '../blackboard.js';
import type { Context } from '../context.js';
import { dim, err, out, report, table, type Report } from '../output.js';
import { findRow, parseBoard } from '../protocol/board.js';
import { BOARD_PATH } from '../protocol/layout.js';
import { visible } from '../protocol/display.js';
import { countsUntil, parseReservations, RESERVATIONS_PATH, untilMs } from '../protocol/reservations.js';
import { age, stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'reservations',
  summary: 'list the reservations: who holds which paths, until when, and whether they count',
  usage: '[--all] [--json]',
  description:
    'Shows the reservations in force; --all adds the ones that no longer count (their time passed,\n' +
    'their session is stale or off the board), with why. Reads the freshly fetched blackboard branch.',
  flags: [
    { name: 'all', help: 'also list reservations that no longer count' },
    {
      name: 'json',
      help:
        'print {"board","commit","offline","reservations":[{"path","session","name","until","note","counts","endsAt","why"}],' +
        '"problems"}',
    },
  ],
  positionals: [0, 0],
  group: 'collisions',
  needs: 'speaker',
};

export function run(ctx: Context, p: Parsed): Report {
  const { sha, offline } = refresh(ctx, true);
  const snap = new Snapshot(ctx, sha);
  snap.preload([BOARD_PATH, RESERVATIONS_PATH]);
  const board = parseBoard(snap.read(BOARD_PATH) ?? '');
  const t = parseReservations(snap.read(RESERVATIONS_PATH) ?? '');
  const now = Date.now();
  const all = t.rows.map(({ res }) => {
    const ends = countsUntil(res, board, ctx.cfg.staleMs);
    const row = findRow(board, res.session);
    const why = !row
      ? `${res.session} is off the board`
      : (untilMs(res.until) ?? 0) <= now
        ? 'its time passed'
        : ends === null || ends <= now
          ? `${res.session} is stale`
          : null;
    return {
      path: res.path,
      session: res.session,
      name: row?.name ?? null,
      until: res.until,
      note: res.note,
      counts: why === null,
      endsAt: why === null ? stamp(ends!) : null,
      why,
      me: res.session === ctx.session,
    };
  });
  const shown = bool(p, 'all') ? all : all.filter((r) => r.counts);
  const problems = t.problems.map((pr) => ({ file: RESERVATIONS_PATH, line: pr.line, message: pr.message }));
  const value = { board: boardName(ctx), commit: sha, offline, reservations: shown.map(({ me: _me, ...r }) => r), problems };
  return report(value, () => {
    if (offline) err(`coord: offline — ${offline}; showing ${boardName(ctx)} as last fetched.`);
    for (const pr of problems) err(`coord: ${pr.file}:${pr.line}: ${visible(pr.message)}`);
    if (!shown.length) {
      const ended = all.length - shown.length;
      out(
        `No reservations in force on ` +
          `${boardName(ctx)}${ended ? ` (${ended} no longer count: --all shows them)` : ''}. Reserve with 'coord reserve PATH…'.`,
      );
      return;
    }
    out(
      table(
        ['PATH', 'SESSION', 'UNTIL', 'NOTE', ...(bool(p, 'all') ? ['COUNTS'] : [])],
        shown.map((r) => [
          visible(r.path),
          `${r.me ? '*' : ' '}${r.session}${r.name ? ` · ${visible(r.name)}` : ''}`,
          r.counts ? `${r.until} (in ${age((untilMs(r.until) ?? now) - now)})` : visible(r.until),
          visible(r.note) || '—',
          ...(bool(p, 'all') ? [r.counts ? 'yes' : `no: ${r.why}`] : []),
        ]),
      ),
    );
    out(
      dim(
        `${shown.filter((r) => r.counts).length} in force on ${boardName(ctx)}; a session's reservations stop ` +
          `counting once it is stale (> ${age(ctx.cfg.staleMs)}).`,
      ),
    );
  });
}
