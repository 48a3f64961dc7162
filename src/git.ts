// Every git operation coord performs, one named function each. Each takes the directory it
// runs in as `cwd`, returns a typed value, and throws a GitError (carrying git's stderr)
// when git fails in a way the caller cannot act on; outcomes a caller decides on (a lost
// push race, a missing ref, a rebase conflict) come back as values. Commands never see a
// process result: processes are started by process.ts, and git only from here.
import { CoordError } from './errors.js';
import { catFileBatch, firstLines, GitError, runGit, TIMED_OUT, type RunOptions, type RunResult } from './process.js';
import { path } from './sys.js';

export { GitError } from './process.js';

/** Runs git and returns stdout; throws a GitError on a non-zero exit. */
function git(args: string[], opts: RunOptions): string {
  const r = runGit(args, opts);
  if (r.code !== 0) throw new GitError(args, r);
  return r.stdout;
}

const lines = (s: string): string[] => s.split('\n').filter(Boolean);
const SHA_RE = /^[0-9a-f]{40,64}$/;

// ---- the repository ----------------------------------------------------------------

/** Where a repository's pieces are, as git itself resolves them. */
export interface RepoPaths {
  top: string; // the worktree we run in
  gitDir: string; // this worktree's git dir
  commonDir: string; // the shared .git directory
}

/** Locates the repository around `cwd` (one git process). */
export function repoPaths(cwd: string): RepoPaths {
  const args = ['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir'];
  const r = runGit(args, { cwd });
  if (r.code !== 0) {
    if (/not a git repository/i.test(r.stderr))
      throw new CoordError(`Not inside a git repository ('${cwd}'): cd into your repo (or run 'git init') and try again.`);
    throw new GitError(args, r);
  }
  const [top, gitDir, common] = r.stdout.trim().split('\n');
  if (!top) throw new CoordError(`'${cwd}' is inside a bare repository or a .git directory: run coord from a checkout.`);
  return { top, gitDir, commonDir: path().resolve(top, common) };
}

/** The URL of remote `name`, or null when there is no such remote. */
export function remoteUrl(cwd: string, name: string): string | null {
  const r = runGit(['config', '--get', `remote.${name}.url`], { cwd });
  if (r.code === 0) return r.stdout.trim();
  if (r.code === 1) return null; // git config: the key is not set
  throw new GitError(['config', '--get', `remote.${name}.url`], r);
}

/** Every setting under the `sections` (e.g. `merge`, `rebase`) as git reads them here, keys in lower case but for subsections. */
export function configSections(cwd: string, sections: string[]): Map<string, string> {
  const args = ['config', '-z', '--get-regexp', `^(${sections.join('|')})\\.`];
  const r = runGit(args, { cwd });
  if (r.code !== 0 && r.code !== 1) throw new GitError(args, r);
  return new Map(
    r.stdout
      .split('\0')
      .filter(Boolean)
      .map((e) => {
        const nl = e.indexOf('\n');
        return nl < 0 ? [e, ''] : [e.slice(0, nl), e.slice(nl + 1)];
      }),
  );
}

/** Sets `key` in this clone's own config (`.git/config`, shared by all its worktrees). */
export function setLocalConfig(cwd: string, key: string, value: string): void {
  git(['config', '--local', key, value], { cwd });
}

/**
 * git's own line merge of three files, written into `current` with conflict markers where
 * both sides changed the same lines; returns how many conflicts it left.
 */
export function mergeFileInPlace(cwd: string, current: string, base: string, other: string): number {
  const args = ['merge-file', '-L', 'ours', '-L', 'base', '-L', 'theirs', current, base, other];
  const r = runGit(args, { cwd });
  if (r.code >= 0 && r.code < 128) return r.code;
  throw new GitError(args, r);
}

/** The branch `remote`'s HEAD names (its default branch) as this clone last saw it, or null when unknown. */
export function remoteHeadBranch(cwd: string, remote: string): string | null {
  const r = runGit(['symbolic-ref', '--quiet', `refs/remotes/${remote}/HEAD`], { cwd });
  return r.code === 0 ? r.stdout.trim().replace(`refs/remotes/${remote}/`, '') : null;
}

