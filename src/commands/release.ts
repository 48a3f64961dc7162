// coord release: end my reservations (the ones named, or all of mine).
import type { Parsed, VerbSpec } from '../args.js';
import { boardName } from '../blackboard.js';
import type { SessionContext } from '../context.js';
import { out, report, type Report } from '../output.js';
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
  group: 'collisions',
  needs: 'session',
};

export function run(ctx: SessionContext, p: Parsed): Report {
  const me = ctx.session;
  const prefix = path().relative(ctx.repo.top, ctx.cwd).split(path().sep).join('/');
  const paths = p.args.map((a) => reservationPattern(a, prefix.startsWith('..') ? '' : prefix));
  const r = publish(ctx, (snap) => planRelease(snap, { me, paths }));
  const released = r.value.map((x) => x.path);
  return report({ id: me, released, commit: released.length ? r.sha : null }, () =>
    out(
      released.length ? `${me} released ${released.join(', ')} on ${boardName(ctx)}.` : `${me} holds no reservations: nothing to release.`,
    ),
  );
}
