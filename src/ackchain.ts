// The one verb behind seen, ack and resolve, which differ only in how far they advance a
// message's status line: its --help and its run.
import type { Parsed, VerbSpec } from './args.js';
import type { SessionContext } from './context.js';
import { out, report, type Report } from './output.js';
import { planAdvance } from './plans.js';
import { publish } from './publish.js';
import { LEVELS, type Level } from './protocol/message.js';
import { stamp } from './protocol/stamp.js';

/** The spec of seen, ack or resolve. */
export function advanceSpec(name: string, level: Level, summary: string): VerbSpec {
  return {
    name,
    summary,
    usage: '<id> [--json]',
    description:
      `Stamps ${LEVELS.slice(0, LEVELS.indexOf(level) + 1).join(', ')} on the message's status line (earlier steps too),\n` +
      'in one commit, published. Only the recipient may advance a message.',
    flags: [{ name: 'json', help: 'print {"id","status":{"seen","acked","resolved"},"commit"}' }],
    positionals: [1, 1],
    group: 'messages',
    needs: 'session',
  };
}

/** Runs seen, ack or resolve (`verb`) on the message named by the first argument. */
export function advance(ctx: SessionContext, p: Parsed, level: Level, verb: string): Report {
  const r = publish(ctx, (snap) => planAdvance(snap, { me: ctx.session, prefix: p.args[0], level, verb, now: stamp() }));
  const stamps = LEVELS.filter((l) => r.value.status[l]).map((l) => `${l} ${r.value.status[l]}`);
  return report({ ...r.value, commit: r.sha }, () => out(`${r.value.id}: ${stamps.join(' · ')}`));
}
