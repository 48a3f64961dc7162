// Session ids (sA … sZ, then sAA, sAB, …) and display names. Every place that accepts an
// id from a person checks it here first, so no typed text ever becomes a path or a git option.

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const SESSION_ID_RE = /^s[A-Z]{1,3}$/;

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

export const NAME_POOL = ['Sintra', 'Douro', 'Porto', 'Braga', 'Coimbra', 'Faro', 'Aveiro', 'Tavira', 'Lagos',
  'Cascais', 'Minho', 'Tejo', 'Mondego', 'Guarda', 'Viseu', 'Leiria', 'Beja', 'Evora', 'Obidos', 'Tomar',
  'Peniche', 'Ericeira', 'Marvao', 'Batalha', 'Nazare', 'Madeira', 'Alentejo', 'Algarve', 'Arrabida', 'Monsanto'];

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
