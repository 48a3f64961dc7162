// coord doctor: check the set-up and the leftovers of interrupted runs; say how to fix
// each finding, and with --fix repair what can be repaired without losing anyone's work.
import { bool, type Parsed, type VerbSpec } from '../args.js';
import { boardName, refresh, Snapshot } from '../blackboard.js';
import type { Context } from '../context.js';
import { CoordError } from '../errors.js';
import {
  committerIdent,
  deleteBranch,
  hooksDir,
  isAncestor,
  listBranches,
  listWorktrees,
  pruneWorktrees,
  runHook,
  worktreeStatus,
} from '../git.js';
import { dim, green, out, red, report, yellow, type Report } from '../output.js';
import { planRemoveRow } from '../plans.js';
import { publish, unconfirmedPushes } from '../publish.js';
import { fs, path, processAlive } from '../sys.js';
import { operationInProgress } from '../worktree.js';
import { boardHistory, stateOf } from '../liveness.js';
import {
  canLinkDependencies,
  claimNotes,
  DEPS_DIR,
  linkDependencies,
  lossText,
  removeSessionWorktree,
  unpublishedCommits,
  workAtRisk,
} from '../session.js';
import { missingSettings, setUpClone } from '../clonesetup.js';
import { withAttributes } from '../protocol/gitattributes.js';
import { visible } from '../protocol/display.js';
import { HOOK_JOBS, HOOK_SCRIPTS, LEFTHOOK_CONFIGS, LEFTHOOK_LOCAL_CONFIGS, lefthookConfig } from '../protocol/lefthook.js';
import { lefthookInstallCommand } from '../tools.js';
import {
  commitlintConfig,
  commitlintPresetScript,
  configInCode,
  presetLine,
  presetWhere,
  usesCoordPreset,
} from '../protocol/commitlint.js';
import { findRow, parseBoard, type Board } from '../protocol/board.js';
import {
  BOARD_PATH,
  COMMITLINT_PRESET_PATH,
  CONFIG_FILE,
  SCRIPT_PATH,
  sessionBranch,
  sessionOfBranch,
  sessionOfWorktreeName,
} from '../protocol/layout.js';

export const spec: VerbSpec = {
  name: 'doctor',
  summary: 'check the set-up and leftovers of interrupted runs; --fix repairs them',
  usage: '[--fix] [--json]',
  description:
    'Looks at: git identity, the remote, the board (and rows it cannot read), lefthook.yml and the\n' +
    'installed hooks (in a session worktree it runs the commit-msg hook, committing nothing: it must\n' +
    'refuse a subject without the prefix), and leftovers — a claim whose start was killed, a worktree\n' +
    'or branch of a closed session, stale worktree records. --fix removes a worktree only by\n' +
    "close's rule: nothing uncommitted, no file git ignores, no hidden edit, no submodule commit its\n" +
    'remotes lack, and no commit of its branch that is not published; otherwise it names what would\n' +
    'be lost. In a session worktree whose hooks cannot find lefthook, --fix links node_modules.\n' +
    'Exit 0 when nothing needs attention, 1 otherwise.',
  flags: [
    { name: 'fix', help: 'repair what can be repaired safely' },
    { name: 'json', help: 'print {"findings":[{"level","message","fix","fixable","fixed"}]}' },
  ],
  positionals: [0, 0],
  group: 'setup',
  needs: 'speaker',
};

interface Finding {
  level: 'error' | 'warn' | 'info';
  message: string;
  fix?: string;
  repair?: () => void;
  fixed?: boolean;
}

