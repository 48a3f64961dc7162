// coord prime: one screen for an agent starting work — who I am, who else is live, my
// unread mail, what I sent that is not acked, and the commands the protocol needs.
import { bool, type Parsed, type VerbSpec } from '../args.js';
import { boardName, refresh, SCRIPTS_DIR, Snapshot } from '../blackboard.js';
import { missingScriptsWarning } from '../session.js';
import type { Context } from '../context.js';
import { out, report, type Report } from '../output.js';
import { boardHistory, stateOf } from '../liveness.js';
import { noticeLine, noticesFor, type Notice } from '../overlaps.js';
import { inForce, parseReservations, RESERVATIONS_PATH } from '../protocol/reservations.js';
import { hookCwd } from '../hookinput.js';
import { AGENT_COMMANDS } from '../protocol/agents.js';
import { findRow, NO_RIFF, parseBoard } from '../protocol/board.js';
import { BOARD_PATH, sessionBranch } from '../protocol/layout.js';
import { QUOTED_NOTE, quoted, visible } from '../protocol/display.js';
import { messageJson, messageLine, type Located } from '../protocol/mailbox.js';

export const spec: VerbSpec = {
  name: 'prime',
  summary: 'one screen for an agent: who I am, who else is live, my unread mail, the commands to use',
  usage: '[--hook] [--json]',
  description:
    "Meant for an agent's session start (a Claude Code SessionStart hook runs it with --hook: it then\n" +
    "reads the hook's JSON on stdin for the working directory, and always exits 0).",
  flags: [
    { name: 'hook', help: 'run as an agent hook: read the cwd from stdin JSON, never fail the hook' },
    { name: 'json', help: 'print {"session","board","offline","others","unread","unacked","touching","commands"}' },
  ],
  positionals: [0, 0],
  group: 'sessions',
  needs: 'speaker',
  // The session-start hook: the agent's directory from the hook's stdin; a failure is told to the agent, never fails the hook.
  at: (p) => ({ cwd: bool(p, 'hook') ? hookCwd() : process.cwd() }),
  hook: { flag: 'hook', say: (message) => `coord prime could not read the board: ${visible(message)}` },
};

export function run(ctx: Context, _p: Parsed): Report {
  const { sha, offline } = refresh(ctx, true);
  const snap = new Snapshot(ctx, sha);
  const box = snap.mailbox([BOARD_PATH, SCRIPTS_DIR, RESERVATIONS_PATH]);
  const missing = snap.missingScripts();
  const board = parseBoard(snap.read(BOARD_PATH) ?? '');
  const history = boardHistory(
    ctx,
    board.rows.map((r) => r.row),
    board.rows.length > 1,
  );
  const commits = history.last;
  const me = ctx.session ? findRow(board, ctx.session) : undefined;
  const others = board.rows
    .filter(({ row }) => row.id !== ctx.session)
    .map(({ row }) => ({
      id: row.id,
      name: row.name,
      riffs: row.riffs,
      scope: row.scope,
      state: stateOf(row, commits.get(row.id), ctx).state,
    }));
  const unread = ctx.session ? box.messages.filter((m) => m.to === ctx.session && !m.status.acked) : [];
  const unacked = ctx.session ? box.messages.filter((m) => m.from === ctx.session && m.to !== ctx.session && !m.status.acked) : [];
  const session = me
    ? { id: me.id, name: me.name, worktree: ctx.repo.top, branch: ctx.repo.branch, riffs: me.riffs, scope: me.scope }
    : null;
  const counting = board.rows.map((r) => r.row).filter((row) => stateOf(row, commits.get(row.id), ctx).state !== 'stale');
  const held = inForce(parseReservations(snap.read(RESERVATIONS_PATH) ?? ''), board, ctx.cfg.staleMs, Date.now());
  const touching = me ? noticesFor(ctx, counting, history.changed, me.id, held) : [];
  const commands = AGENT_COMMANDS.map(([command, use]) => ({ command, use }));
  const value = {
    session,
    board: boardName(ctx),
    offline,
    others,
    unread: unread.map(messageJson),
    unacked: unacked.map(messageJson),
    touching: touching.map((n) => noticeLine(n, false)),
    commands,
  };
  return report(value, () => {
    if (missing.length) out(missingScriptsWarning(ctx, missing));
    out(render(ctx, session, others, unread, unacked, offline, touching));
  });
}

function render(
  ctx: Context,
  session: { id: string; name: string; worktree: string; riffs: string[]; scope: string } | null,
  others: { id: string; name: string; riffs: string[]; scope: string; state: string }[],
  unread: Located[],
  unacked: Located[],
  offline: string | null,
  touching: Notice[],
): string {
  // Every text from the board or the tree is quoted where it is put (protocol/display.ts); the note on quotes comes first.
  const lines: string[] = [QUOTED_NOTE];
  const { remote, branch } = ctx.cfg;
  if (!session) {
    lines.push(
      ctx.session
        ? `coord: ${ctx.session} has no row on the board (${boardName(ctx)}): it was closed or reaped.`
        : `coord: you are not in a coord session here (${ctx.repo.top}).`,
    );
    lines.push(
      "Work in a session worktree, started one of two ways: `claude --worktree <name>` (coord's WorktreeCreate " +
        'hook claims a session and makes the worktree), or `coord start` run by a person, then `claude` started ' +
        'inside the worktree it prints.',
    );
    lines.push(
      "Do not cd into a worktree from here: Claude Code resets the shell's directory after each command, so your " +
        'commits and mail would stay here.',
    );
  } else {
    lines.push(
      `coord: you are ${session.id} · ${quoted(session.name)}, working in ${session.worktree} (branch ${sessionBranch(session.id)}).`,
    );
    lines.push(`Riff: ${riffsOf(session.riffs)} · scope: ${quoted(session.scope)}`);
    lines.push(
      `Rules: every commit subject starts with [${session.id}]; publish with git push ` +
        `${ctx.hasRemote ? remote : '.'} HEAD:${branch} (run coord sync first if it is rejected); set your scope with coord scope "…".`,
    );
  }
  if (offline) lines.push(`(offline: ${visible(offline)}; this is the board as last fetched)`);
  const live = others.filter((o) => o.state !== 'stale');
  lines.push('', live.length ? 'Other sessions:' : 'No other live sessions.');
  for (const o of live) lines.push(`  ${o.id} · ${quoted(o.name)} — ${o.state} — ${riffsOf(o.riffs)} — ${quoted(o.scope)}`);
  if (session) {
    lines.push('', unread.length ? `Messages to you not acked yet (${unread.length}):` : 'No messages waiting for you.');
    for (const m of unread) lines.push(`  ${messageLine(m, 'from', 70)}`);
    if (unacked.length) {
      lines.push('', `You sent, not acked yet (${unacked.length}):`);
      for (const m of unacked) lines.push(`  ${messageLine(m, 'to', 70)}`);
    }
  }
  if (touching.length) {
    lines.push('', `Files you are changing that other sessions are changing or hold (${touching.length}):`);
    for (const n of touching) lines.push(`  ${noticeLine(n, true)}`);
    lines.push('  Agree with them before you go on (coord send <sX> --type question -m "…").');
  }
  lines.push('', 'Commands:');
  const w = Math.max(...AGENT_COMMANDS.map(([c]) => c.length));
  for (const [c, use] of AGENT_COMMANDS) lines.push(`  ${c.padEnd(w)}  ${use}`);
  return lines.join('\n');
}

/** The Riffs of a row, each quoted, or the no-Riff dash. */
const riffsOf = (riffs: string[]): string => riffs.map(quoted).join(', ') || NO_RIFF;
