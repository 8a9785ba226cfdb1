#!/usr/bin/env bash
# Side by side with the Python tools (issue 8): numpy, pandas, scikit-learn, PyPortfolioOpt, Riskfolio-Lib.
#   bench/peers.sh            # from the repository root; builds release if needed
#   PEERS_QUICK=1 bench/peers.sh
#   PEERS_THREADS=1 bench/peers.sh   # OpenBLAS (both sides) and OpenMP on one thread: steadier on a busy machine
# Creates bench/.venv (gitignored) from PyPI, runs the same jobs on the same files in the same run,
# checks the answers agree (tolerances printed with each check), prints each pair's times and ratio.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE can pin an old kernel and slow a current numpy: they are
# unset for the Python commands only, and threadpoolctl reports which kernel numpy runs.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=bench/out
BIN=${BIN:-.build/release}
ADVISOR="$BIN/advisor"
BENCH="$BIN/advisor-bench"
RUNS=${PEERS_RUNS:-15}
PROC_RUNS=${PEERS_PROCESS_RUNS:-5}
SLOW_RUNS=${PEERS_SLOW_RUNS:-3}
if [[ -n "${PEERS_QUICK:-}" ]]; then RUNS=5; PROC_RUNS=3; SLOW_RUNS=2; fi
PYENV=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
if [[ -n "${PEERS_THREADS:-}" ]]; then
  export OPENBLAS_NUM_THREADS=$PEERS_THREADS OMP_NUM_THREADS=$PEERS_THREADS
fi
mkdir -p "$OUT/hyperfine"

# --- the Python environment
source bench/python-peers-env.sh
peers_env
PY=$PEERS_PY
echo "== Python packages: $(tr '\n' ' ' <"$OUT/peers-versions.txt")"

# --- advisor
if [[ ! -x "$ADVISOR" || ! -x "$BENCH" ]]; then make release; fi
"$BENCH" generate --out "$OUT" >/dev/null
"$BENCH" blas-info

# --- in process, pairs and agreement
echo
"${PYENV[@]}" "$PY" bench/peers.py --out "$OUT" --runs "$RUNS" || status=$?
status=${status:-0}

# --- whole process: CSV of 500 × 2,520 → Ledoit–Wolf → JSON
PANEL="$OUT/panel_500x2520.csv"
echo
echo "== whole process, $PANEL → Ledoit–Wolf on 2,519 returns → JSON (hyperfine)"
run_pair() { # name runs command...: hyperfine, then one run under /usr/bin/time -v for the peak RSS
  local name=$1 runs=$2
  shift 2
  hyperfine -N --warmup 1 --runs "$runs" --style none --export-json "$OUT/hyperfine/peers-$name.json" \
    --command-name "$name" "$(printf '%q ' "$@")" >/dev/null 2>"$OUT/hyperfine/peers-$name.log" ||
    echo "  $name: FAILED (see $OUT/hyperfine/peers-$name.log)"
  /usr/bin/time -v -o "$OUT/hyperfine/peers-$name.time" "$@" >/dev/null 2>&1 || true
}
run_pair advisor-risk "$PROC_RUNS" "$ADVISOR" risk --market "$PANEL" --estimator ledoit-wolf --lookback 2519 --format json
run_pair python-import "$PROC_RUNS" "${PYENV[@]}" "$PY" bench/peers_pipeline.py import
run_pair numpy-pandas-sklearn "$PROC_RUNS" "${PYENV[@]}" "$PY" bench/peers_pipeline.py sklearn "$PANEL" 2519
run_pair pypfopt "$SLOW_RUNS" "${PYENV[@]}" "$PY" bench/peers_pipeline.py pypfopt "$PANEL" 2519
# ... and on to risk-parity weights (the job of `advisor budget`, issue 6).
run_pair numpy-pandas-sklearn-rp "$PROC_RUNS" "${PYENV[@]}" "$PY" bench/peers_pipeline.py sklearn "$PANEL" 2519 --rp
run_pair pypfopt-riskfolio-rp "$SLOW_RUNS" "${PYENV[@]}" "$PY" bench/peers_pipeline.py pypfopt "$PANEL" 2519 --rp
help=$("$ADVISOR" budget --help 2>&1) || true
if grep -q "USAGE: advisor budget" <<<"$help"; then
  # New-portfolio mode: every instrument of the panel (its header, minus the date column).
  PANEL_SYMBOLS=$(head -1 "$PANEL" | cut -d, -f2- | tr -d '\r"')
  run_pair advisor-budget "$PROC_RUNS" "$ADVISOR" budget --market "$PANEL" --instruments "$PANEL_SYMBOLS" \
    --estimator ledoit-wolf --lookback 2519 --format json
