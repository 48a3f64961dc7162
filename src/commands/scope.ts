// coord scope: say what this session works on (its row's scope cell).
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { openContext, requireSession } from '../context.js';
import { json, out } from '../output.js';
import { planScope } from '../plans.js';
import { publish } from '../publish.js';
import { cellText } from '../protocol/board.js';
import { stamp } from '../protocol/stamp.js';

export const spec: VerbSpec = {
  name: 'scope',
  summary: 'set the scope cell of my row (what I work on), commit and publish',
  usage: '<TEXT…> [--json]',
  flags: [{ name: 'json', help: 'print {"id","scope","commit"}' }],
  positionals: [1, Infinity],
};

export function run(p: Parsed): number {
  const ctx = openContext(process.cwd(), { as: str(p, 'as') });
  const id = requireSession(ctx);
  const scope = cellText(p.args.join(' '), 'scope');
  const r = publish(ctx, (snap) => planScope(snap, id, scope, stamp()));
  if (bool(p, 'json')) json({ id, scope, commit: r.sha });
  else out(`${id} scope: ${scope}`);
  return 0;
}
