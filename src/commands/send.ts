// coord send: append a message block to another session's inbox, commit, publish.
import { str, type Parsed, type VerbSpec } from '../args.js';
import type { SessionContext } from '../context.js';
import { UsageError } from '../errors.js';
import { out, report, type Report } from '../output.js';
import { BODY_FLAGS, readBody, recipientArg } from '../mailbox.js';
import { planSend } from '../plans.js';
import { publish } from '../publish.js';
import { checkRef, checkType, NO_REF } from '../protocol/message.js';
import { BOARD_PATH, queueFile } from '../protocol/layout.js';
import { stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'send',
  summary: "send a message to a session's inbox (question, answer, handoff, info, …)",
  usage: '<to> [--type TYPE] [--ref REF] (-m TEXT | --file F | stdin) [--json]',
  description:
    'Appends a block to docs/ai/sessions/queue/to-<to>.md on the newest blackboard branch and\n' +
    'publishes it (retrying when another session publishes first; nothing is ever merged as text).',
  flags: [
    { name: 'type', value: 'TYPE', help: 'question, answer, handoff, info (default), or another word' },
    { name: 'ref', value: 'REF', help: 'a Riff or a message id this refers to (default —)' },
    ...BODY_FLAGS,
    { name: 'json', help: 'print {"id","to","type","ref","file","commit"}' },
  ],
  positionals: [1, 1],
  group: 'messages',
  needs: 'session',
};

export function run(ctx: SessionContext, p: Parsed): Report {
  const to = recipientArg(p.args[0]);
  const me = ctx.session;
  const type = str(p, 'type') ?? 'info';
  if (checkType(type)) throw new UsageError(`--type: ${checkType(type)}.`);
  const ref = str(p, 'ref');
  if (ref !== undefined && checkRef(ref)) throw new UsageError(`--ref: ${checkRef(ref)}.`);
  const body = readBody(p.flags.message as string[] | undefined, str(p, 'file'));
  const sent = publish(ctx, (snap) => {
    snap.preload([BOARD_PATH, queueFile(to)]); // one git process for both
    return planSend(snap, { me, to, type, ref: ref ?? NO_REF, body, now: stamp() });
  });
  const { id, file } = sent.value;
  return report({ id, to, type, ref: sent.value.ref, file, commit: sent.sha }, () => out(`Sent ${type} ${id} to ${to} (${file}).`));
}
