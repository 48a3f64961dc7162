// coord send: append a message block to another session's inbox, commit, publish.
import { bool, str, type FlagSpec, type Parsed, type VerbSpec } from '../args.js';
import { openContext, requireSession } from '../context.js';
import { CoordError, UsageError } from '../errors.js';
import { json, out } from '../output.js';
import { publish } from '../publish.js';
import { coordSubject } from '../session.js';
import { firstWords, queueFile, readBody, readMailbox, recipientArg } from '../mailbox.js';
import { BOARD_PATH, findRow, parseBoard } from '../protocol/board.js';
import { appendBlock, NO_REF, parseQueueFile, type Message } from '../protocol/message.js';
import { stamp } from '../protocol/stamp.js';

export const BODY_FLAGS: FlagSpec[] = [
  { name: 'message', short: 'm', value: 'TEXT', help: 'the body (repeat for paragraphs)', repeat: true },
  { name: 'file', value: 'F', help: 'read the body from file F (- for stdin); piped stdin works too' },
];

export const spec: VerbSpec = {
  name: 'send',
  summary: 'send a message to a session\'s inbox (question, answer, handoff, info, …)',
  usage: '<to> [--type TYPE] [--ref REF] (-m TEXT | --file F | stdin) [--json]',
  description: 'Appends a block to docs/ai/sessions/queue/to-<to>.md on the newest blackboard branch and\n' +
    'publishes it (retrying when another session publishes first; nothing is ever merged as text).',
  flags: [
    { name: 'type', value: 'TYPE', help: 'question, answer, handoff, info (default), or another word' },
    { name: 'ref', value: 'REF', help: 'a Riff or a message id this refers to (default —)' },
    ...BODY_FLAGS,
    { name: 'json', help: 'print {"id","to","type","ref","file","commit"}' },
  ],
  positionals: [1, 1],
};

/** Checks a --ref value: a Riff id or a message id, one word. */
export function checkRef(ref: string | undefined): string {
  if (ref === undefined) return NO_REF;
  if (!/^[A-Za-z0-9._#:\/-]{1,60}$/.test(ref) && ref !== NO_REF) throw new UsageError(`--ref '${ref.slice(0, 40)}' is not a Riff or message id (one word of letters, digits and . _ # : / -).`);
  return ref;
}

export function run(p: Parsed): number {
  const ctx = openContext(process.cwd(), str(p, 'as'));
  const to = recipientArg(p.args[0]);
  const me = requireSession(ctx);
  const type = str(p, 'type') ?? 'info';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(type)) throw new UsageError(`--type '${type.slice(0, 40)}' is not a message type: use question, answer, handoff, info, or one lowercase word.`);
  let ref = checkRef(str(p, 'ref'));
  const body = readBody(p.flags.message as string[] | undefined, str(p, 'file'));
  const sent = publish(ctx, (snap) => {
    snap.preload([BOARD_PATH, queueFile(to)]);
    const board = parseBoard(snap.read(BOARD_PATH) ?? '');
    if (to !== me && !findRow(board, to)) {
      const live = board.rows.map((r) => r.row.id).join(', ') || 'none';
      throw new CoordError(`No session ${to} on the board (on it: ${live}). Send to one of those, or check 'coord status'.`);
    }
    if (/^[0-9a-f]{4,9}$/.test(ref)) {
      const hit = readMailbox(snap).messages.filter((m) => m.id.startsWith(ref));
      if (hit.length === 1) ref = hit[0].id;
    }
    const file = queueFile(to);
    const msg: Message = { stamp: stamp(), from: me, to, type, ref, status: { seen: null, acked: null, resolved: null }, body };
    const text = appendBlock(snap.read(file) ?? '', msg);
    const id = parseQueueFile(text).messages.at(-1)!.id;
    return { files: new Map([[file, text]]), subject: coordSubject(me, `${type} to ${to}: ${firstWords(body)}`), value: { id, file } };
  });
  if (bool(p, 'json')) json({ id: sent.value.id, to, type, ref, file: sent.value.file, commit: sent.sha });
  else out(`Sent ${type} ${sent.value.id} to ${to} (${sent.value.file}).`);
  return 0;
}
