#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root):
#   bash tools/dev.sh serve   install what is missing, build, and run ledgerd
#                             on a demo database (var/demo) loaded with the
#                             fictional provider of tools/ledger-demo
#   bash tools/dev.sh serve-empty   the same on the empty default database
#                             (var/ledger), for real use
#   bash tools/dev.sh test    install what is missing, build, run every test;
#                             with CI=true (as .ci/run sets) then also the
#                             sanitizer runs and the fuzzers (below)
#   bash tools/dev.sh sanitize   the tests under ASan+UBSan and TSan
#                             (tools/sanitize.sh)
#   bash tools/dev.sh fuzz    each libFuzzer target for 30 s (tools/fuzz.sh)
#   bash tools/dev.sh build   install what is missing and build
#   bash tools/dev.sh bench   also install PostgreSQL (bench_packages), build
#                             ledgerd and ledger-bench, and run
#                             tools/bench/compare: the ledger and its
#                             PostgreSQL peer side by side (docs/performance.md)
# Extra arguments after `serve` go to ledgerd (e.g. --listen 0.0.0.0:50051
# --insecure-plaintext: plaintext off loopback must be asked for by name;
# for mutual TLS see docs/security.md).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

# Debian 12 packages the project builds, tests and runs with.
packages=(
  build-essential cmake ninja-build pkgconf
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  python3-grpcio python3-grpc-tools python3-protobuf
  # The report test renders ledgerctl's HTML report in headless Chromium.
  chromium fonts-dejavu-core
)

# Only for `bench` (not `test`, to keep CI lean): the PostgreSQL peer of
# tools/bench/postgres_peer. On Debian 12, postgresql pulls postgresql-15,
# which holds the server, initdb, pg_ctl and pgbench, and
# postgresql-client-15, which holds psql.
bench_packages=(postgresql)

# install_missing [PACKAGE...]: apt-get install those not installed
# (default: the packages above).
install_missing() {
  local missing=()
  local wanted=("$@")
  if [ "${#wanted[@]}" -eq 0 ]; then wanted=("${packages[@]}"); fi
  for p in "${wanted[@]}"; do
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

# Runs one CI step (a script) under a header, and says how long it took.
step() {
  local name="$1"
  shift
  echo "===== $name"
  local start=$SECONDS status=0
  "$@" || status=$?
  echo "===== $name: $([ "$status" -eq 0 ] && echo ok || echo "FAILED ($status)") in $((SECONDS - start)) s"
  return "$status"
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
    # Start the server, load the demo organisation (idempotent: a second
    # run finds every event already recorded), then keep serving.
    build/bin/ledgerd --db var/demo --listen 127.0.0.1:50051 "$@" > var/demo.out &
    server=$!
    trap 'kill -TERM "$server" 2>/dev/null; wait "$server"' INT TERM
    for _ in $(seq 1 100); do
      grep -q "^listening on" var/demo.out 2>/dev/null && break
      if ! kill -0 "$server" 2>/dev/null; then wait "$server"; exit 1; fi
      sleep 0.1
    done
    cat var/demo.out
    build/bin/ledger-demo --server 127.0.0.1:50051 > var/demo-load.txt ||
      { echo "dev.sh: loading the demo failed; see var/demo-load.txt" >&2; }
    echo "demo organisation loaded (var/demo-load.txt); try: build/bin/ledgerctl compliance" >&2
    wait "$server"
    ;;
  serve-empty)
    build
    mkdir -p var
    exec build/bin/ledgerd --db var/ledger --listen 127.0.0.1:50051 "$@"
    ;;
  test)
    echo "===== build and test (build/)"
    start=$SECONDS
    build
    (cd build && ctest --output-on-failure -j2 "$@")
    echo "===== build and test (build/): ok in $((SECONDS - start)) s"
    if [ "${CI:-}" = "true" ]; then
      status=0
      step "sanitizers (tools/sanitize.sh)" bash tools/sanitize.sh || status=1
      step "fuzzing (tools/fuzz.sh)" bash tools/fuzz.sh || status=1
      exit "$status"
    fi
    ;;
  sanitize)
    install_missing
    bash tools/sanitize.sh "$@"
    ;;
  fuzz)
    install_missing
    bash tools/fuzz.sh "$@"
    ;;
  bench)
    # Arguments go to tools/bench/compare (e.g. --runs 3, --json).
    install_missing
    install_missing "${bench_packages[@]}"
    if [ ! -f build/CMakeCache.txt ]; then
      cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
    fi
    cmake --build build --target ledgerd ledger-bench
    exec bash tools/bench/compare build "$@"
    ;;
  *)
    echo "usage: bash tools/dev.sh serve|serve-empty|test|build|sanitize|fuzz|bench [ARGS...]" >&2
    exit 2
    ;;
esac
