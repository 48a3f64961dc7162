// The post-commit hook's fast path: a POSIX sh script (with one awk) that does what
// `coord heartbeat` does — set this session's presence stamp to the new commit's time, in the
// working tree only, never backwards — for the board shape coord itself writes, and leaves
// everything else to coord (exit 1). Built from the board's rules (board.ts: the cells, the
// presence cell's text; stamp.ts: the calendar), so the two agree; an agreement test runs
// both over generated boards, layouts and commit times (test/unit/heartbeat-guard.test.mjs).
import { CELLS } from './board.js';
import { BOARD_PATH, sessionBranch } from './layout.js';
import { SH_COMMON_DIR, SH_GIT_DIR, shInProgress, shSessionOfHead } from './sh.js';
import { CLAIM_RECORD } from './seat.js';

const D = '[0-9]';
/** The presence cell as coord writes it, around the stamp: ` <stamp> · ` or ` <stamp> · <note> `. */
const STAMP_ERE = `${D}${D}${D}${D}-${D}${D}-${D}${D}T${D}${D}:${D}${D}Z`;

/**
 * The script. Exit 0: done (the stamp written, or nothing to do: not a session, an operation
 * in progress, already this minute). Exit 1: not sure — `coord heartbeat` runs and decides.
 */
export function heartbeatScript(): string {
  const cells = CELLS.length; // a row: this many cells, so this many + 1 pipes
  const presence = CELLS.indexOf('presence') + 2; // awk's split field of the presence cell (field 1 is before the first pipe)
  const claimed = CELLS.indexOf('claimed') + 2;
  const identity = CELLS.indexOf('identity') + 2;
  // The board and each folder above it: a symbolic link among them is coord's to refuse (writeHazard in host.ts).
  const onTheWay = BOARD_PATH.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  return `#!/bin/sh
# coord's post-commit fast path, written by 'coord init' from coord's board rule: do not
# edit (run 'coord init' again). Moves this session's presence stamp on the board in the
# working tree to the commit's time, as 'coord heartbeat' does. Exit 0: done, or nothing to
# do. Exit 1: let 'coord heartbeat' do it (a board or a repository in another shape, or a
# board that is, or lies under, a symbolic link: coord never writes through one).
${SH_GIT_DIR}
${shInProgress('exit 0')}
${shSessionOfHead('id', '[ -z "\${COORD_SESSION:-}" ] && exit 0; exit 1')}
f=${BOARD_PATH}
for p in ${onTheWay.join(' ')}; do [ -h "$p" ] && exit 1; done
[ -f "$f" ] || exit 1
${SH_COMMON_DIR}
[ -f "$c/refs/heads/${sessionBranch('')}$id" ] || exit 1
IFS= read -r sha < "$c/refs/heads/${sessionBranch('')}$id" || exit 1
case $sha in *[!0123456789abcdef]*) exit 1 ;; esac
[ \${#sha} -eq 40 ] || [ \${#sha} -eq 64 ] || exit 1
[ -f "$d/logs/HEAD" ] || exit 1
r=$(tail -n 1 "$d/logs/HEAD") || exit 1
[ \${#r} -lt 8000 ] || exit 1
case $r in *'	'*) ;; *) exit 1 ;; esac
old=\${r%% *}
case $old in ''|*[!0123456789abcdef]*) exit 1 ;; esac
new=\${r#* }; new=\${new%% *}
[ "$new" = "$sha" ] || exit 1
r=\${r%%'	'*}
case $r in *'> '*) ;; *) exit 1 ;; esac
r=\${r##*'> '}
t=\${r%% *}
z=\${r#* }
case $t in ''|*[!0123456789]*|???????????*) exit 1 ;; esac
case $z in [+-][0-9][0-9][0-9][0-9]) ;; *) exit 1 ;; esac
# The worktree's claim (seat.ts): the row is written only when it is still that claim; anything else is coord's to judge.
rc= rn=
if [ -e "$d/${CLAIM_RECORD}" ]; then
  IFS='\t' read -r ri rc rn < "$d/${CLAIM_RECORD}" || exit 1
  [ "$ri" = "$id" ] && [ -n "$rc" ] && [ -n "$rn" ] || exit 1
fi
awk -v id="$id" -v t="$t" -v f="$f" -v rc="$rc" -v rn="$rn" '
function civil(z,  era, doe, yoe, doy, mp, d, m) {
  z += 719468; era = int(z / 146097); doe = z - era * 146097
  yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
  doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
  mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
  m = mp < 10 ? mp + 3 : mp - 9
  return sprintf("%04d-%02d-%02d", yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
}
BEGIN {
  mins = int(t / 60); days = int(mins / 1440); mn = mins - days * 1440
  stamp = civil(days) sprintf("T%02d:%02dZ", int(mn / 60), mn % 60)
  RS = "\\001"
  if ((getline all < f) <= 0) exit 3
  if ((getline more < f) > 0) exit 3
  close(f)
  if (index(all, "\\r") || index(all, "\\\\")) exit 3
  n = split(all, L, "\\n")
  if (L[n] != "") exit 3
  n--
  at = 0
  for (i = 1; i <= n; i++) {
    p = index(L[i], "|"); if (!p) continue
    cell = substr(L[i], p + 1); q = index(cell, "|"); if (q) cell = substr(cell, 1, q - 1)
    if (cell ~ (id "([^A-Z]|$)")) { if (at) exit 3; at = i }
  }
  if (!at) exit 3
  row = L[at]
  if (index(row, "| " id " \\302\\267 ") != 1 || substr(row, length(row)) != "|") exit 3
  if (split(row, C, "|") != ${cells + 2}) exit 3
  if (rc != "" && (C[${claimed}] != " " rc " " || C[${identity}] != " " id " \\302\\267 " rn " ")) exit 3
  cur = C[${presence}]
  if (cur !~ /^ ${STAMP_ERE} \\302\\267 $/ && cur !~ /^ ${STAMP_ERE} \\302\\267 [!-~](.*[!-~])? $/) exit 3
  was = substr(cur, 2, 17)
  if (was == stamp) exit 0
  if (was > stamp) exit 3
  C[${presence}] = " " stamp substr(cur, 19)
  row = C[1]; for (k = 2; k <= ${cells + 2}; k++) row = row "|" C[k]
  L[at] = row
  for (i = 1; i <= n; i++) printf "%s\\n", L[i] > f
  close(f)
  exit 0
}' || exit 1
exit 0
`;
}
