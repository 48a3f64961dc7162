// The inboxes as a whole: every message of every queue file at one commit, looked up by (a
// prefix of) its id, and how a message is shown. The grammar of one file is message.ts.
import { CoordError, UsageError } from '../errors.js';
import { quoted, visible } from './display.js';
import { MESSAGE_TYPES, NO_REF, type ParsedMessage, type ParseProblem } from './message.js';

export interface Located extends ParsedMessage {
  file: string;
}
export interface Mailbox {
  messages: Located[];
  problems: { file: string; line: number; message: string }[];
}

/** One mailbox from the parsed queue files (`file` is each one's path). */
export function mailboxOf(files: { file: string; parsed: { messages: ParsedMessage[]; problems: ParseProblem[] } }[]): Mailbox {
  const box: Mailbox = { messages: [], problems: [] };
  for (const { file, parsed } of files) {
    // Tagged in place, not copied: a spread copy of 10k parsed messages made every later filter
    // over them about 13× slower (measured: status 165 → 279 ms on the 10k-message bench).
    for (const m of parsed.messages) box.messages.push(Object.assign(m, { file }));
    for (const p of parsed.problems) box.problems.push({ file, ...p });
  }
  return box;
}

/** The one message whose id starts with `prefix`, or a clear error. */
export function findMessage(box: Mailbox, prefix: string): Located {
  if (!/^[0-9a-f]{4,}$/i.test(prefix))
    throw new UsageError(
      `'${prefix.slice(0, 40)}' is not a message id: ids are hex, like 3f9a2c71d0 (at least 4 characters; see 'coord inbox').`,
    );
  const hits = box.messages.filter((m) => m.id.startsWith(prefix.toLowerCase()));
  if (hits.length === 1) return hits[0];
  if (!hits.length) throw new CoordError(`No message ${prefix} on the board's queue: check the id with 'coord inbox --all'.`);
  throw new CoordError(
    `Message id ${prefix} is ambiguous (${hits
      .slice(0, 4)
      .map((m) => `${m.id} in ${m.file}:${m.line}`)
      .join(', ')}): give more characters.`,
  );
}

/** Whose mail an archive file holds and why it left the live queues, as its first line says. */
export interface ArchivedFrom {
  session: string;
  claimed: string;
  why: string;
}

/** The first line of an archive file: whose mail it is (id · name, claimed at) and why it left the live queues. */
export const archiveHeader = (id: string, name: string, claimed: string, why: string): string =>
  `# Mail to ${id} · ${name} (claimed ${claimed}), ${why}: not read as an inbox`;

/** What `archiveHeader` wrote, read back from an archive file's text; null for a file without one (edited by hand). */
export function readArchiveHeader(text: string): ArchivedFrom | null {
  const hit = /^# Mail to (.+?) \(claimed ([^)]*)\), ([^:]+):/.exec(text);
  return hit ? { session: hit[1], claimed: hit[2], why: hit[3] } : null;
}

/** The word for how far a message got. */
export const statusWord = (m: Located): string =>
  m.status.resolved ? 'resolved' : m.status.acked ? 'acked' : m.status.seen ? 'seen' : 'new';

/** A message as --json shows it. */
export const messageJson = (m: Located) => ({
  id: m.id,
  from: m.from,
  to: m.to,
  type: m.type,
  ref: m.ref,
  sent: m.stamp,
  status: { ...m.status },
  body: m.body,
  file: m.file,
  line: m.line,
});

/** Oldest first: stamps sort as text. */
export const byAge = (a: Located, b: Located): number => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0);

/** The first words of a body, for a commit subject or a listing: one line, control characters made visible. */
export function firstWords(body: string, max = 50): string {
  const line = body.split('\n').find((l) => l.trim()) ?? '';
  const t = visible(line.trim().replace(/[ \t]+/g, ' '));
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

/**
 * A message as one line for an agent: `3f9a2c71d0 from sB (question, ref «R-7»): «first words»`.
 * What the sender wrote is quoted; ids and the types coord knows are its own words.
 */
export function messageLine(m: Located, who: 'from' | 'to', max: number): string {
  const type = (MESSAGE_TYPES as readonly string[]).includes(m.type) ? m.type : quoted(m.type);
  const ref = m.ref !== NO_REF ? `, ref ${quoted(m.ref)}` : '';
  return `${m.id} ${who} ${m[who]} (${type}${ref}): ${quoted(firstWords(m.body, max))}`;
}
