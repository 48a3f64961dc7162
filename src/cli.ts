// argv → verb → one run. The only place that decides the exit code and the only place that
// opens the repository: each verb's spec says what it needs (nothing, the repository, a
// speaker, a session), the runner opens that once and calls run(ctx, parsed); a verb that
// reports returns a Report, printed as JSON with --json and as text otherwise. Every verb is
// imported statically: a verb's module only declares its spec and functions, so loading all
// of them costs a hook nothing measurable (docs/benchmarks.md).
import { bool, GROUPS, parseArgs, str, verbHelp, EXIT_CODES_HELP, type Parsed, type VerbSpec } from './args.js';
import { CoordError, EXIT_FAILED, EXIT_OK, UsageError } from './errors.js';
import { err, json, out, type Report } from './output.js';
import { isDeno, preload } from './sys.js';
import { env } from './host.js';
import { saveGuardCache } from './blackboard.js';
import { openContext, requireSession, type Context } from './context.js';
import * as start from './commands/start.js';
import * as status from './commands/status.js';
import * as scope from './commands/scope.js';
import * as riff from './commands/riff.js';
import * as close from './commands/close.js';
import * as sync from './commands/sync.js';
import * as send from './commands/send.js';
import * as inbox from './commands/inbox.js';
import * as seen from './commands/seen.js';
import * as ack from './commands/ack.js';
import * as resolve from './commands/resolve.js';
import * as reply from './commands/reply.js';
import * as handoff from './commands/handoff.js';
import * as reserve from './commands/reserve.js';
import * as release from './commands/release.js';
import * as reservations from './commands/reservations.js';
import * as prime from './commands/prime.js';
import * as watch from './commands/watch.js';
import * as reap from './commands/reap.js';
import * as doctor from './commands/doctor.js';
import * as checkPrefix from './commands/check-prefix.js';
import * as checkReserved from './commands/check-reserved.js';
import * as heartbeat from './commands/heartbeat.js';
import * as init from './commands/init.js';
import * as demo from './commands/demo.js';
import * as mergeDriver from './commands/merge-driver.js';
import * as worktreeCreate from './commands/worktree-create.js';
import * as worktreeRemove from './commands/worktree-remove.js';

declare const __VERSION__: string;
export const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

type Outcome = number | void | Report;

/** A verb: its spec, and what it does — given the context its spec asks for, or none when it needs nothing. */
export type Command =
  | { spec: VerbSpec; run(ctx: Context, p: Parsed): Outcome | Promise<Outcome> }
  | { spec: VerbSpec; run(p: Parsed): Outcome | Promise<Outcome> };

/** Every verb, in the order `coord --help` lists them within their groups. */
export const VERBS: Record<string, Command> = {
  start,
  status,
  scope,
  riff,
  close,
  sync,
  send,
  inbox,
  seen,
  ack,
  resolve,
  reply,
  handoff,
  reserve,
  release,
  reservations,
  prime,
  watch,
  reap,
  doctor,
  'check-prefix': checkPrefix,
  'check-reserved': checkReserved,
  heartbeat,
  init,
  demo,
  'merge-driver': mergeDriver,
  'worktree-create': worktreeCreate,
  'worktree-remove': worktreeRemove,
};

function topHelp(): string {
  const width = Math.max(...Object.keys(VERBS).map((n) => n.length)) + 2;
  const lines = [
    'coord — sessions coordinating on one git repository, through git alone',
    '',
    'Usage: coord <verb> [options]   (coord <verb> --help for each)',
  ];
  for (const [group, heading] of Object.entries(GROUPS)) {
    lines.push('', `${heading}:`);
    for (const [name, cmd] of Object.entries(VERBS)) if (cmd.spec.group === group) lines.push(`  ${name.padEnd(width)}${cmd.spec.summary}`);
  }
  lines.push(
    '',
    'Identity: a verb acts as the session of the worktree it runs in; outside one, COORD_SESSION=ID names it;',
    '--as ID overrides both.',
    EXIT_CODES_HELP,
  );
  return lines.join('\n');
}

