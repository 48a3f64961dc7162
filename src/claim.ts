// Claiming a session and making its worktree: what `start` does, and Claude Code's
// WorktreeCreate hook too. Race-safe through the one publish path; the id is noted in the git
// dir until the worktree exists, so an interrupted claim is found by doctor.
import { SCRIPTS_DIR, type Snapshot } from './blackboard.js';
import type { Context } from './context.js';
import { CoordError } from './errors.js';
import { addWorktree, GitError, listBranches } from './git.js';
import { planClaim, planRemoveRow } from './plans.js';
import { publish, UnconfirmedPush, type Published } from './publish.js';
import { copyIncluded, DEPS_DIR, linkDependencies, markClaim, missingScriptsWarning, writeClaimRecord } from './session.js';
import { setUpClone } from './clonesetup.js';
import { crashPoint, fs, path } from './sys.js';
import type { SessionRow } from './protocol/board.js';
import { BOARD_PATH, sessionBranch, sessionOfBranch, sessionOfWorktreeName, sessionWorktree, WORKTREE_INCLUDE } from './protocol/layout.js';
import { stamp } from './protocol/stamp.js';

export interface ClaimRequest {
  wanted?: string;
  name?: string;
  scope: string;
  riff?: string;
}
export interface Claimed {
  row: SessionRow;
  dir: string;
  branch: string;
  sha: string;
  copied: string[];
  configured: string[];
  /** Whether the worktree got coord's link to the main checkout's node_modules (its hooks look there). */
  linked: boolean;
}

/**
 * Claims the lowest free id (or `wanted`) and makes `../<repo>-<id>` on `session-<id>`.
 * `warn` gets one line per thing worth saying that does not stop the claim. With
 * `releaseOnFailure`, a worktree that cannot be made takes the claim back off the board.
 */
export function claimSession(ctx: Context, req: ClaimRequest, warn: (line: string) => void, releaseOnFailure = false): Claimed {
  // Ids whose branch or worktree directory already exists here are skipped: a leftover never gets reused silently.
  const root = ctx.repo.mainRoot;
  const leftovers = new Set<string>();
  for (const b of listBranches(ctx.repo.top, sessionBranch(''))) {
    const id = sessionOfBranch(b.name);
    if (id) leftovers.add(id);
  }
  for (const entry of fs().readdirSync(path().dirname(root))) {
    const id = sessionOfWorktreeName(path().basename(root), entry);
    if (id) leftovers.add(id);
  }
  let claim: Published<SessionRow>;
  let missing: string[] = [];
  try {
    const plan = (snap: Snapshot) => {
      snap.preload([BOARD_PATH, SCRIPTS_DIR]); // the hook scripts' folder comes with the board
      missing = snap.missingScripts();
      return planClaim(snap, { ...req, branch: ctx.cfg.branch, leftovers, now: stamp() });
    };
    // The id is noted before the claim can land, so a start killed after it is found by doctor.
    claim = publish(ctx, plan, { beforePush: (row) => markClaim(ctx, row.id) });
  } catch (e) {
    if (e instanceof UnconfirmedPush) {
      // The claim may be on the board with no worktree: the note stays, so coord doctor finds it.
      throw new CoordError(
        `${e.message} This clone keeps a note of the claim: coord doctor says whether it is on the board without a ` +
          'worktree, and coord doctor --fix releases it; then run coord start again.',
      );
    }
    markClaim(ctx, null); // nothing was published: no claim to remember
    throw e;
  }
  const row = claim.value;
  const dir = sessionWorktree(root, row.id);
  const branch = sessionBranch(row.id);
  try {
    crashPoint('before-worktree');
    addWorktree(ctx.repo.top, dir, branch, claim.sha!);
  } catch (e) {
    if (releaseOnFailure) {
      publish(ctx, (snap) => planRemoveRow(snap, row.id, `release ${row.id}: its worktree could not be made`));
      markClaim(ctx, null);
      const why = e instanceof GitError ? e.detail : (e as Error).message;
      throw new CoordError(`Creating the worktree ${dir} failed (${why}); the claim of ${row.id} was taken back, nothing is left claimed.`);
    }
    if (!(e instanceof GitError)) throw e;
    throw new CoordError(
      `Claimed ${row.id} on the board, but creating the worktree failed (${e.detail}). ` +
        `Make it yourself: git worktree add --no-track -b ${branch} ${dir} ${claim.sha!.slice(0, 12)} — or release ` +
        `the claim: coord close --as ${row.id}.`,
    );
  }
  crashPoint('after-worktree');
  recordClaim(dir, row, warn);
  if (missing.length) warn(missingScriptsWarning(ctx, missing));
  markClaim(ctx, null);
  let configured: string[] = [];
  try {
    configured = setUpClone(ctx.repo.top, ctx.repo.commonDir);
  } catch (e) {
    warn(`coord: could not set this clone up to merge the coordination files (${(e as Error).message}): run coord doctor --fix.`);
  }
  let copied: string[] = [];
  try {
    copied = copyIncluded(root, dir, warn);
  } catch (e) {
    warn(
      `coord: ${row.id} is claimed and its worktree made, but copying the files ${WORKTREE_INCLUDE} names failed ` +
        `(${(e as Error).message}): copy them by hand.`,
    );
  }
  let linked = false;
  try {
    linked = linkDependencies(root, dir, ctx.repo.commonDir);
  } catch (e) {
    warn(
      `coord: the hooks in ${dir} may not find lefthook or the team's tools: linking the main checkout's ${DEPS_DIR} failed ` +
        `(${(e as Error).message}). Link it by hand once git ignores the link: ` +
        `ln -s ${path().join(root, DEPS_DIR)} ${path().join(dir, DEPS_DIR)}`,
    );
  }
  return { row, dir, branch, sha: claim.sha!, copied, configured, linked };
}

/** Leaves the claim in the new worktree's git dir, where verbs and hooks read it without the network (protocol/seat.ts). */
function recordClaim(dir: string, row: SessionRow, warn: (line: string) => void): void {
  try {
    writeClaimRecord(dir, { id: row.id, claimed: row.claimed, name: row.name });
  } catch (e) {
    // Without the record the session works as one claimed before coord kept it: no fence, nothing else lost.
    warn(`coord: ${row.id} could not keep its claim in its git dir (${(e as Error).message}): a reap of its seat will not stop it.`);
  }
}
