#!/usr/bin/env bash
# Installs what poolha needs to build and test on Debian 12. Idempotent: installs only
# what is missing, so a second run costs one dpkg query.
set -euo pipefail
packages=(build-essential cmake ccache pkg-config
  libboost-dev libboost-system-dev libssl-dev libsqlite3-dev sqlite3
  libprotobuf-dev protobuf-compiler libspdlog-dev libfmt-dev libyaml-cpp-dev libyaml-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libre2-dev
  clang libclang-rt-14-dev llvm libsodium-dev chromium fonts-noto-cjk
  iproute2 iputils-ping iputils-arping procps python3 systemd
  # The Windows agent: the mingw-w64 cross toolchain, wine to run its tests, wixl for
  # its MSI; unicode-data regenerates RE2's tables (scripts/win-deps.sh).
  g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix mingw-w64-tools wine wine64 msitools wixl unicode-data)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js for building the console: the machine's own if it has one (a nodesource
# nodejs carries npm and conflicts with Debian's npm package), else Debian's;
# scripts/webui-env.sh brings a newer one from the npm registry when it is too old.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
