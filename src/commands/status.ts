// coord status: the board, with each session's liveness.
import { str, type Parsed, type VerbSpec } from '../args.js';
import { boardName, refresh, SCRIPTS_DIR, Snapshot } from '../blackboard.js';
import { missingScriptsWarning } from '../session.js';
import type { Context } from '../context.js';
import { boardHistory, stateOf, withThresholds } from '../liveness.js';
import { overlapLine, overlapsOf, touches } from '../overlaps.js';
import { dim, err, green, out, red, report, table, yellow, type Report } from '../output.js';
import { NO_RIFF, parseBoard } from '../protocol/board.js';
import { visible } from '../protocol/display.js';
import { BOARD_PATH } from '../protocol/layout.js';
import { age, parseStamp, stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'status',
  summary: 'the board: who is live, on what, presence and last commit, stale flags',
  usage: '[--live DURATION] [--stale DURATION] [--json]',
  description:
    'Reads the freshly fetched blackboard branch (or, offline, what was fetched last, and says so).\n' +
    'Overlaps: files two or more sessions that are not stale are changing (their [sX] commits on the\n' +
    'blackboard branch since their claim; for worktrees in this clone, unpublished commits and edits).\n' +
    'State: live (activity newer than --live, default 30m), stale (older than --stale, default 24h),\n' +
    'idle in between, paused when the scope says so. Activity is the newest of the presence stamp,\n' +
    'the claim and the last [sX] commit, so it works without the heartbeat hook.',
  flags: [
    { name: 'live', value: 'DURATION', help: 'activity newer than this is live (default 30m, or "live" in .coord.json)' },
    { name: 'stale', value: 'DURATION', help: 'activity older than this is stale (default 24h, or "stale" in .coord.json)' },
    {
      name: 'json',
      help:
        'print {"board","commit","offline","session","sessions":[…],"overlaps":[…],"problems","missingScripts"} (see ' +
        'docs/reference.md)',
    },
  ],
  positionals: [0, 0],
  group: 'sessions',
  needs: 'speaker',
};

export function run(opened: Context, p: Parsed): Report {
  const ctx = withThresholds(opened, { live: str(p, 'live'), stale: str(p, 'stale') });
  const { sha, offline } = refresh(ctx, true);
  const snap = new Snapshot(ctx, sha);
  const box = snap.mailbox([BOARD_PATH, SCRIPTS_DIR]);
  const missing = snap.missingScripts();
  const text = snap.read(BOARD_PATH);
  const board = parseBoard(text ?? '');
  const unseen = new Map<string, number>(); // counted once: one pass over the messages per row is quadratic
  for (const m of box.messages) if (!m.status.seen) unseen.set(m.to, (unseen.get(m.to) ?? 0) + 1);
  // One read of history for liveness and overlaps (the files only when two sessions could share one).
  const history = boardHistory(
    ctx,
    board.rows.map((r) => r.row),
    board.rows.length > 1,
  );
  const commits = history.last;
  const sessions = board.rows.map(({ row }) => {
    const last = commits.get(row.id);
    const { state } = stateOf(row, last, ctx);
    return {
      id: row.id,
      name: row.name,
      riff: row.riffs.length ? row.riffs.join(', ') : null,
      riffs: row.riffs,
      lane: row.lane,
      scope: row.scope,
      claimed: row.claimed || null,
      presence: row.presence || null,
      lastCommit: last === undefined ? null : stamp(last),
      state,
      unread: unseen.get(row.id) ?? 0,
      me: row.id === ctx.session,
    };
  });
  const problems = board.problems.map((pr) => ({ file: BOARD_PATH, line: pr.line, message: pr.message }));
  const counting = board.rows.map((r) => r.row).filter((_, i) => sessions[i].state !== 'stale');
  const overlaps = counting.length > 1 ? overlapsOf(touches(ctx, counting, history.changed)) : [];
  const value = {
    board: boardName(ctx),
    commit: sha,
    offline,
    session: ctx.session,
    sessions,
    overlaps,
    problems,
    missingScripts: missing,
  };
  return report(value, () => {
    if (offline) err(`coord: offline — ${offline}; showing ${boardName(ctx)} as last fetched.`);
    for (const pr of problems) err(`coord: ${pr.file}:${pr.line}: ${visible(pr.message)}`);
    if (missing.length && text !== null) err(missingScriptsWarning(ctx, missing));
    if (text === null) {
      out(
        `No board on ${boardName(ctx)} yet (${BOARD_PATH}): run 'coord init' to onboard this repo, or 'coord ` +
          `start' to claim the first session.`,
      );
      return;
    }
    if (!sessions.length) {
      out(`No sessions on the board (${boardName(ctx)}). Claim one with 'coord start'.`);
      return;
    }
    const now = Date.now();
    const ago = (s: string | null) => {
      const t = s === null ? null : parseStamp(s);
      return t === null ? '—' : `${age(now - t)} ago`;
    };
    const paint = { live: green, idle: (s: string) => s, stale: red, paused: yellow };
    out(
      table(
        ['SESSION', 'RIFF', 'SCOPE', 'CLAIMED', 'PRESENCE', 'LAST COMMIT', 'UNREAD', 'STATE'],
        sessions.map((s) => [
          `${s.me ? '*' : ' '}${s.id} · ${visible(s.name)}`,
          visible(s.riff ?? NO_RIFF),
          visible(s.scope.length > 48 ? s.scope.slice(0, 47) + '…' : s.scope),
          ago(s.claimed),
          ago(s.presence),
          ago(s.lastCommit),
          String(s.unread),
          paint[s.state](s.state),
        ]),
      ),
    );
    out(dim(`${sessions.length} session(s) on ${boardName(ctx)}; live < ${age(ctx.cfg.liveMs)}, stale > ${age(ctx.cfg.staleMs)}.`));
    if (overlaps.length) {
      out('\n' + yellow(`Files more than one session is changing (${overlaps.length}):`));
      for (const o of overlaps) out(`  ${overlapLine(o)}`);
      out(dim('Talk before it conflicts: coord send <sX> --type question -m "…"; coord reserve PATH claims a file.'));
    }
  });
}
