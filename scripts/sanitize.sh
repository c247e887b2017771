#!/usr/bin/env bash
# The sanitizer and fuzzing half of the test suite (issue 9 §5); scripts/test.sh runs it
# after the plain build's tests. Needs clang (install-deps.sh installs it).
#   1. ASan + UBSan (clang): every unit test, the scenario corpus, the simulations
#      (fewer seeds than the plain build: ~3x slower here), every fuzzer over its
#      checked-in corpus and regression inputs, then fuzzing each for
#      POOLHA_FUZZ_SECONDS (default 20). A crash fails the run and names the input to
#      keep in tests/fuzz/regressions/NAME/.
#   2. TSan (clang): the threaded parts (agent threads, script runner and checks, the
#      consensus driver, sessions).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${POOLHA_FUZZ_SECONDS:-20}
asan=${POOLHA_ASAN_BUILD_DIR:-build-asan}
tsan=${POOLHA_TSAN_BUILD_DIR:-build-tsan}
jobs=$(nproc)
# -O1 -g1: sanitizer builds compile fast, run fast enough, and still name file and line.
clang=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
       "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1")
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
stage() { printf '\n== %s (%s) ==\n' "$1" "$(date +%T)"; }
t0=$(date +%s)

stage "ASan+UBSan build (clang)"
cmake -S . -B "$asan" "${clang[@]}" -DPOOLHA_SANITIZE=address,undefined -DPOOLHA_FUZZ=ON >/dev/null
cmake --build "$asan" -j "$jobs"

stage "ASan+UBSan: unit tests, scenario corpus, fuzz corpora"
(cd "$asan" && ctest --output-on-failure --timeout 600 -E '_seeds$')

stage "ASan+UBSan: simulations"
"$asan/tests/sim/rules_sim" --seeds 300
"$asan/tests/sim/controlplane_sim" --seeds 500

stage "fuzzing, ${secs} s per target"
# What fuzzing learns is kept outside the clone, so each run starts where the last one
# stopped (the checked-in corpus is only the seeds); past 5,000 inputs a target's cache is
# minimized (libFuzzer -merge).
work=${POOLHA_FUZZ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/poolha/fuzz}
found=0
for bin in "$asan"/tests/fuzz/fuzz_*; do
  name=$(basename "$bin")
  mkdir -p "$work/$name" "$work/crashes-$name"
  if [ "$(find "$work/$name" -type f | wc -l)" -gt 5000 ]; then
    rm -rf "$work/$name.min" && mkdir -p "$work/$name.min"
    "$bin" -merge=1 "$work/$name.min" "$work/$name" >/dev/null 2>&1 && rm -rf "$work/$name" && mv "$work/$name.min" "$work/$name"
  fi
  # New inputs go to the work directory; the checked-in corpus is only read.
  dirs=("$work/$name" "tests/fuzz/corpus/$name")
  [ -d "tests/fuzz/regressions/$name" ] && dirs+=("tests/fuzz/regressions/$name")
  rc=0
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/crashes-$name/" "${dirs[@]}" >"$work/$name.log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
  cov=$(grep -o 'cov: [0-9]*' "$work/$name.log" | tail -n 1)
  printf '%-26s %8s runs  %-10s %s\n' "$name" "${runs:-?}" "${cov:-}" "$([ $rc -eq 0 ] && echo ok || echo CRASH)"
  if [ $rc -ne 0 ]; then
    found=1
    tail -n 40 "$work/$name.log"
    echo "crash input(s): $(ls "$work/crashes-$name")"
    echo "fix it, then keep the input: cp $work/crashes-$name/* tests/fuzz/regressions/$name/"
  fi
done
[ $found -eq 0 ] || exit 1

stage "TSan build (clang): threaded parts"
cmake -S . -B "$tsan" "${clang[@]}" -DPOOLHA_SANITIZE=thread >/dev/null
cmake --build "$tsan" -j "$jobs" --target agent_threads_test agent_daemon_test checks_test consensus_node_test wire_session_test controller_core_test
for t in agent_threads_test agent_daemon_test checks_test consensus_node_test wire_session_test; do
  "$tsan/tests/unit/$t" --gtest_brief=1
done
# The password hasher's thread handing results back to the API's event loop.
"$tsan/tests/unit/controller_core_test" --gtest_brief=1 --gtest_filter='ApiAccess*'
printf '\nsanitizers and fuzzing: all passed in %d s\n' $(( $(date +%s) - t0 ))
