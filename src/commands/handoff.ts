// coord handoff: hand a Riff to another session — the message and the move in one commit.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { openContext, requireSession } from '../context.js';
import { CoordError, UsageError } from '../errors.js';
import { json, out } from '../output.js';
import { publish } from '../publish.js';
import { coordSubject } from '../session.js';
import { firstWords, queueFile, readBody, recipientArg } from '../mailbox.js';
import { BOARD_PATH, findRow, parseBoard, withRow } from '../protocol/board.js';
import { appendBlock, parseQueueFile } from '../protocol/message.js';
import { stamp } from '../protocol/stamp.js';
import { BODY_FLAGS, checkRef } from './send.js';

export const spec: VerbSpec = {
  name: 'handoff',
  summary: 'hand a Riff to another session: type:handoff message + the Riff moved between rows, one commit',
  usage: '<to> --riff ID (-m TEXT | --file F | stdin) [--json]',
  description: 'At no published moment do two rows hold the Riff. Refuses when I do not hold it.',
  flags: [
    { name: 'riff', value: 'ID', help: 'the Riff to hand over (required)' },
    ...BODY_FLAGS,
    { name: 'json', help: 'print {"id","to","riff","commit"}' },
  ],
  positionals: [1, 1],
};

export function run(p: Parsed): number {
  const ctx = openContext(process.cwd(), str(p, 'as'));
  const to = recipientArg(p.args[0]);
  const me = requireSession(ctx);
  if (!str(p, 'riff')) throw new UsageError('coord handoff: --riff ID is required (the Riff you hand over).');
  const riff = checkRef(str(p, 'riff'));
  if (to === me) throw new UsageError('You cannot hand a Riff to yourself.');
  const body = readBody(p.flags.message as string[] | undefined, str(p, 'file'));
  const r = publish(ctx, (snap) => {
    snap.preload([BOARD_PATH, queueFile(to)]);
    let board = parseBoard(snap.read(BOARD_PATH) ?? '');
    const mine = findRow(board, me);
    const theirs = findRow(board, to);
    if (!mine) throw new CoordError(`You (${me}) have no row on the board: only a session on the board can hand off a Riff.`);
    if (!theirs) throw new CoordError(`No session ${to} on the board (on it: ${board.rows.map((x) => x.row.id).join(', ')}). Hand off to one of those.`);
    if (!mine.riffs.includes(riff)) throw new CoordError(`You (${me}) do not hold Riff ${riff} (you hold: ${mine.riffs.join(', ') || 'none'}): only its holder can hand it off.`);
    const now = stamp();
    board = parseBoard(withRow(board, { ...mine, riffs: mine.riffs.filter((x) => x !== riff), presence: now }));
    const boardText = withRow(board, { ...theirs, riffs: theirs.riffs.includes(riff) ? theirs.riffs : [...theirs.riffs, riff] });
    const file = queueFile(to);
    const text = appendBlock(snap.read(file) ?? '', { stamp: now, from: me, to, type: 'handoff', ref: riff, status: { seen: null, acked: null, resolved: null }, body });
    const id = parseQueueFile(text).messages.at(-1)!.id;
    return { files: new Map([[BOARD_PATH, boardText], [file, text]]), subject: coordSubject(me, `handoff ${riff} to ${to}: ${firstWords(body)}`), value: { id } };
  });
  if (bool(p, 'json')) json({ id: r.value.id, to, riff, commit: r.sha });
  else out(`Handed ${riff} to ${to} (message ${r.value.id}); the board moved it in the same commit.`);
  return 0;
}
