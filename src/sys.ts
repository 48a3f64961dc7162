// Node built-ins, loaded only when a verb asks for them: a static import of each would
// cost every hook run (see the hook budgets in docs). `process.getBuiltinModule` is sync
// on Node >= 20.16 and Deno 2; older runtimes get them from `preload()` instead.
import type * as FsT from 'node:fs';
import type * as PathT from 'node:path';
import type * as CpT from 'node:child_process';
import type * as OsT from 'node:os';
import type * as ZlibT from 'node:zlib';
import type * as UrlT from 'node:url';

type Builtins = {
  'node:fs': typeof FsT;
  'node:path': typeof PathT;
  'node:child_process': typeof CpT;
  'node:os': typeof OsT;
  'node:zlib': typeof ZlibT;
  'node:url': typeof UrlT;
};
type Name = keyof Builtins;

/** True when running under Deno (which also provides the Node globals coord uses). */
export const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';

const loaded: Partial<Builtins> = {};
// Read lazily: under Deno, touching `process` at all starts Node compatibility (see host.ts).
const getBuiltin = (n: string): unknown => (process as unknown as { getBuiltinModule?: (n: string) => unknown }).getBuiltinModule?.(n);
const hasGetBuiltin = () => typeof (process as unknown as { getBuiltinModule?: unknown }).getBuiltinModule === 'function';

function load<N extends Name>(name: N): Builtins[N] {
  let mod = loaded[name];
  if (!mod) {
    mod = getBuiltin(name) as Builtins[N] | undefined;
    if (!mod) throw new Error(`Internal: ${name} used before preload()`);
    loaded[name] = mod;
  }
  return mod as Builtins[N];
}

/** Loads every built-in up front on runtimes without `process.getBuiltinModule` (Node < 20.16). */
export async function preload(): Promise<void> {
  if (isDeno || hasGetBuiltin()) return;
  const all: Name[] = ['node:fs', 'node:path', 'node:child_process', 'node:os', 'node:zlib', 'node:url'];
  for (const n of all) (loaded as Record<string, unknown>)[n] = await import(n);
}

export const fs = () => load('node:fs');
export const path = () => load('node:path');
export const cp = () => load('node:child_process');
export const os = () => load('node:os');
export const zlib = () => load('node:zlib');
export const url = () => load('node:url');

/** Synchronous sleep without a busy loop: used for retry jitter in a CLI that is otherwise sync. */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ms));
}

/** True when a process `pid` exists on this machine (ours or another user's: EPERM means it is there). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Fault injection for the crash tests: when COORD_CRASH_AT names this point, the process
 * kills itself with SIGKILL right here, as a power cut or `kill -9` would; `<point>:throw`
 * raises an unexpected error there instead (a bug's path through the error handling).
 */
export function crashPoint(name: string): void {
  const at = process.env.COORD_CRASH_AT;
  if (at === name) process.kill(process.pid, 'SIGKILL');
  if (at === `${name}:throw`) throw new Error(`injected fault at ${name}`);
}
