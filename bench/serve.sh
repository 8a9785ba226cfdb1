#!/usr/bin/env bash
# advisor serve benchmarks (issue 13). From the repository root, after `make release`:
#   bench/serve.sh                      # everything below, 10 s per wrk run
#   SERVE_DURATION=5 bench/serve.sh     # shorter wrk runs
#   SERVE_ONLY=wrk|cli|startup bench/serve.sh
#
# 1. starts .build/release/advisor-serve on a free loopback port (--listen 127.0.0.1:0) with the
#    repository's advisor.yaml (the examples), once with --no-journal and once journaling into a
#    temporary journal; a temporary market cache ($ADVISOR_CACHE) in both;
# 2. wrk (bench/wrk-check.lua) against POST /v1/check?hold=false: one order at 1, 4 and 16
#    connections, then a 1,000-order CSV batch at 1 and 2 connections;
# 3. hyperfine: the same order through `advisor check` as a process (journaled and --no-journal);
# 4. start-up of `advisor --help` (hyperfine, and perf stat task-clock when perf is present),
#    the executables' sizes and ldd.
# Every figure is printed with the load average when it was taken. Never part of `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release}
DURATION=${SERVE_DURATION:-10}
ONLY=${SERVE_ONLY:-}
OUT=bench/out/serve
mkdir -p "$OUT"
for b in "$BIN/advisor" "$BIN/advisor-serve"; do
  [[ -x "$b" ]] || { echo "error: $b is missing; run 'make release'" >&2; exit 2; }
done
source bench/debian-install.sh
require_tool wrk wrk
require_tool hyperfine hyperfine

TMP=$(mktemp -d "${TMPDIR:-/tmp}/advisor-serve-bench.XXXXXX")
export ADVISOR_CACHE="$TMP/cache"
export ADVISOR_JOURNAL="$TMP/journal.sqlite"
unset ADVISOR_CONFIG ADVISOR_SERVE_TOKEN
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "== machine"
echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average: $(load)"
echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (modified)')"
echo "wrk: $(wrk -v 2>&1 | head -1)"

ORDER='{"instrument":"AAPL","side":"buy","quantity":10,"stop":150}'
# A 1,000-order batch: the example batch's orders, repeated, with client order ids of their own.
BATCH="$TMP/batch-1000.csv"
{
  echo "client_order_id,instrument,side,quantity,price,stop"
  tail -n +2 examples/orders/batch.csv | grep -v '^$' | awk -F, -v OFS=, '
    { rows[NR] = $0 } END { for (i = 0; i < 1000; i++) { split(rows[i % NR + 1], f, ","); f[1] = "b-" i;
      line = f[1]; for (k = 2; k <= 6; k++) line = line "," f[k]; print line } }'
} >"$BATCH"

start_server() { # $@: extra options
  : >"$TMP/out"
  "$BIN/advisor-serve" --listen 127.0.0.1:0 --config advisor.yaml --poll 0 --log-level error "$@" \
    >"$TMP/out" 2>"$TMP/err" &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    if grep -q "listening on http://" "$TMP/out"; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "advisor-serve exited: $(cat "$TMP/err")" >&2; exit 2; }
    sleep 0.05
  done
  PORT=$(grep -o "listening on http://[^ ]*" "$TMP/out" | sed 's/.*://')
  URL="http://127.0.0.1:$PORT"
  curl -sf "$URL/healthz" >/dev/null
}

stop_server() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

run_wrk() { # label connections body-file content-type orders
  local label=$1 c=$2 file=$3 type=$4 orders=$5 threads=$(($2 < 2 ? 1 : 2))
  local before=$(load)
  local line
  line=$(BODY_FILE=$file CONTENT_TYPE=$type ORDERS=$orders \
    wrk -t"$threads" -c"$c" -d"${DURATION}s" --latency -s bench/wrk-check.lua "$URL/v1/check?hold=false" |
    grep '^RESULT')
  printf '%-34s c=%-3s %s load: %s -> %s\n' "$label" "$c" "${line#RESULT }" "$before" "$(load)"
}

wrk_suite() { # label
  local label=$1
  printf '%s' "$ORDER" >"$TMP/order.json"
  # Warm-up: the checkers are prepared by the first request of each shape.
  BODY_FILE="$TMP/order.json" wrk -t1 -c1 -d2s -s bench/wrk-check.lua "$URL/v1/check?hold=false" >/dev/null
  for c in 1 4 16; do run_wrk "$label one order" "$c" "$TMP/order.json" application/json 1; done
  BODY_FILE="$BATCH" CONTENT_TYPE=text/csv wrk -t1 -c1 -d2s -s bench/wrk-check.lua "$URL/v1/check?hold=false" >/dev/null
  for c in 1 2; do run_wrk "$label batch of 1,000" "$c" "$BATCH" text/csv 1000; done
}

if [[ -z "$ONLY" || "$ONLY" == wrk ]]; then
  echo
  echo "== wrk, POST /v1/check?hold=false, ${DURATION} s a run"
  start_server --no-journal
  # The answer is the CLI's: one request by hand first.
  curl -s -H 'Content-Type: application/json' -d "$ORDER" "$URL/v1/check?hold=false" | head -c 300
  echo
  wrk_suite "--no-journal"
  stop_server
  start_server
  wrk_suite "journaled"
  stop_server
  echo "journal after the journaled runs: $(du -h "$ADVISOR_JOURNAL" | cut -f1)"
fi

if [[ -z "$ONLY" || "$ONLY" == cli ]]; then
  echo
  echo "== the same order through advisor check, one process each (hyperfine), load: $(load)"
  CHECK="$BIN/advisor check --instrument AAPL --side buy --quantity 10 --stop 150 --format json"
  hyperfine -N -i --warmup 3 --runs "${SERVE_CLI_RUNS:-30}" --export-json "$OUT/cli-check.json" \
    -n "advisor check --no-journal" "$CHECK --no-journal" -n "advisor check (journaled)" "$CHECK"
  echo "load after: $(load)"
fi

if [[ -z "$ONLY" || "$ONLY" == startup ]]; then
  echo
  echo "== start-up: advisor --help, load: $(load)"
  hyperfine -N --warmup 5 --runs "${SERVE_HELP_RUNS:-50}" --export-json "$OUT/help.json" \
    "$BIN/advisor --help" "$BIN/advisor-serve --help"
  if command -v perf >/dev/null && perf stat -e task-clock true 2>/dev/null; then
    perf stat -r 20 -e task-clock "$BIN/advisor" --help 2>&1 >/dev/null | grep -E "task-clock|elapsed"
    perf stat -r 20 -e task-clock "$BIN/advisor-serve" --help 2>&1 >/dev/null | grep -E "task-clock|elapsed"
  else
    echo "perf stat is not available here (perf missing or perf_event_paranoid); skipped"
  fi
  echo "load after: $(load)"
  echo
  echo "== executables"
  for b in advisor advisor-serve; do
    echo "$b: $(stat -c %s "$BIN/$b") bytes; $(ldd "$BIN/$b" | wc -l) libraries"
    ldd "$BIN/$b" | awk '{print "  " $1}'
  done
fi
