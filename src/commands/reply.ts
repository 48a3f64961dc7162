// coord reply: answer a message to me, right under it in the same file, ref: its id.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { openContext, requireSession } from '../context.js';
import { CoordError } from '../errors.js';
import { json, out } from '../output.js';
import { publish } from '../publish.js';
import { coordSubject } from '../session.js';
import { findMessage, firstWords, readBody, readMailbox } from '../mailbox.js';
import { insertAfter, parseQueueFile, setStatus } from '../protocol/message.js';
import { stamp } from '../protocol/stamp.js';
import { advanced } from './ack.js';
import { BODY_FLAGS } from './send.js';

export const spec: VerbSpec = {
  name: 'reply',
  summary: 'answer a message to me: an answer block right under it, the question acked (--resolve: resolved)',
  usage: '<id> (-m TEXT | --file F | stdin) [--resolve] [--json]',
  description: 'Writes a type:answer block addressed to the sender, with ref: the question\'s id, under the\n' +
    'question in the same file, and stamps the question seen and acked — one commit, published.',
  flags: [
    ...BODY_FLAGS,
    { name: 'resolve', help: 'also mark the question resolved' },
    { name: 'json', help: 'print {"id","to","ref","commit"}' },
  ],
  positionals: [1, 1],
};

export function run(p: Parsed): number {
  const ctx = openContext(process.cwd(), str(p, 'as'));
  const me = requireSession(ctx);
  const body = readBody(p.flags.message as string[] | undefined, str(p, 'file'));
  const r = publish(ctx, (snap) => {
    const q = findMessage(readMailbox(snap), p.args[0]);
    if (q.to !== me) throw new CoordError(`Message ${q.id} is addressed to ${q.to}, not to you (${me}): only ${q.to} may reply to it. To write to its sender, use coord send ${q.from}.`);
    const now = stamp();
    const status = advanced(q.status, bool(p, 'resolve') ? 'resolved' : 'acked', now);
    const answer = { stamp: now, from: me, to: q.from, type: 'answer', ref: q.id, status: { seen: null, acked: null, resolved: null }, body };
    const text = insertAfter(setStatus(snap.read(q.file)!, q, status), q, answer);
    const id = parseQueueFile(text).messages.find((m) => m.ref === q.id && m.from === me && m.body === body && m.stamp === now)!.id;
    return { files: new Map([[q.file, text]]), subject: coordSubject(me, `answer to ${q.from} on ${q.id}: ${firstWords(body)}`), value: { id, to: q.from, ref: q.id } };
  });
  if (bool(p, 'json')) json({ ...r.value, commit: r.sha });
  else out(`Answered ${r.value.ref} (answer ${r.value.id} to ${r.value.to}).`);
  return 0;
}
