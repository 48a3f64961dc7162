// coord's three jobs in a repo's lefthook config: which file lefthook loads, the jobs rendered,
// and merged into an existing YAML file line by line so a team's other hooks and comments
// stay exactly as they were. What cannot be merged safely is refused with the lines to add.

import { GUARD_PATH, HEARTBEAT_PATH, RESERVED_GUARD_PATH, SCRIPT_PATH } from './layout.js';

const CONFIG_NAMES = ['lefthook', '.lefthook', '.config/lefthook'];
const LOCAL_NAMES = ['lefthook-local', '.lefthook-local', '.config/lefthook-local'];
const EXTENSIONS = ['yml', 'yaml', 'json', 'jsonc', 'toml'];
const inOrder = (names: string[]) => EXTENSIONS.flatMap((ext) => names.map((n) => `${n}.${ext}`));

/**
 * The main config files lefthook looks for, in the order it looks (lefthook 2: extensions
 * first, then names; the first that exists is the one it loads, the others are ignored).
 */
export const LEFTHOOK_CONFIGS = inOrder(CONFIG_NAMES);
/** The local override files, in the same order (the first one found is merged over the main one). */
export const LEFTHOOK_LOCAL_CONFIGS = inOrder(LOCAL_NAMES);

/** The main config lefthook will load (relative to the repository root), or null when there is none. */
export function lefthookConfig(exists: (rel: string) => boolean, envConfig?: string): string | null {
  if (envConfig) return envConfig; // LEFTHOOK_CONFIG replaces the search (relative to the root)
  return LEFTHOOK_CONFIGS.find(exists) ?? null;
}

/** Where a new config goes when the repository has none. */
export const NEW_LEFTHOOK_CONFIG = 'lefthook.yml';

export type GitHook = 'pre-commit' | 'commit-msg' | 'post-commit';

/**
 * coord's jobs, one per git hook: the verb each runs, the sh fast path it tries first (which
 * runs coord only when it is not sure), whether git's first argument is passed on, and what
 * is lost when the hook does not run. init, doctor, the docs and the tests all read this list.
 */
export const HOOK_JOBS = [
  { hook: 'pre-commit', verb: 'check-reserved', fastPath: RESERVED_GUARD_PATH, arg: false, guards: 'the reservation guard' },
  { hook: 'commit-msg', verb: 'check-prefix', fastPath: GUARD_PATH, arg: true, guards: 'the commit-subject prefix check' },
  { hook: 'post-commit', verb: 'heartbeat', fastPath: HEARTBEAT_PATH, arg: false, guards: 'the presence heartbeat' },
] as const satisfies readonly { hook: GitHook; verb: string; fastPath: string; arg: boolean; guards: string }[];

/** Every file coord's hooks run, committed with the repository: coord itself, then each job's fast path. */
export const HOOK_SCRIPTS: string[] = [SCRIPT_PATH, ...HOOK_JOBS.map((j) => j.fastPath)];

export interface HookJob {
  hook: GitHook;
  name: string;
  run: string;
  marker: string;
}

/** The jobs `init` installs, for a runtime command (`node` or `deno run -A`) and the path of coord's copy. */
export function coordJobs(runtime: string, script: string = SCRIPT_PATH): HookJob[] {
  return HOOK_JOBS.map((j) => {
    // {1} quoted: a worktree path with spaces must stay one argument.
    const arg = j.arg ? ' "{1}"' : '';
    return { hook: j.hook, name: `coord-${j.verb}`, run: `sh ${j.fastPath}${arg} || ${runtime} ${script} ${j.verb}${arg}`, marker: j.verb };
  });
}

/** Run lines earlier versions of `init` wrote for coord's jobs: `init` brings them up to date. */
export function earlierRuns(runtime: string, script: string): string[] {
  return [`${runtime} ${script} heartbeat`];
}

function jobLines(job: HookJob, indent: string, style: 'commands' | 'jobs'): string[] {
  if (style === 'jobs') return [`${indent}- name: ${job.name}`, `${indent}  run: ${job.run}`, `${indent}  skip: [merge, rebase]`];
  return [`${indent}${job.name}:`, `${indent}  run: ${job.run}`, `${indent}  skip: [merge, rebase]`];
}

const indentOf = (l: string) => /^\s*/.exec(l)![0];

