// coord scope: say what this session works on (its row's scope cell).
import { bool, type Parsed, type VerbSpec } from '../args.js';
import { openContext, requireSession } from '../context.js';
import { json, out } from '../output.js';
import { cleanText, updateRow } from '../session.js';

export const spec: VerbSpec = {
  name: 'scope',
  summary: 'set the scope cell of my row (what I work on), commit and publish',
  usage: '<TEXT…> [--json]',
  flags: [{ name: 'json', help: 'print {"id","scope","commit"}' }],
  positionals: [1, Infinity],
};

export function run(p: Parsed): number {
  const ctx = openContext(process.cwd(), p.flags.as as string | undefined);
  const id = requireSession(ctx);
  const scope = cleanText(p.args.join(' '), 'scope');
  const r = updateRow(ctx, id, `scope ${id}: ${scope.length > 50 ? scope.slice(0, 49) + '…' : scope}`, (row) => ({ ...row, scope }));
  if (bool(p, 'json')) json({ id, scope, commit: r.sha });
  else out(`${id} scope: ${scope}`);
  return 0;
}
