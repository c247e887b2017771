#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds once (ccache) for Linux and
# cross-builds the Windows agent and its MSI (scripts/build-windows.sh), prints the engine
# benchmark, runs every test (unit, scenario corpus, namespace-based OS tests,
# simulations, end-to-end fault scenarios), then the sanitizer builds and the bounded
# fuzzing (scripts/sanitize.sh). Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
build=${POOLHA_BUILD_DIR:-build}
export POOLHA_WIN_BUILD_DIR=${POOLHA_WIN_BUILD_DIR:-$PWD/build-win}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOOLHA_WIN_BUILD_DIR="$POOLHA_WIN_BUILD_DIR" >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "== Windows agent: cross-build (mingw-w64) and MSI =="
win_started=$(date +%s)
./scripts/build-windows.sh
echo "windows cross-build: $(($(date +%s) - win_started)) s (dependencies included)"
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
