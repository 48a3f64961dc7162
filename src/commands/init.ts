// coord init: onboard a repository (what install.sh runs). Writes files, never commits:
// it prints what it wrote and what to commit. Running it again changes nothing.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { loadConfig } from '../config.js';
import { CoordError, UsageError } from '../errors.js';
import { repoPaths } from '../git.js';
import { json, out } from '../output.js';
import { fs, path, url } from '../sys.js';
import { emptyBoardText } from '../protocol/board.js';
import { checkBranchName } from '../protocol/ids.js';
import { BOARD_PATH, CONFIG_FILE, GUARD_PATH, QUEUE_DIR, SCRIPT_PATH, START_SCRIPT_PATH } from '../protocol/layout.js';
import { coordJobs, mergeLefthook } from '../protocol/lefthook.js';
import { withAttributes } from '../protocol/gitattributes.js';
import { runtimeCommand, setUpClone } from '../clonesetup.js';
import { prefixGuardScript } from '../protocol/subject.js';
import { AGENT_COMMANDS, agentSection, mergeClaudeSettings, withSection } from '../protocol/agents.js';

export const spec: VerbSpec = {
  name: 'init',
  summary: 'onboard this repo: board, queue folder, a copy of coord, lefthook.yml jobs',
  usage: '[--branch NAME] [--deno] [--claude] [--json]',
  description: `Creates ${BOARD_PATH}, ${QUEUE_DIR}/, ${SCRIPT_PATH} (a copy of this file),\n` +
    'infrastructure/scripts/start-session.sh, and adds the commit-msg and post-commit jobs to\n' +
    'lefthook.yml (merged: other hooks stay as they are), and the merge attributes of the\n' +
    'coordination files to .gitattributes; sets this clone up to merge them (merge.coord.driver,\n' +
    'merge.autoStash, rebase.autoStash, unless already set). Harmless to run again.',
  flags: [
    { name: 'branch', value: 'NAME', help: `blackboard branch, written to ${CONFIG_FILE} (default main)` },
    { name: 'deno', help: 'run the hooks with "deno run -A" instead of node' },
    { name: 'claude', help: 'also add Claude Code hooks (.claude/settings.json) and a protocol section to CLAUDE.md/AGENTS.md' },
    { name: 'json', help: 'print {"root","written":[{"path","action"}],"configured":[keys]}' },
  ],
  positionals: [0, 0],
  identity: false,
};

type Action = 'created' | 'updated' | 'unchanged';

export function run(p: Parsed): number {
  const { top, commonDir } = repoPaths(process.cwd());
  const written: { path: string; action: Action }[] = [];
  const put = (rel: string, content: string | Uint8Array, opts: { mode?: number; keep?: boolean } = {}) => {
    const file = path().join(top, rel);
    let before: Buffer | null = null;
    try { before = fs().readFileSync(file); } catch { /* new file */ }
    let action: Action = before === null ? 'created' : 'updated';
    if (before !== null && (opts.keep || Buffer.compare(before, Buffer.from(content)) === 0)) action = 'unchanged';
    if (action !== 'unchanged') {
      fs().mkdirSync(path().dirname(file), { recursive: true });
      fs().writeFileSync(file, content);
    }
    if (opts.mode) fs().chmodSync(file, opts.mode);
    written.push({ path: rel, action });
  };

  const branch = str(p, 'branch');
  if (branch !== undefined) {
    if (checkBranchName(branch)) throw new UsageError(`--branch: ${checkBranchName(branch)}.`);
    const file = path().join(top, CONFIG_FILE);
    let cfg: Record<string, unknown> = {};
    try { cfg = JSON.parse(fs().readFileSync(file, 'utf8')); } catch { /* none yet, or rewritten below */ }
    put(CONFIG_FILE, JSON.stringify({ ...cfg, branch }, null, 2) + '\n');
  }
  put(BOARD_PATH, emptyBoardText(), { keep: true });
  put(`${QUEUE_DIR}/README.md`, QUEUE_README, { keep: true });
  const self = url().fileURLToPath(import.meta.url);
  put(SCRIPT_PATH, fs().readFileSync(self), { mode: 0o755 });
  const runtime = runtimeCommand(bool(p, 'deno'));
  put(START_SCRIPT_PATH, startScript(runtime), { mode: 0o755 });
  const lefthookFile = path().join(top, 'lefthook.yml');
  const current = fs().existsSync(lefthookFile) ? fs().readFileSync(lefthookFile, 'utf8') : '';
  put(GUARD_PATH, prefixGuardScript(), { mode: 0o755 });
  const merged = mergeLefthook(current, coordJobs(runtime, SCRIPT_PATH, GUARD_PATH));
  put('lefthook.yml', merged.added.length ? merged.text : current || merged.text);
  const attributesFile = path().join(top, '.gitattributes');
  const attributes = fs().existsSync(attributesFile) ? fs().readFileSync(attributesFile, 'utf8') : '';
  put('.gitattributes', withAttributes(attributes).text);
  const configured = setUpClone(top, commonDir, { runtime, force: true });
  if (bool(p, 'claude')) {
    const settingsFile = path().join(top, '.claude', 'settings.json');
    const before = fs().existsSync(settingsFile) ? fs().readFileSync(settingsFile, 'utf8') : '';
    let settings;
    try { settings = mergeClaudeSettings(before, runtime, SCRIPT_PATH); } catch (e) {
      throw new CoordError(`.claude/settings.json cannot be read as JSON (${(e as Error).message}): fix it, then run coord init --claude again.`);
    }
    put('.claude/settings.json', settings.added.length ? settings.text : before);
    const cfg = loadConfig(top);
    const section = agentSection(AGENT_COMMANDS, SCRIPT_PATH, `git push ${cfg.remote} HEAD:${cfg.branch}`);
    const docs = ['CLAUDE.md', 'AGENTS.md'].filter((f) => fs().existsSync(path().join(top, f)));
    for (const doc of docs.length ? docs : ['CLAUDE.md']) {
      const file = path().join(top, doc);
      put(doc, withSection(fs().existsSync(file) ? fs().readFileSync(file, 'utf8') : '', section));
    }
  }

  if (bool(p, 'json')) { json({ root: top, written, configured }); return 0; }
  for (const w of written) out(`${w.action.padEnd(9)} ${w.path}`);
  if (configured.length) out(`${'set'.padEnd(9)} ${configured.join(', ')} in this clone's .git/config (coord start does it in other clones)`);
  const changed = written.filter((w) => w.action !== 'unchanged').map((w) => w.path);
  out('');
  out('Next:');
  out('  npx lefthook install            # once per clone, so the hooks run');
  if (changed.length) {
    out(`  git add ${changed.join(' ')}`);
    out('  git commit -m "chore: onboard coord" && git push');
  }
  out('  node infrastructure/scripts/coord.mjs start   # claim your first session');
  return 0;
}

const startScript = (runtime: string) => `#!/bin/sh
# Kept for the old habit: claiming a session is now 'coord start'.
exec ${runtime} "$(dirname "$0")/coord.mjs" start "$@"
`;

const QUEUE_README = `# Session inboxes

\`to-<id>.md\` holds the messages addressed to session <id>, one block each, appended:

    ## <stamp> · from:<id> · to:<id> · type:<question|answer|handoff|info> · ref:<id or —> · status:sent
    <body>
    → status:seen <ts> · acked <ts> · resolved <ts>

The recipient advances the status line in its own commit. \`coord send\`, \`coord inbox\`,
\`coord ack\` and \`coord reply\` do this for you; hand edits in this shape keep working.
`;
