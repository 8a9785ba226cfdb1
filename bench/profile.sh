#!/usr/bin/env bash
# Instruction-count profile of one advisor command with valgrind's callgrind (repeatable on a noisy,
# shared machine: it counts instructions, not seconds). Run from the repository root after
# `make release`:
#   bench/profile.sh NAME advisor-arguments...
#   bench/profile.sh risk-lw-500 risk --market bench/out/panel_500x2520.csv --estimator ledoit-wolf --lookback 2519
#   bench/profile.sh size-btc size --instrument BTC --regime volatile
# Writes bench/out/callgrind/NAME.out and prints the top inclusive costs, demangled.
# valgrind 3.19 (Debian 12) cannot read the DWARF 5 that Swift 6.3 emits, so the profile runs on a
# copy of the binary without debug info (function names come from the symbol table). OpenBLAS runs
# on one thread so that the counts do not depend on thread scheduling.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { echo "usage: bench/profile.sh NAME advisor-arguments..." >&2; exit 64; }
name=$1
shift
source bench/debian-install.sh
require_tool valgrind valgrind
dir=bench/out/callgrind
mkdir -p "$dir"
cp .build/release/advisor "$dir/advisor-nodebug"
strip --strip-debug "$dir/advisor-nodebug"
OPENBLAS_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$dir/$name.out" \
  "$dir/advisor-nodebug" "$@" >/dev/null 2>"$dir/$name.log" || true
grep -E "Collected" "$dir/$name.log" || { cat "$dir/$name.log" >&2; exit 2; }
callgrind_annotate --inclusive=yes "$dir/$name.out" 2>/dev/null | sed -n '/file:function/,$p' | head -45 |
  swift demangle --simplified | cut -c1-180
