// coord riff: set, add or drop the Riff(s) my row owns.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { openContext, requireSession } from '../context.js';
import { UsageError } from '../errors.js';
import { json, out } from '../output.js';
import { cleanText, updateRow } from '../session.js';
import { NO_RIFF } from '../protocol/board.js';

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
};

const riffId = (s: string) => {
  const t = cleanText(s, 'Riff id', 80);
  if (/[,|]/.test(t)) throw new UsageError(`A Riff id cannot hold ',' or '|': '${t}'.`);
  return t;
};

export function run(p: Parsed): number {
  const ctx = openContext(process.cwd(), p.flags.as as string | undefined);
  const id = requireSession(ctx);
  const set = p.args[0] !== undefined ? riffId(p.args[0]) : undefined;
  const add = str(p, 'add') !== undefined ? riffId(str(p, 'add')!) : undefined;
  const drop = str(p, 'drop') !== undefined ? riffId(str(p, 'drop')!) : undefined;
  const none = bool(p, 'none');
  if ([set, add, drop].filter((x) => x !== undefined).length + (none ? 1 : 0) !== 1) {
    throw new UsageError('coord riff: give exactly one of ID, --add ID, --drop ID or --none.');
  }
  const what = set ? `${id} takes Riff ${set}` : add ? `${id} adds Riff ${add}` : drop ? `${id} drops Riff ${drop}` : `${id} clears its Riff`;
  const r = updateRow(ctx, id, what, (row) => {
    let riffs = row.riffs;
    if (set) riffs = [set];
    if (add) riffs = riffs.includes(add) ? riffs : [...riffs, add];
    if (drop) {
      if (!riffs.includes(drop)) throw new UsageError(`${id} does not hold Riff ${drop} (it holds ${riffs.join(', ') || 'none'}).`);
      riffs = riffs.filter((x) => x !== drop);
    }
    if (none) riffs = [];
    return { ...row, riffs };
  });
  if (bool(p, 'json')) json({ id, riffs: r.value.riffs, commit: r.sha });
  else out(`${id} Riff: ${r.value.riffs.join(', ') || NO_RIFF}`);
  return 0;
}
