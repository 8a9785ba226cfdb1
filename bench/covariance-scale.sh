#!/usr/bin/env bash
# Covariance estimators at scale (issue 16): peak memory of one estimate per process, for
# N = 500, 1,000, 2,000, 5,000 synthetic instruments at T = 2,520 (and the T sweep at N = 1,000).
#   bench/covariance-scale.sh                  # from the repository root, after a release build
#   COV_SIZES="2000 5000" COV_T_SWEEP="" bench/covariance-scale.sh
# Each line runs `advisor-bench estimate-once` under /usr/bin/time -v: the returns alone
# (method none: the T × N input, 8·T·N bytes), the floor (demeaned copy + SymmetricMatrix.gram)
# and each estimator; "over input" is the peak RSS minus the none line's (what the estimate adds).
# The times printed are single runs (the medians are advisor-bench run --only covariance scaling).
# Results: bench/out/covariance-scale.tsv. Never part of `swift test` / `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${BIN:-.build/release}/advisor-bench
OUT=bench/out
SIZES=${COV_SIZES:-500 1000 2000 5000}
TSWEEP=${COV_T_SWEEP-630 1260 2520 5040 10080}
SWEEP_N=${COV_T_SWEEP_N:-1000}
METHODS="none floor sample ewma ledoit-wolf oas ledoit-wolf-constant-correlation"
[[ -x "$BENCH" ]] || { echo "error: $BENCH is missing; make release" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
mkdir -p "$OUT"
TSV="$OUT/covariance-scale.tsv"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-unset}"
printf 'method\tN\tT\tseconds\tmax_rss_kb\tover_input_kb\tnote\n' >"$TSV"
printf '%-34s %6s %6s %10s %12s %12s  %s\n' method N T "time s" "peak RSS MB" "over input" note

one() { # N T
  local n=$1 t=$2 base="" line rss f="$OUT/time-v-cov.txt"
  for m in $METHODS; do
    line=$(/usr/bin/time -v -o "$f" "$BENCH" estimate-once --method "$m" --instruments "$n" --observations "$t")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$f")
    [[ $m == none ]] && base=$rss
    IFS=$'\t' read -r _ _ _ secs _ note <<<"$line"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$n" "$t" "$secs" "$rss" "$((rss - base))" "$note" >>"$TSV"
    printf '%-34s %6s %6s %10.3f %12.1f %12.1f  %s\n' "$m" "$n" "$t" "$secs" "$(echo "$rss / 1024" | bc -l)" \
      "$(echo "($rss - $base) / 1024" | bc -l)" "$note"
  done
}

for n in $SIZES; do one "$n" 2520; done
for t in $TSWEEP; do [[ $t == 2520 && " $SIZES " == *" $SWEEP_N "* ]] || one "$SWEEP_N" "$t"; done
echo "results: $TSV"
