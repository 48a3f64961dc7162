#!/bin/sh
# Install coord into the git repository you are standing in:
#
#   curl -fsSL https://raw.githubusercontent.com/coord-dev/coord/main/install.sh | sh
#   curl -fsSL .../install.sh | sh -s -- <init options>     (passed on to `coord init`)
#
# It downloads coord.mjs and coord.mjs.sha256 from COORD_BASE_URL (default below),
# checks the sha256, places the file at infrastructure/scripts/coord.mjs and runs
# `coord.mjs init` with Node (>= 18), or with Deno 2 when Node is missing.
# Exit codes: 0 installed and initialised; 1 failed (one line on stderr says why).
# POSIX sh: keep it free of bashisms (checked with `dash -n`).

set -u

COORD_DEFAULT_BASE_URL="https://raw.githubusercontent.com/coord-dev/coord/main/dist"

COORD_DEST="infrastructure/scripts/coord.mjs"

tmp_dir=""
partial_file=""

say() {
  printf 'coord install: %s\n' "$*"
}

die() {
  printf 'coord install: error: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  if [ -n "$partial_file" ]; then rm -f "$partial_file"; fi
  if [ -n "$tmp_dir" ]; then rm -rf "$tmp_dir"; fi
}

have() {
  command -v "$1" >/dev/null 2>&1
}

find_repo_top() {
  have git || die "git is not on PATH. Install git, then run this again from inside your repository."
  repo_top=$(git rev-parse --show-toplevel 2>/dev/null)
  if [ -z "$repo_top" ]; then
    die "$(pwd) is not inside a git work tree. cd into your repository (or run 'git init' first), then run this again."
  fi
}

# Sets run_cmd to the command that runs a .mjs file (node, or deno when node is absent or too old).
pick_runtime() {
  node_found=""
  init_flags=""
  if have node; then
    node_found=$(node --version 2>/dev/null)
    if node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' >/dev/null 2>&1; then
      run_cmd="node"
      return 0
    fi
  fi
  if have deno; then
    deno_found=$(deno --version 2>/dev/null)
    case $deno_found in
      "deno 0."* | "deno 1."*) ;;
      *)
        run_cmd="deno run -A"
        init_flags="--deno"
        return 0
        ;;
    esac
  fi
  if [ -n "$node_found" ]; then
    die "coord needs Node >= 18 or Deno 2, found Node $node_found. Upgrade Node (https://nodejs.org), then run this again."
  fi
  die "coord needs Node >= 18 or Deno 2 and neither is on PATH. Install Node (https://nodejs.org), then run this again."
}

pick_downloader() {
  if have curl; then
    downloader="curl"
  elif have wget; then
    downloader="wget"
  else
    die "neither curl nor wget is on PATH. Install one of them, then run this again."
  fi
}

pick_hasher() {
  if have sha256sum; then
    hasher="sha256sum"
  elif have shasum; then
    hasher="shasum"
  elif have openssl; then
    hasher="openssl"
  else
    die "no sha256 tool on PATH (sha256sum, shasum or openssl). Install one of them, then run this again."
  fi
}

# fetch URL FILE: download or die with one line naming the URL and the reason.
fetch() {
  fetch_err="$tmp_dir/fetch.err"
  if [ "$downloader" = curl ]; then
    if curl -fsSL -o "$2" "$1" 2>"$fetch_err"; then return 0; fi
    fetch_rc=$?
    fetch_why=$(tr '\r\n' '  ' <"$fetch_err")
    fetch_why=${fetch_why% }
    [ -n "$fetch_why" ] || fetch_why="curl exit $fetch_rc"
  else
    if wget -q -O "$2" "$1" 2>"$fetch_err"; then return 0; fi
    fetch_rc=$?
    case $fetch_rc in
      4) fetch_why="wget: network failure" ;;
      5) fetch_why="wget: TLS verification failed" ;;
      8) fetch_why="wget: the server answered with an HTTP error" ;;
      *) fetch_why="wget exit $fetch_rc" ;;
    esac
  fi
  die "could not download $1 ($fetch_why). Check your network and COORD_BASE_URL, then run this again."
}

