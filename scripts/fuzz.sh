#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with Debian's clang 16 under
# AddressSanitizer + UndefinedBehaviorSanitizer and runs each one from its
# seed corpus (tests/fuzz/corpus/TARGET).
#
#   bash scripts/fuzz.sh [RUNS] [TARGET...]
#
# RUNS defaults to 2,000,000 inputs per target (minutes each); scripts/test.sh
# passes a short fixed count. New interesting inputs go to build/fuzz/corpus/
# (not committed); a crash leaves build/fuzz/crash-* and fails the script:
# turn it into a regression test (a unit test, or a file in the seed corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-2000000}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(jetemail_page_fuzzer mailtrap_page_fuzzer config_fuzzer web_config_fuzzer state_file_fuzzer)

dir=build/fuzz
cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DELE_SANITIZE=ON -DELE_BUILD_FUZZERS=ON -DELE_BUILD_TESTS=OFF -DELE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$dir" --target fuzzers -j"$(nproc)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "${targets[@]}"; do
  mkdir -p "$dir/corpus/$t"
  echo "fuzz: $t, $runs runs"
  # -timeout: a single input taking longer than 10 s is a hang worth a report.
  "$dir/tests/fuzz/$t" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$dir/" -print_final_stats=1 "$dir/corpus/$t" "tests/fuzz/corpus/$t" 2>"$dir/$t.log" ||
    { tail -60 "$dir/$t.log"; echo "fuzz: $t FAILED (see $dir/$t.log)"; exit 1; }
  grep -E "^(stat::number_of_executed_units|stat::new_units_added)" "$dir/$t.log" | tr '\n' ' '
  echo
done
echo "fuzz: ${#targets[@]} targets, $runs runs each, no crash"
