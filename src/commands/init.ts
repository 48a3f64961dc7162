// coord init: onboard a repository (what install.sh runs). Writes files, never commits:
// it prints what it wrote and what to commit. Running it again changes nothing.
import { bool, str, type Parsed, type VerbSpec } from '../args.js';
import { loadConfig } from '../config.js';
import { CoordError, UsageError } from '../errors.js';
import { remoteHeadBranch, remoteUrl, repoPaths, symbolicHead, worktreeStatus } from '../git.js';
import { err, out, report, type Report } from '../output.js';
import { findLefthook, lefthookAccepts, lefthookInstallCommand } from '../tools.js';
import { writeHazard } from '../host.js';
import { fs, path, url } from '../sys.js';
import { emptyBoardText } from '../protocol/board.js';
import { checkBranchName } from '../protocol/ids.js';
import {
  BOARD_PATH,
  COMMITLINT_PRESET_PATH,
  CONFIG_FILE,
  GUARD_PATH,
  HEARTBEAT_PATH,
  QUEUE_DIR,
  RESERVED_GUARD_PATH,
  SCRIPT_PATH,
  START_SCRIPT_PATH,
} from '../protocol/layout.js';
import { reservedGuardScript } from '../protocol/reservations.js';
import { heartbeatScript } from '../protocol/heartbeat.js';
import {
  coordJobs,
  earlierRuns,
  handLines,
  HOOK_JOBS,
  lefthookConfig,
  mergeLefthook,
  NEW_LEFTHOOK_CONFIG,
  unmergeable,
} from '../protocol/lefthook.js';
import { withAttributes } from '../protocol/gitattributes.js';
import { runtimeCommand, setUpClone } from '../clonesetup.js';
import { prefixGuardScript } from '../protocol/subject.js';
import { commitlintConfig, commitlintPresetScript, mergeCommitlint, presetLine, presetWhere } from '../protocol/commitlint.js';
import { AGENT_COMMANDS, agentSection, mergeClaudeSettings, withSection } from '../protocol/agents.js';

export const spec: VerbSpec = {
  name: 'init',
  summary: 'onboard this repo: board, queue folder, a copy of coord, the lefthook jobs',
  usage: '[--branch NAME] [--deno] [--claude] [--agents] [--json]',
  description:
    `Creates ${BOARD_PATH}, ${QUEUE_DIR}/, ${SCRIPT_PATH} (a copy of this file),\n` +
    'infrastructure/scripts/start-session.sh, records the blackboard branch in .coord.json (the\n' +
    `remote's default branch unless --branch), adds the ${HOOK_JOBS.map((j) => j.hook).join(', ')} jobs to the\n` +
    'lefthook config lefthook loads (lefthook.yml, .lefthook.yml, .config/lefthook.yml, …: merged,\n' +
    'other hooks stay as they are; a form it cannot merge safely is refused with the lines to add,\n' +
    'exit 1; with lefthook at hand it checks the result still loads), the merge attributes of the\n' +
    'coordination files to .gitattributes; sets this clone up to merge them (merge.coord.driver,\n' +
    'merge.autoStash, rebase.autoStash, unless already set). When the repository runs commitlint, writes\n' +
    `${COMMITLINT_PRESET_PATH} (a parser preset that skips the [sX] prefix) and names it in the commitlint\n` +
    'config (JSON, package.json or YAML; a config in code is refused with the line to add, exit 1). Harmless to run again.',
  flags: [
    { name: 'branch', value: 'NAME', help: `blackboard branch, written to ${CONFIG_FILE} (default: the remote's default branch)` },
    { name: 'deno', help: 'run the hooks with "deno run -A" instead of node (switches jobs set up for node, and back without it)' },
    {
      name: 'claude',
      help:
        'also add Claude Code hooks (.claude/settings.json: session start, prompt, worktree create/remove) and ' +
        'the protocol section to CLAUDE.md/AGENTS.md',
    },
    { name: 'agents', help: 'write the protocol section into AGENTS.md (Codex, Cursor, Gemini CLI, Copilot, …)' },
    {
      name: 'json',
      help: 'print {"root","branch","written":[{"path","action"}],"lefthook","commitlint","configured","toCommit","install"}',
    },
  ],
  positionals: [0, 0],
  group: 'setup',
  needs: 'nothing',
};

type Action = 'created' | 'updated' | 'unchanged';

