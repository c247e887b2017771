#!/usr/bin/env bash
# Cross-builds the Windows agent with mingw-w64 into build-win/ (or $POOLHA_WIN_BUILD_DIR):
# its dependencies first (scripts/win-deps.sh, cached), then the agent, the keeper and
# their tests (ccache). Run the tests with: (cd build-win && ctest --output-on-failure)
set -euo pipefail
cd "$(dirname "$0")/.."
deps=$(./scripts/win-deps.sh)
build=${POOLHA_WIN_BUILD_DIR:-build-win}
# A new dependency prefix (a Debian update changed a version): configure afresh when
# the cache names any other prefix (find_package's cached paths still name the old
# one, which win-deps.sh removed). ccache keeps the compiles warm.
if [ -f "$build/CMakeCache.txt" ] &&
   grep -o "$(dirname "$deps")/[0-9a-f]*" "$build/CMakeCache.txt" | grep -qvx "$deps"; then
  echo "build-windows: dependency prefix changed to $deps; configuring $build afresh"
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
fi
cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake -DPOOLHA_WIN_DEPS="$deps" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)"
