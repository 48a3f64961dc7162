// argv → verb. The only place that decides the exit code; every verb's module is loaded
// only when that verb runs, so a hook pays for nothing but its own code.
import { parseArgs, verbHelp, EXIT_CODES_HELP, type Parsed, type VerbSpec } from './args.js';
import { CoordError, EXIT_FAILED, EXIT_OK, UsageError } from './errors.js';
import { err, out } from './output.js';
import { isDeno, preload } from './sys.js';
import { env } from './host.js';

declare const __VERSION__: string;
export const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

export interface Command {
  spec: VerbSpec;
  run(p: Parsed): number | void | Promise<number | void>;
}

/** Every verb, in the order `coord --help` lists them. */
export const VERBS: Record<string, () => Promise<Command>> = {
  start: () => import('./commands/start.js'),
  status: () => import('./commands/status.js'),
  scope: () => import('./commands/scope.js'),
  riff: () => import('./commands/riff.js'),
  close: () => import('./commands/close.js'),
  sync: () => import('./commands/sync.js'),
  send: () => import('./commands/send.js'),
  inbox: () => import('./commands/inbox.js'),
  seen: () => import('./commands/seen.js'),
  ack: () => import('./commands/ack.js'),
  resolve: () => import('./commands/resolve.js'),
  reply: () => import('./commands/reply.js'),
  handoff: () => import('./commands/handoff.js'),
  prime: () => import('./commands/prime.js'),
  watch: () => import('./commands/watch.js'),
  reap: () => import('./commands/reap.js'),
  doctor: () => import('./commands/doctor.js'),
  'check-prefix': () => import('./commands/check-prefix.js'),
  heartbeat: () => import('./commands/heartbeat.js'),
  init: () => import('./commands/init.js'),
  demo: () => import('./commands/demo.js'),
};

async function topHelp(): Promise<string> {
  const lines = ['coord — sessions coordinating on one git repository, through git alone', '', 'Usage: coord <verb> [options]   (coord <verb> --help for each)', '', 'Verbs:'];
  for (const [name, load] of Object.entries(VERBS)) lines.push(`  ${name.padEnd(14)} ${(await load()).spec.summary}`);
  lines.push('', 'Identity: a verb acts as the session of the worktree it runs in; --as ID or COORD_SESSION=ID override.', EXIT_CODES_HELP);
  return lines.join('\n');
}

/** Runs one command line and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    if (isDeno) checkDenoPermissions();
    await preload();
    const [verb, ...rest] = argv;
    if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
      if (verb === 'help' && rest[0] && VERBS[rest[0]]) { out(verbHelp((await VERBS[rest[0]]()).spec)); return EXIT_OK; }
      out(await topHelp());
      return verb ? EXIT_OK : 2;
    }
    if (verb === '--version' || verb === '-V' || verb === 'version') { out(`coord ${VERSION}`); return EXIT_OK; }
    const load = VERBS[verb];
    if (!load) throw new UsageError(`Unknown verb '${verb.slice(0, 40)}': run 'coord --help' for the list.`);
    const cmd = await load();
    const parsed = parseArgs(cmd.spec, rest);
    if (parsed.flags.help) { out(verbHelp(cmd.spec)); return EXIT_OK; }
    return (await cmd.run(parsed)) ?? EXIT_OK;
  } catch (e) {
    if (e instanceof CoordError) {
      err(`coord: ${e.message}`);
      return e.exitCode;
    }
    const error = e as Error;
    err(`coord: internal error: ${error?.message ?? String(e)}`);
    err(env('COORD_DEBUG') ? String(error?.stack) : 'Nothing was published by the failed step. Run again with COORD_DEBUG=1 to see where, and report it.');
    return EXIT_FAILED;
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
