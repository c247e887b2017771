#!/usr/bin/env bash
# Builds the console: webui/ -> webui/dist (served by the controller: webui_dir), every
# text file also gzipped for the controller to send compressed. Packages come from the
# lock file exactly (npm ci); npm's cache lives outside the clone, so a warm build
# downloads nothing, and node_modules is reinstalled only when the lock file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/webui-env.sh
cd webui
stamp=node_modules/.poolha-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  npm ci --no-audit --no-fund --prefer-offline --cache "${POOLHA_CACHE:-/var/cache/poolha}/npm"
  echo "$want" > "$stamp"
fi
npx --no-install vite build --logLevel warn
find dist -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' \) \
  -exec gzip -9 -k -f {} +
echo "webui: $(find dist -type f ! -name '*.gz' | wc -l) files, $(du -sk dist | cut -f1) KiB (with .gz) in webui/dist"
