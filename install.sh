#!/bin/sh
# Install coord into the git repository you are standing in. From a clone of coord:
#
#   sh /path/to/coord/install.sh                      (takes coord.mjs from the clone's dist/)
#   sh /path/to/coord/install.sh <init options>       (passed on to `coord init`)
#
# From anywhere else, name where coord.mjs and coord.mjs.sha256 are, as a directory, a
# file:// URL or an http(s) URL:
#
#   COORD_BASE_URL=/path/to/coord/dist sh install.sh
#   curl -fsSL <base>/install.sh | COORD_BASE_URL=<base>/dist sh
#
# The source is COORD_BASE_URL when set, else the dist/ directory beside this script when
# there is one, else COORD_DEFAULT_BASE_URL below. It checks coord.mjs against its sha256 and
# runs that checked copy's `init` with Node (>= 18), or with Deno 2 when Node is missing: init
# places it at infrastructure/scripts/coord.mjs, exactly as `npx coord init` does.
# Exit codes: 0 installed and initialised; 1 failed (one line on stderr says why).
# POSIX sh: keep it free of bashisms (checked with `dash -n`).

set -u

# Where a published copy of this script downloads coord from when nothing else is named: the
# URL of the directory that serves dist/coord.mjs and dist/coord.mjs.sha256. Empty until coord
# is published somewhere; whoever publishes it sets this one line.
COORD_DEFAULT_BASE_URL=""

COORD_DEST="infrastructure/scripts/coord.mjs"

tmp_dir=""

say() {
  printf 'coord install: %s\n' "$*"
}

die() {
  printf 'coord install: error: %s\n' "$*" >&2
  exit 1
}

cleanup() {
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

# Sets source_kind (dir or url) and base_url (a directory's absolute path, or a URL) from
# COORD_BASE_URL, else a dist/ beside this script (run as `sh <clone>/install.sh`), else the
# default. Relative directories are taken from where the script was started.
pick_source() {
  base_url=${COORD_BASE_URL:-}
  if [ -n "$base_url" ]; then
    source_why="COORD_BASE_URL"
  else
    script_dist=""
    case $0 in
      */*) script_dist="${0%/*}/dist" ;;
      *) if [ -f "$0" ]; then script_dist="dist"; fi ;;
    esac
    if [ -n "$script_dist" ] && [ -f "$script_dist/coord.mjs" ] && [ -f "$script_dist/coord.mjs.sha256" ]; then
      base_url=$script_dist
      source_why="the dist/ beside install.sh"
    elif [ -n "$COORD_DEFAULT_BASE_URL" ]; then
      base_url=$COORD_DEFAULT_BASE_URL
      source_why="the default"
    else
      die "no source for coord.mjs: run the install.sh of a clone of coord (sh /path/to/coord/install.sh), or set COORD_BASE_URL to a directory or URL that holds coord.mjs and coord.mjs.sha256."
    fi
  fi
  case $base_url in
    file://*)
      source_kind="dir"
      base_url=${base_url#file://}
      base_url=${base_url#localhost}
      case $base_url in
        /*) ;;
        *) die "COORD_BASE_URL=$COORD_BASE_URL is not a file:// URL of an absolute path (file:///path/to/dist). Fix it, then run this again." ;;
      esac
      ;;
    *://*) source_kind="url" ;;
    *) source_kind="dir" ;;
  esac
  if [ "$source_kind" = dir ]; then
    [ -d "$base_url" ] || die "$base_url (from $source_why) is not a directory. Point COORD_BASE_URL at the dist/ directory of a clone of coord, then run this again."
    base_url=$(cd -P -- "$base_url" && pwd) || die "could not enter $base_url. Check its permissions, then run this again."
  fi
  base_url=${base_url%/}
}

# copy_in FILE DEST: take a file from the source directory, or die with one line naming it.
copy_in() {
  [ -f "$base_url/$1" ] || die "there is no $1 in $base_url. Point COORD_BASE_URL at a directory holding coord.mjs and coord.mjs.sha256 (a clone's dist/; npm run build makes them), then run this again."
  cp "$base_url/$1" "$2" || die "could not copy $base_url/$1. Check its permissions, then run this again."
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
    if [ "$source_kind" = dir ]; then mismatch_fix="The two files in $base_url are not of one build: run npm run build there (or git checkout dist), then run this again."
    else mismatch_fix="Retry later, or report it if it persists."; fi
    die "checksum mismatch for $base_url/coord.mjs (sha256 expected $expected, got $actual); nothing was installed. $mismatch_fix"
  fi
}

run_init() {
  cd "$repo_top" || die "could not cd into $repo_top."
  say "running: $run_cmd coord.mjs init${init_flags:+ $init_flags}${*:+ $*} (the checked copy; init places it at $COORD_DEST)"
  # Under `curl | sh` stdin is this script itself: keep init from reading it.
  if [ -t 0 ]; then
    $run_cmd "$tmp_dir/coord.mjs" init $init_flags "$@"
  else
    $run_cmd "$tmp_dir/coord.mjs" init $init_flags "$@" </dev/null
  fi
  init_rc=$?
  if [ "$init_rc" -ne 0 ]; then
    die "'init' failed (exit $init_rc). Fix what it reported above, then run this again."
  fi
  [ -f "$COORD_DEST" ] || die "'init' exited 0 but placed no $COORD_DEST: $base_url/coord.mjs is not coord. Check COORD_BASE_URL, then run this again."
}

main() {
  trap cleanup EXIT
  trap 'exit 1' HUP INT TERM

  find_repo_top
  pick_runtime
  pick_source
  if [ "$source_kind" = url ]; then pick_downloader; fi
  pick_hasher
  say "repository $repo_top"

  tmp_dir=$(mktemp -d 2>/dev/null) || tmp_dir=""
  [ -n "$tmp_dir" ] || die "could not create a temporary directory (mktemp -d). Check TMPDIR, then run this again."

  if [ "$source_kind" = url ]; then
    fetch "$base_url/coord.mjs" "$tmp_dir/coord.mjs"
    fetch "$base_url/coord.mjs.sha256" "$tmp_dir/coord.mjs.sha256"
    say "downloaded $base_url/coord.mjs with $downloader"
  else
    copy_in coord.mjs "$tmp_dir/coord.mjs"
    copy_in coord.mjs.sha256 "$tmp_dir/coord.mjs.sha256"
    say "copied $base_url/coord.mjs (from $source_why)"
  fi
  verify
  say "sha256 ok ($actual)"

  run_init "$@"
  say "done. Commands: $run_cmd $COORD_DEST --help"
}

# The whole script is read before main runs, so a cut-off download never half-runs.
main "$@"
