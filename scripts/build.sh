#!/usr/bin/env bash
# Configures and builds the two trees the tests use, once each:
#   build/       g++, warnings as errors, the product, tests and benchmarks
#   build-asan/  clang, ASan+UBSan, the unit and simulation tests and the libFuzzer targets
# Usage: scripts/build.sh [main|asan|all]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
which_trees=${1:-all}
jobs=$(nproc)

if [ "$which_trees" = main ] || [ "$which_trees" = all ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMXCALL_WERROR=ON
  cmake --build build -j "$jobs"
fi
if [ "$which_trees" = asan ] || [ "$which_trees" = all ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DMXCALL_WERROR=ON -DMXCALL_SANITIZE=ON -DMXCALL_FUZZ=ON -DMXCALL_BENCH=OFF -DMXCALL_GSTREAMER=OFF -DMXCALL_MATRIX=OFF
  cmake --build build-asan -j "$jobs"
fi