/** The directory git runs this worktree's hooks from (honours core.hooksPath). */
export function hooksDir(cwd: string): string {
  return path().resolve(cwd, git(['rev-parse', '--git-path', 'hooks'], { cwd }).trim());
}

/** Whether git ignores `rel` in the checkout at `cwd`; a path that is not there counts as a file (`dir/` patterns miss it). */
export function isIgnored(cwd: string, rel: string): boolean {
  const args = ['check-ignore', '-q', '--', rel];
  const r = runGit(args, { cwd });
  if (r.code > 1) throw new GitError(args, r); // 1: not ignored
  return r.code === 0;
}

/** What an installed hook said: it let the commit through, refused it, or could not be run at all (with why). */
export type HookVerdict = { kind: 'unavailable'; why: string } | { kind: 'accepted' | 'refused'; output: string };

/** Runs the installed hook `hook` of the checkout at `cwd` as git would for a commit, committing nothing (`git hook run`, git 2.36+). */
export function runHook(cwd: string, hook: string, args: string[], timeoutMs: number): HookVerdict {
  const r = runGit(['hook', 'run', '--ignore-missing', hook, '--', ...args], { cwd, timeoutMs });
  if (r.code !== 0 && /is not a git command/.test(r.stderr))
    return { kind: 'unavailable', why: 'this git has no git hook run (git 2.36 added it)' };
  return { kind: r.code === 0 ? 'accepted' : 'refused', output: r.stdout + r.stderr };
}

/** `Name <email>` of the committer, from git config (the same rule `git commit` uses). */
export function committerIdent(cwd: string): string {
  const r = runGit(['var', 'GIT_COMMITTER_IDENT'], { cwd });
  if (r.code !== 0) {
    throw new CoordError(
      "git does not know who you are: run git config user.name 'Your Name' and git config user.email you@example.com, then try again.",
    );
  }
  return r.stdout.trim().replace(/\s+\d+\s+[+-]\d{4}$/, '');
}

// ---- reading refs, commits and trees -----------------------------------------------

