#!/usr/bin/env bash
# Coverage-guided fuzzing of advisor's parsers with libFuzzer (docs/FUZZING.md).
#   scripts/fuzz.sh [TARGET ...]          default: every target, FUZZ_SECONDS (300) each, one after another
# Builds `advisor-fuzz` (ADVISOR_FUZZ=1, -sanitize=fuzzer,address) in .build-fuzz, seeds each
# target's working corpus from the repository (ParserEntryPoints' seed directories and
# Tests/Fixtures/fuzz/TARGET), runs it under `nice -n 19`, and leaves crashes in
# Tests/Fixtures/fuzz/TARGET/crashes/ (to commit once fixed: the corpus test replays them).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-300}
SWIFT=${SWIFT:-swift}
ALL="market-csv account-yaml holdings-csv followers-csv orders-csv orders-jsonl profile-yaml scenario-yaml instruments-yaml"
TARGETS=${*:-$ALL}
ADVISOR_FUZZ=1 nice -n 19 "$SWIFT" build --scratch-path .build-fuzz --product advisor-fuzz -Xswiftc -sanitize=fuzzer,address
BIN=.build-fuzz/debug/advisor-fuzz
mkdir -p .build-fuzz/logs
seeds() {
  case $1 in
    market-csv) echo examples/market/*.csv Tests/Fixtures/bad/*.csv ;;
    account-yaml) echo examples/account.yaml examples/broker/*.yaml Tests/Fixtures/*.yaml Tests/Fixtures/bad/*.yaml ;;
    holdings-csv) echo examples/holdings.csv ;;
    followers-csv) echo examples/followers.csv ;;
    orders-csv) echo examples/orders/*.csv Tests/Fixtures/orders/*.csv ;;
    orders-jsonl) echo examples/orders/*.jsonl Tests/Fixtures/orders/*.jsonl ;;
    profile-yaml) echo profiles/*.yaml Tests/Fixtures/bad/profiles/*.yaml ;;
    scenario-yaml) echo examples/scenarios/*.yaml Tests/Fixtures/bad/scenario.yaml ;;
    instruments-yaml) echo examples/market/instruments.yaml Tests/Fixtures/budget/*.yaml ;;
  esac
}
for t in $TARGETS; do
  work=.build-fuzz/corpus/$t
  keep=Tests/Fixtures/fuzz/$t
  mkdir -p "$work" "$keep/crashes"
  for f in $(seeds "$t"); do [ -f "$f" ] && cp "$f" "$work/seed-$(basename "$f")"; done
  cp "$keep"/* "$work"/ 2>/dev/null || true
  echo "== $t: $SECONDS_PER_TARGET s" | tee ".build-fuzz/logs/$t.log"
  set +e
  ADVISOR_FUZZ_TARGET=$t nice -n 19 "$BIN" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$keep/crashes/" "$work" >>".build-fuzz/logs/$t.log" 2>&1
  status=$?
  set -e
  echo "== $t: exit $status" >>".build-fuzz/logs/$t.log"
  grep -E "^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|stat::peak_rss_mb|cov:" ".build-fuzz/logs/$t.log" | tail -3
  # Keep a minimised corpus for the CI replay (Tests/RiskIOTests/FuzzCorpusTests.swift).
  mkdir -p .build-fuzz/min/$t && rm -f .build-fuzz/min/$t/*
  ADVISOR_FUZZ_TARGET=$t nice -n 19 "$BIN" -merge=1 -max_len=65536 .build-fuzz/min/$t "$work" >/dev/null 2>&1 || true
done
