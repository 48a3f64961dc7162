// coord's two jobs in a repo's lefthook.yml: rendered here, and merged into an existing
// file line by line so a team's other hooks and comments stay exactly as they were.

export interface HookJob { hook: 'commit-msg' | 'post-commit'; name: string; run: string; marker: string }

/**
 * The jobs `init` installs, for a runtime command (`node` or `deno run -A`). The commit-msg
 * job tries the sh fast path first (`guard`) and runs coord only when it is not sure.
 */
export function coordJobs(runtime: string, script: string, guard: string): HookJob[] {
  return [
    // {1} quoted: a worktree path with spaces must stay one argument.
    { hook: 'commit-msg', name: 'coord-check-prefix', run: `sh ${guard} "{1}" || ${runtime} ${script} check-prefix "{1}"`, marker: 'check-prefix' },
    { hook: 'post-commit', name: 'coord-heartbeat', run: `${runtime} ${script} heartbeat`, marker: 'heartbeat' },
  ];
}

function jobLines(job: HookJob, indent: string, style: 'commands' | 'jobs'): string[] {
  if (style === 'jobs') return [`${indent}- name: ${job.name}`, `${indent}  run: ${job.run}`, `${indent}  skip: [merge, rebase]`];
  return [`${indent}${job.name}:`, `${indent}  run: ${job.run}`, `${indent}  skip: [merge, rebase]`];
}

const indentOf = (l: string) => /^\s*/.exec(l)![0];

/**
 * `text` (a lefthook.yml, or '' for none) with each job added unless a job running coord's
 * verb is already there. Returns the new text and which jobs were added.
 */
export function mergeLefthook(text: string, jobs: HookJob[]): { text: string; added: string[] } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text ? text.split(/\r?\n/) : ['# lefthook: git hooks for this repo (npx lefthook install)'];
  if (lines[lines.length - 1] === '') lines.pop();
  const added: string[] = [];
  for (const job of jobs) {
    const hookAt = lines.findIndex((l) => new RegExp(`^${job.hook}:\\s*(#.*)?$`).test(l));
    const end = hookAt < 0 ? -1 : sectionEnd(lines, hookAt);
    const section = hookAt < 0 ? [] : lines.slice(hookAt, end);
    if (section.some((l) => l.includes('coord.mjs') && l.includes(` ${job.marker}`))) continue;
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
    lines.splice(hookAt + listAt + 1, 0, ...jobLines(job, style === 'jobs' && first?.trim().startsWith('-') ? indentOf(first) : itemIndent, style));
  }
  return { text: lines.join(eol) + eol, added };
}

/** Index just past a top-level key's block (its indented and blank lines). */
function sectionEnd(lines: string[], at: number): number {
  let i = at + 1;
  while (i < lines.length && (lines[i].trim() === '' || /^\s/.test(lines[i]))) i++;
  while (i > at + 1 && lines[i - 1].trim() === '') i--;
  return i;
}
