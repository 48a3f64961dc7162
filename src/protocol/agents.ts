// What `init --claude` writes for agents: the Claude Code hooks in .claude/settings.json
// (merged, never clobbered) and a marked section in CLAUDE.md / AGENTS.md.

export const SECTION_BEGIN = '<!-- coord:begin (written by coord init --claude; edit outside these markers) -->';
export const SECTION_END = '<!-- coord:end -->';

interface HookEntry {
  type: 'command';
  command: string;
  timeout?: number;
}
interface HookGroup {
  matcher?: string;
  hooks: HookEntry[];
}
type Settings = { hooks?: Record<string, HookGroup[]> } & Record<string, unknown>;

/** settings.json text with coord's SessionStart, UserPromptSubmit, WorktreeCreate and WorktreeRemove hooks added once. */
export function mergeClaudeSettings(text: string, runtime: string, script: string): { text: string; added: string[] } {
  const settings: Settings = text.trim() ? JSON.parse(text) : {};
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) throw new Error('it is not a JSON object');
  const hooks = (settings.hooks ??= {});
  const added: string[] = [];
  // Worktree hooks publish a claim and check out a tree: more time than a prompt hook needs.
  const want: [string, string, number][] = [
    ['SessionStart', `${runtime} "$CLAUDE_PROJECT_DIR/${script}" prime --hook`, 30],
    ['UserPromptSubmit', `${runtime} "$CLAUDE_PROJECT_DIR/${script}" inbox --brief`, 30],
    // claude --worktree and isolated subagents: Claude Code hands the worktree to these two.
    ['WorktreeCreate', `${runtime} "$CLAUDE_PROJECT_DIR/${script}" worktree-create`, 120],
    ['WorktreeRemove', `${runtime} "$CLAUDE_PROJECT_DIR/${script}" worktree-remove`, 120],
  ];
  for (const [event, command, timeout] of want) {
    const groups = (hooks[event] ??= []);
    const verb = command.split(' ').slice(-2).join(' ');
    if (groups.some((g) => g.hooks?.some((h) => h.command?.includes('coord.mjs') && h.command.includes(verb)))) continue;
    groups.push({ hooks: [{ type: 'command', command, timeout }] });
    added.push(event);
  }
  return { text: JSON.stringify(settings, null, 2) + '\n', added };
}

/** The commands an agent needs, with what each is for: prime shows them, init --claude teaches them. */
export const AGENT_COMMANDS: [string, string][] = [
  ['coord inbox', 'messages to me (add --json for full bodies); run it when told you have mail'],
  ['coord ack <id>', 'confirm you caught a message (the sender sees it)'],
  ['coord reply <id> -m "…" [--resolve]', 'answer a message to you, right under it'],
  ['coord send <sX> --type question -m "…"', 'ask or tell another session something'],
  ['coord sync', 'bring the blackboard branch into your worktree before you push (your presence edit is kept)'],
  ['coord status', 'who is live and on what, and files two sessions are changing'],
  ['coord reserve <path…> -m "…"', 'ask the others not to change these files for now (coord release when done)'],
];

/** The section that teaches an agent the protocol, for CLAUDE.md or AGENTS.md. */
export function agentSection(commands: [string, string][], script: string, pushCommand: string): string {
  return (
    [
      SECTION_BEGIN,
      '## Working alongside other sessions (coord)',
      '',
      `Several sessions work on this repository at once and coordinate through git with coord (\`node ${script}\`, "coord" below).`,
      '',
      "- Start in a session worktree, one of two ways: `claude --worktree <name>` (coord's WorktreeCreate hook " +
        'claims a session and makes its worktree `../<repo>-sA`), or a person runs `coord start` and starts the ' +
        'agent inside the worktree it prints. An agent cannot `cd` into a worktree and stay there: Claude Code ' +
        "resets the shell's directory after each command.",
      '- Every commit subject starts with your prefix, e.g. `[sA] fix(api): …`; the commit-msg hook refuses others.',
      '- Say what you work on: `coord scope "…"`, `coord riff <id>`. Check who else is live: `coord status`.',
      '- When told you have mail (it appears before your prompt), read it with `coord inbox --json` and answer: ' +
        '`coord ack <id>` when caught, `coord reply <id> -m "…" --resolve` when done.',
      `- Before pushing: \`coord sync\`, then \`${pushCommand}\`.`,
      '- Hand work over with `coord handoff <sX> --riff <id> -m "why, and what next"`; finish with `coord close`.',
      '',
      ...commands.map(([c, use]) => `- \`${c}\` — ${use}`),
      SECTION_END,
    ].join('\n') + '\n'
  );
}

/** `text` with the coord section put in (replacing an earlier one between the markers). */
export function withSection(text: string, section: string): string {
  const a = text.indexOf(SECTION_BEGIN);
  const b = text.indexOf(SECTION_END);
  if (a >= 0 && b > a) return text.slice(0, a) + section + text.slice(b + SECTION_END.length).replace(/^\r?\n/, '');
  return text + (text && !text.endsWith('\n') ? '\n' : '') + (text ? '\n' : '') + section;
}
