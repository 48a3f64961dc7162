// One small argv parser for every verb: flags are declared once, and the same declaration
// drives parsing and `--help`; test/unit/reference.test.mjs checks docs/reference.md's flag tables against
// `--help`, so the reference cannot drift from it.
import { UsageError } from './errors.js';

export interface FlagSpec {
  name: string; // long name without dashes
  short?: string; // one letter
  value?: string; // placeholder when the flag takes a value (e.g. 'TEXT')
  help: string;
  repeat?: boolean; // may be given more than once (values collected)
}

/** The groups of `coord --help`, in the order it lists them, with their headings. */
export const GROUPS = {
  sessions: 'Sessions',
  messages: 'Messages',
  collisions: 'Collisions',
  setup: 'Set-up',
  plumbing: 'Plumbing (git hooks and agent clients run these)',
} as const;

/**
 * What the runner (cli.ts) opens before the verb runs: nothing; the repository without a
 * speaker (start claims a new session); the repository and whoever speaks, if anyone; or the
 * repository and a session, which it requires.
 */
export type Needs = 'nothing' | 'repo' | 'speaker' | 'session';

/** Where the runner opens the repository; `{ done }` ends the run there, that line on stderr, exit 0. */
export type Place = { cwd: string; as?: string } | { done: string };

export interface VerbSpec {
  name: string;
  summary: string;
  usage: string; // after `coord <verb> `
  description?: string;
  flags: FlagSpec[];
  /** How many positional arguments: [min, max]. */
  positionals: [number, number];
  group: keyof typeof GROUPS;
  needs: Needs;
  /** Where to open the repository, when not the process's own directory and --as (agent hooks name it on stdin). */
  at?: (p: Parsed) => Place;
  /** An agent hook mode: with this flag set, no failure fails the hook (exit 0); `say` turns it into a line for the agent, or none. */
  hook?: { flag: string; say?: (message: string) => string };
}

/** Whether a person names the session a verb acts as, so it takes --as (plumbing takes it from where git or the agent client runs it). */
const speaks = (spec: VerbSpec) => (spec.needs === 'speaker' || spec.needs === 'session') && spec.group !== 'plumbing';

export interface Parsed {
  flags: Record<string, string | boolean | string[] | undefined>;
  args: string[];
}

const AS_FLAG: FlagSpec = { name: 'as', value: 'ID', help: "act as session ID (default: the worktree's session, else COORD_SESSION)" };
const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', help: 'show this help' };

/** Every flag a verb accepts: its own, then --as (unless it has no identity or its own --as), then --help. */
export function flagsOf(spec: VerbSpec): FlagSpec[] {
  const own = spec.flags.some((f) => f.name === 'as');
  return [...spec.flags, ...(!speaks(spec) || own ? [] : [AS_FLAG]), HELP_FLAG];
}

/** Parses argv against `spec` (plus the common flags); throws UsageError naming the problem. */
export function parseArgs(spec: VerbSpec, argv: string[]): Parsed {
  const all = flagsOf(spec);
  const flags: Parsed['flags'] = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    let flag: FlagSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq > 0 ? a.slice(eq + 1) : undefined;
      flag = all.find((f) => f.name === name);
      if (!flag) throw new UsageError(`unknown option '--${name}' for ${spec.name} (see coord ${spec.name} --help).`);
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      flag = all.find((f) => f.short === a[1]);
      if (!flag) throw new UsageError(`unknown option '${a}' for ${spec.name} (see coord ${spec.name} --help).`);
      if (a.length > 2) inline = a.slice(2);
    } else {
      args.push(a);
      continue;
    }
    if (flag.value) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`--${flag.name} needs a value (${flag.value}): usage: coord ${spec.name} ${spec.usage}`);
      if (flag.repeat) flags[flag.name] = [...((flags[flag.name] as string[]) ?? []), v];
      else flags[flag.name] = v;
    } else {
      if (inline !== undefined) throw new UsageError(`--${flag.name} takes no value (coord ${spec.name} --help).`);
      flags[flag.name] = true;
    }
  }
  if (flags.help) return { flags, args };
  const [min, max] = spec.positionals;
  if (args.length < min) throw new UsageError(`missing argument: usage: coord ${spec.name} ${spec.usage}`);
  if (args.length > max) throw new UsageError(`unexpected argument '${args[max].slice(0, 40)}': usage: coord ${spec.name} ${spec.usage}`);
  return { flags, args };
}

export const EXIT_CODES_HELP = 'Exit codes: 0 done, 1 failed (the message says why and what to do), 2 bad usage.';

/** The `--help` text of a verb. */
export function verbHelp(spec: VerbSpec): string {
  const rows = flagsOf(spec).map((f) => {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ` ${f.value}` : ''}`;
    return `  ${left.padEnd(28)} ${f.help}`;
  });
  return [
    `coord ${spec.name} — ${spec.summary}`,
    '',
    `Usage: coord ${spec.name} ${spec.usage}`.trimEnd(),
    ...(spec.description ? ['', spec.description] : []),
    '',
    'Options:',
    ...rows,
    '',
    EXIT_CODES_HELP,
  ].join('\n');
}

export const str = (p: Parsed, name: string): string | undefined => p.flags[name] as string | undefined;
export const bool = (p: Parsed, name: string): boolean => p.flags[name] === true;
