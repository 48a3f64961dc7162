// Loads a TypeScript module of src/ for a unit test: bundled by esbuild into a temp file
// (platform neutral, as the protocol code must run without Node), imported, file removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** The exports of `src/<rel>` (e.g. 'protocol/board.ts'). */
export async function loadSource(rel, { platform = 'neutral' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coord-unit-'));
  try {
    const outfile = path.join(dir, path.basename(rel).replace(/\.ts$/, '.mjs'));
    await build({
      entryPoints: [path.join(src, rel)],
      bundle: true,
      format: 'esm',
      platform,
      outfile,
      sourcemap: 'inline',
      logLevel: 'silent',
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
