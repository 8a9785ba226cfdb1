#!/usr/bin/env bash
# advisor benchmarks (issue 8). Run from the repository root after a release build:
#   make bench                 # builds release, then runs this script
#   BENCH_QUICK=1 make bench   # fewer runs, for a smoke test
#   BENCH_SKIP_INPROCESS=1 bench/run.sh   # whole-process part only
#   BENCH_RUNS, BENCH_WARMUP (in process), BENCH_PROCESS_RUNS (hyperfine) override the run counts
#   BENCH_THREADS=1 bench/run.sh          # OpenBLAS on one thread throughout (steadier on a busy machine)
#
# 1. generates the synthetic inputs into bench/out/ (deterministic, gitignored);
# 2. in-process benchmarks (advisor-bench run): parsing, estimators (N up to 5,000, a T sweep),
#    their peak memory (bench/covariance-scale.sh), decompositions, sizing phases,
#    measured candidate speed-ups;
# 3. whole-process wall time (hyperfine) and peak memory (/usr/bin/time -v) of advisor commands;
#    commands that do not exist yet (advisor check, advisor budget) are skipped with a note.
# Results: bench/out/inprocess.tsv, bench/out/whole-process.tsv, bench/out/hyperfine/*.json.
# Never part of `swift test` / `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release}
ADVISOR="$BIN/advisor"
BENCH="$BIN/advisor-bench"
OUT=bench/out
RUNS=${BENCH_RUNS:-15}
WARMUP=${BENCH_WARMUP:-3}
PROC_RUNS=${BENCH_PROCESS_RUNS:-10}
if [[ -n "${BENCH_QUICK:-}" ]]; then RUNS=5; WARMUP=1; PROC_RUNS=3; fi
if [[ -n "${BENCH_THREADS:-}" ]]; then export OPENBLAS_NUM_THREADS=$BENCH_THREADS; fi

for b in "$ADVISOR" "$BENCH"; do
  [[ -x "$b" ]] || { echo "error: $b is missing; run 'make bench' (it builds release first)" >&2; exit 2; }
done
source bench/debian-install.sh
require_tool hyperfine hyperfine
require_tool /usr/bin/time time

mkdir -p "$OUT/hyperfine"
# The commands on the examples run as a user runs them, journaled, into a journal of the bench's own.
export ADVISOR_JOURNAL="$PWD/$OUT/journal-examples.sqlite"
echo "== machine"
echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OpenBLAS package: $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo unknown); libblas.so.3 -> $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)"
"$BENCH" blas-info
echo "swift: $(swift --version 2>&1 | head -1)"
echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (modified)')"
echo "note: 2 cores shared with other engineers' builds; read ratios and medians, not single runs."

echo
echo "== inputs"
"$BENCH" generate --out "$OUT"

echo
if [[ -z "${BENCH_SKIP_INPROCESS:-}" ]]; then
  echo "== in process (advisor-bench run: $WARMUP warm-up, up to $RUNS timed runs per case)"
  "$BENCH" run --out "$OUT" --warmup "$WARMUP" --runs "$RUNS" --tsv "$OUT/inprocess.tsv" 2>/dev/null
  echo
  echo "== covariance at scale: peak RSS of one estimate per process (bench/covariance-scale.sh)"
  if [[ -n "${BENCH_QUICK:-}" ]]; then COV_SIZES="500 2000" COV_T_SWEEP="" bench/covariance-scale.sh; else bench/covariance-scale.sh; fi
else
  echo "== in process: skipped (BENCH_SKIP_INPROCESS)"
fi

echo
echo "== whole process (hyperfine: 3 warm-up, $PROC_RUNS runs; peak RSS from /usr/bin/time -v, median of 3)"
SUMMARY="$OUT/whole-process.tsv"
printf 'case\tcommand\tmedian_s\tmin_s\tmax_s\tstddev_s\truns\tmax_rss_kb\tnote\n' >"$SUMMARY"

peak_rss() { # median max RSS (kB) over 3 runs
  local r=() f="$OUT/time-v.txt"
  for _ in 1 2 3; do
    /usr/bin/time -v -o "$f" "$@" >/dev/null 2>/dev/null || true
    r+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$f")")
  done
  printf '%s\n' "${r[@]}" | sort -n | sed -n 2p
}

# time_case NAME EXPECTED_EXIT_CODES COMMAND...: hyperfine + peak RSS, one line in the summary.
time_case() {
  local name=$1 codes=$2
  shift 2
  local rc=0
  "$@" >/dev/null 2>"$OUT/$name.stderr" || rc=$?
  if [[ ",$codes," != *",$rc,"* ]]; then
    echo "  $name: SKIPPED, exit code $rc (expected $codes): $(head -c 300 "$OUT/$name.stderr")"
    printf '%s\t%s\t\t\t\t\t\t\tskipped: exit %s\n' "$name" "$*" "$rc" >>"$SUMMARY"
    return 0
  fi
  local ignore=()
  [[ $rc -ne 0 ]] && ignore=(-i)
  hyperfine -N "${ignore[@]}" --warmup 3 --runs "$PROC_RUNS" --style none \
    --export-json "$OUT/hyperfine/$name.json" --command-name "$name" "$(printf '%q ' "$@")" \
    >/dev/null 2>"$OUT/hyperfine/$name.log"
  grep -q "outliers" "$OUT/hyperfine/$name.log" && echo "  $name: hyperfine saw statistical outliers (shared machine)"
  local rss
  rss=$(peak_rss "$@")
  "$BENCH" summarize-hyperfine "$OUT/hyperfine/$name.json" --rss-kb "$rss" --command "$*" >>"$SUMMARY"
  echo "  $name: done (exit $rc)"
}