export async function run(p: Parsed): Promise<Report> {
  const { top, commonDir } = repoPaths(process.cwd());
  // Before anything is written: a copy of coord that cannot be had leaves the repository as it was.
  const self = await ownBytes();
  const written: { path: string; action: Action }[] = [];
  const exists = (rel: string) => fs().existsSync(path().join(top, rel));
  const readRel = (rel: string) => (exists(rel) ? fs().readFileSync(path().join(top, rel), 'utf8') : '');
  const put = (rel: string, content: string | Uint8Array, opts: { mode?: number; keep?: boolean } = {}) => {
    refuseLinks(top, [rel], false);
    const file = path().join(top, rel);
    let before: Buffer | null = null;
    try {
      before = fs().readFileSync(file);
    } catch {
      /* new file */
    }
    let action: Action = before === null ? 'created' : 'updated';
    if (before !== null && (opts.keep || Buffer.compare(before, Buffer.from(content)) === 0)) action = 'unchanged';
    if (action !== 'unchanged') {
      fs().mkdirSync(path().dirname(file), { recursive: true });
      fs().writeFileSync(file, content);
    }
    if (opts.mode) fs().chmodSync(file, opts.mode);
    written.push({ path: rel, action });
  };

  // The team's settings, read as every verb reads them: a file coord cannot read is never rewritten.
  let cfg;
  try {
    cfg = loadConfig(top);
  } catch (e) {
    throw new CoordError(`Not onboarding: ${(e as Error).message} Nothing was written.`);
  }
  const raw: Record<string, unknown> = exists(CONFIG_FILE) ? JSON.parse(readRel(CONFIG_FILE)) : {};
  const clFile = commitlintConfig(exists, readRel);
  const wanted = str(p, 'branch');
  if (wanted !== undefined && checkBranchName(wanted)) throw new UsageError(`--branch: ${checkBranchName(wanted)}.`);
  // The blackboard branch: --branch, else what .coord.json says, else the remote's default branch
  // (else, without a remote, the branch checked out): recorded, so every clone agrees.
  const hasRemote = remoteUrl(top, cfg.remote) !== null;
  const branch =
    wanted ??
    (typeof raw.branch === 'string' ? raw.branch : null) ??
    (hasRemote ? remoteHeadBranch(top, cfg.remote) : null) ??
    symbolicHead(top) ??
    cfg.branch;
  // Every file init writes or appends to, checked before the first is written: a committed symbolic link
  // (to ~/.profile, or to a tracked file) is never written through, and a refusal leaves everything as it was.
  refuseLinks(top, [
    CONFIG_FILE,
    BOARD_PATH,
    `${QUEUE_DIR}/README.md`,
    SCRIPT_PATH,
    START_SCRIPT_PATH,
    GUARD_PATH,
    RESERVED_GUARD_PATH,
    HEARTBEAT_PATH,
    path().relative(top, path().resolve(top, lefthookConfig(exists, process.env.LEFTHOOK_CONFIG) ?? NEW_LEFTHOOK_CONFIG)),
    '.gitattributes',
    ...(clFile ? [clFile, COMMITLINT_PRESET_PATH] : []),
    ...(bool(p, 'claude') ? ['.claude/settings.json'] : []),
    ...(bool(p, 'claude') || bool(p, 'agents') ? agentDocs(exists, readRel, bool(p, 'agents')) : []),
  ]);
  put(CONFIG_FILE, raw.branch === branch ? readRel(CONFIG_FILE) : JSON.stringify({ ...raw, branch }, null, 2) + '\n');

  put(BOARD_PATH, emptyBoardText(), { keep: true });
  put(`${QUEUE_DIR}/README.md`, QUEUE_README, { keep: true });
  put(SCRIPT_PATH, self, { mode: 0o755 });
  const deno = bool(p, 'deno');
  const runtime = runtimeCommand(deno);
  put(START_SCRIPT_PATH, startScript(runtime), { mode: 0o755 });
  put(GUARD_PATH, prefixGuardScript(), { mode: 0o755 });
  put(RESERVED_GUARD_PATH, reservedGuardScript(), { mode: 0o755 });
  put(HEARTBEAT_PATH, heartbeatScript(), { mode: 0o755 });
  const hooks = lefthookJobs(top, runtime, runtimeCommand(!deno), put);
  const commitlint = clFile ? commitlintSetUp(clFile, readRel(clFile), put) : null;
  const attributes = readRel('.gitattributes');
  put('.gitattributes', withAttributes(attributes).text);
  const configured = setUpClone(top, commonDir, { runtime, force: true });
  if (bool(p, 'claude')) {
    const before = readRel('.claude/settings.json');
    let settings;
    try {
      settings = mergeClaudeSettings(before, runtime, SCRIPT_PATH);
    } catch (e) {
      throw new CoordError(
        `.claude/settings.json cannot be read as JSON (${(e as Error).message}): fix it, then run coord init --claude again.`,
      );
    }
    put('.claude/settings.json', settings.added.length ? settings.text : before);
  }
  if (bool(p, 'claude') || bool(p, 'agents')) {
    const section = agentSection(AGENT_COMMANDS, SCRIPT_PATH, `git push ${cfg.remote} HEAD:${branch}`);
    for (const doc of agentDocs(exists, readRel, bool(p, 'agents'))) put(doc, withSection(readRel(doc), section));
  }

  // What to commit: every file coord needs in the other clones that git does not hold as it is now.
  const paths = written.map((w) => w.path);
  const toCommit = [...new Set(worktreeStatus(top, 'all', paths).map((e) => e.path))];
  const install = lefthookInstallCommand(top);
  const value = { root: top, branch, written, lefthook: hooks, commitlint, configured, toCommit, install };
  return report(
    value,
    () => {
      for (const w of written) out(`${w.action.padEnd(9)} ${w.path}`);
      if (hooks.switched.length) out(`${'switched'.padEnd(9)} ${hooks.switched.join(', ')} in ${hooks.file} to ${runtime}`);
      if (configured.length)
        out(`${'set'.padEnd(9)} ${configured.join(', ')} in this clone's .git/config (coord start does it in other clones)`);
      out(
        `Blackboard branch: ` +
          `${branch}${wanted || raw.branch === branch ? '' : ` (recorded in ${CONFIG_FILE}; coord init --branch NAME picks another)`}`,
      );
      if (hooks.refused) {
        err(`coord: could not add coord's jobs to ${hooks.file}: ${hooks.refused}. Add these lines to it by hand, then run coord doctor:`);
        err(hooks.lines!);
      }
      if (commitlint?.refused) {
        err(`coord: could not make ${commitlint.file} (commitlint) accept the [sX] prefix: ${commitlint.refused}.`);
        err(`Add this line ${commitlint.where}, then run coord doctor:`);
        err(commitlint.lines!);
      }
      out('');
      out('Next:');
      out(`  ${install.padEnd(31)} # once per clone, so the hooks run`);
      if (toCommit.length) {
        out(`  git add ${toCommit.join(' ')}`);
        out(`  git commit -m "chore: onboard coord"${hasRemote ? ` && git push ${cfg.remote} HEAD:${branch}` : ''}`);
      }
      out(`  ${runtime} ${SCRIPT_PATH} start   # claim your first session`);
      // Without the remote there is nothing to push to: the sessions of this clone share the local branch.
      if (!hasRemote)
        out(
          `No remote '${cfg.remote}': the local branch ${branch} is the blackboard, shared by the sessions of this clone ` +
            `(to share it with other clones: git remote add ${cfg.remote} URL && git push ${cfg.remote} ${branch}).`,
        );
    },
    hooks.refused || commitlint?.refused ? 1 : 0,
  );
}

