// The little I/O the hooks need — arguments, environment, files, stderr — with Deno's own
// API under Deno: there, merely touching the `process` global starts Node compatibility,
// which doubles a hook's start-up. Under Node it is node:fs and node:path, loaded lazily.
import { fs, isDeno, path } from './sys.js';
import { visible } from './protocol/display.js';

interface DenoApi {
  args: string[];
  cwd(): string;
  env: { get(name: string): string | undefined };
  readTextFileSync(p: string): string;
  writeTextFileSync(p: string, text: string): void;
  statSync(p: string): { isFile: boolean; isDirectory: boolean; size: number };
  lstatSync(p: string): { isFile: boolean; isDirectory: boolean; isSymlink: boolean };
  readLinkSync(p: string): string;
  openSync(p: string): { seekSync(offset: number, whence: number): number; readSync(buf: Uint8Array): number | null; close(): void };
  stdout: { writeSync(b: Uint8Array): number };
  stderr: { writeSync(b: Uint8Array): number };
  exit(code: number): never;
}
const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

/** The command-line arguments after the script. */
export const args = (): string[] => (isDeno ? deno.args : process.argv.slice(2));
export const cwd = (): string => (isDeno ? deno.cwd() : process.cwd());
export const env = (name: string): string | undefined => (isDeno ? deno.env.get(name) : process.env[name]);

/** A file's text, or null when it cannot be read. */
export function readText(p: string): string | null {
  try {
    return isDeno ? deno.readTextFileSync(p) : fs().readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

export function writeText(p: string, text: string): void {
  if (isDeno) deno.writeTextFileSync(p, text);
  else fs().writeFileSync(p, text);
}

/** 'file', 'dir', or null when nothing is there. */
export function kind(p: string): 'file' | 'dir' | null {
  try {
    if (isDeno) {
      const s = deno.statSync(p);
      return s.isFile ? 'file' : s.isDirectory ? 'dir' : null;
    }
    const s = fs().statSync(p);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : null;
  } catch {
    return null;
  }
}

export const exists = (p: string): boolean => kind(p) !== null;

/** What is at `p` itself (a link is not followed): 'file', 'dir', 'link', 'other', or null when nothing is there. */
function ownKind(p: string): 'file' | 'dir' | 'link' | 'other' | null {
  try {
    if (isDeno) {
      const s = deno.lstatSync(p);
      return s.isSymlink ? 'link' : s.isFile ? 'file' : s.isDirectory ? 'dir' : 'other';
    }
    const s = fs().lstatSync(p);
    return s.isSymbolicLink() ? 'link' : s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || (e as Error).name === 'NotFound') return null;
    return 'other'; // cannot be looked at (a file where a folder should be, no permission): not safe to write
  }
}

/** Why coord must not write a path: `at` (the path itself or a folder above it) and the line that says so. */
export interface WriteHazard {
  at: string;
  why: string;
}

/**
 * Why coord must not write `rel` (a path below `root`), or null when it may: `rel`, or a folder above it below
 * `root`, is a symbolic link (a collaborator can commit one to any file, in the repository or out of it), or is
 * there but is not a regular file (`rel`) or a folder (those above). What is not there yet coord makes itself.
 * `root` itself and what is above it are trusted. The one check before every write into a tree coord does not own.
 */
export function writeHazard(root: string, rel: string): WriteHazard | null {
  const parts = rel.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) return { at: rel, why: `${visible(rel)} leads out of ${visible(root)}: coord writes only below it` };
  for (let i = 1; i <= parts.length; i++) {
    const at = parts.slice(0, i).join('/');
    const abs = join(root, at);
    const k = ownKind(abs);
    if (k === null) return null;
    if (k === 'link') {
      let to = '?';
      try {
        to = isDeno ? deno.readLinkSync(abs) : fs().readlinkSync(abs, 'utf8');
      } catch {
        /* named without its target */
      }
      return { at, why: `${visible(at)} is a symbolic link (to ${visible(to)}): coord never writes through one` };
    }
    const last = i === parts.length;
    if (last && k !== 'file') return { at, why: `${visible(at)} is not a regular file: coord writes only regular files` };
    if (!last && k !== 'dir') return { at, why: `${visible(at)} is not a folder: coord cannot write ${visible(rel)} below it` };
  }
  return null;
}

/** The last `n` bytes of a file as text (a long file is not read whole), or null. */
export function readTail(p: string, n: number): string | null {
  try {
    const buf = new Uint8Array(n);
    let len = 0;
    if (isDeno) {
      const f = deno.openSync(p);
      try {
        const size = deno.statSync(p).size;
        f.seekSync(Math.max(0, size - n), 0);
        for (let r; len < n && (r = f.readSync(buf.subarray(len)));) len += r;
      } finally {
        f.close();
      }
    } else {
      const fd = fs().openSync(p, 'r');
      try {
        const size = fs().fstatSync(fd).size;
        len = fs().readSync(fd, buf, 0, Math.min(n, size), Math.max(0, size - n));
      } finally {
        fs().closeSync(fd);
      }
    }
    return new TextDecoder().decode(buf.subarray(0, len));
  } catch {
    return null;
  }
}

const enc = new TextEncoder();
const closed = { stdout: false, stderr: false };
let watching = false;

/**
 * Writes to stdout or stderr; once the reader has gone (`coord status | head -1`), output is
 * dropped and the verb finishes its work quietly instead of dying mid-way on EPIPE.
 */
function write(stream: 'stdout' | 'stderr', text: string): void {
  if (closed[stream]) return;
  if (isDeno) {
    try {
      deno[stream].writeSync(enc.encode(text));
    } catch (e) {
      if ((e as Error).name !== 'BrokenPipe') throw e;
      closed[stream] = true;
    }
    return;
  }
  if (!watching) {
    watching = true;
    for (const name of ['stdout', 'stderr'] as const) {
      process[name].on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') closed[name] = true;
        else throw e;
      });
    }
  }
  process[stream].write(text);
}
export const writeStdout = (text: string): void => write('stdout', text);
export const writeStderr = (text: string): void => write('stderr', text);
/** True once the reader of stdout has gone. */
export const stdoutClosed = (): boolean => closed.stdout;

/** Ends the run with `code` once the event loop is done (Deno: at once, output is already written). */
export function finish(code: number): void {
  if (isDeno) {
    if (code !== 0) deno.exit(code);
    return;
  }
  process.exitCode = code;
}

// Paths: node:path under Node; under Deno the POSIX rules git itself uses for these paths.
const norm = (p: string): string => {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(part);
  }
  return (abs ? '/' : '') + out.join('/') || (abs ? '/' : '.');
};
export const join = (...parts: string[]): string => (isDeno ? norm(parts.join('/')) : path().join(...parts));
export const resolve = (base: string, p: string): string =>
  isDeno ? norm(p.startsWith('/') ? p : `${base}/${p}`) : path().resolve(base, p);
export const dirname = (p: string): string =>
  isDeno ? norm(p.replace(/\/+[^/]*\/*$/, '') || (p.startsWith('/') ? '/' : '.')) : path().dirname(p);
export const basename = (p: string): string => (isDeno ? (p.replace(/\/+$/, '').split('/').pop() ?? '') : path().basename(p));
