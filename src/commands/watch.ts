// coord watch: for a person's terminal — fetch on an interval and print new messages and
// board changes as they arrive, until interrupted.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { boardName, refresh, saveGuardCache, Snapshot } from '../blackboard.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { dim, json, out } from '../output.js';
import { stdoutClosed } from '../host.js';
import { NO_RIFF, parseBoard, type SessionRow } from '../protocol/board.js';
import { BOARD_PATH } from '../protocol/layout.js';
import { visible } from '../protocol/display.js';
import { firstWords } from '../protocol/mailbox.js';
import { LEVELS, type StatusLine } from '../protocol/message.js';
import { parseDuration, stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'watch',
  summary: 'follow the board: print new messages and board changes as they arrive (Ctrl-C stops)',
  usage: '[--interval DURATION] [--count N] [--json]',
  flags: [
    { name: 'interval', value: 'DURATION', help: 'time between fetches (default 15s)' },
    { name: 'count', value: 'N', help: 'stop after N fetches (default: until interrupted)' },
    { name: 'json', help: 'one JSON object per event: {"at","event","id",…}' },
  ],
  positionals: [0, 0],
  group: 'sessions',
  needs: 'speaker',
};

interface Seen {
  rows: Map<string, SessionRow>;
  messages: Map<string, StatusLine>;
}

export async function run(ctx: Context, p: Parsed): Promise<number> {
  const interval = parseDuration(str(p, 'interval') ?? '15s');
  if (interval === null || interval < 1000)
    throw new UsageError(`--interval '${str(p, 'interval')}' is not a duration of at least 1s (e.g. 10s, 1m).`);
  const count = str(p, 'count') === undefined ? Infinity : Number(str(p, 'count'));
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count '${str(p, 'count')}' is not a positive whole number.`);
  const asJson = bool(p, 'json');
  const emit = (event: string, text: string, fields: Record<string, unknown>) => {
    if (asJson) json({ at: new Date().toISOString(), event, ...fields });
    else out(`${dim(stamp())} ${visible(text)}`);
  };
  let before: Seen | null = null;
  let wasOffline = false;
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, interval));
    if (stdoutClosed()) break; // nobody reads the events any more
    const { sha, offline } = refresh(ctx, true);
    if (offline && !wasOffline) emit('offline', `offline: ${offline}`, { reason: offline });
    wasOffline = !!offline;
    const snap = new Snapshot(ctx, sha);
    const now: Seen = { rows: new Map(parseBoard(snap.read(BOARD_PATH) ?? '').rows.map((r) => [r.row.id, r.row])), messages: new Map() };
    const box = snap.mailbox();
    try {
      saveGuardCache(ctx);
    } catch {
      /* a long watch keeps this clone's commit guard current; a failed write leaves the older copy */
    }
    for (const m of box.messages) now.messages.set(m.id, m.status);
    if (before) {
      for (const [id, row] of now.rows) {
        const old = before.rows.get(id);
        if (!old) emit('claimed', `${id} · ${row.name} claimed (${row.scope})`, { id, name: row.name });
        else {
          if (old.scope !== row.scope) emit('scope', `${id} scope: ${row.scope}`, { id, scope: row.scope });
          if (old.riffs.join() !== row.riffs.join())
            emit('riff', `${id} Riff: ${row.riffs.join(', ') || NO_RIFF}`, { id, riffs: row.riffs });
        }
      }
      for (const id of before.rows.keys()) if (!now.rows.has(id)) emit('closed', `${id} left the board`, { id });
      for (const m of box.messages) {
        const old = before.messages.get(m.id);
        const mine = m.to === ctx.session ? ' (to you)' : '';
        if (!old)
          emit('message', `${m.id} ${m.type} ${m.from} → ${m.to}${mine}: ${firstWords(m.body, 70)}`, {
            id: m.id,
            from: m.from,
            to: m.to,
            type: m.type,
          });
        else
          for (const l of LEVELS) {
            if (!old[l] && m.status[l]) emit(l, `${m.id} ${l} by ${m.to}`, { id: m.id, by: m.to });
          }
      }
    }
    if (!before) {
      if (asJson) json({ at: new Date().toISOString(), event: 'ready', board: boardName(ctx), session: ctx.session });
      else
        out(
          dim(`Watching ${boardName(ctx)} every ${Math.round(interval / 1000)}s${ctx.session ? ` as ${ctx.session}` : ''}. Ctrl-C stops.`),
        );
    }
    before = now;
  }
  return 0;
}
