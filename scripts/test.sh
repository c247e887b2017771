#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds once (ccache), runs every test
# (unit, scenario corpus, namespace-based OS tests, 1,000 simulation seeds) and then
# the engine benchmark, which prints its figures. Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
build=${POOLHA_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "== benchmark: engine decision latency (5,000 nodes, 1,000 rules) =="
"$build/tests/bench/engine_bench"
echo "== tests =="
cd "$build" && ctest --output-on-failure --timeout 600
