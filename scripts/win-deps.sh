#!/usr/bin/env bash
# Cross-builds the Windows agent's third-party libraries with mingw-w64 from Debian's
# own source packages, at the versions of the host's -dev packages (so the host's
# protoc matches the cross-built protobuf-lite): OpenSSL, protobuf(-lite), yaml-cpp,
# libyaml, RE2 and GoogleTest, static, into a prefix cached outside the clone and
# keyed by those versions, the compiler and this script. A warm run costs one
# dpkg query; a cold one about 10 minutes on two cores (OpenSSL is most of it).
#
# Prints the prefix on stdout (the build log goes to stderr). Header-only libraries
# (Boost.Asio, spdlog, fmt, nlohmann-json) are the host's, linked into
# <prefix>/host-include so that the cross compiler sees those and nothing else of
# /usr/include.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cache=${POOLHA_WIN_DEPS_CACHE:-/var/cache/poolha/win-deps}
mingw=x86_64-w64-mingw32
jobs=${POOLHA_JOBS:-$(nproc)}

srcver() { dpkg-query -W -f='${source:Package}=${source:Version}' "$1"; }
sources=("$(srcver libssl-dev)" "$(srcver libprotobuf-dev)" "$(srcver libyaml-cpp-dev)"
         "$(srcver libyaml-dev)" "$(srcver libre2-dev)")
gtest=$(srcver googletest)
compiler=$($mingw-g++-posix --version | head -1)
key=$( (printf '%s\n' "${sources[@]}" "$gtest" "$compiler"; cat "$0" "$root/cmake/mingw-w64-x86_64.cmake") |
      sha256sum | cut -c1-16)
prefix=$cache/$key
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi

echo "win-deps: building ${sources[*]} $gtest for $mingw into $prefix" >&2
started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/poolha-win-deps.XXXXXX")
# deb-src twins of the machine's lists, in both of apt's formats (deb822 .sources, as a
# Debian 12 install writes, and one-line .list, as debootstrap writes).
srclists=(/etc/apt/sources.list.d/poolha-win-deps-src.sources /etc/apt/sources.list.d/poolha-win-deps-src.list)
cleanup() {
  rm -rf "$work"
  rm -f "${srclists[@]}"
}
trap cleanup EXIT
rm -rf "$prefix"
mkdir -p "$prefix/host-include"

{
  # Debian's source packages: a deb-src entry for the same archives as the binary
  # packages, only for this download (the machine's own lists stay as they are).
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    [ "$f" = "${srclists[0]}" ] && continue
    sed -n 's/^Types: deb$/Types: deb-src/; /^Types:/p; /^URIs:/p; /^Suites:/p; /^Components:/p; /^Signed-By:/p; /^$/p' "$f"
    echo
  done >"${srclists[0]}"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ "$f" = "${srclists[1]}" ] || [ ! -f "$f" ] && continue
    sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f"
  done >"${srclists[1]}"
  shopt -u nullglob
  for l in "${srclists[@]}"; do
    [ -s "$l" ] || { rm -f "$l"; continue; }
    apt-get update -qq -o Dir::Etc::sourcelist="$l" -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
  done
  cd "$work"
  # The host's version where the archive still has it, else the newest one the
  # archive serves (a machine may carry a security update the archive has since
  # superseded, and a mirror may list a source it does not hold). Only protobuf must
  # match exactly: the host's protoc generates the wire code.
  fetch_source() {
    local name=${1%%=*} v
    apt-get source -qq "$1" >/dev/null 2>&1 && return 0
    if [ "$name" = protobuf ]; then
      echo "win-deps: $1 (the host's protoc) is not in the archive" >&2
      return 1
    fi
    for v in $(apt-cache showsrc "$name" | sed -n 's/^Version: //p' | sort -rV); do
      if apt-get source -qq "$name=$v" >/dev/null 2>&1; then
        echo "win-deps: $1 is not in the archive; took $name=$v" >&2
        return 0
      fi
    done
    echo "win-deps: no source of $name could be fetched" >&2
    return 1
  }
  for s in "${sources[@]}"; do fetch_source "$s"; done
  fetched=$(ls -d */ | tr -d / | tr '\n' ' ')
  echo "win-deps: sources $fetched" >&2
  rm -f "${srclists[@]}"

  tc=$root/cmake/mingw-w64-x86_64.cmake
  cmake_dep() {  # source dir, extra args...
    local src=$1
    shift
    cmake -S "$src" -B "$src/build-win" -G "Unix Makefiles" -DCMAKE_TOOLCHAIN_FILE="$tc" -DPOOLHA_WIN_DEPS="$prefix" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF "$@" >/dev/null
    cmake --build "$src/build-win" -j "$jobs" >/dev/null
    cmake --install "$src/build-win" >/dev/null
  }

  echo "win-deps: libyaml" >&2
  cmake_dep "$(ls -d "$work"/libyaml-*/)" -DBUILD_TESTING=OFF -DINSTALL_CMAKE_DIR=lib/cmake/yaml
  echo "win-deps: yaml-cpp" >&2
  cmake_dep "$(ls -d "$work"/yaml-cpp-*/)" -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF \
    -DYAML_CPP_BUILD_CONTRIB=OFF -DYAML_BUILD_SHARED_LIBS=OFF
  echo "win-deps: re2" >&2
  re2=$(ls -d "$work"/re2-*/)
  # Debian's source drops the generated tables; its build regenerates them from
  # unicode-data, as here.
  (cd "$re2" && perl re2/make_perl_groups.pl >re2/perl_groups.cc &&
    python3 re2/make_unicode_casefold.py >re2/unicode_casefold.cc &&
    python3 re2/make_unicode_groups.py >re2/unicode_groups.cc)
  cmake_dep "$re2" -DRE2_BUILD_TESTING=OFF
  echo "win-deps: googletest" >&2
  cp -r /usr/src/googletest "$work/googletest"
  cmake_dep "$work/googletest" -Dgtest_force_shared_crt=OFF
  echo "win-deps: protobuf (libprotobuf-lite; protoc is the host's)" >&2
  cmake_dep "$(ls -d "$work"/protobuf-*/)cmake" -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF \
    -Dprotobuf_BUILD_LIBPROTOC=OFF -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF -Dprotobuf_MSVC_STATIC_RUNTIME=OFF
  echo "win-deps: openssl (static, no engines/modules; the agent trusts only its own CA)" >&2
  (cd "$(ls -d "$work"/openssl-*/)" &&
    ./Configure mingw64 --cross-compile-prefix=$mingw- CC=gcc-posix --prefix="$prefix" --libdir=lib \
      no-shared no-tests no-module no-legacy no-engine no-dso >/dev/null &&
    make -j "$jobs" build_libs >/dev/null && make install_dev >/dev/null)

  for h in boost spdlog fmt nlohmann; do ln -s "/usr/include/$h" "$prefix/host-include/$h"; done
} 1>&2

printf '%s\n' $fetched "$gtest" "$compiler" >"$prefix/.complete"
# Builds for other versions (or an older script) are no longer used.
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -path "$prefix" -exec rm -rf {} +
echo "win-deps: done in $(($(date +%s) - started)) s" >&2
echo "$prefix"
