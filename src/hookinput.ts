// Agent hooks (Claude Code and the like) pass a JSON object on stdin: its `cwd` says where
// the agent works (which may differ from the hook process's own directory), and events carry
// their own fields (`name` for WorktreeCreate, `worktree_path` for WorktreeRemove).
import { fs } from './sys.js';

const stdin: { text?: string } = {};

/** The hook's stdin JSON object; {} when stdin is a terminal, empty or not a JSON object. Stdin is read once per process. */
export function hookInput(): Record<string, unknown> {
  if (process.stdin.isTTY) return {};
  if (stdin.text === undefined) {
    try {
      stdin.text = fs().readFileSync(0, 'utf8');
    } catch {
      stdin.text = '';
    }
  }
  const raw = stdin.text;
  try {
    const input = JSON.parse(raw) as unknown;
    return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The working directory named by the hook's stdin JSON (when it exists), or the process's own. */
export function hookCwd(input: Record<string, unknown> = hookInput()): string {
  return typeof input.cwd === 'string' && fs().existsSync(input.cwd) ? input.cwd : process.cwd();
}
