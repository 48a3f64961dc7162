// coord reserve: ask the other sessions not to change some paths for a while. One commit on
// the blackboard; two sessions reserving the same path at once: the compare-and-swap lets
// exactly one through, the other is told who holds it.
import { str, type Parsed, type VerbSpec } from '../args.js';
import { boardName } from '../blackboard.js';
import type { SessionContext } from '../context.js';
import { out, report, type Report } from '../output.js';
import { planReserve } from '../plans.js';
import { publish } from '../publish.js';
import { path } from '../sys.js';
import { cellText } from '../protocol/board.js';
import { visible } from '../protocol/display.js';
import { BOARD_PATH } from '../protocol/layout.js';
import { MAX_RESERVATION, reservationLength, reservationPattern, RESERVATIONS_PATH, untilStamp } from '../protocol/reservations.js';
import { stamp } from '../protocol/stamp.js';

export const DEFAULT_FOR = '2h';

export const spec: VerbSpec = {
  name: 'reserve',
  summary: "reserve paths (files, folders/, globs) so other sessions' commits touching them are refused",
  usage: '<PATH…> [--for DURATION] [-m NOTE] [--json]',
  description:
    'A path is a file, a folder ending in / (everything below it), or a glob (* within a folder,\n' +
    '** across folders, ? one character), relative to where you are. Refused, changing nothing,\n' +
    "when another session's reservation in force overlaps one of them. Reserving a path you hold\n" +
    'again sets its new time and note. A reservation ends at its time, at release or close, and\n' +
    "stops counting while its session is stale. The pre-commit guard refuses others' commits of\n" +
    'reserved files (COORD_RESERVED_OK=1 lets one commit through).',
  flags: [
    { name: 'for', value: 'DURATION', help: `how long: 30m, 2h, 1d, 90s (default ${DEFAULT_FOR}, at most ${MAX_RESERVATION})` },
    { name: 'message', short: 'm', value: 'NOTE', help: 'why, for whoever is refused (one line)' },
    { name: 'json', help: 'print {"id","reserved":[{"path","until","note"}],"commit"}' },
  ],
  positionals: [1, 50],
  group: 'collisions',
  needs: 'session',
};

export function run(ctx: SessionContext, p: Parsed): Report {
  const me = ctx.session;
  const forText = str(p, 'for') ?? DEFAULT_FOR;
  const ms = reservationLength(forText);
  const noteFlag = p.flags.message as string[] | string | undefined;
  const noteText = Array.isArray(noteFlag) ? noteFlag.join(' ') : noteFlag;
  const note = noteText === undefined ? '' : cellText(noteText, 'note');
  const prefix = path().relative(ctx.repo.top, ctx.cwd).split(path().sep).join('/');
  const paths = [...new Set(p.args.map((a) => reservationPattern(a, prefix.startsWith('..') ? '' : prefix)))];
  const r = publish(ctx, (snap) => {
    snap.preload([BOARD_PATH, RESERVATIONS_PATH]);
    const nowMs = Date.now();
    // A reservation of ten minutes or more ends on a whole minute (rounded up); a shorter one to the second.
    const end = ms >= 600e3 ? Math.ceil((nowMs + ms) / 60e3) * 60e3 : nowMs + ms;
    return planReserve(snap, { me, paths, until: untilStamp(end, stamp), note, staleMs: ctx.cfg.staleMs, now: stamp(nowMs), nowMs });
  });
  const reserved = r.value.map(({ path: pth, until, note: n }) => ({ path: pth, until, note: n }));
  return report({ id: me, reserved, commit: r.sha }, () => {
    for (const res of reserved) out(`${me} reserved ${visible(res.path)} until ${res.until}${res.note ? ` — ${visible(res.note)}` : ''}`);
    out(`Published on ${boardName(ctx)}. Other sessions' commits of these paths are refused until then; 'coord release' ends it sooner.`);
  });
}
