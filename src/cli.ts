// argv → verb. The only place that decides the exit code. Every verb is imported statically:
// a verb's module only declares its spec and functions, so loading all of them costs a hook
// nothing measurable (docs/benchmarks.md), and the bundle needs no lazy-module wrappers.
import { parseArgs, verbHelp, EXIT_CODES_HELP, type Parsed, type VerbSpec } from './args.js';
import { CoordError, EXIT_FAILED, EXIT_OK, UsageError } from './errors.js';
import { err, out } from './output.js';
import { isDeno, preload } from './sys.js';
import { env } from './host.js';
import { publishedThisRun } from './publish.js';
import { saveGuardCache } from './blackboard.js';
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

export interface Command {
  spec: VerbSpec;
  run(p: Parsed): number | void | Promise<number | void>;
}

/** Every verb, in the order `coord --help` lists them. */
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
  const lines = ['coord — sessions coordinating on one git repository, through git alone', '', 'Usage: coord <verb> [options]   (coord <verb> --help for each)', '', 'Verbs:'];
  for (const [name, cmd] of Object.entries(VERBS)) lines.push(`  ${name.padEnd(14)} ${cmd.spec.summary}`);
  lines.push('', 'Identity: a verb acts as the session of the worktree it runs in; outside one, COORD_SESSION=ID names it; --as ID overrides both.', EXIT_CODES_HELP);
  return lines.join('\n');
}

/** Runs one command line and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    if (isDeno) checkDenoPermissions();
    await preload();
    const [verb, ...rest] = argv;
    if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
      if (verb === 'help' && rest[0] && Object.hasOwn(VERBS, rest[0])) { out(verbHelp(VERBS[rest[0]].spec)); return EXIT_OK; }
      out(topHelp());
      return verb ? EXIT_OK : 2;
    }
    if (verb === '--version' || verb === '-V' || verb === 'version') { out(`coord ${VERSION}`); return EXIT_OK; }
    if (!Object.hasOwn(VERBS, verb)) throw new UsageError(`Unknown verb '${verb.slice(0, 40)}': run 'coord --help' for the list.`);
    const cmd = VERBS[verb];
    const parsed = parseArgs(cmd.spec, rest);
    if (parsed.flags.help) { out(verbHelp(cmd.spec)); return EXIT_OK; }
    const code = (await cmd.run(parsed)) ?? EXIT_OK;
    guardCache();
    return code;
  } catch (e) {
    if (e instanceof CoordError) {
      guardCache();
      err(`coord: ${e.message}`);
      return e.exitCode;
    }
    const error = e as Error;
    err(`coord: internal error: ${error?.message ?? String(e)}`);
    const done = publishedThisRun();
    const what = done ? `A change was published before the failure (${done}): check 'coord status' before running it again.` : 'Nothing was published by the failed step.';
    err(env('COORD_DEBUG') ? String(error?.stack) : `${what} Run again with COORD_DEBUG=1 to see where, and report it.`);
    return EXIT_FAILED;
  }
}

/** Leaves the reservations this process fetched where the pre-commit guard reads them; never fails the verb. */
function guardCache(): void {
  try { saveGuardCache(); } catch (e) {
    if (env('COORD_DEBUG')) err(`coord: could not save the reservation guard's cache: ${(e as Error).message}`);
  }
}

/** Under Deno, say which permissions are missing before anything half-runs. */
function checkDenoPermissions(): void {
  type Perms = { permissions: { querySync(d: { name: string }): { state: string } } };
  const deno = (globalThis as unknown as { Deno: Perms }).Deno;
  const missing = ['read', 'write', 'run', 'env'].filter((name) => deno.permissions.querySync({ name }).state !== 'granted');
  if (missing.length) {
    throw new CoordError(`Deno did not grant ${missing.join(', ')}: run coord as deno run -A coord.mjs … (or with ${missing.map((m) => `--allow-${m}`).join(' ')}).`);
  }
}