interface CommitlintSetUp {
  file: string;
  action: 'merged' | 'unchanged' | 'refused';
  refused?: string;
  where?: string;
  lines?: string;
}

/** coord's parser preset, and the team's commitlint config naming it: edited when safe, else refused with the line to add. */
function commitlintSetUp(
  file: string,
  text: string,
  put: (rel: string, content: string, opts?: { mode?: number }) => void,
): CommitlintSetUp {
  put(COMMITLINT_PRESET_PATH, commitlintPresetScript());
  const merged = mergeCommitlint(file, text);
  if ('refused' in merged)
    return { file, action: 'refused', refused: merged.refused, where: presetWhere(file, text), lines: presetLine(file, text) };
  put(file, merged.text);
  return { file, action: merged.changed ? 'merged' : 'unchanged' };
}

/** Refuses, naming each, the paths below `top` init must not write: a symbolic link on the way, or not a regular file. */
function refuseLinks(top: string, rels: string[], first = true): void {
  // A lefthook config named outside the repository (LEFTHOOK_CONFIG) is the person's own choice.
  const hazards = rels.filter((r) => !r.startsWith('..') && !path().isAbsolute(r)).map((r) => writeHazard(top, r));
  const found = [...new Map(hazards.flatMap((h) => (h ? [[h.at, h] as const] : []))).values()];
  if (!found.length) return;
  throw new CoordError(
    found.map((h) => `${h.why}. Remove ${h.at} (git rm, or rm when git does not track it), then run coord init again.`).join('\n') +
      (first ? '\nNothing was written.' : ''),
  );
}

