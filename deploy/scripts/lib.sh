# shellcheck shell=bash
# Helpers shared by the deploy step scripts (sourced, not run).

log() { printf '%s\n' "$*" >&2; }

# die EXIT_CODE MESSAGE: one line that says what failed and what to do.
die() {
  local code=$1
  shift
  printf 'error: %s\n' "$*" >&2
  exit "$code"
}

# need FLAG VALUE: a required flag.
need() { [[ -n "${2:-}" ]] || die 2 "$1 is required (see --help)"; }

# output NAME VALUE: a step output for GitHub Actions (when running there) and a line on stdout.
output() {
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; fi
  printf '%s=%s\n' "$1" "$2"
}

group() { if [[ -n "${GITHUB_ACTIONS:-}" ]]; then echo "::group::$*"; else log "== $*"; fi; }
endgroup() { if [[ -n "${GITHUB_ACTIONS:-}" ]]; then echo "::endgroup::"; fi; }

SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034  # used by the scripts that source this file
SERVICE_STATE=("${NODE:-node}" "$SCRIPTS_DIR/service-state.ts")
