#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang in build-fuzz/ (with
# AddressSanitizer and UndefinedBehaviorSanitizer) and runs each for a fixed
# time from its seed corpus and past findings. Exits 1 if any target finds
# a crash, a sanitizer report or a broken invariant; the input is saved
# under build-fuzz/fuzz-findings/TARGET/ and must become a regression test
# (docs/testing.md, "Fuzzing").
#   bash tools/fuzz.sh                  every target, 30 s each
#   LEDGER_FUZZ_SECONDS=300 bash tools/fuzz.sh merkle   one target, longer
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

seconds="${LEDGER_FUZZ_SECONDS:-30}"
all_targets=(entry signed_note merkle event_json evidence_bundle bundle_fold)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

if [ ! -f build-fuzz/CMakeCache.txt ]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER=clang++ -DLEDGER_FUZZ=ON
fi
cmake --build build-fuzz --target "${targets[@]/#/fuzz_}"

export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
failed=()
for t in "${targets[@]}"; do
  echo "=== fuzz: $t for ${seconds}s"
  # New inputs go to a scratch corpus, never into the source tree.
  work="build-fuzz/fuzz-corpus/$t"
  findings="build-fuzz/fuzz-findings/$t"
  mkdir -p "$work" "$findings"
  dirs=("$work" "tests/fuzz/corpus/$t")
  if [ -d "tests/fuzz/regressions/$t" ]; then dirs+=("tests/fuzz/regressions/$t"); fi
  if ! "build-fuzz/bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$findings/" "${dirs[@]}" \
      > "build-fuzz/fuzz-$t.log" 2>&1; then
    tail -n 60 "build-fuzz/fuzz-$t.log"
    echo "=== fuzz: $t FAILED; input saved in $findings/ (log: build-fuzz/fuzz-$t.log)"
    failed+=("$t")
  else
    grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' "build-fuzz/fuzz-$t.log" || true
    echo "=== fuzz: $t ok"
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "=== fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "=== fuzz: all ${#targets[@]} targets ran ${seconds}s each without a finding"
