// Team settings, committed with the repo so every clone agrees: `.coord.json` at the top
// of the worktree. Environment variables override them for one run.
import { fs, path } from './sys.js';
import { CoordError } from './errors.js';
import { parseDuration } from './protocol/stamp.js';
import { checkBranchName } from './protocol/ids.js';
import { CONFIG_FILE } from './protocol/layout.js';

export interface Config {
  branch: string; // the blackboard branch
  remote: string; // the remote it lives on
  liveMs: number; // newer activity than this: live
  staleMs: number; // older than this: stale
  timeoutMs: number; // network operations
  archiveAfterMs: number; // resolved longer than this: `reap` moves the message to the archive
  skipCi: boolean; // coord's own commits carry the CI-skip marker
}

export const DEFAULTS: Config = {
  branch: 'main',
  remote: 'origin',
  liveMs: 30 * 60e3,
  staleMs: 24 * 3600e3,
  timeoutMs: 30e3,
  archiveAfterMs: 7 * 24 * 3600e3,
  skipCi: true,
};

/** Reads `.coord.json` under `top` and the COORD_* environment. */
export function loadConfig(top: string): Config {
  const file = path().join(top, CONFIG_FILE);
  let raw: Record<string, unknown> = {};
  if (fs().existsSync(file)) {
    try {
      raw = JSON.parse(fs().readFileSync(file, 'utf8'));
    } catch (e) {
      throw new CoordError(`${CONFIG_FILE} is not valid JSON (${(e as Error).message}): fix it or remove it to use the defaults.`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new CoordError(`${CONFIG_FILE} must hold a JSON object like {"branch": "main"}.`);
  }
  const env = process.env;
  const pick = (key: string, envName: string): string | undefined =>
    env[envName] ?? (raw[key] === undefined ? undefined : String(raw[key]));
  const cfg: Config = { ...DEFAULTS };
  const branch = pick('branch', 'COORD_BRANCH');
  if (branch !== undefined) {
    const bad = checkBranchName(branch);
    if (bad) throw new CoordError(`Blackboard branch from ${env.COORD_BRANCH ? 'COORD_BRANCH' : CONFIG_FILE}: ${bad}.`);
    cfg.branch = branch;
  }
  const remote = pick('remote', 'COORD_REMOTE');
  if (remote !== undefined) {
    if (!/^[A-Za-z0-9._-]+$/.test(remote) || remote.startsWith('-'))
      throw new CoordError(`Remote name '${remote}' is not usable: use a name from 'git remote'.`);
    cfg.remote = remote;
  }
  for (const [key, envName, field] of [
    ['live', 'COORD_LIVE', 'liveMs'],
    ['stale', 'COORD_STALE', 'staleMs'],
    ['timeout', 'COORD_TIMEOUT', 'timeoutMs'],
    ['archiveAfter', 'COORD_ARCHIVE_AFTER', 'archiveAfterMs'],
  ] as const) {
    const v = pick(key, envName);
    if (v === undefined) continue;
    const ms = parseDuration(v);
    if (ms === null || ms <= 0) throw new CoordError(`'${v}' for ${key} is not a duration: use forms like 90s, 30m, 24h, 7d.`);
    cfg[field] = ms;
  }
  const skipCi = pick('skipCi', 'COORD_SKIP_CI');
  if (skipCi !== undefined) {
    if (skipCi !== 'true' && skipCi !== 'false')
      throw new CoordError(`'${skipCi}' for skipCi is not true or false: write {"skipCi": false} to let coord's commits start CI runs.`);
    cfg.skipCi = skipCi === 'true';
  }
  return cfg;
}
