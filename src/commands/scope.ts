// coord scope: say what this session works on (its row's scope cell).
import type { Parsed, VerbSpec } from '../args.js';
import type { SessionContext } from '../context.js';
import { out, report, type Report } from '../output.js';
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
  group: 'sessions',
  needs: 'session',
};

export function run(ctx: SessionContext, p: Parsed): Report {
  const id = ctx.session;
  const scope = cellText(p.args.join(' '), 'scope');
  const r = publish(ctx, (snap) => planScope(snap, id, scope, stamp()));
  return report({ id, scope, commit: r.sha }, () => out(`${id} scope: ${scope}`));
}
