// A clone's own settings for the coordination files: git takes a merge driver only from its
// config, never from the repository, so every clone sets it up once. init, start and
// doctor --fix call this; settings a person already set are left alone. A note in the git
// dir remembers that the clone was set up, so start pays no git process for it afterwards.
import { configSections, GitError, setLocalConfig } from './git.js';
import { fs, isDeno, path, sleepMs } from './sys.js';
import { cloneSettings } from './protocol/gitattributes.js';

/** The command that runs coord here: what the driver setting names. */
export const runtimeCommand = (deno: boolean = isDeno): string => (deno ? 'deno run -A' : 'node');

/** The settings this clone lacks (not set at all: a value someone chose, even `false`, counts as set). One git process. */
export function missingSettings(top: string, runtime: string = runtimeCommand()): [string, string][] {
  const have = new Set([...configSections(top, ['merge', 'rebase']).keys()].map((k) => k.toLowerCase()));
  return cloneSettings(runtime).filter(([key]) => !have.has(key.toLowerCase()));
}

const note = (commonDir: string) => path().join(commonDir, 'coord-clone-set-up');

/** Sets what this clone lacks, unless it was set up before (`force`: look again); returns the keys it set. */
export function setUpClone(top: string, commonDir: string, { runtime = runtimeCommand(), force = false } = {}): string[] {
  if (!force && fs().existsSync(note(commonDir))) return [];
  const missing = missingSettings(top, runtime);
  for (const [key, value] of missing) setWithRetry(top, key, value);
  fs().writeFileSync(
    note(commonDir),
    `${cloneSettings(runtime)
      .map(([k]) => k)
      .join('\n')}\n`,
  );
  return missing.map(([key]) => key);
}

/** `git config` locks `.git/config`: starts racing in one clone take turns. */
function setWithRetry(top: string, key: string, value: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      setLocalConfig(top, key, value);
      return;
    } catch (e) {
      if (!(e instanceof GitError) || !/could not lock config file/i.test(e.message) || attempt >= 30) throw e;
      sleepMs(5 + Math.random() * 20 * attempt);
    }
  }
}
