// The names coord accepts: session ids (sA … sZ, then sAA, sAB, …), display names, Riff
// ids, branch names, and which session speaks. Every place that takes one of these from a
// person checks it here first, so no typed text ever becomes a path or a git option.

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** A session id as a pattern, for rules that embed one (`[sA]`, `session-sA`). */
export const SESSION_ID_PATTERN = 's[A-Z]{1,3}';
export const SESSION_ID_RE = new RegExp(`^${SESSION_ID_PATTERN}$`);

/** True for `sA`, `sZ`, `sAA`: the only shape an id may have. */
export function isSessionId(s: string): boolean {
  return SESSION_ID_RE.test(s);
}

/** The n-th id (0 → sA, 25 → sZ, 26 → sAA): bijective base 26, so the order never skips. */
export function idAt(n: number): string {
  let s = '';
  n += 1;
  while (n > 0) {
    n -= 1;
    s = LETTERS[n % 26] + s;
    n = Math.floor(n / 26);
  }
  return 's' + s;
}

/** The lowest id not in `taken`. */
export function lowestFreeId(taken: Set<string>): string {
  for (let n = 0; ; n++) {
    const id = idAt(n);
    if (!taken.has(id)) return id;
  }
}

export const NAME_POOL = [
  'Sintra',
  'Douro',
  'Porto',
  'Braga',
  'Coimbra',
  'Faro',
  'Aveiro',
  'Tavira',
  'Lagos',
  'Cascais',
  'Minho',
  'Tejo',
  'Mondego',
  'Guarda',
  'Viseu',
  'Leiria',
  'Beja',
  'Evora',
  'Obidos',
  'Tomar',
  'Peniche',
  'Ericeira',
  'Marvao',
  'Batalha',
  'Nazare',
  'Madeira',
  'Alentejo',
  'Algarve',
  'Arrabida',
  'Monsanto',
];

/** The first pool name not in `taken`; past the pool, names get a number (`Sintra2`). */
export function firstFreeName(taken: Set<string>): string {
  for (let round = 1; ; round++) {
    for (const base of NAME_POOL) {
      const name = round === 1 ? base : `${base}${round}`;
      if (!taken.has(name.toLowerCase())) return name;
    }
  }
}

/** Why a display name cannot go on the board, or null when it can. */
export function badName(name: string): string | null {
  if (!name.trim()) return 'it is empty';
  if (name.length > 40) return 'it is longer than 40 characters';
  if (/[|·\r\n\t`\\]/.test(name) || /[\u0000-\u001f\u007f]/.test(name)) return 'it holds one of | · ` \\ or a control character';
  return null;
}

/** Argument check for an id typed by a person; returns the id or a reason. */
export function checkId(s: string): string | null {
  if (isSessionId(s)) return null;
  return `'${s.length > 40 ? s.slice(0, 40) + '…' : s}' is not a session id (ids look like sA, sB, … sZ, sAA)`;
}

/** A Riff id: one word of letters, digits and `. _ # : / -`, so it fits a board cell and a `ref:`. */
export const RIFF_ID_RE = /^[A-Za-z0-9._#:\/-]{1,60}$/;

/** Why `s` cannot be a Riff id, or null when it can. */
export function checkRiffId(s: string): string | null {
  if (RIFF_ID_RE.test(s)) return null;
  return `'${s.length > 40 ? s.slice(0, 40) + '…' : s}' is not a Riff id (one word of letters, digits and . _ # : / -, like R-12)`;
}

const BRANCH_RE = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock(?:\/|$))[A-Za-z0-9._\/-]{1,100}(?<![./])$/;

/** Why `s` cannot be the blackboard branch, or null when it can (a plain subset of git's ref rules). */
export function checkBranchName(s: string): string | null {
  if (BRANCH_RE.test(s) && !s.split('/').some((part) => part.startsWith('.'))) return null;
  return (
    `'${s.length > 40 ? s.slice(0, 40) + '…' : s}' is not a usable branch name (letters, digits and . _ / -, ` +
    `no '..', not starting with '-')`
  );
}

/** Where the speaking session came from: who wins is decided in `speakingSession` alone. */
export interface IdentitySources {
  /** `--as` on the command line. */
  flag?: string;
  /** The session of the worktree the command runs in (its `session-<id>` branch). */
  worktree: string | null;
  /** `COORD_SESSION` from the environment. */
  env?: string;
}

export type Identity = { id: string | null } | { error: string };

/**
 * Which session speaks: `--as`, else the worktree's session, else `COORD_SESSION`. A
 * malformed `--as` or `COORD_SESSION` is an error, and so is a `COORD_SESSION` naming
 * another session than the worktree's: a stale export must not make a verb act for
 * someone else. The hooks take the same answer but stay silent on errors.
 */
export function speakingSession(s: IdentitySources): Identity {
  const env = s.env || undefined;
  if (s.flag !== undefined) {
    const bad = checkId(s.flag);
    return bad ? { error: `${bad}.` } : { id: s.flag };
  }
  if (env !== undefined) {
    const bad = checkId(env);
    if (bad) return { error: `${bad} (from COORD_SESSION).` };
    if (s.worktree && env !== s.worktree) {
      return {
        error:
          `COORD_SESSION=${env}, but this is ${s.worktree}'s worktree: unset COORD_SESSION here, or pass --as ` +
          `${env} to act as ${env} on purpose.`,
      };
    }
  }
  return { id: s.worktree ?? env ?? null };
}
