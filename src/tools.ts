// The programs other than git that coord runs for a person: lefthook, to check that a config
// coord changed still loads. Each is optional: when it is not at hand, the check is skipped.
import { runProgram } from './process.js';
import { fs, path } from './sys.js';

/** The lefthook binary the repository at `top` would use: its node_modules one, else one on PATH; null when neither. */
export function findLefthook(top: string): string | null {
  const dirs = [path().join(top, 'node_modules', '.bin'), ...(process.env.PATH ?? '').split(path().delimiter).filter(Boolean)];
  for (const d of dirs) {
    const bin = path().join(d, 'lefthook');
    try {
      if (fs().statSync(bin).isFile()) return bin;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** Whether lefthook loads and validates the config in `top` as it is on disk now; the first line of its complaint when not. */
export function lefthookAccepts(bin: string, top: string): { ok: true } | { ok: false; why: string } {
  let r = runProgram(bin, ['validate'], { cwd: top, timeoutMs: 30_000 });
  if (r.code === 0) return { ok: true };
  if (/unknown command "validate"/.test(r.stderr + r.stdout)) {
    // lefthook 1 has no validate: dump loads the config too, but says it could not while exiting 0.
    r = runProgram(bin, ['dump'], { cwd: top, timeoutMs: 30_000 });
    if (r.code === 0 && !/couldn't load config|^error/im.test(r.stderr + r.stdout)) return { ok: true };
  }
  const why =
    (r.stderr + '\n' + r.stdout)
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l && !/^(│|┃|╭|╰)/.test(l)) ?? `exit ${r.code}`;
  return { ok: false, why };
}

/**
 * The command that installs the hooks in a clone of the repository at `top`: npx when the
 * team has lefthook as a dev dependency, the binary on PATH, else npx --yes (npx would stop
 * at its install prompt otherwise; brew, go, pipx and gem install lefthook too).
 */
export function lefthookInstallCommand(top: string): string {
  if (fs().existsSync(path().join(top, 'node_modules', '.bin', 'lefthook'))) return 'npx lefthook install';
  if (findLefthook(top)) return 'lefthook install';
  return 'npx --yes lefthook install';
}
