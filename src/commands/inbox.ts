// coord inbox: the messages addressed to me, from the freshly fetched blackboard branch
// (never changes the worktree), and what I sent that is not acked yet.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { boardName, refresh, Snapshot } from '../blackboard.js';
import { readArchive } from '../mailbox.js';
import { requireSession, withSettings, type Context } from '../context.js';
import { boardHistory, stateOf } from '../liveness.js';
import { noticeLine, noticesFor } from '../overlaps.js';
import { UsageError } from '../errors.js';
import { dim, err, out, report, table, type Report } from '../output.js';
import { QUOTED_NOTE, visible } from '../protocol/display.js';
import {
  byAge,
  firstWords,
  messageJson,
  messageLine,
  readArchiveHeader,
  statusWord,
  type ArchivedFrom,
  type Located,
  type Mailbox,
} from '../protocol/mailbox.js';
import { inForce, parseReservations, RESERVATIONS_PATH } from '../protocol/reservations.js';
import { checkId } from '../protocol/ids.js';
import { LEVELS } from '../protocol/message.js';
import { provenanceOf, type Backed } from '../provenance.js';
import { findRow, parseBoard, type Board } from '../protocol/board.js';
import { ARCHIVE_DIR, BOARD_PATH } from '../protocol/layout.js';
import { hookCwd } from '../hookinput.js';
import { fs, path } from '../sys.js';

export const spec: VerbSpec = {
  name: 'inbox',
  summary: 'list messages to me (unresolved first) and what I sent that is not acked yet',
  usage: '[--all] [--from ID] [--sent] [--brief] [--json]',
  description:
    'Reads every queue file of the freshly fetched blackboard branch: a message to me counts\n' +
    'wherever it sits (a reply lies under its question). Offline, it reads what was fetched last.',
  flags: [
    { name: 'all', help: 'include resolved messages' },
    { name: 'from', value: 'ID', help: 'only messages from session ID' },
    {
      name: 'brief',
      help: 'a few lines about new messages and new overlaps with your files, nothing when none; never fails (for prompt hooks)',
    },
    { name: 'sent', help: 'list what I sent instead, with how far each got (seen, acked, resolved)' },
    {
      name: 'json',
      help:
        'print {"session","board","offline","messages":[…],"unacked":[…],"problems"}; sent ones carry ' +
        '"recipientOnBoard", and with --sent "provenance" and "backed" (see docs/reference.md)',
    },
  ],
  positionals: [0, 0],
  group: 'messages',
  needs: 'speaker',
  // The prompt hook: the agent's directory from the hook's stdin; never blocks the prompt, stays silent on a failure.
  at: (p) => ({ cwd: bool(p, 'brief') ? hookCwd() : process.cwd() }),
  hook: { flag: 'brief' },
};

export function run(ctx: Context, p: Parsed): Report | void {
  if (bool(p, 'brief')) return brief(ctx);
  const me = requireSession(ctx);
  const from = str(p, 'from');
  if (from !== undefined && checkId(from)) throw new UsageError(`--from: ${checkId(from)}.`);
  const { sha, offline } = refresh(ctx, true);
  const snap = new Snapshot(ctx, sha);
  const box = snap.mailbox();
  // A recipient that left the board will never advance its messages: the sender must see that.
  // The board is read only when a message I sent is shown (one cat-file, none otherwise).
  let board: Board | undefined;
  const gone = (m: Located) => m.to !== me && !findRow((board ??= parseBoard(snap.read(BOARD_PATH) ?? '')), m.to);
  const sent = bool(p, 'sent');
  // What I sent to sessions that have since left: their mail moved to the archive, read only here.
  const archived = sent ? readArchive(snap, ctx.repo.commonDir).messages.filter((m) => m.from === me) : [];
  const headers = new Map<string, ArchivedFrom | null>();
  const whence = (m: Located): ArchivedFrom | null | undefined => {
    if (!m.file.startsWith(`${ARCHIVE_DIR}/`)) return undefined;
    if (!headers.has(m.file)) headers.set(m.file, readArchiveHeader(snap.read(m.file) ?? ''));
    return headers.get(m.file) ?? { session: m.to, claimed: '?', why: 'archived' };
  };
  const mine = [
    ...box.messages.filter(
      (m) => (sent ? m.from === me : m.to === me && (!from || m.from === from)) && (sent || bool(p, 'all') || !m.status.resolved),
    ),
    ...archived,
  ];
  const messages = [...mine.filter((m) => !m.status.resolved).sort(byAge), ...mine.filter((m) => m.status.resolved).sort(byAge)];
  // What I sent, checked against history: who wrote the block, who stamped each status.
  const history = sent && sha ? provenanceOf(ctx, sha, messages) : new Map<string, Backed>();
  const sentJson = (m: Located) => ({
    ...messageJson(m),
    recipientOnBoard: !whence(m) && !gone(m),
    ...(whence(m) ? { archived: whence(m) } : {}),
    ...history.get(m.id),
  });
  const unacked = box.messages.filter((m) => m.from === me && m.to !== me && !m.status.acked).sort(byAge);
  const value = {
    session: me,
    board: boardName(ctx),
    offline,
    messages: messages.map(sent ? sentJson : messageJson),
    unacked: unacked.map(sentJson),
    problems: box.problems,
  };
  return report(value, () => {
    if (offline) err(`coord: offline — ${offline}; showing ${boardName(ctx)} as last fetched.`);
    for (const pr of box.problems) err(`coord: ${pr.file}:${pr.line}: ${visible(pr.message)}`);
    const status = (m: Located) => {
      const a = whence(m);
      const word = statusWord(m);
      const fate = !a ? word + (gone(m) ? ` (${m.to} has left the board)` : '') : m.status.resolved ? word : archivedWord(a, word);
      return fate + doubts(m, history.get(m.id));
    };
    const rows = (list: Located[], who: 'from' | 'to') =>
      list.map((m) => [m.id, m[who], m.type, m.ref, m.stamp, status(m), firstWords(m.body, 60)].map(visible));
    if (sent) {
      if (messages.length) out(table(['ID', 'TO', 'TYPE', 'REF', 'SENT', 'STATUS', 'FIRST LINE'], rows(messages, 'to')));
      else out(`${me} has sent no messages on ${boardName(ctx)}.`);
      return;
    }
    if (messages.length) out(table(['ID', 'FROM', 'TYPE', 'REF', 'SENT', 'STATUS', 'FIRST LINE'], rows(messages, 'from')));
    else out(`No ${bool(p, 'all') ? '' : 'open '}messages to ${me} on ${boardName(ctx)}.`);
    if (unacked.length) {
      out('');
      out(`Sent by ${me}, not acked yet:`);
      out(table(['ID', 'TO', 'TYPE', 'REF', 'SENT', 'STATUS', 'FIRST LINE'], rows(unacked, 'to')));
    }
    if (messages.length) out(dim(`Read one in full with --json; answer with coord reply <id> -m …; coord ack <id> when caught.`));
  });
}

