// The inboxes as a whole: every message block in every queue file at one commit, looked
// up by (a prefix of) its id. The grammar itself lives in protocol/message.ts.
import { CoordError, UsageError } from './errors.js';
import { fs } from './sys.js';
import type { Snapshot } from './publish.js';
import { SESSIONS_DIR } from './protocol/board.js';
import { parseQueueFile, validateBody, type ParsedMessage } from './protocol/message.js';

export const QUEUE_DIR = `${SESSIONS_DIR}/queue`;
export const queueFile = (id: string) => `${QUEUE_DIR}/to-${id}.md`;

export interface Located extends ParsedMessage { file: string }
export interface Mailbox { messages: Located[]; problems: { file: string; line: number; message: string }[] }

/**
 * Every message in every queue file of the snapshot (one ls-tree, one cat-file, which also
 * reads `alsoRead`, e.g. the board, so a verb needing both pays for one).
 */
export function readMailbox(snap: Snapshot, alsoRead: string[] = []): Mailbox {
  const files = snap.list(QUEUE_DIR).filter((f) => f.endsWith('.md') && f.startsWith('to-')).map((f) => `${QUEUE_DIR}/${f}`);
  snap.preload([...alsoRead, ...files]);
  const box: Mailbox = { messages: [], problems: [] };
  for (const file of files) {
    const { messages, problems } = parseQueueFile(snap.read(file) ?? '');
    for (const m of messages) box.messages.push({ ...m, file });
    for (const p of problems) box.problems.push({ file, ...p });
  }
  return box;
}

/** The one message whose id starts with `prefix`, or a clear error. */
export function findMessage(box: Mailbox, prefix: string): Located {
  if (!/^[0-9a-f]{4,}$/i.test(prefix)) throw new UsageError(`'${prefix.slice(0, 40)}' is not a message id: ids are hex, like 3f9a2c71d0 (at least 4 characters; see 'coord inbox').`);
  const hits = box.messages.filter((m) => m.id.startsWith(prefix.toLowerCase()));
  if (hits.length === 1) return hits[0];
  if (!hits.length) throw new CoordError(`No message ${prefix} on the board's queue: check the id with 'coord inbox --all'.`);
  throw new CoordError(`Message id ${prefix} is ambiguous (${hits.slice(0, 4).map((m) => `${m.id} in ${m.file}:${m.line}`).join(', ')}): give more characters.`);
}

/** The body of a message from -m (repeatable, paragraphs), --file (- for stdin), or piped stdin. */
export function readBody(messages: string[] | undefined, file: string | undefined): string {
  let body: string;
  if (messages?.length && file !== undefined) throw new UsageError('Give the body with -m or with --file, not both.');
  if (messages?.length) body = messages.join('\n\n');
  else if (file !== undefined) {
    try {
      body = file === '-' ? readStdin() : fs().readFileSync(file, 'utf8');
    } catch (e) {
      throw new CoordError(`Cannot read '${file}': ${(e as Error).message}.`);
    }
  } else if (!process.stdin.isTTY) body = readStdin();
  else throw new UsageError('No message body: give -m TEXT, --file F, or pipe the text in.');
  body = body.replace(/\r\n/g, '\n').replace(/\n+$/, '');
  if (!body.trim()) throw new UsageError('The message body is empty: say something with -m TEXT.');
  try { validateBody(body); } catch (e) { throw new UsageError((e as Error).message); }
  return body;
}

function readStdin(): string {
  try { return fs().readFileSync(0, 'utf8'); } catch { return fs().readFileSync('/dev/stdin', 'utf8'); }
}

/** The first words of a body, for a commit subject or a listing. */
export function firstWords(body: string, max = 50): string {
  const line = body.split('\n').find((l) => l.trim()) ?? '';
  const t = line.trim().replace(/\s+/g, ' ');
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}
