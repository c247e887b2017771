#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds once (ccache), prints the engine
# benchmark, runs every test (unit, scenario corpus, namespace-based OS tests,
# simulations, end-to-end fault scenarios), then the sanitizer builds and the bounded
# fuzzing (scripts/sanitize.sh). Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
build=${POOLHA_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "== console (webui/dist) =="
./scripts/build-webui.sh
echo "== benchmark: engine decision latency (5,000 nodes, 1,000 rules) =="
"$build/tests/bench/engine_bench"
echo "== tests =="
(cd "$build" && ctest --output-on-failure --timeout 600)
echo "== what the tests measured (their own lines, from $build/Testing/Temporary/LastTest.log) =="
python3 scripts/print-figures.py "$build"
echo "== sanitizers and fuzzing =="
./scripts/sanitize.sh