/** The commit `rev` names, or null when it names none. */
export function resolveCommit(cwd: string, rev: string): string | null {
  const args = ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`];
  const r = runGit(args, { cwd });
  if (r.code === 0) return r.stdout.trim();
  if (r.code === 1 && !r.stderr.trim()) return null; // --verify --quiet: not a commit
  throw new GitError(args, r);
}

/** True when local branch `branch` exists. */
export const branchExists = (cwd: string, branch: string): boolean => resolveCommit(cwd, `refs/heads/${branch}`) !== null;

/** Local branches whose name starts with `prefix`, with the committer time (unix s) of their tip. */
export function listBranches(cwd: string, prefix: string): { name: string; time: number }[] {
  const out = git(['for-each-ref', '--format=%(committerdate:unix) %(refname:lstrip=2)', `refs/heads/${prefix}*`], { cwd });
  return lines(out).map((l) => {
    const sp = l.indexOf(' ');
    return { time: Number(l.slice(0, sp)), name: l.slice(sp + 1) };
  });
}

/** Commit time (unix s) and subject of each commit reachable from `ref` since `sinceSeconds`, newest first. */
export function subjectsSince(cwd: string, ref: string, sinceSeconds: number): { time: number; subject: string }[] {
  const out = git(['log', `--since=${sinceSeconds}`, '--format=%ct %s', ref, '--'], { cwd });
  return lines(out).map((l) => {
    const sp = l.indexOf(' ');
    return { time: Number(l.slice(0, sp)), subject: l.slice(sp + 1) };
  });
}

export interface ChangedIn {
  time: number;
  source: string;
  subject: string;
  files: string[];
}

/**
 * Commits of `revs` (`^ref` excludes), newest first, since `sinceSeconds` when given, each with
 * the ref that reached it, its subject, and the files it changes (a rename as its two paths;
 * a merge lists none). One git process.
 */
export function filesChanged(cwd: string, revs: string[], sinceSeconds: number | null): ChangedIn[] {
  const since = sinceSeconds === null ? [] : [`--since=${sinceSeconds}`];
  const out = git(['log', '--no-renames', '--name-only', '-z', '--source', '--format=%x1e%ct %S %s', ...since, ...revs, '--'], { cwd });
  return out
    .split('\x1e')
    .filter(Boolean)
    .map((chunk) => {
      const end = chunk.indexOf('\0');
      const head = end < 0 ? chunk : chunk.slice(0, end);
      const [time, source] = head.split(' ', 2);
      const files =
        end < 0
          ? []
          : chunk
              .slice(end + 1)
              .replace(/^\n/, '')
              .split('\0')
              .filter(Boolean);
      return { time: Number(time), source, subject: head.slice(time.length + source.length + 2), files };
    });
}

/** The paths staged for the commit in progress (`index`: the hook's GIT_INDEX_FILE, if git gave one), renames as their two paths. */
export function stagedFiles(cwd: string, index?: string): string[] {
  return git(['diff', '--cached', '--name-only', '--no-renames', '-z'], { cwd, env: index ? { GIT_INDEX_FILE: index } : undefined })
    .split('\0')
    .filter(Boolean);
}

/** Commits reachable from `to` and not from `from`, newest first. Throws when either cannot be read. */
export function commitsBetween(cwd: string, from: string, to: string): { sha: string; subject: string }[] {
  return lines(git(['log', '--format=%H %s', `${from}..${to}`, '--'], { cwd })).map(shaAndSubject);
}

const shaAndSubject = (l: string) => ({ sha: l.slice(0, l.indexOf(' ')), subject: l.slice(l.indexOf(' ') + 1) });

/** Commits reachable from `head` that change any of `paths`, newest first, since `sinceSeconds`, at most `max`. */
export function commitsTouching(
  cwd: string,
  head: string,
  paths: string[],
  sinceSeconds: number,
  max: number,
): { sha: string; subject: string }[] {
  return lines(git(['log', `--since=${sinceSeconds}`, `--max-count=${max}`, '--format=%H %s', head, '--', ...paths], { cwd })).map(
    shaAndSubject,
  );
}

/** The committer time (unix s) of `rev`, or null when it names no commit. */
export function commitTime(cwd: string, rev: string): number | null {
  const r = runGit(['log', '-1', '--format=%ct', rev, '--'], { cwd });
  return r.code === 0 && /^\d+\n?$/.test(r.stdout) ? Number(r.stdout) : null;
}

/** The best common ancestor of two commits, or null when they share none. */
export function mergeBase(cwd: string, a: string, b: string): string | null {
  const args = ['merge-base', a, b];
  const r = runGit(args, { cwd });
  if (r.code === 0) return r.stdout.trim();
  if (r.code === 1 && !r.stderr.trim()) return null;
  throw new GitError(args, r);
}

/** An object read by `readObjects`: a blob's text, or a tree's entries (`content` is then ''). */
export interface BatchObject {
  sha: string;
  type: string;
  content: string;
  entries?: { mode: string; name: string }[];
}

/** Reads several objects (`rev`, `rev:path`, `rev:` for the root tree) in one process; a missing one comes back as null. */
export function readObjects(cwd: string, specs: string[]): (BatchObject | null)[] {
  if (specs.length === 0) return [];
  const buf = catFileBatch(cwd, specs.join('\n') + '\n');
  const dec = new TextDecoder();
  const result: (BatchObject | null)[] = [];
  let pos = 0;
  for (let i = 0; i < specs.length; i++) {
    const nl = buf.indexOf(10, pos);
    const [sha, type, size] = dec.decode(buf.subarray(pos, nl)).split(' ');
    pos = nl + 1;
    if (type === 'missing' || type === 'ambiguous' || size === undefined) {
      result.push(null);
      continue;
    }
    const body = buf.subarray(pos, pos + Number(size));
    result.push(
      type === 'tree' ? { sha, type, content: '', entries: treeEntries(body, sha.length / 2) } : { sha, type, content: dec.decode(body) },
    );
    pos += Number(size) + 1;
  }
  return result;
}

/** A raw tree object's entries: `<mode> <name>\0<binary id>` each. */
function treeEntries(body: Uint8Array, idBytes: number): { mode: string; name: string }[] {
  const dec = new TextDecoder();
  const entries: { mode: string; name: string }[] = [];
  for (let pos = 0; pos < body.length;) {
    const space = body.indexOf(32, pos);
    const nul = body.indexOf(0, space);
    if (space < 0 || nul < 0) break;
    entries.push({ mode: dec.decode(body.subarray(pos, space)).padStart(6, '0'), name: dec.decode(body.subarray(space + 1, nul)) });
    pos = nul + 1 + idBytes;
  }
  return entries;
}

/** The file at `rev:file` as text, or null when it is not there. */
export function showFile(cwd: string, rev: string, file: string): string | null {
  const [obj] = readObjects(cwd, [`${rev}:${file}`]);
  return obj?.type === 'blob' ? obj.content : null;
}

export interface TreeEntry {
  mode: string;
  type: string;
  id: string;
  name: string;
}

/** The entries directly under `dir` in `commit`'s tree with their object ids; [] when `dir` is not there. */
export function listTree(cwd: string, commit: string, dir: string): TreeEntry[] {
  const args = ['ls-tree', `${commit}:${dir}`];
  const r = runGit(args, { cwd });
  if (r.code !== 0) {
    if (/not a valid object name|not a tree object/i.test(r.stderr)) return [];
    throw new GitError(args, r);
  }
  return lines(r.stdout)
    .map(parseTreeLine)
    .filter((e) => e !== null);
}

const parseTreeLine = (l: string): TreeEntry | null => {
  const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/.exec(l);
  return m ? { mode: m[1], type: m[2], id: m[3], name: m[4] } : null;
};

// ---- writing commits and refs ------------------------------------------------------

/**
 * Writes one commit with `files` replaced (null: deleted) on top of `base`, without touching
 * any worktree, index or ref (git fast-import, one process). Returns the new commit's id.
 * The scratch branch is reset to nothing before the end, so a killed run leaves no ref behind.
 */
export function commitFiles(cwd: string, base: string | null, files: Map<string, string | null>, message: string, ident: string): string {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const push = (s: string) => parts.push(enc.encode(s));
  const data = (s: string) => {
    const b = enc.encode(s);
    push(`data ${b.length}\n`);
    parts.push(b);
    push('\n');
  };
  push(`commit refs/coord/scratch\nmark :1\ncommitter ${ident} ${Math.floor(Date.now() / 1000)} +0000\n`);
  data(message);
  if (base) push(`from ${base}\n`);
  for (const [p, content] of files) {
    if (content === null) push(`D ${p}\n`);
    else {
      push(`M 100644 inline ${p}\n`);
      data(content);
    }
  }
  push('\nget-mark :1\nreset refs/coord/scratch\n\ndone\n');
  const args = ['fast-import', '--quiet', '--done'];
  const r = runGit(args, { cwd, input: Buffer.concat(parts) });
  const sha = /^[0-9a-f]{40,64}$/m.exec(r.stdout)?.[0];
  if (r.code !== 0 || !sha) throw new GitError(args, r);
  return sha;
}

/** Compare-and-swap of a local ref: true when it moved from `old` (null: absent) to `sha`, false when it held something else. */
export function casRef(cwd: string, ref: string, sha: string, old: string | null): boolean {
  const args = ['update-ref', ref, sha, old ?? '0'.repeat(40)];
  const r = runGit(args, { cwd });
  if (r.code === 0) return true;
  if (/cannot lock ref|is at .* but expected|reference already exists|unable to resolve reference/i.test(r.stderr)) return false;
  throw new GitError(args, r);
}

export type FetchOutcome =
  | { kind: 'ok' }
  | { kind: 'missing' } // the remote has no such branch
  | { kind: 'busy'; detail: string } // another coord process of this clone is writing the same ref or objects
  | { kind: 'failed'; detail: string }; // network, auth, timeout

/** Fetches `remote`'s `branch` into `ref` (forced, no tags, no FETCH_HEAD). */
export function fetchBranch(cwd: string, remote: string, branch: string, ref: string, timeoutMs: number): FetchOutcome {
  const r = runGit(
    ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', remote, `+refs/heads/${branch}:${ref}`],
    { cwd, timeoutMs },
  );
  if (r.code === 0) return { kind: 'ok' };
  if (/couldn't find remote ref/i.test(r.stderr)) return { kind: 'missing' };
  if (
    /cannot lock ref|unable to update local ref|\.lock': File exists|did not send all necessary objects|bad object|unable to read/i.test(
      r.stderr,
    )
  ) {
    return { kind: 'busy', detail: firstLines(r.stderr) };
  }
  return {
    kind: 'failed',
    detail:
      r.code === TIMED_OUT ? `no answer within ${Math.round(timeoutMs / 1000)} s` : r.stderr.trim().split('\n').pop() || `exit ${r.code}`,
  };
}

export type PushOutcome =
  | { kind: 'ok' }
  | { kind: 'race'; detail: string } // the branch moved under us: re-read and re-apply
  | { kind: 'refused'; detail: string } // the server's rules said no: never retry
  | { kind: 'failed'; detail: string; cutOff: boolean }; // network, auth, timeout; cutOff: git did not end by itself (timeout, signal)

/** Pushes `sha` to `remote`'s `branch` and says what happened to that ref. */
export function pushRef(cwd: string, remote: string, sha: string, branch: string, timeoutMs: number): PushOutcome {
  const r = runGit(['push', '--porcelain', remote, `${sha}:refs/heads/${branch}`], { cwd, timeoutMs });
  return pushOutcome(r, branch, remote);
}

function pushOutcome(r: RunResult, branch: string, remote: string): PushOutcome {
  const line = r.stdout.split('\n').find((l) => l.includes(`:refs/heads/${branch}\t`));
  const remoteSaid = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('remote:'))
    .map((l) => l.slice(7).trim())
    .filter(Boolean)
    .join(' / ');
  if (r.code === TIMED_OUT) return { kind: 'failed', detail: `push to ${remote} timed out`, cutOff: true };
  if (line) {
    const flag = line[0];
    const summary = line.split('\t')[2] ?? '';
    // '=' means the ref already had this commit: someone else wrote the same bytes, so it is not ours.
    if (flag === ' ' || flag === '+' || flag === '*') return { kind: 'ok' };
    if (flag === '=') return { kind: 'race', detail: 'identical commit already there' };
    if (flag === '!') {
      if (
        /fetch first|non-fast-forward|stale info|failed to update ref|cannot lock ref|incorrect old value|failed to lock/i.test(
          summary + ' ' + r.stderr,
        )
      ) {
        return { kind: 'race', detail: summary };
      }
      return { kind: 'refused', detail: [summary, remoteSaid].filter(Boolean).join(': ') };
    }
  }
  return { kind: 'failed', detail: firstLines(r.stderr), cutOff: r.code === 128 && !r.stderr.trim() };
}

export type TipOutcome = { kind: 'ok'; sha: string | null } | { kind: 'failed'; detail: string };

/** What `remote`'s `branch` points at now, asked of the remote itself (`git ls-remote`); sha null when it has no such branch. */
export function remoteBranchTip(cwd: string, remote: string, branch: string, timeoutMs: number): TipOutcome {
  const r = runGit(['ls-remote', remote, `refs/heads/${branch}`], { cwd, timeoutMs });
  if (r.code !== 0) {
    return { kind: 'failed', detail: r.code === TIMED_OUT ? `no answer within ${Math.round(timeoutMs / 1000)} s` : firstLines(r.stderr) };
  }
  const line = lines(r.stdout).find((l) => l.endsWith(`\trefs/heads/${branch}`));
  return { kind: 'ok', sha: line ? line.slice(0, line.indexOf('\t')) : null };
}

/** True when commit `a` is `b` or an ancestor of it. */
export function isAncestor(cwd: string, a: string, b: string): boolean {
  const args = ['merge-base', '--is-ancestor', a, b];
  const r = runGit(args, { cwd });
  if (r.code === 0 || r.code === 1) return r.code === 0;
  throw new GitError(args, r);
}

// ---- worktrees and branches --------------------------------------------------------

export interface WorktreeEntry {
  dir: string;
  head: string | null;
  branch: string | null;
}

/** Every worktree of the repository (`git worktree list --porcelain`). */
export function listWorktrees(cwd: string): WorktreeEntry[] {
  const list: WorktreeEntry[] = [];
  for (const line of git(['worktree', 'list', '--porcelain'], { cwd }).split('\n')) {
    if (line.startsWith('worktree ')) list.push({ dir: line.slice(9), head: null, branch: null });
    else if (line.startsWith('HEAD ') && list.length) list[list.length - 1].head = line.slice(5);
    else if (line.startsWith('branch refs/heads/') && list.length) list[list.length - 1].branch = line.slice(18);
  }
  return list;
}

/** Creates worktree `dir` on a new branch `branch` at `base` (no upstream). */
export function addWorktree(cwd: string, dir: string, branch: string, base: string): void {
  git(['worktree', 'add', '--quiet', '--no-track', '-b', branch, dir, base], { cwd });
}

/**
 * Removes worktree `dir`. Without `force` git itself refuses when anything in it is modified or
 * untracked, or when it holds submodules (then `containsSubmodules` is true and nothing changed).
 */
export function removeWorktree(
  cwd: string,
  dir: string,
  force: boolean,
): { ok: true } | { ok: false; detail: string; containsSubmodules: boolean } {
  const args = ['worktree', 'remove', ...(force ? ['--force'] : []), dir];
  const r = runGit(args, { cwd });
  if (r.code === 0) return { ok: true };
  if (force || !/contains modified or untracked files|containing submodules/i.test(r.stderr)) throw new GitError(args, r);
  return { ok: false, detail: firstLines(r.stderr), containsSubmodules: /containing submodules/i.test(r.stderr) };
}

/** Forgets worktrees whose directory is gone. */
export function pruneWorktrees(cwd: string): void {
  git(['worktree', 'prune'], { cwd });
}

/** Deletes local branch `branch`, merged or not. */
export function deleteBranch(cwd: string, branch: string): void {
  git(['branch', '-D', branch], { cwd });
}

// ---- a worktree's files ------------------------------------------------------------

export interface StatusEntry {
  xy: string;
  path: string;
}

/** Uncommitted changes in the worktree at `cwd` (`git status --porcelain`), optionally limited to `paths`. */
export function worktreeStatus(cwd: string, untracked: 'no' | 'normal' | 'all', paths: string[] = []): StatusEntry[] {
  const fields = git(['status', '--porcelain', '-z', `--untracked-files=${untracked}`, '--', ...paths], { cwd }).split('\0');
  const entries: StatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (!f) continue;
    entries.push({ xy: f.slice(0, 2), path: f.slice(3) });
    if (f[0] === 'R' || f[0] === 'C') i++; // a rename's or copy's source path follows
  }
  return entries;
}

/**
 * Untracked files git ignores in the worktree at `cwd`. A wholly ignored directory comes as
 * one `dir/` entry, unless `under` is given: then every ignored file below that path.
 */
export function ignoredFiles(cwd: string, under?: string): string[] {
  const args = [
    'ls-files',
    '-z',
    '--others',
    '--ignored',
    '--exclude-standard',
    ...(under === undefined ? ['--directory', '--'] : ['--', under]),
  ];
  return git(args, { cwd }).split('\0').filter(Boolean);
}

/** Untracked files at `cwd` that match the gitignore-style patterns of `patternFile` and that git ignores too. */
export function ignoredMatching(cwd: string, patternFile: string): string[] {
  const matched = git(['ls-files', '-z', '--others', '--ignored', `--exclude-from=${patternFile}`], { cwd })
    .split('\0')
    .filter(Boolean);
  if (!matched.length) return [];
  const args = ['check-ignore', '-z', '--stdin'];
  const r = runGit(args, { cwd, input: matched.join('\0') + '\0' });
  if (r.code > 1) throw new GitError(args, r); // 1 means none of them is ignored
  return r.stdout.split('\0').filter(Boolean);
}

export interface IndexEntry {
  /** `git ls-files -v`'s tag: S skip-worktree, a lower-case letter assume-unchanged, H an ordinary entry. */
  tag: string;
  mode: string;
  sha: string;
  path: string;
}

/** Index entries of the worktree at `cwd` that are not plain files: gitlinks (submodules), skip-worktree and assume-unchanged files. */
export function unusualIndexEntries(cwd: string): IndexEntry[] {
  const out = git(['ls-files', '-z', '--stage', '-v'], { cwd });
  const entries: IndexEntry[] = [];
  for (const rec of out.split('\0')) {
    const m = /^(\S) (\d+) ([0-9a-f]+) \d\t([\s\S]+)$/.exec(rec);
    if (m && (m[1] !== 'H' || m[2] === '160000')) entries.push({ tag: m[1], mode: m[2], sha: m[3], path: m[4] });
  }
  return entries;
}

/** The blob ids git would give the files `paths` of the worktree at `cwd` (its filters applied), in order. */
export function hashFiles(cwd: string, paths: string[]): string[] {
  if (!paths.length) return [];
  return lines(git(['hash-object', '--stdin-paths'], { cwd, input: paths.join('\n') + '\n' }));
}

/** How many commits the repository at `cwd` holds (HEAD, branches, tags, stash) that no remote-tracking ref reaches. */
export function commitsNotOnRemotes(cwd: string): number {
  return Number(git(['rev-list', '--count', '--all', '--not', '--remotes'], { cwd }).trim());
}

/** Puts `file` back to what the index holds (drops its uncommitted edit). */
export function restoreFile(cwd: string, file: string): void {
  git(['checkout', '--', file], { cwd });
}

/** Moves the worktree at `cwd` from tree `from` to tree `to` as a fast-forward would, keeping unrelated edits. */
export function moveWorktree(cwd: string, from: string, to: string): void {
  git(['read-tree', '-m', '-u', from, to], { cwd });
}

/** Fast-forwards the checked-out branch to `target`. */
export function fastForward(cwd: string, target: string, autostash: boolean): void {
  git(['merge', '--ff-only', '--quiet', ...(autostash ? ['--autostash'] : []), target], { cwd });
}

/**
 * Rebases the checked-out branch onto `target`. On a conflict the rebase is aborted and
 * the conflicted paths are returned; throws when even the abort fails (then git's own
 * state is what the person must look at).
 */
export function rebaseOnto(
  cwd: string,
  target: string,
  autostash: boolean,
): { ok: true } | { ok: false; conflicts: string[]; detail: string } {
  const args = ['rebase', '--quiet', ...(autostash ? ['--autostash'] : []), target];
  const r = runGit(args, { cwd, env: { GIT_EDITOR: 'true' } });
  if (r.code === 0) return { ok: true };
  const conflicts = lines(runGit(['diff', '--name-only', '--diff-filter=U'], { cwd }).stdout);
  const abort = runGit(['rebase', '--abort'], { cwd });
  if (abort.code !== 0 && !/no rebase in progress/i.test(abort.stderr)) {
    throw new CoordError(
      `git rebase ${target} stopped (${firstLines(r.stderr)}) and git rebase --abort failed too ` +
        `(${firstLines(abort.stderr)}): look at git status in ${cwd} before anything else.`,
    );
  }
  return { ok: false, conflicts, detail: firstLines(r.stderr) };
}

/** The branch HEAD names in the worktree at `cwd`, or null on a detached HEAD. */
export function symbolicHead(cwd: string): string | null {
  const args = ['symbolic-ref', '-q', 'HEAD'];
  const r = runGit(args, { cwd });
  if (r.code === 0) return r.stdout.trim().replace(/^refs\/heads\//, '');
  if (r.code === 1) return null;
  throw new GitError(args, r);
}

/** The commit HEAD points at in `cwd`. */
export function headSha(cwd: string): string {
  const sha = git(['rev-parse', 'HEAD'], { cwd }).trim();
  if (!SHA_RE.test(sha)) throw new CoordError(`git rev-parse HEAD in '${cwd}' said '${sha.slice(0, 40)}'.`);
  return sha;
}