skip_case() {
  echo "  $1: SKIPPED: $2"
  printf '%s\t\t\t\t\t\t\t\tskipped: %s\n' "$1" "$2" >>"$SUMMARY"
}

# `advisor NAME --help` alone is not enough: for an unknown NAME, ArgumentParser prints the root
# help and exits 0. The subcommand exists when its help succeeds and shows its own usage line.
has_subcommand() {
  local help
  help=$("$ADVISOR" "$1" --help 2>&1) && grep -q "USAGE: advisor $1" <<<"$help"
}

PANEL="$OUT/panel_500x2520.csv"
BOOK="$OUT/book50"

# Process start alone: the floor under every command.
time_case start "0" "$ADVISOR" --help
# advisor risk on the 500 × 2,520 panel, Ledoit–Wolf on every return (2,519), text and JSON.
time_case risk-lw-500 "0" "$ADVISOR" risk --market "$PANEL" --estimator ledoit-wolf --lookback 2519
time_case risk-lw-500-json "0" "$ADVISOR" risk --market "$PANEL" --estimator ledoit-wolf --lookback 2519 --format json
# The S&P 500 panel (real data, 471 × 1,440).
time_case risk-lw-sp500 "0" "$ADVISOR" risk --market data/panels/sp500_471.csv --estimator ledoit-wolf --lookback 1439
# advisor size on the examples (make demo), and on the 50-stock book.
time_case size-btc "0" "$ADVISOR" size --instrument BTC --regime volatile
time_case size-book50 "0" "$ADVISOR" size --config "$BOOK/advisor.yaml" --instrument BK07 --regime normal

# The same with OpenBLAS on one thread: on 2 shared cores a second BLAS thread often waits for a busy core.
time_case start-1thread "0" env OPENBLAS_NUM_THREADS=1 "$ADVISOR" --help
time_case risk-lw-500-1thread "0" env OPENBLAS_NUM_THREADS=1 "$ADVISOR" risk --market "$PANEL" --estimator ledoit-wolf \
  --lookback 2519
time_case size-btc-1thread "0" env OPENBLAS_NUM_THREADS=1 "$ADVISOR" size --instrument BTC --regime volatile

# advisor check (issue 5): skipped until the subcommand exists. Exit 1 (an order failed) still counts as a run.
if has_subcommand check; then
  time_case check-one "0,1" "$ADVISOR" check --instrument BTC --side buy --quantity 0.01 --stop 55000 --regime volatile
  time_case check-one-book50 "0,1" "$ADVISOR" check --config "$BOOK/advisor.yaml" --instrument BK07 --side buy \
    --quantity 10 --stop 180 --regime normal
  time_case check-batch-100k "0,1" "$ADVISOR" check --config "$BOOK/advisor.yaml" --orders "$BOOK/orders.csv" \
    --regime normal --format json
  # The journal (issue 12): the same checks recorded (the book's advisor.yaml names no journal).
  # One journal per case, kept between hyperfine's runs (a journal with history, hashes cached).
  rm -f "$OUT"/journal-*.sqlite*
  time_case check-one-book50-journal "0,1" "$ADVISOR" check --config "$BOOK/advisor.yaml" --instrument BK07 --side buy \
    --quantity 10 --stop 180 --regime normal --journal "$OUT/journal-one.sqlite"
  time_case check-batch-100k-journal "0,1" "$ADVISOR" check --config "$BOOK/advisor.yaml" --orders "$BOOK/orders.csv" \
    --regime normal --format json --journal "$OUT/journal-batch.sqlite"
  ls -l "$OUT"/journal-batch.sqlite* 2>/dev/null | awk '{print "  journal after the batch runs: " $5 " bytes " $9}'
else
  for c in check-one check-one-book50 check-batch-100k check-one-book50-journal check-batch-100k-journal; do
    skip_case "$c" "no 'advisor check' subcommand yet (issue 5)"
  done
fi

# advisor budget (issue 6): skipped until the subcommand exists.
if has_subcommand budget; then
  time_case budget-examples "0" "$ADVISOR" budget
  # New-portfolio mode: every instrument of the panel (its header, minus the date column).
  SP500_SYMBOLS=$(head -1 data/panels/sp500_471.csv | cut -d, -f2- | tr -d '\r"')
  PANEL_SYMBOLS=$(head -1 "$PANEL" | cut -d, -f2- | tr -d '\r"')
  time_case budget-sp500 "0" "$ADVISOR" budget --market data/panels/sp500_471.csv --instruments "$SP500_SYMBOLS" \
    --estimator ledoit-wolf --lookback 1439 --format json
  time_case budget-500 "0" "$ADVISOR" budget --market "$PANEL" --instruments "$PANEL_SYMBOLS" --estimator ledoit-wolf \
    --lookback 2519 --format json
else
  for c in budget-examples budget-sp500 budget-500; do
    skip_case "$c" "no 'advisor budget' subcommand yet (issue 6)"
  done
fi

echo
"$BENCH" report-whole-process "$SUMMARY"
echo
echo "results: $OUT/inprocess.tsv, $SUMMARY, $OUT/hyperfine/; Python peers: bench/peers.sh"
echo
echo "== the table of issue 16 (bench/issue16.sh): start-up, aum, size, check, budget vs Python, risk JSON vs text, 1M orders"
if [[ -n "${BENCH_QUICK:-}" ]]; then ISSUE16_QUICK=1 bench/issue16.sh; else bench/issue16.sh; fi
