#!/usr/bin/env bash
# README command 1: builds poolha and starts the demo cluster on this machine (as root):
# two controllers, the arbiter and a standby arbiter (one Raft group) and five hosts in
# network namespaces, a client streaming through the VIPs. Ctrl-C removes everything it made.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (it creates network namespaces)"; exit 1; }
./scripts/install-deps.sh
build=${POOLHA_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target poolha-controller poolha-arbiter poolha-agent poolha-lease-keeper poolhactl
./scripts/build-webui.sh
exec python3 scripts/demo.py --build-dir "$build" "$@"
