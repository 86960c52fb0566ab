#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root):
#   bash tools/dev.sh serve   install what is missing, build, run ledgerd
#   bash tools/dev.sh test    install what is missing, build, run every test
#   bash tools/dev.sh build   install what is missing and build
# Extra arguments after `serve` go to ledgerd (e.g. --listen 0.0.0.0:50051).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

# Debian 12 packages the project builds, tests and runs with.
packages=(
  build-essential cmake ninja-build pkgconf
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  echo "dev.sh: installing ${missing[*]}" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  install_missing
  if [ ! -f build/CMakeCache.txt ]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build build
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  build)
    build
    ;;
  serve)
    build
    mkdir -p var
    exec build/bin/ledgerd --db var/ledger --listen 127.0.0.1:50051 "$@"
    ;;
  test)
    build
    cd build
    ctest --output-on-failure -j2 "$@"
    ;;
  *)
    echo "usage: bash tools/dev.sh serve|test|build [ARGS...]" >&2
    exit 2
    ;;
esac
