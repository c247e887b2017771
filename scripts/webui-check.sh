#!/usr/bin/env bash
# The console's own checks without a browser: TypeScript types (tsc --noEmit) and the
# unit tests (vitest: translations complete in both languages, live-view deltas).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/webui-env.sh
cd webui
[ -d node_modules ] || { echo "webui-check: run scripts/build-webui.sh first"; exit 1; }
npx --no-install tsc --noEmit -p .
echo "tsc: no type errors"
npx --no-install vitest run
