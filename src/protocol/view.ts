// What a plan may read of the blackboard: a file's text and the inboxes, at one commit.
// The real one is blackboard.ts's Snapshot; tests hand plans a view built from strings.
import type { Mailbox } from './mailbox.js';

export interface View {
  /** A file's text, or null when it is not there. */
  read(path: string): string | null;
  /** Every message in every inbox. */
  mailbox(): Mailbox;
}

/** What a plan returns: the files to write (null deletes), the commit subject, and a value for the caller. */
export interface Plan<T> {
  files: Map<string, string | null>;
  subject: string;
  value: T;
}
