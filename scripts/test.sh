#!/usr/bin/env bash
# Sets up, builds and runs every test: a release build with warnings as
# errors, then the same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
# Benchmarks are compiled in the release build only (scripts/bench.sh runs
# them). Output ends with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)
ctest_args=()
# Twice as many tests as cores in the release suite: its long end-to-end
# runs mostly wait on wall-clock cycles (the ones that time scrapes run
# alone, RUN_SERIAL). Under the sanitizers every test computes two to three
# times as much, so one a core.
ctest_jobs=$((jobs * 2))

run_suite() {  # name, extra cmake flags...
  local dir="build/$1"
  shift
  # Tests on explicitly: scripts/run.sh turns them off in build/release.
  cmake -S . -B "$dir" -G Ninja -DELE_WERROR=ON -DELE_BUILD_TESTS=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  ctest --test-dir "$dir" --output-on-failure --timeout 600 -j"$ctest_jobs" "${ctest_args[@]}"
}

run_suite release -DCMAKE_BUILD_TYPE=RelWithDebInfo
# Every libFuzzer target for a short fixed number of inputs under ASan+UBSan
# (scripts/fuzz.sh without an argument runs them for longer).
bash scripts/fuzz.sh 20000
# The minutes-long wall-clock accuracy runs (*AccuracyTest, AccuracyE2ETest) check counts
# against the ground truth, which the release suite has just done; the
# sanitizers still see the real binary under faults, kills and hostile
# clients in the reliability and serving tests.
ctest_args=(-E "AccuracyE2ETest|AccuracyTest")
ctest_jobs=$jobs
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite sanitize -DCMAKE_BUILD_TYPE=Debug -DELE_SANITIZE=ON -DELE_BUILD_BENCHMARKS=OFF
