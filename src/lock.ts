// A lock file the coord processes of one clone take turns on, so that while one of them
// fetches, commits and pushes, the others wait for it instead of racing it to the remote
// (see "Many writers at once" in docs/explanation.md). It only saves work: the
// compare-and-swap on the branch still decides every publish, so a lock judged wrongly
// costs a lost race at worst, never a lost write.
//
// The file is created with O_EXCL and holds its holder (pid, host, start time, a token).
// A holder refreshes its time as it works; a lock whose holder is gone (same host, no such
// process) or that has not been refreshed for `staleMs` is taken over.
import { fs, isDeno, os, processAlive, sleepMs } from './sys.js';

export interface LockHolder {
  pid: number;
  host: string;
  since: number;
  token: string;
}

/** A lock this process holds. */
export interface HeldLock {
  /** Says "still working": keeps the lock from being taken over as stale. */
  touch(): void;
  /** Gives it up (only if it is still ours). */
  release(): void;
}

export type LockOutcome =
  | { kind: 'held'; lock: HeldLock }
  | { kind: 'busy'; holder: LockHolder | null; heldMs: number } // patience ran out: one holder kept it all along
  | { kind: 'unusable'; detail: string }; // the file cannot be created (read-only git dir, …): go without

export interface LockOptions {
  /** A lock not refreshed for this long is taken over. */
  staleMs: number;
  /** How long to wait while one and the same holder keeps the lock (the wait starts again when it changes hands). */
  patienceMs: number;
}

/** Takes the lock `file`, waiting for the processes ahead; see the module comment. */
export function takeLock(file: string, opts: LockOptions): LockOutcome {
  const me: LockHolder = {
    pid: process.pid,
    host: hostName(),
    since: Date.now(),
    token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`,
  };
  const text = JSON.stringify(me) + '\n';
  let holderToken: string | null | undefined;
  let holderSeenAt = Date.now();
  for (;;) {
    try {
      const fd = fs().openSync(file, 'wx');
      try {
        fs().writeSync(fd, text);
      } finally {
        fs().closeSync(fd);
      }
      return { kind: 'held', lock: heldLock(file, me.token) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return { kind: 'unusable', detail: `${code ?? ''} ${(e as Error).message}`.trim() };
    }
    const seen = readLock(file);
    if (!seen) {
      // released just now (or there but unreadable: then patience ends it)
      if (Date.now() - holderSeenAt > opts.patienceMs) return { kind: 'busy', holder: null, heldMs: Date.now() - holderSeenAt };
      continue;
    }
    const token = seen.holder?.token ?? null;
    if (token !== holderToken) {
      holderToken = token;
      holderSeenAt = Date.now();
    }
    if (Date.now() - seen.mtimeMs > opts.staleMs || (seen.holder && seen.holder.host === me.host && !processAlive(seen.holder.pid))) {
      takeOver(file, seen.text, me.token);
      continue;
    }
    if (Date.now() - holderSeenAt > opts.patienceMs)
      return { kind: 'busy', holder: seen.holder, heldMs: Date.now() - (seen.holder?.since ?? holderSeenAt) };
    sleepMs(10 + Math.random() * 20); // a fraction of one push: the next in line starts soon after a release
  }
}

function heldLock(file: string, token: string): HeldLock {
  return {
    touch() {
      try {
        const now = new Date();
        fs().utimesSync(file, now, now);
      } catch {
        /* gone: the CAS still guards the branch */
      }
    },
    release() {
      const seen = readLock(file);
      if (seen?.holder?.token !== token) return; // taken over as stale meanwhile: it is someone else's now
      try {
        fs().unlinkSync(file);
      } catch {
        /* already gone */
      }
    },
  };
}

interface SeenLock {
  text: string;
  holder: LockHolder | null;
  mtimeMs: number;
}

/** The lock file's holder and age; null when there is no lock file. An unreadable holder (still being written) is null. */
function readLock(file: string): SeenLock | null {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = fs().statSync(file).mtimeMs;
    text = fs().readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let holder: LockHolder | null = null;
  try {
    const h = JSON.parse(text);
    if (typeof h?.pid === 'number' && typeof h.token === 'string')
      holder = { pid: h.pid, host: String(h.host ?? ''), since: Number(h.since) || mtimeMs, token: h.token };
  } catch {
    /* half-written, or not ours */
  }
  return { text, holder, mtimeMs };
}

/**
 * Removes a stale lock whose content was `staleText`. It is first renamed aside (atomic), so
 * two processes taking over at once cannot both delete; a lock that turns out to be a fresh
 * one taken in between is put back.
 */
function takeOver(file: string, staleText: string, token: string): void {
  const aside = `${file}.${token}`;
  try {
    fs().renameSync(file, aside);
  } catch {
    return;
  } // someone else moved it first
  let moved = '';
  try {
    moved = fs().readFileSync(aside, 'utf8');
  } catch {
    /* unreadable: treat as the stale one */
  }
  if (moved && moved !== staleText) {
    try {
      fs().linkSync(aside, file);
    } catch {
      /* a new holder already: two may push at once, the CAS decides */
    }
  }
  try {
    fs().unlinkSync(aside);
  } catch {
    /* gone */
  }
}

/** This machine's name; '' when it cannot be read (Deno without --allow-sys: never prompt for it). */
function hostName(): string {
  try {
    if (isDeno) {
      const perms = (
        globalThis as unknown as { Deno: { permissions: { querySync(d: { name: string; kind?: string }): { state: string } } } }
      ).Deno.permissions;
      if (perms.querySync({ name: 'sys', kind: 'hostname' }).state !== 'granted') return '';
    }
    return os().hostname();
  } catch {
    return '';
  }
}
