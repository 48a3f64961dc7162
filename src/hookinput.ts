// Agent hooks (Claude Code and the like) pass a JSON object on stdin; its `cwd` says
// where the agent works, which may differ from the hook process's own directory.
import { fs } from './sys.js';

/** The working directory named by the hook's stdin JSON, or the process's own. */
export function hookCwd(): string {
  if (process.stdin.isTTY) return process.cwd();
  let raw = '';
  try { raw = fs().readFileSync(0, 'utf8'); } catch { return process.cwd(); }
  try {
    const input = JSON.parse(raw) as { cwd?: unknown };
    if (typeof input.cwd === 'string' && fs().existsSync(input.cwd)) return input.cwd;
  } catch { /* not JSON: use our own directory */ }
  return process.cwd();
}
