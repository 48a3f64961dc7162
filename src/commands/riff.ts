// coord riff: set, add or drop the Riff(s) my row owns.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import type { SessionContext } from '../context.js';
import { UsageError } from '../errors.js';
import { out, report, type Report } from '../output.js';
import { planRiff, type RiffChange } from '../plans.js';
import { publish } from '../publish.js';
import { NO_RIFF } from '../protocol/board.js';
import { checkRiffId } from '../protocol/ids.js';
import { stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'riff',
  summary: 'set the Riff (work item) my row owns; --add / --drop for several; --none to clear',
  usage: '[ID] [--add ID] [--drop ID] [--none] [--json]',
  flags: [
    { name: 'add', value: 'ID', help: 'add a Riff to the ones I hold' },
    { name: 'drop', value: 'ID', help: 'drop a Riff I hold' },
    { name: 'none', help: `clear the cell back to ${NO_RIFF}` },
    { name: 'json', help: 'print {"id","riffs","commit"}' },
  ],
  positionals: [0, 1],
  group: 'sessions',
  needs: 'session',
};

const riffId = (s: string): string => {
  const bad = checkRiffId(s);
  if (bad) throw new UsageError(`${bad}.`);
  return s;
};

/** Exactly one of ID, --add, --drop, --none, as a change of my row. */
function change(p: Parsed): RiffChange {
  const given: RiffChange[] = [];
  if (p.args[0] !== undefined) given.push({ set: riffId(p.args[0]) });
  if (str(p, 'add') !== undefined) given.push({ add: riffId(str(p, 'add')!) });
  if (str(p, 'drop') !== undefined) given.push({ drop: riffId(str(p, 'drop')!) });
  if (bool(p, 'none')) given.push({ none: true });
  if (given.length !== 1) throw new UsageError('give exactly one of ID, --add ID, --drop ID or --none (coord riff --help).');
  return given[0];
}

export function run(ctx: SessionContext, p: Parsed): Report {
  const id = ctx.session;
  const what = change(p);
  const r = publish(ctx, (snap) => planRiff(snap, id, what, stamp()));
  return report({ id, riffs: r.value.riffs, commit: r.sha }, () => out(`${id} Riff: ${r.value.riffs.join(', ') || NO_RIFF}`));
}