export function run(ctx: Context, p: Parsed): Report {
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const top = ctx.repo.top;

  try {
    committerIdent(top);
  } catch (e) {
    add({ level: 'error', message: 'git has no user.name/user.email here', fix: (e as Error).message });
  }
  let sha: string | null = null;
  let fresh = false;
  try {
    const fetched = refresh(ctx, true);
    sha = fetched.sha;
    fresh = !fetched.offline;
    if (fetched.offline)
      add({
        level: 'warn',
        message: `offline: ${fetched.offline}`,
        fix: 'check the network and git remote -v; reads use the last fetch meanwhile',
      });
  } catch (e) {
    add({ level: 'error', message: (e as Error).message });
  }
  if (!ctx.hasRemote)
    add({ level: 'info', message: `no remote '${ctx.cfg.remote}': the local branch ${ctx.cfg.branch} is the blackboard` });

  const snap = new Snapshot(ctx, sha);
  const boardText = sha ? snap.read(BOARD_PATH) : null;
  const board = parseBoard(boardText ?? '');
  if (sha && boardText === null)
    add({
      level: 'error',
      message: `no board on ${boardName(ctx)} (${BOARD_PATH})`,
      fix: "run 'coord init', commit and push what it wrote",
    });
  for (const pr of board.problems)
    add({
      level: 'warn',
      message: `${BOARD_PATH}:${pr.line}: ${pr.message}`,
      fix: 'edit that line so the row has six cells and a unique id',
    });

  const exists = (rel: string) => fs().existsSync(path().join(top, rel));
  const readRel = (rel: string) => fs().readFileSync(path().resolve(top, rel), 'utf8');
  const lhFile = lefthookConfig(exists, process.env.LEFTHOOK_CONFIG);
  const lhLocal = LEFTHOOK_LOCAL_CONFIGS.find(exists);
  const lh = [lhFile, lhLocal]
    .filter((f): f is string => !!f && fs().existsSync(path().resolve(top, f)))
    .map(readRel)
    .join('\n');
  const lacking = HOOK_JOBS.filter((j) => !new RegExp(`coord\\.mjs[^\\n]*${j.verb}`).test(lh));
  if (lacking.length) {
    const what = `${lacking.map((j) => j.hook).join(', ')} job${lacking.length > 1 ? 's' : ''} (${listed(lacking.map((j) => j.guards))})`;
    add({
      level: 'warn',
      message: `${lhFile ?? 'the lefthook config'} lacks coord's ${what}`,
      fix: "run 'coord init' (it merges them in)",
    });
  }
  // lefthook loads one main config: a second spelling beside it is silently ignored, with the team's hooks in it.
  const ignored = LEFTHOOK_CONFIGS.filter((f) => f !== lhFile && exists(f));
  if (lhFile && ignored.length)
    add({
      level: 'warn',
      message: `lefthook loads ${lhFile} only: the hooks in ${ignored.join(', ')} do not run`,
      fix: `move their jobs into ${lhFile} and delete ${ignored.join(', ')}`,
    });
  // commitlint parses `type(scope): subject` from the start: without coord's preset it refuses every [sX] subject.
  const clFile = commitlintConfig(exists, readRel);
  const clText = clFile ? readRel(clFile) : '';
  if (clFile && !usesCoordPreset(clFile, clText))
    add({
      level: 'warn',
      message: `${clFile} (commitlint) does not skip coord's [sX] prefix: commitlint refuses every session commit (type-empty)`,
      fix: `add ${presetLine(clFile, clText)} ${presetWhere(clFile, clText)}` + (configInCode(clFile) ? '' : ' (coord init does it)'),
    });
  else if (clFile && !exists(COMMITLINT_PRESET_PATH))
    add({ level: 'warn', message: `${clFile} names ${COMMITLINT_PRESET_PATH}, which is missing`, fix: "run 'coord init'" });
  else if (clFile && readRel(COMMITLINT_PRESET_PATH) !== commitlintPresetScript())
    add({
      level: 'warn',
      message: `${COMMITLINT_PRESET_PATH} is not the preset this coord writes (edited, or from another version)`,
      fix: "run 'coord init' and commit it",
    });
  const uncommitted = worktreeStatus(
    top,
    'all',
    [
      ...HOOK_SCRIPTS,
      CONFIG_FILE,
      '.gitattributes',
      ...(lhFile ? [lhFile] : []),
      ...(clFile ? [clFile, COMMITLINT_PRESET_PATH] : []),
    ].filter(exists),
  );
  if (uncommitted.length)
    add({
      level: 'warn',
      message: `not committed: ${uncommitted.map((e) => e.path).join(', ')}; other clones' hooks and settings need them`,
      fix: `git add ${uncommitted.map((e) => e.path).join(' ')} && git commit -m "chore: onboard coord" && git push`,
    });
  // The bash scripts coord replaces, still wired in after a move: they would run beside coord's jobs.
  const oldJobs = ['check-worktree-prefix.sh', 'session-heartbeat.sh'].filter((f) => lh.includes(f));
  if (oldJobs.length)
    add({
      level: 'warn',
      message: `lefthook.yml still runs ${oldJobs.join(' and ')}, which coord replaces`,
      fix: 'delete those jobs from lefthook.yml (coord check-prefix and heartbeat do their work)',
    });
  if (!fs().existsSync(path().join(top, SCRIPT_PATH)))
    add({ level: 'warn', message: `${SCRIPT_PATH} is missing, so the hooks cannot run`, fix: "run 'coord init'" });
  const hooks = hooksDir(top);
  const notInstalled = HOOK_JOBS.filter((j) => !fs().existsSync(path().join(hooks, j.hook)));
  if (notInstalled.length) {
    const names = notInstalled.map((j) => j.hook).join(', ');
    const lost = `${listed(notInstalled.map((j) => j.guards))} ${notInstalled.length > 1 ? 'do' : 'does'} not run`;
    add({ level: 'warn', message: `no ${names} hook is installed in this clone (${lost})`, fix: `run ${lefthookInstallCommand(top)}` });
  }

  // Installed is not running: in a session worktree the hooks may not find lefthook (lefthook 1 looks in <top>/node_modules).
  const own = ctx.repo.session;
  const op = operationInProgress(ctx.repo.gitDir);
  if (own && top !== ctx.repo.mainRoot && fs().existsSync(path().join(hooks, 'commit-msg'))) {
    if (op) add({ level: 'info', message: `the hooks were not exercised: a ${op} is in progress here, and coord's jobs skip it` });
    else proveGuards(ctx, own, add);
  }

  const attributes = path().join(top, '.gitattributes');
  const attrText = fs().existsSync(attributes) ? fs().readFileSync(attributes, 'utf8') : '';
  if (withAttributes(attrText).added.length)
    add({
      level: 'warn',
      message:
        ".gitattributes does not send the coordination files to coord's merge driver: git merges them line by " +
        'line, and neighbouring rows conflict',
      fix: "run 'coord init' and commit .gitattributes",
    });
  const unset = missingSettings(top);
  if (unset.length)
    add({
      level: 'warn',
      message:
        `this clone lacks ${unset.map(([k]) => k).join(', ')}: the coordination files merge line by line ` +
        `here, and git pull refuses while the heartbeat's edit is pending`,
      fix: `git config --local ${unset[0][0]} '${unset[0][1]}' (and the rest)`,
      repair: () => {
        setUpClone(top, ctx.repo.commonDir, { force: true });
      },
    });
  // Leftovers are judged against the board: without a readable board every session would look closed.
  if (sha && boardText !== null) leftovers(ctx, board, sha, fresh, add);
  else
    add({
      level: 'warn',
      message: 'leftover worktrees and branches were not checked: the board could not be read',
      fix: 'fix the finding above, then run coord doctor again',
    });
  if (sha && boardText !== null) {
    const commits = boardHistory(
      ctx,
      board.rows.map((r) => r.row),
      false,
    ).last;
    const stale = board.rows.filter(({ row }) => stateOf(row, commits.get(row.id), ctx).state === 'stale').map((r) => r.row.id);
    if (stale.length)
      add({
        level: 'info',
        message: `stale sessions on the board: ${stale.join(', ')}`,
        fix: "'coord reap' removes them (their work is kept)",
      });
  }

  if (bool(p, 'fix')) {
    for (const f of findings) {
      if (!f.repair) continue;
      try {
        f.repair();
        f.fixed = true;
      } catch (e) {
        f.fix = `${f.fix ?? ''} (fix failed: ${e instanceof CoordError ? e.message : String(e)})`;
      }
    }
  }
  const open = findings.filter((f) => f.level !== 'info' && !f.fixed);
  const value = {
    findings: findings.map(({ level, message, fix, fixed, repair }) => ({
      level,
      message,
      fix: fix ?? null,
      fixable: !!repair,
      fixed: !!fixed,
    })),
  };
  const text = () => {
    if (!findings.length) out(green('All good: set-up complete, no leftovers.'));
    for (const f of findings) {
      const tag = f.fixed ? green('fixed') : f.level === 'error' ? red('error') : f.level === 'warn' ? yellow('warn ') : dim('info ');
      out(`${tag} ${f.message}${f.fix && !f.fixed ? `\n      → ${f.fix}${f.repair ? ' (coord doctor --fix does it)' : ''}` : ''}`);
    }
  };
  return report(value, text, open.length ? 1 : 0);
}

