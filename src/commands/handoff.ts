// coord handoff: hand a Riff to another session — the message and the move in one commit.
import { str, type Parsed, type VerbSpec } from '../args.js';
import type { SessionContext } from '../context.js';
import { UsageError } from '../errors.js';
import { out, report, type Report } from '../output.js';
import { BODY_FLAGS, readBody, recipientArg } from '../mailbox.js';
import { planHandoff } from '../plans.js';
import { publish } from '../publish.js';
import { checkRiffId } from '../protocol/ids.js';
import { BOARD_PATH, queueFile } from '../protocol/layout.js';
import { stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'handoff',
  summary: 'hand a Riff to another session: type:handoff message + the Riff moved between rows, one commit',
  usage: '<to> --riff ID (-m TEXT | --file F | stdin) [--json]',
  description: 'At no published moment do two rows hold the Riff. Refuses when I do not hold it.',
  flags: [
    { name: 'riff', value: 'ID', help: 'the Riff to hand over (required)' },
    ...BODY_FLAGS,
    { name: 'json', help: 'print {"id","to","riff","commit"}' },
  ],
  positionals: [1, 1],
  group: 'messages',
  needs: 'session',
};

export function run(ctx: SessionContext, p: Parsed): Report {
  const to = recipientArg(p.args[0]);
  const me = ctx.session;
  const riff = str(p, 'riff');
  if (riff === undefined)
    throw new UsageError('--riff ID is required (the Riff you hand over): usage: coord handoff <to> --riff ID -m TEXT');
  if (checkRiffId(riff)) throw new UsageError(`--riff: ${checkRiffId(riff)}.`);
  if (to === me) throw new UsageError('You cannot hand a Riff to yourself.');
  const body = readBody(p.flags.message as string[] | undefined, str(p, 'file'));
  const r = publish(ctx, (snap) => {
    snap.preload([BOARD_PATH, queueFile(to)]); // one git process for both
    return planHandoff(snap, { me, to, riff, body, now: stamp() });
  });
  const { id } = r.value;
  return report({ id, to, riff, commit: r.sha }, () =>
    out(`Handed ${riff} to ${to} (message ${id}); the board moved it in the same commit.`),
  );
}
