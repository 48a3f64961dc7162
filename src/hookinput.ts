// Agent hooks (Claude Code and the like) pass a JSON object on stdin: its `cwd` says where
// the agent works (which may differ from the hook process's own directory), and events carry
// their own fields (`name` for WorktreeCreate, `worktree_path` for WorktreeRemove).
import { fs } from './sys.js';

const stdin: { text?: string } = {};

/** The hook's stdin JSON object; {} when stdin is a terminal, empty or not a JSON object. Stdin is read once per process. */
export function hookInput(): Record<string, unknown> {
  const read = readHookInput();
  return 'input' in read ? read.input : {};
}

/** The hook's stdin JSON object, or what is wrong with stdin (for hooks that must not act on a guess). */
export function readHookInput(): { input: Record<string, unknown> } | { problem: string } {
  if (process.stdin.isTTY) return { problem: 'stdin is a terminal' };
  if (stdin.text === undefined) {
    try {
      stdin.text = fs().readFileSync(0, 'utf8');
    } catch {
      stdin.text = '';
    }
  }
  const raw = stdin.text;
  if (!raw.trim()) return { problem: 'stdin is empty' };
  try {
    const input = JSON.parse(raw) as unknown;
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) return { input: input as Record<string, unknown> };
    return {
      problem: `stdin holds JSON that is not an object (${Array.isArray(input) ? 'an array' : input === null ? 'null' : typeof input})`,
    };
  } catch {
    return { problem: 'stdin is not JSON' };
  }
}

/** The working directory named by the hook's stdin JSON (when it exists), or the process's own. */
export function hookCwd(input: Record<string, unknown> = hookInput()): string {
  return typeof input.cwd === 'string' && fs().existsSync(input.cwd) ? input.cwd : process.cwd();
}