/**
 * Runs the installed commit-msg hook of session worktree `id` as a commit would, committing nothing: a
 * conventional subject without [id] must be refused, the same subject with it must pass.
 */
function proveGuards(ctx: Context, id: string, add: (f: Finding) => void): void {
  const { top, mainRoot, commonDir } = ctx.repo;
  const file = path().join(ctx.repo.gitDir, 'COORD_DOCTOR_MSG');
  const probe = (subject: string) => {
    fs().writeFileSync(file, `${subject}\n`);
    try {
      return runHook(top, 'commit-msg', [file], 60_000);
    } finally {
      fs().rmSync(file, { force: true });
    }
  };
  const subject = 'chore: coord doctor probe';
  const wrong = probe(subject);
  if (wrong.kind === 'unavailable') {
    add({ level: 'info', message: `the hooks were not exercised: ${wrong.why}`, fix: `commit '${subject}' here: it must be refused` });
    return;
  }
  if (wrong.kind === 'accepted') {
    const lost = /Can't find lefthook/i.test(wrong.output);
    const linkable = canLinkDependencies(mainRoot, top);
    const link = (p: string) => path().join(p, DEPS_DIR);
    add({
      level: 'error',
      message:
        `the commit-msg hook here let '${subject}' (no [${id}]) through: coord's guards and the team's hooks do not run in ` +
        `this worktree${lost ? ` (the hook says: Can't find lefthook in PATH)` : ''}`,
      fix: linkable
        ? `give the hooks the main checkout's ${DEPS_DIR}, where they look for lefthook: ln -s ${link(mainRoot)} ${link(top)}`
        : process.env.LEFTHOOK === '0'
          ? 'unset LEFTHOOK (LEFTHOOK=0 turns every hook off)'
          : `make lefthook runnable from ${top} (on PATH, or in its ${DEPS_DIR}), ` +
            `then run ${lefthookInstallCommand(mainRoot)} in ${mainRoot}`,
      repair: linkable
        ? () => {
            linkDependencies(mainRoot, top, commonDir);
          }
        : undefined,
    });
    return;
  }
  const right = probe(`[${id}] ${subject}`);
  if (right.kind === 'refused')
    add({
      level: 'warn',
      message: `the commit-msg hook here refuses '[${id}] ${subject}' too: ${lastLine(right.output)}`,
      fix: `see why: write that subject to a file and run git hook run commit-msg -- <file>`,
    });
}

/** The last line of a hook's output that says something (lefthook's colours and box drawing dropped). */
function lastLine(output: string): string {
  const lines = output
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.replace(/^[\s│┃╭╰─]+/, '').trim())
    .filter(Boolean);
  return visible(lines.at(-1) ?? 'no output'); // the team's hook wrote it: shown by the display rule
}

