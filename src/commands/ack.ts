// coord ack: mark a message addressed to me as acked (and seen). seen/resolve share this.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { openContext, requireSession } from '../context.js';
import { CoordError } from '../errors.js';
import { json, out } from '../output.js';
import { publish } from '../publish.js';
import { coordSubject } from '../session.js';
import { findMessage, readMailbox } from '../mailbox.js';
import { setStatus, type StatusLine } from '../protocol/message.js';
import { stamp } from '../protocol/stamp.js';

export type Level = 'seen' | 'acked' | 'resolved';
const ORDER: Level[] = ['seen', 'acked', 'resolved'];

/** The spec of ack, seen and resolve, which differ only in how far they advance. */
export function advanceSpec(name: string, level: Level, summary: string): VerbSpec {
  return {
    name, summary, usage: '<id> [--json]',
    description: `Stamps ${ORDER.slice(0, ORDER.indexOf(level) + 1).join(', ')} on the message's status line (earlier steps too),\n` +
      'in one commit, published. Only the recipient may advance a message.',
    flags: [{ name: 'json', help: 'print {"id","status":{"seen","acked","resolved"},"commit"}' }],
    positionals: [1, 1],
  };
}

/** The status line with `level` and every earlier step stamped (kept where already stamped). */
export function advanced(s: StatusLine, level: Level, now: string): StatusLine {
  const next = { ...s };
  for (const l of ORDER.slice(0, ORDER.indexOf(level) + 1)) next[l] ??= now;
  return next;
}

export function advance(p: Parsed, level: Level, verb: string): number {
  const ctx = openContext(process.cwd(), str(p, 'as'));
  const me = requireSession(ctx);
  const r = publish(ctx, (snap) => {
    const m = findMessage(readMailbox(snap), p.args[0]);
    if (m.to !== me) throw new CoordError(`Message ${m.id} is addressed to ${m.to}, not to you (${me}): only ${m.to} may mark it ${level}.`);
    const status = advanced(m.status, level, stamp());
    const same = ORDER.every((l) => status[l] === m.status[l]);
    const files = same ? new Map<string, string>() : new Map([[m.file, setStatus(snap.read(m.file)!, m, status)]]);
    return { files, subject: coordSubject(me, `${verb} ${m.id} from ${m.from}`), value: { id: m.id, status } };
  });
  if (bool(p, 'json')) json({ ...r.value, commit: r.sha });
  else out(`${r.value.id}: ${ORDER.filter((l) => r.value.status[l]).map((l) => `${l} ${r.value.status[l]}`).join(' · ')}`);
  return 0;
}

export const spec = advanceSpec('ack', 'acked', 'acknowledge a message to me (stamps seen and acked)');
export const run = (p: Parsed) => advance(p, 'acked', 'ack');
