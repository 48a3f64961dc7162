// Who really moved a message: the ack chain is text in a file anyone can edit, so `inbox
// --sent` reads the history of the inboxes involved and says, for each message shown, which
// session's commit wrote the block and which stamped each status. A block or a status that no
// commit of the right session wrote is flagged. Two git processes, whatever the count shown.
import { commitsTouching, readObjects } from './git.js';
import type { Context } from './context.js';
import type { Located } from './protocol/mailbox.js';
import { ARCHIVE_DIR, queueFile } from './protocol/layout.js';
import { LEVELS, parseQueueFile, type Level } from './protocol/message.js';
import { parseStamp } from './protocol/stamp.js';
import { sessionOfSubject } from './protocol/subject.js';

/** The session whose commit did it; null when no commit in the window did (older, or hand-made without a prefix). */
export type Provenance = { sent: string | null } & Record<Level, string | null>;

export interface Backed {
  provenance: Provenance;
  backed: boolean;
}

/** How far back history is read: from a day before the oldest message shown, at most this many commits. */
const MAX_COMMITS = 500;

/** The provenance of each message in `shown` (by id), read from the history of the blackboard commit `head`. */
export function provenanceOf(ctx: Context, head: string, shown: Located[]): Map<string, Backed> {
  const result = new Map<string, Backed>();
  if (!shown.length) return result;
  // An archived block is followed back into the inbox it was sent to: that commit says who wrote it.
  const files = [...new Set(shown.flatMap((m) => (m.file.startsWith(`${ARCHIVE_DIR}/`) ? [queueFile(m.to), m.file] : [m.file])))];
  const oldest = shown.reduce((x, m) => Math.min(x, parseStamp(m.stamp) ?? Date.now()), Infinity); // no spread: 100k+ overflow
  const commits = commitsTouching(ctx.repo.top, head, files, Math.floor(oldest / 1000) - 86400, MAX_COMMITS).reverse();
  if (!commits.length) return result;
  // Each file at every commit of the window, and just before it: what the window starts from is nobody's doing.
  const revs = [`${commits[0].sha}^`, ...commits.map((c) => c.sha)];
  const texts = readObjects(
    ctx.repo.top,
    revs.flatMap((rev) => files.map((f) => `${rev}:${f}`)),
  );
  const ids = new Set(shown.map((m) => m.id));
  const version = (i: number, j: number) => {
    const obj = texts[i * files.length + j];
    return new Map(
      obj?.type === 'blob'
        ? parseQueueFile(obj.content)
            .messages.filter((m) => ids.has(m.id))
            .map((m) => [m.id, m.status] as const)
        : [],
    );
  };
  const found = new Map<string, Provenance>();
  const before = new Map(files.map((file, j) => [file, version(0, j)])); // file → id → status in the previous version
  commits.forEach((c, i) => {
    const by = sessionOfSubject(c.subject);
    files.forEach((file, j) => {
      const now = version(i + 1, j);
      const prev = before.get(file)!;
      for (const [id, status] of now) {
        const p = found.get(id) ?? { sent: null, seen: null, acked: null, resolved: null };
        if (!prev.has(id) && !found.has(id)) p.sent = by; // appeared here (a block moved between files keeps its first author)
        for (const l of LEVELS) if (status[l] && !prev.get(id)?.[l]) p[l] ??= by;
        found.set(id, p);
      }
      before.set(file, now);
    });
  });
  for (const m of shown) {
    const p = found.get(m.id) ?? { sent: null, seen: null, acked: null, resolved: null };
    const backed = p.sent === m.from && LEVELS.every((l) => !m.status[l] || p[l] === m.to);
    result.set(m.id, { provenance: p, backed });
  }
  return result;
}