/** 'a', 'a and b', 'a, b and c'. */
const listed = (items: string[]): string => (items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : (items[0] ?? ''));

/** Leftovers of killed or partial runs on this machine, each with a safe repair. */
function leftovers(ctx: Context, board: Board, boardSha: string, fresh: boolean, add: (f: Finding) => void): void {
  const top = ctx.repo.top;
  const root = ctx.repo.mainRoot;
  const onBoard = (id: string) => !!findRow(board, id) || board.brokenIds.includes(id);
  const worktrees = listWorktrees(top);
  /** How many commits of `branch` are not on the board's branch; null when git cannot tell. */
  const unpublished = (branch: string): number | null => {
    try {
      return unpublishedCommits(ctx, branch).length;
    } catch {
      return null;
    }
  };

  // A start killed after publishing its claim: the note names the id, the process is gone.
  for (const note of claimNotes(ctx)) {
    if (processAlive(note.pid)) continue;
    const id = note.id;
    const hasWorktree = id !== null && worktrees.some((w) => w.branch === sessionBranch(id));
    if (id !== null && onBoard(id) && !hasWorktree) {
      add({
        level: 'warn',
        message: `${id} was claimed from this clone by a start that did not finish (no worktree)`,
        fix: `release the claim (or claim it properly: coord start)`,
        repair: () => {
          publish(ctx, (snap) => planRemoveRow(snap, id, `release unfinished claim of ${id}`));
          fs().rmSync(note.file, { force: true });
        },
      });
    } else {
      add({ level: 'info', message: `note of an interrupted start (${note.name})`, repair: () => fs().rmSync(note.file, { force: true }) });
    }
  }

  // A push coord could not confirm: the fetch above tells whether it landed.
  for (const note of unconfirmedPushes(ctx)) {
    const what = `commit ${note.sha.slice(0, 12)} (${note.subject}), whose push coord could not confirm,`;
    let landed: boolean | null;
    try {
      // Offline, the last fetch can show that it landed, never that it did not.
      landed = isAncestor(top, note.sha, boardSha) || (fresh ? false : null);
    } catch {
      landed = null;
    }
    const forget = () => fs().rmSync(note.file, { force: true });
    if (landed) add({ level: 'info', message: `${what} is on ${boardName(ctx)}: it landed`, repair: forget });
    else if (landed === false)
      add({
        level: 'warn',
        message: `${what} is not on ${boardName(ctx)}: it did not land`,
        fix: 'run the command that made it again if it is still wanted',
        repair: forget,
      });
    else
      add({
        level: 'warn',
        message: `${what} cannot be compared with ${boardName(ctx)}`,
        fix: `look for it: git branch -r --contains ${note.sha.slice(0, 12)}; then delete ${note.file}`,
      });
  }

  for (const w of worktrees) {
    if (w.dir !== root && !fs().existsSync(w.dir)) {
      add({
        level: 'warn',
        message: `git still records worktree ${w.dir}, which is gone`,
        fix: 'git worktree prune',
        repair: () => pruneWorktrees(top),
      });
      continue;
    }
    const id = sessionOfBranch(w.branch);
    if (!id || onBoard(id) || w.dir === root) continue;
    // close's own rule: a worktree is removed only when nothing in it or on its branch is the person's work.
    let losses: string[];
    try {
      losses = workAtRisk(ctx, { dir: w.dir, id, branch: w.branch, ignored: true }).map((l) =>
        l.subject === w.dir ? l.lost : lossText(l),
      );
    } catch (e) {
      losses = [`holds something that could not be checked (${(e as Error).message})`];
    }
    if (losses.length) {
      add({
        level: 'warn',
        message: `worktree ${w.dir} belongs to ${id}, which has no row on the board, and ${losses.join('; ')}`,
        fix: `save or publish what you need of it, then coord close --as ${id} (it refuses while anything would be lost; --force drops it)`,
      });
    } else {
      add({
        level: 'warn',
        message: `worktree ${w.dir} belongs to ${id}, which has no row on the board (a close that did not finish?)`,
        fix: `remove it: git worktree remove ${w.dir} && git branch -D ${w.branch}`,
        repair: () => {
          const refused = removeSessionWorktree(root, w.dir, id, false);
          if (refused) throw new CoordError(`Git would not remove ${w.dir} (${refused}): look at git status there.`);
          deleteBranch(root, w.branch!);
        },
      });
    }
  }
  for (const b of listBranches(top, sessionBranch(''))) {
    const id = sessionOfBranch(b.name);
    if (!id || onBoard(id) || worktrees.some((w) => w.branch === b.name)) continue;
    const n = unpublished(b.name);
    if (n === null || n > 0)
      add({
        level: 'info',
        message:
          `branch ${b.name} of closed session ${id} holds ` +
          `${n === null ? 'commits git could not compare' : `${n} commit(s) not`} on ${boardName(ctx)}`,
        fix: `publish or delete it yourself (git branch -D ${b.name})`,
      });
    else
      add({
        level: 'warn',
        message: `branch ${b.name} of closed session ${id} is left over (fully published)`,
        fix: `git branch -D ${b.name}`,
        repair: () => deleteBranch(top, b.name),
      });
  }
  // A directory where a session worktree would go, that git does not know: never deleted, only reported.
  for (const entry of fs().readdirSync(path().dirname(root))) {
    const id = sessionOfWorktreeName(path().basename(root), entry);
    const dir = path().join(path().dirname(root), entry);
    if (id && !worktrees.some((w) => w.dir === dir))
      add({
        level: 'warn',
        message: `${dir} looks like ${id}'s worktree but git does not know it; start skips ${id} while it is there`,
        fix: 'move it away or delete it if nothing in it is needed',
      });
  }
}