/** Runs one command line and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const opened: { ctx: Context | null } = { ctx: null };
  try {
    if (isDeno) checkDenoPermissions();
    await preload();
    const [verb, ...rest] = argv;
    if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
      if (verb === 'help' && rest[0] && Object.hasOwn(VERBS, rest[0])) {
        out(verbHelp(VERBS[rest[0]].spec));
        return EXIT_OK;
      }
      out(topHelp());
      return verb ? EXIT_OK : 2;
    }
    if (verb === '--version' || verb === '-V' || verb === 'version') {
      out(`coord ${VERSION}`);
      return EXIT_OK;
    }
    if (!Object.hasOwn(VERBS, verb)) throw new UsageError(`Unknown verb '${verb.slice(0, 40)}': run 'coord --help' for the list.`);
    const cmd = VERBS[verb];
    const parsed = parseArgs(cmd.spec, rest);
    if (parsed.flags.help) {
      out(verbHelp(cmd.spec));
      return EXIT_OK;
    }
    return await runVerb(cmd, parsed, opened);
  } catch (e) {
    if (e instanceof CoordError) {
      err(`coord: ${e.message}`);
      return e.exitCode;
    }
    const error = e as Error;
    err(`coord: internal error: ${error?.message ?? String(e)}`);
    const done = opened.ctx?.run.published;
    const what = done
      ? `A change was published before the failure (${done}): check 'coord status' before running it again.`
      : 'Nothing was published by the failed step.';
    err(env('COORD_DEBUG') ? String(error?.stack) : `${what} Run again with COORD_DEBUG=1 to see where, and report it.`);
    return EXIT_FAILED;
  } finally {
    if (opened.ctx) guardCache(opened.ctx);
  }
}

/**
 * The one runner: opens what the verb's spec needs, runs it, prints its report. In an agent
 * hook's mode (spec.hook) no failure fails the hook: it becomes a line for the agent, or none.
 */
async function runVerb(cmd: Command, p: Parsed, opened: { ctx: Context | null }): Promise<number> {
  const { spec } = cmd;
  const hook = spec.hook && bool(p, spec.hook.flag) ? spec.hook : null;
  try {
    let outcome: Outcome;
    if (spec.needs === 'nothing') outcome = await (cmd.run as (p: Parsed) => Outcome | Promise<Outcome>)(p);
    else {
      const place = spec.at?.(p) ?? { cwd: process.cwd() };
      if ('done' in place) {
        err(`coord: ${place.done}`);
        return EXIT_OK;
      }
      const ctx = openContext(place.cwd, { as: place.as ?? str(p, 'as'), identity: spec.needs !== 'repo' });
      opened.ctx = ctx;
      if (spec.needs === 'session') requireSession(ctx);
      outcome = await (cmd.run as (ctx: Context, p: Parsed) => Outcome | Promise<Outcome>)(ctx, p);
    }
    if (typeof outcome !== 'object') return outcome ?? EXIT_OK;
    if (bool(p, 'json')) json(outcome.json);
    else outcome.text();
    return outcome.code ?? EXIT_OK;
  } catch (e) {
    if (!hook) throw e;
    const line = hook.say?.(e instanceof CoordError ? e.message : String(e));
    if (line) out(line);
    return EXIT_OK;
  }
}

/** Leaves the reservations this run fetched where the pre-commit guard reads them; never fails the verb. */
function guardCache(ctx: Context): void {
  try {
    // A refusal (a symbolic link in the git dir) is said: the guard works from an old cache until it is fixed.
    const refused = saveGuardCache(ctx);
    if (refused) err(refused);
  } catch (e) {
    if (env('COORD_DEBUG')) err(`coord: could not save the reservation guard's cache: ${(e as Error).message}`);
  }
}

/** Under Deno, say which permissions are missing before anything half-runs. */
function checkDenoPermissions(): void {
  type Perms = { permissions: { querySync(d: { name: string }): { state: string } } };
  const deno = (globalThis as unknown as { Deno: Perms }).Deno;
  const missing = ['read', 'write', 'run', 'env'].filter((name) => deno.permissions.querySync({ name }).state !== 'granted');
  if (missing.length) {
    throw new CoordError(
      `Deno did not grant ${missing.join(', ')}: run coord as deno run -A coord.mjs … (or with ` +
        `${missing.map((m) => `--allow-${m}`).join(' ')}).`,
    );
  }
}
