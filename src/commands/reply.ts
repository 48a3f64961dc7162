// coord reply: answer a message to me, right under it in the same file, ref: its id.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import type { SessionContext } from '../context.js';
import { out, report, type Report } from '../output.js';
import { BODY_FLAGS, readBody } from '../mailbox.js';
import { planReply } from '../plans.js';
import { publish } from '../publish.js';
import { stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'reply',
  summary: 'answer a message to me: an answer block right under it, the question acked (--resolve: resolved)',
  usage: '<id> (-m TEXT | --file F | stdin) [--resolve] [--json]',
  description:
    "Writes a type:answer block addressed to the sender, with ref: the question's id, under the\n" +
    'question in the same file, and stamps the question seen and acked — one commit, published.',
  flags: [
    ...BODY_FLAGS,
    { name: 'resolve', help: 'also mark the question resolved' },
    { name: 'json', help: 'print {"id","to","ref","commit"}' },
  ],
  positionals: [1, 1],
  group: 'messages',
  needs: 'session',
};

export function run(ctx: SessionContext, p: Parsed): Report {
  const me = ctx.session;
  const body = readBody(p.flags.message as string[] | undefined, str(p, 'file'));
  const r = publish(ctx, (snap) => planReply(snap, { me, prefix: p.args[0], body, resolve: bool(p, 'resolve'), now: stamp() }));
  return report({ ...r.value, commit: r.sha }, () => out(`Answered ${r.value.ref} (answer ${r.value.id} to ${r.value.to}).`));
}