# sha256_of FILE: print the lowercase hex digest.
sha256_of() {
  case $hasher in
    sha256sum) hash_out=$(sha256sum "$1") || return 1; hash_out=${hash_out%% *} ;;
    shasum) hash_out=$(shasum -a 256 "$1") || return 1; hash_out=${hash_out%% *} ;;
    openssl) hash_out=$(openssl dgst -sha256 "$1") || return 1; hash_out=${hash_out##* } ;;
  esac
  printf '%s\n' "$hash_out" | tr 'ABCDEF' 'abcdef'
}

verify() {
  expected=""
  read -r expected _rest <"$tmp_dir/coord.mjs.sha256" || :
  expected=$(printf '%s' "$expected" | tr -d '\r' | tr 'ABCDEF' 'abcdef')
  case $expected in
    "" | *[!0-9a-f]*) expected_ok="" ;;
    *) expected_ok="yes" ;;
  esac
  if [ -z "$expected_ok" ] || [ "${#expected}" -ne 64 ]; then
    die "$base_url/coord.mjs.sha256 does not hold a sha256 digest. Check COORD_BASE_URL, then run this again."
  fi
  actual=$(sha256_of "$tmp_dir/coord.mjs") || die "could not compute the sha256 of the download with $hasher."
  if [ "$actual" != "$expected" ]; then
    die "checksum mismatch for $base_url/coord.mjs (sha256 expected $expected, got $actual); nothing was installed. Retry later, or report it if it persists."
  fi
}

place() {
  dest="$repo_top/$COORD_DEST"
  dest_dir=${dest%/*}
  if [ -e "$dest" ]; then place_verb="updated"; else place_verb="installed"; fi
  mkdir -p "$dest_dir" || die "could not create $dest_dir. Check its permissions, then run this again."
  partial_file="$dest.partial.$$"
  if ! cp "$tmp_dir/coord.mjs" "$partial_file" || ! chmod +x "$partial_file" || ! mv -f "$partial_file" "$dest"; then
    die "could not write $dest. Check its permissions, then run this again."
  fi
  partial_file=""
  say "$place_verb $COORD_DEST"
}

run_init() {
  cd "$repo_top" || die "could not cd into $repo_top."
  say "running: $run_cmd $COORD_DEST init${init_flags:+ $init_flags}${*:+ $*}"
  # Under `curl | sh` stdin is this script itself: keep init from reading it.
  if [ -t 0 ]; then
    $run_cmd "$COORD_DEST" init $init_flags "$@"
  else
    $run_cmd "$COORD_DEST" init $init_flags "$@" </dev/null
  fi
  init_rc=$?
  if [ "$init_rc" -ne 0 ]; then
    die "coord.mjs is in place at $COORD_DEST but 'init' failed (exit $init_rc). Fix what it reported above, then run: $run_cmd $COORD_DEST init${init_flags:+ $init_flags}"
  fi
}

main() {
  trap cleanup EXIT
  trap 'exit 1' HUP INT TERM

  base_url=${COORD_BASE_URL:-$COORD_DEFAULT_BASE_URL}
  base_url=${base_url%/}

  find_repo_top
  pick_runtime
  pick_downloader
  pick_hasher
  say "repository $repo_top"

  tmp_dir=$(mktemp -d 2>/dev/null) || tmp_dir=""
  [ -n "$tmp_dir" ] || die "could not create a temporary directory (mktemp -d). Check TMPDIR, then run this again."

  fetch "$base_url/coord.mjs" "$tmp_dir/coord.mjs"
  fetch "$base_url/coord.mjs.sha256" "$tmp_dir/coord.mjs.sha256"
  say "downloaded $base_url/coord.mjs with $downloader"
  verify
  say "sha256 ok ($actual)"

  place
  run_init "$@"
  say "done. Commands: $run_cmd $COORD_DEST --help"
}

# The whole script is read before main runs, so a cut-off download never half-runs.
main "$@"
