#!/usr/bin/env bash
# Configures and builds the two trees the tests use, once each:
#   build/       g++, warnings as errors, the product, tests and benchmarks
#   build-asan/  clang, ASan+UBSan, every layer's tests and the libFuzzer targets
#   build-tsan/  clang, ThreadSanitizer, the homeserver client's tests (tests/CMakeLists.txt lists them)
# crypto/ (Rust, matrix-sdk-crypto) is built in build/ only: the sanitizers cannot see into uninstrumented Rust code
# (ThreadSanitizer reports its threads' synchronisation as races), and a second cargo build would cost ~10 min of CI.
# Usage: scripts/build.sh [main|asan|tsan|all]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
which_trees=${1:-all}
jobs=$(nproc)

if [ "$which_trees" = main ] || [ "$which_trees" = all ]; then
  # crypto/ (matrix-sdk-crypto): the crates of the committed Cargo.lock, from crates.io, before cargo builds offline.
  cargo=$(command -v cargo || echo "${CARGO_HOME:-$HOME/.cargo}/bin/cargo")
  if [ -x "$cargo" ]; then
    "$cargo" fetch --locked --manifest-path crypto/rust/Cargo.toml
  fi
  # Crypto is asked for explicitly: a machine without cargo fails here with a message rather than running a suite
  # that silently lacks the encrypted-room tests.
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMXCALL_WERROR=ON -DMXCALL_CRYPTO=ON
  cmake --build build -j "$jobs"
fi
if [ "$which_trees" = asan ] || [ "$which_trees" = all ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DMXCALL_WERROR=ON -DMXCALL_SANITIZE=ON -DMXCALL_FUZZ=ON -DMXCALL_BENCH=OFF -DMXCALL_CRYPTO=OFF
  cmake --build build-asan -j "$jobs"
fi
if [ "$which_trees" = tsan ] || [ "$which_trees" = all ]; then
  # Only what has threads: the pure protocol layer's tests gain nothing here (ASan covers them).
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DMXCALL_WERROR=ON -DMXCALL_TSAN=ON -DMXCALL_BENCH=OFF -DMXCALL_CRYPTO=OFF
  cmake --build build-tsan -j "$jobs" --target tsan_tests
fi
