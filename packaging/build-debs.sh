#!/usr/bin/env bash
# Builds Debian packages from a build tree: poolha-controller, poolha-arbiter,
# poolha-agent (with poolha-lease-keeper) and poolha-cli (poolhactl), each with its
# systemd unit and reference page.
#   packaging/build-debs.sh [BUILD_DIR] [OUT_DIR]     (defaults: build, build/debs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=${2:-$build/debs}
version=$(sed -n 's/^project(poolha VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
arch=$(dpkg --print-architecture)
mkdir -p "$out"

# package  binaries (relative to the build tree)  unit  docs  depends  [extra: a
# function that adds files to the stage]
make_deb() {
  local name=$1 bins=$2 unit=$3 docs=$4 depends=$5 extra=${6:-}
  local stage
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' RETURN
  install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/doc/poolha" "$stage/etc/poolha"
  for b in $bins; do install -m 0755 "$build/$b" "$stage/usr/bin/"; done
  if [ -n "$unit" ]; then
    install -d "$stage/lib/systemd/system"
    install -m 0644 "$root/packaging/systemd/$unit" "$stage/lib/systemd/system/"
  fi
  for d in $docs; do install -m 0644 "$root/docs/$d" "$stage/usr/share/doc/poolha/"; done
  [ -z "$extra" ] || "$extra" "$stage"
  cat > "$stage/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $arch
Maintainer: poolha developers <dev@poolha.local>
Depends: $depends
Section: net
Priority: optional
Description: poolha pooled high availability: ${name#poolha-}
 Many-to-many pooled failover of fixed-IP services (see /usr/share/doc/poolha).
CONTROL
  dpkg-deb --root-owner-group --build "$stage" "$out/${name}_${version}_${arch}.deb" >/dev/null
  echo "$out/${name}_${version}_${arch}.deb"
}

common="libc6, libstdc++6, libssl3, libprotobuf-lite32, libspdlog1.10, libfmt9, libyaml-cpp0.7, libyaml-0-2, libre2-9"
# The console the controller serves (webui_dir's default), built by scripts/build-webui.sh.
console() {
  local dist="$root/webui/dist"
  [ -f "$dist/index.html" ] || { echo "build-debs: webui/dist is not built (scripts/build-webui.sh)" >&2; return 1; }
  install -d "$1/usr/share/poolha/webui"
  cp -r "$dist/." "$1/usr/share/poolha/webui/"
  find "$1/usr/share/poolha/webui" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
}
make_deb poolha-controller "controller/poolha-controller" poolha-controller.service \
  "controller-config.md api.md rules.md webui.md" "$common, libsqlite3-0, libsodium23" console
make_deb poolha-arbiter "arbiter/poolha-arbiter" poolha-arbiter.service "arbiter-config.md" "$common, libsqlite3-0"
make_deb poolha-agent "agent/poolha-agent agent/poolha-lease-keeper" poolha-agent.service "agent-config.md" "$common"
make_deb poolha-cli "cli/poolhactl" "" "cli.md rules.md" "$common, libsqlite3-0"
