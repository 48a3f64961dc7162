// Reading the inboxes of a snapshot (with a parse cache under the git dir) and reading a
// message body from the command line. What a mailbox is lives in protocol/mailbox.ts.
import { CoordError, UsageError } from './errors.js';
import type { FlagSpec } from './args.js';
import { fs, path } from './sys.js';
import { checkId } from './protocol/ids.js';
import { ARCHIVE_DIR, isQueueFileName, QUEUE_DIR } from './protocol/layout.js';
import { mailboxOf, type Mailbox } from './protocol/mailbox.js';
import { parseQueueFile, PARSER_VERSION, validateBody } from './protocol/message.js';

/** What the inboxes are read from: one blackboard commit (blackboard.ts's Snapshot). */
export interface QueueSource {
  list(dir: string): { name: string; blob: string }[];
  preload(paths: string[]): void;
  read(path: string): string | null;
}

/**
 * Every message in every queue file of the snapshot (one ls-tree, one cat-file, which also
 * reads `alsoRead`, e.g. the board, so a verb needing both pays for one). A queue file is
 * parsed once per version: the result is kept under the git dir by its blob id.
 */
export function readMailbox(snap: QueueSource, commonDir: string, alsoRead: string[] = [], dir = QUEUE_DIR): Mailbox {
  const entries = snap.list(dir).filter((e) => isQueueFileName(e.name));
  const cache = new ParseCache(commonDir);
  const parsed = new Map(entries.map((e) => [e.name, cache.get(e.blob)]));
  snap.preload([...alsoRead, ...entries.filter((e) => !parsed.get(e.name)).map((e) => `${dir}/${e.name}`)]);
  const files = entries.map((e) => {
    const file = `${dir}/${e.name}`;
    let result = parsed.get(e.name);
    if (!result) {
      result = parseQueueFile(snap.read(file) ?? '');
      cache.put(e.blob, result);
    }
    return { file, parsed: result };
  });
  // The archive is read beside the live queues (its own entries would prune theirs): no pruning there.
  if (dir === QUEUE_DIR) cache.prune(entries.map((e) => e.blob));
  return mailboxOf(files);
}

/** Every archived message (closed or reaped sessions' mail, aged resolved mail): read only when asked, e.g. `inbox --sent`. */
export const readArchive = (snap: QueueSource, commonDir: string): Mailbox => readMailbox(snap, commonDir, [], ARCHIVE_DIR);

type Parsed = ReturnType<typeof parseQueueFile>;

/**
 * Parsed queue files by blob id, in `<git dir>/coord/parsed/`. Only a speed-up: anything
 * missing or unreadable is parsed again, and entries of versions no longer on the board go.
 */
class ParseCache {
  private dir: string;
  private wrote = false;
  constructor(commonDir: string) {
    this.dir = path().join(commonDir, 'coord', `parsed-${PARSER_VERSION}`);
  }

  get(blob: string): Parsed | undefined {
    try {
      return JSON.parse(fs().readFileSync(path().join(this.dir, blob), 'utf8')) as Parsed;
    } catch {
      return undefined;
    }
  }

  put(blob: string, value: Parsed): void {
    try {
      fs().mkdirSync(this.dir, { recursive: true });
      const tmp = path().join(this.dir, `.${blob}.${process.pid}`);
      fs().writeFileSync(tmp, JSON.stringify(value));
      fs().renameSync(tmp, path().join(this.dir, blob)); // readers see a whole file or none
      this.wrote = true;
    } catch {
      /* a cache that cannot be written is only slower */
    }
  }

  prune(keep: string[]): void {
    if (!this.wrote) return;
    try {
      for (const f of fs().readdirSync(this.dir))
        if (!f.startsWith('.') && !keep.includes(f)) fs().rmSync(path().join(this.dir, f), { force: true });
    } catch {
      /* see put */
    }
  }
}

/** A recipient typed by a person: only the session-id form, so it can never become a path. */
export function recipientArg(to: string): string {
  const bad = checkId(to);
  if (bad) throw new UsageError(`${bad}: name the recipient by its id (see 'coord status').`);
  return to;
}

/** The flags of every verb that takes a message body. */
export const BODY_FLAGS: FlagSpec[] = [
  { name: 'message', short: 'm', value: 'TEXT', help: 'the body (repeat for paragraphs)', repeat: true },
  { name: 'file', value: 'F', help: 'read the body from file F (- for stdin); piped stdin works too' },
];

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
  try {
    validateBody(body);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return body;
}

function readStdin(): string {
  try {
    return fs().readFileSync(0, 'utf8');
  } catch {
    return fs().readFileSync('/dev/stdin', 'utf8');
  }
}
