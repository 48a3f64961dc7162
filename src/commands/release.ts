// coord release: end my reservations (the ones named, or all of mine).
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { boardName } from '../blackboard.js';
import { openContext, requireSession } from '../context.js';
import { json, out } from '../output.js';
import { planRelease } from '../plans.js';
import { publish } from '../publish.js';
import { path } from '../sys.js';
import { reservationPattern } from '../protocol/reservations.js';

export const spec: VerbSpec = {
  name: 'release',
  summary: 'end my reservations: the paths named, or all of mine',
  usage: '[PATH…] [--json]',
  description: 'A path must be written as it was reserved (relative to where you are); coord reservations lists them.',
  flags: [{ name: 'json', help: 'print {"id","released":[paths],"commit"}' }],
  positionals: [0, 50],
};

export function run(p: Parsed): number {
  const cwd = process.cwd();
  const ctx = openContext(cwd, { as: str(p, 'as') });
  const me = requireSession(ctx);
  const prefix = path().relative(ctx.repo.top, cwd).split(path().sep).join('/');
  const paths = p.args.map((a) => reservationPattern(a, prefix.startsWith('..') ? '' : prefix));
  const r = publish(ctx, (snap) => planRelease(snap, { me, paths }));
  const released = r.value.map((x) => x.path);
  if (bool(p, 'json')) { json({ id: me, released, commit: released.length ? r.sha : null }); return 0; }
  out(released.length ? `${me} released ${released.join(', ')} on ${boardName(ctx)}.` : `${me} holds no reservations: nothing to release.`);
  return 0;
}