else
  echo "  advisor-budget: skipped, no 'advisor budget' subcommand yet (issue 6)"
fi

# The answers of the whole-process runs agree?
"$ADVISOR" risk --market "$PANEL" --estimator ledoit-wolf --lookback 2519 --format json >"$OUT/peers-advisor-risk.json"
"${PYENV[@]}" "$PY" bench/peers_pipeline.py sklearn "$PANEL" 2519 >"$OUT/peers-sklearn.json"
"${PYENV[@]}" "$PY" bench/peers_pipeline.py pypfopt "$PANEL" 2519 >"$OUT/peers-pypfopt.json"

"${PYENV[@]}" "$PY" - "$OUT" <<'EOF' || status=1
import json, os, sys
import numpy as np
out = sys.argv[1]
def load(name):
    p = os.path.join(out, "hyperfine", f"peers-{name}.json")
    if not os.path.exists(p):
        return None
    r = json.load(open(p))["results"][0]
    return r
rows = ["advisor-risk", "python-import", "numpy-pandas-sklearn", "pypfopt", "numpy-pandas-sklearn-rp",
        "pypfopt-riskfolio-rp", "advisor-budget"]
res = {k: load(k) for k in rows}
base = res["advisor-risk"]
def rss(name):
    p = os.path.join(out, "hyperfine", f"peers-{name}.time")
    if not os.path.exists(p):
        return ""
    for line in open(p):
        if "Maximum resident set size" in line:
            return f"{int(line.split(':')[1]) / 1024:.0f} MB"
    return ""
print(f"{'pipeline':28} {'median ms':>10} {'min–max ms':>18} {'runs':>5} {'÷ advisor risk':>15} {'peak RSS':>9}")
for k in rows:
    r = res[k]
    if r is None:
        continue
    ratio = f"{r['median'] / base['median']:.1f}×" if base else ""
    print(f"{k:28} {r['median'] * 1000:10.0f} {r['min'] * 1000:8.0f}–{r['max'] * 1000:<8.0f} {len(r['times']):5} {ratio:>15} "
          f"{rss(k):>9}")
if res.get("advisor-budget") is None:
    print("(the -rp pipelines add risk-parity weights: their advisor pair is `advisor budget`, not merged yet; "
          "the ratio shown is against `advisor risk`, which stops at the covariance)")
a = json.load(open(os.path.join(out, "peers-advisor-risk.json")))
ok = True
for name in ("sklearn", "pypfopt"):
    p = json.load(open(os.path.join(out, f"peers-{name}.json")))
    assert p["instruments"] == a["instruments"]
    for key in ("covarianceDaily", "covariance", "correlation"):
        x, y = np.array(a[key]), np.array(p[key])
        d = float(np.max(np.abs(x - y)) / np.max(np.abs(x)))
        good = d <= 1e-9
        ok &= good
        print(f"check {'ok  ' if good else 'FAIL'} whole process: advisor risk {key} vs {name} pipeline: {d:.3g} (tolerance 1e-9)")
    d = abs(a["shrinkage"] - p["shrinkage"])
    ok &= d <= 1e-9
    print(f"check {'ok  ' if d <= 1e-9 else 'FAIL'} whole process: shrinkage vs {name}: {d:.3g} (tolerance 1e-9)")
sys.exit(0 if ok else 1)
EOF
exit "$status"
