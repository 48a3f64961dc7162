// The one verb behind seen, ack and resolve, which differ only in how far they advance a
// message's status line: its --help and its run.
import { bool, str, type Parsed, type VerbSpec } from './args.js';
import { openContext, requireSession } from './context.js';
import { json, out } from './output.js';
import { planAdvance } from './plans.js';
import { publish } from './publish.js';
import { LEVELS, type Level } from './protocol/message.js';
import { stamp } from './protocol/stamp.js';

/** The spec of seen, ack or resolve. */
export function advanceSpec(name: string, level: Level, summary: string): VerbSpec {
  return {
    name, summary, usage: '<id> [--json]',
    description: `Stamps ${LEVELS.slice(0, LEVELS.indexOf(level) + 1).join(', ')} on the message's status line (earlier steps too),\n` +
      'in one commit, published. Only the recipient may advance a message.',
    flags: [{ name: 'json', help: 'print {"id","status":{"seen","acked","resolved"},"commit"}' }],
    positionals: [1, 1],
  };
}

/** Runs seen, ack or resolve (`verb`) on the message named by the first argument. */
export function advance(p: Parsed, level: Level, verb: string): number {
  const ctx = openContext(process.cwd(), { as: str(p, 'as') });
  const me = requireSession(ctx);
  const r = publish(ctx, (snap) => planAdvance(snap, { me, prefix: p.args[0], level, verb, now: stamp() }));
  if (bool(p, 'json')) json({ ...r.value, commit: r.sha });
  else out(`${r.value.id}: ${LEVELS.filter((l) => r.value.status[l]).map((l) => `${l} ${r.value.status[l]}`).join(' · ')}`);
  return 0;
}
