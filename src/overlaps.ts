// Who is touching what, with nothing declared: for each session that is not stale, the files
// it changes — its [sX] commits on the blackboard branch since its claim, and, for sessions
// with a worktree in this clone, its unpublished commits and its uncommitted changes. A file
// two or more of them touch is an overlap. History is read once, bounded by the oldest claim;
// the coordination files themselves (everyone's by design) never count.
import { boardRef } from './blackboard.js';
import type { Context } from './context.js';
import { filesChanged, worktreeStatus, type ChangedIn } from './git.js';
import { linkedWorktrees } from './worktree.js';
import type { SessionRow } from './protocol/board.js';
import { quoted, visible } from './protocol/display.js';
import { sessionBranch, sessionOfBranch, SESSIONS_DIR } from './protocol/layout.js';
import { firstCovering, type Reservation } from './protocol/reservations.js';
import { parseStamp } from './protocol/stamp.js';
import { sessionOfSubject } from './protocol/subject.js';

export type How = 'published' | 'unpublished' | 'uncommitted';
/** A file two or more sessions are changing, and how each of them is. */
export interface Overlap {
  path: string;
  sessions: string[];
  how: Record<string, How[]>;
}

/** path → session → how it touches it. */
export type Touches = Map<string, Map<string, Set<How>>>;

const coordination = (file: string) => file.startsWith(`${SESSIONS_DIR}/`);

/**
 * The files each of `rows` touches (rows: the sessions that count, i.e. not stale), given
 * the blackboard's commits since the oldest claim (liveness.ts boardHistory reads them once
 * for both). For sessions with a worktree in this clone: one git process for their
 * unpublished commits and one status per worktree; the worktrees are read from git's files.
 */
export function touches(ctx: Context, rows: SessionRow[], history: ChangedIn[]): Touches {
  const found: Touches = new Map();
  const note = (file: string, id: string, how: How) => {
    if (coordination(file)) return;
    let by = found.get(file);
    if (!by) found.set(file, (by = new Map()));
    let hows = by.get(id);
    if (!hows) by.set(id, (hows = new Set()));
    hows.add(how);
  };
  const claims = new Map(rows.map((r) => [r.id, parseStamp(r.claimed)] as const).filter((e): e is [string, number] => e[1] !== null));
  for (const c of history) {
    const id = sessionOfSubject(c.subject);
    const claimed = id === null ? undefined : claims.get(id);
    if (claimed !== undefined && c.time * 1e3 >= claimed) c.files.forEach((f) => note(f, id!, 'published'));
  }
  const ids = new Set(rows.map((r) => r.id));
  const here = linkedWorktrees(ctx.repo.commonDir).flatMap((w) => (w.session && ids.has(w.session) ? [{ id: w.session, dir: w.top }] : []));
  if (!here.length) return found;
  const branches = here.map((w) => `refs/heads/${sessionBranch(w.id)}`);
  for (const c of filesChanged(ctx.repo.top, [...branches, `^${boardRef(ctx)}`], null)) {
    const id = sessionOfBranch(c.source.replace(/^refs\/heads\//, ''));
    if (id) c.files.forEach((f) => note(f, id, 'unpublished'));
  }
  for (const w of here) {
    try {
      for (const e of worktreeStatus(w.dir, 'all')) note(e.path, w.id, 'uncommitted');
    } catch {
      /* a worktree removed by hand since it was listed: nothing uncommitted there */
    }
  }
  return found;
}

/** Files touched by two or more sessions, by path. */
export function overlapsOf(t: Touches): Overlap[] {
  const out: Overlap[] = [];
  for (const [path, by] of [...t].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (by.size < 2) continue;
    const sessions = [...by.keys()].sort();
    out.push({ path, sessions, how: Object.fromEntries(sessions.map((s) => [s, [...by.get(s)!].sort()])) });
  }
  return out;
}

/** The files `me` touches that another session's reservation (in force) covers. */
export function reservedUnderMe(t: Touches, me: string, held: Reservation[]): { path: string; res: Reservation }[] {
  const mine = [...t].filter(([, by]) => by.has(me)).map(([p]) => p);
  const covering = firstCovering(held.filter((r) => r.session !== me));
  return mine.flatMap((path) => {
    const res = covering(path);
    return res ? [{ path, res }] : [];
  });
}

/** One line per overlap, for a terminal: `path — sA (published), sB (uncommitted)` (the path made visible). */
export function overlapLine(o: Overlap): string {
  return `${visible(o.path)} — ${o.sessions.map((s) => `${s} (${o.how[s].join(', ')})`).join(', ')}`;
}

/** A file `me` changes that other sessions change too, or that another session has reserved. */
export type Notice = { path: string; others: { session: string; how: How[] }[] } | { path: string; reserved: Reservation };

/**
 * What to tell `me`'s agent: files it changes that another session is changing too, and files
 * it changes that another session has reserved. Empty when there is nothing.
 */
export function noticesFor(ctx: Context, rows: SessionRow[], history: ChangedIn[], me: string, held: Reservation[]): Notice[] {
  if (!rows.some((r) => r.id === me)) return [];
  const others = rows.filter((r) => r.id !== me);
  if (!others.length && !held.some((r) => r.session !== me)) return [];
  const t = touches(ctx, rows, history);
  const notices: Notice[] = overlapsOf(t)
    .filter((o) => o.sessions.includes(me))
    .map((o) => ({ path: o.path, others: o.sessions.filter((s) => s !== me).map((s) => ({ session: s, how: o.how[s] })) }));
  for (const { path, res } of reservedUnderMe(t, me, held)) notices.push({ path, reserved: res });
  return notices;
}

/**
 * A notice as one line: for an agent (`quote`), the file name and the note between « and »
 * (protocol/display.ts); for --json, the exact text.
 */
export function noticeLine(n: Notice, quote: boolean): string {
  const path = quote ? quoted(n.path) : n.path;
  if ('others' in n) return `${path} is being changed by ${n.others.map((o) => `${o.session} (${o.how.join(', ')})`).join(', ')} too`;
  const { session, until, note } = n.reserved;
  const why = note ? ` (${quote ? quoted(note) : `"${note}"`})` : '';
  return `${path} is reserved by ${session} until ${quote ? visible(until) : until}${why}`;
}