/** A message whose session left before resolving it: `closed unread by sB · Douro (claimed …)`. */
const archivedWord = (a: ArchivedFrom, word: string): string =>
  `${a.why} ${word === 'new' ? 'unread' : word} by ${a.session} (claimed ${a.claimed})`;

/** What history does not back about a message I sent: ` (! acked not by sA's commit)`, or ''. */
function doubts(m: Located, h: Backed | undefined): string {
  if (!h || h.backed) return '';
  const said: string[] = [];
  if (h.provenance.sent !== m.from) said.push(`block not written by a ${m.from} commit`);
  for (const l of LEVELS) if (m.status[l] && h.provenance[l] !== m.to) said.push(`${l} not by a ${m.to} commit`);
  return ` (! ${said.join(', ')})`;
}

/**
 * New mail in a few lines: messages to me not yet seen and not shown before. What was shown
 * is remembered in this worktree's git dir (never in tracked files, so no commit per read).
 */
function brief(opened: Context): void {
  if (!opened.session) return;
  const ctx = withSettings(opened, { timeoutMs: Math.min(opened.cfg.timeoutMs, 5000) });
  const { sha } = refresh(ctx, true);
  const snap = new Snapshot(ctx, sha);
  const box = snap.mailbox([BOARD_PATH, RESERVATIONS_PATH]);
  const lines = [...mail(ctx, box), ...touching(ctx, snap)];
  // Each text from others is quoted where it is put (protocol/display.ts); the note on quotes comes first.
  if (lines.length) out([QUOTED_NOTE, ...lines].join('\n'));
}

/** New mail: messages to me not yet seen and not shown before (remembered in this worktree's git dir, never in tracked files). */
function mail(ctx: Context, box: Mailbox): string[] {
  const marker = path().join(ctx.repo.gitDir, 'coord-inbox-shown');
  let shown = new Set<string>();
  try {
    shown = new Set(fs().readFileSync(marker, 'utf8').split('\n').filter(Boolean));
  } catch {
    /* first run */
  }
  const waiting = box.messages.filter((m) => m.to === ctx.session && !m.status.seen);
  const fresh = waiting.filter((m) => !shown.has(m.id));
  if (!fresh.length) return [];
  const lines = [`coord: ${fresh.length} new message${fresh.length > 1 ? 's' : ''} for ${ctx.session}:`];
  for (const m of fresh.slice(0, 3)) lines.push(`  ${messageLine(m, 'from', 80)}`);
  if (fresh.length > 3) lines.push(`  … and ${fresh.length - 3} more`);
  lines.push('Read with `coord inbox --json`, then `coord ack <id>` or `coord reply <id> -m "…"`.');
  fs().writeFileSync(marker, waiting.map((m) => m.id).join('\n') + '\n');
  return lines;
}

/** Files I change that another session changes too, or has reserved: told once, until the set changes. */
function touching(ctx: Context, snap: Snapshot): string[] {
  const board = parseBoard(snap.read(BOARD_PATH) ?? '');
  let notices: string[] = [];
  if (board.rows.length > 1) {
    // alone on the board: nothing to tell, no history to read
    const history = boardHistory(
      ctx,
      board.rows.map((r) => r.row),
      true,
    );
    const rows = board.rows.map((r) => r.row).filter((row) => stateOf(row, history.last.get(row.id), ctx).state !== 'stale');
    const held = inForce(parseReservations(snap.read(RESERVATIONS_PATH) ?? ''), board, ctx.cfg.staleMs, Date.now());
    notices = noticesFor(ctx, rows, history.changed, ctx.session!, held).map((n) => noticeLine(n, true));
  }
  const marker = path().join(ctx.repo.gitDir, 'coord-overlaps-shown');
  let before = '';
  try {
    before = fs().readFileSync(marker, 'utf8');
  } catch {
    /* first run */
  }
  const now = notices.join('\n');
  if (now !== before.trimEnd()) fs().writeFileSync(marker, now + '\n');
  if (!notices.length || now === before.trimEnd()) return [];
  return [
    `coord: files you are changing that other sessions are changing or hold (${notices.length}):`,
    ...notices.slice(0, 5).map((l) => `  ${l}`),
    ...(notices.length > 5 ? [`  … and ${notices.length - 5} more (coord status)`] : []),
    'Agree with them before you go on: coord send <sX> --type question -m "…".',
  ];
}