/** Why `init` cannot merge into this config by itself, or null when it can. */
export function unmergeable(file: string, text: string, jobs: HookJob[]): string | null {
  if (!/\.ya?ml$/.test(file)) return `${file} is not YAML: coord merges only into YAML`;
  const lines = text.split(/\r?\n/);
  for (const job of jobs) {
    const at = lines.findIndex((l) => new RegExp(`^${job.hook}\\s*:`).test(l));
    if (at < 0) continue;
    const after = lines[at]
      .replace(/^[^:]*:/, '')
      .replace(/\s+#.*$/, '')
      .trim();
    const start = after.slice(0, 30);
    if (after.startsWith('{') || after.startsWith('[')) return `its ${job.hook} section is written in flow style (${start}…)`;
    if (after.startsWith('*') || after.startsWith('&') || after.startsWith('!'))
      return `its ${job.hook} section is an alias, anchor or tag (${after.slice(0, 30)})`;
    const section = lines.slice(at + 1, sectionEnd(lines, at));
    const list = section.find((l) => /^\s+(commands|jobs)\s*:/.test(l));
    const listValue =
      list
        ?.replace(/^[^:]*:/, '')
        .replace(/\s+#.*$/, '')
        .trim() ?? '';
    if (listValue)
      return `its ${job.hook} ${list!.trim().split(':')[0]} are written as '${listValue.slice(0, 30)}' (flow style or an alias)`;
    if (section.some((l) => /^\s+<<\s*:/.test(l)))
      return `its ${job.hook} section merges an anchor (<<:), which coord would have to expand`;
  }
  return null;
}

/** The lines to add by hand, in the config's own format. */
export function handLines(file: string, jobs: HookJob[]): string {
  if (/\.jsonc?$/.test(file)) {
    const obj: Record<string, { commands: Record<string, { run: string; skip: string[] }> }> = {};
    for (const j of jobs) (obj[j.hook] ??= { commands: {} }).commands[j.name] = { run: j.run, skip: ['merge', 'rebase'] };
    return JSON.stringify(obj, null, 2);
  }
  if (/\.toml$/.test(file)) {
    return jobs.map((j) => `[${j.hook}.commands.${j.name}]\nrun = ${JSON.stringify(j.run)}\nskip = ["merge", "rebase"]`).join('\n\n');
  }
  return jobs.map((j) => [`${j.hook}:`, '  commands:', ...jobLines(j, '    ', 'commands')].join('\n')).join('\n');
}

/**
 * `text` (a lefthook.yml, or '' for none) with each job added unless a job running coord's
 * verb is already there. Returns the new text and which jobs were added.
 */
export function mergeLefthook(
  text: string,
  jobs: HookJob[],
  otherRuns: string[] = [],
): { text: string; added: string[]; switched: string[] } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text ? text.split(/\r?\n/) : ['# lefthook: git hooks for this repo (npx lefthook install)'];
  if (lines[lines.length - 1] === '') lines.pop();
  const added: string[] = [];
  const switched: string[] = [];
  for (const job of jobs) {
    const hookAt = lines.findIndex((l) => new RegExp(`^${job.hook}:\\s*(#.*)?$`).test(l));
    const end = hookAt < 0 ? -1 : sectionEnd(lines, hookAt);
    const section = hookAt < 0 ? [] : lines.slice(hookAt, end);
    const mine = section.findIndex((l) => l.includes('coord.mjs') && l.includes(` ${job.marker}`));
    if (mine >= 0) {
      // coord's own job for the other runtime (init --deno on a Node set-up, or back): switch its run line.
      const m = /^(\s*(?:-\s+)?run:\s*)(.*?)\s*$/.exec(section[mine]);
      if (m && m[2] !== job.run && otherRuns.includes(m[2])) {
        lines[hookAt + mine] = m[1] + job.run;
        switched.push(job.name);
      }
      continue;
    }
    added.push(job.name);
    if (hookAt < 0) {
      if (lines.length && lines[lines.length - 1].trim() !== '') lines.push('');
      lines.push(`${job.hook}:`, '  commands:', ...jobLines(job, '    ', 'commands'));
      continue;
    }
    const inner = section.slice(1).find((l) => l.trim() && !l.trim().startsWith('#'));
    const step = inner ? indentOf(inner) : '  ';
    const listAt = section.findIndex((l, i) => i > 0 && indentOf(l) === step && /^(commands|jobs):\s*(#.*)?$/.test(l.trim()));
    if (listAt < 0) {
      lines.splice(hookAt + 1, 0, `${step}commands:`, ...jobLines(job, step + step, 'commands'));
      continue;
    }
    const style = section[listAt].trim().startsWith('jobs') ? 'jobs' : 'commands';
    const first = section.slice(listAt + 1).find((l) => l.trim() && !l.trim().startsWith('#'));
    const itemIndent = first && indentOf(first).length > step.length ? indentOf(first) : step + step;
    lines.splice(
      hookAt + listAt + 1,
      0,
      ...jobLines(job, style === 'jobs' && first?.trim().startsWith('-') ? indentOf(first) : itemIndent, style),
    );
  }
  return { text: lines.join(eol) + eol, added, switched };
}

/** Index just past a top-level key's block (its indented and blank lines). */
function sectionEnd(lines: string[], at: number): number {
  let i = at + 1;
  while (i < lines.length && (lines[i].trim() === '' || /^\s/.test(lines[i]))) i++;
  while (i > at + 1 && lines[i - 1].trim() === '') i--;
  return i;
}