/**
 * The bytes of the coord that is running: its file (a clone's dist/, node_modules, npx's cache),
 * or, when Deno runs it from a URL (JSR, a web server), that URL fetched again.
 */
async function ownBytes(): Promise<Uint8Array> {
  const here = import.meta.url;
  if (here.startsWith('file:')) return fs().readFileSync(url().fileURLToPath(here));
  const why = (reason: string) =>
    new CoordError(
      `Could not fetch ${here} to copy it into the repository (${reason}). Nothing was written. Check the network and run init again.`,
    );
  let res: Response;
  try {
    res = await fetch(here);
  } catch (e) {
    throw why((e as Error).message);
  }
  if (!res.ok) throw why(`HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

interface HookMerge {
  file: string;
  action: 'merged' | 'unchanged' | 'refused';
  added: string[];
  switched: string[];
  refused?: string;
  lines?: string;
}

/**
 * coord's jobs in the lefthook config lefthook will load (merged, never a second file beside
 * it). Refused, with the lines to add by hand, when the file cannot be merged safely, or when
 * lefthook at hand accepted the file before and would not after (then the file is put back).
 */
function lefthookJobs(top: string, runtime: string, otherRuntime: string, put: (rel: string, content: string) => void): HookMerge {
  const exists = (rel: string) => fs().existsSync(path().join(top, rel));
  const file = lefthookConfig(exists, process.env.LEFTHOOK_CONFIG) ?? NEW_LEFTHOOK_CONFIG;
  const abs = path().resolve(top, file);
  const before = fs().existsSync(abs) ? fs().readFileSync(abs, 'utf8') : '';
  const jobs = coordJobs(runtime);
  const refuse = (why: string): HookMerge => ({
    file,
    action: 'refused',
    added: [],
    switched: [],
    refused: why,
    lines: handLines(file, jobs),
  });
  const why = before ? unmergeable(file, before, jobs) : null;
  if (why) return refuse(why);
  const merged = mergeLefthook(before, jobs, [
    ...coordJobs(otherRuntime).map((j) => j.run),
    ...earlierRuns(runtime, SCRIPT_PATH),
    ...earlierRuns(otherRuntime, SCRIPT_PATH),
  ]);
  if (!merged.added.length && !merged.switched.length && before) {
    put(file, before);
    return { file, action: 'unchanged', added: [], switched: [] };
  }
  const lefthook = findLefthook(top);
  const acceptedBefore = lefthook && before ? lefthookAccepts(lefthook, top).ok : false;
  put(file, merged.text);
  if (lefthook && (acceptedBefore || !before)) {
    const after = lefthookAccepts(lefthook, top);
    if (!after.ok) {
      if (before) fs().writeFileSync(abs, before);
      else fs().rmSync(abs, { force: true });
      return refuse(`lefthook would not load it with coord's jobs added (${after.why}); it was put back as it was`);
    }
  }
  return { file, action: 'merged', added: merged.added, switched: merged.switched };
}

/**
 * Where the agents' protocol section goes: AGENTS.md with --agents; with --claude, CLAUDE.md
 * and AGENTS.md that exist (CLAUDE.md when neither does). A CLAUDE.md that only points at
 * AGENTS.md (an `@AGENTS.md` import, or a few lines naming it) gets no second copy.
 */
function agentDocs(exists: (rel: string) => boolean, read: (rel: string) => string, agents: boolean): string[] {
  const docs = new Set(['CLAUDE.md', 'AGENTS.md'].filter(exists));
  if (agents) docs.add('AGENTS.md');
  if (!docs.size) docs.add('CLAUDE.md');
  if (docs.has('CLAUDE.md') && docs.has('AGENTS.md') && pointsAtAgents(read('CLAUDE.md'))) docs.delete('CLAUDE.md');
  return [...docs];
}

const pointsAtAgents = (text: string): boolean => {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('<!--'));
  return (
    /(^|\s)@AGENTS\.md\b/m.test(text) || (lines.length <= 5 && lines.some((l) => l.includes('AGENTS.md')) && !text.includes('coord:begin'))
  );
};

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
