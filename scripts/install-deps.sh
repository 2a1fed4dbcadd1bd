#!/usr/bin/env bash
# Installs every system package mxcall needs to build and test, from Debian 12's own archive.
# Safe to run again: apt-get skips what is already there. Needs root (CI and fresh machines run as root).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang libclang-rt-14-dev clang-format
  # JSON: simdjson On Demand for reading, RapidJSON's Writer for writing, nlohmann for tests, tools and baselines
  libsimdjson-dev rapidjson-dev nlohmann-json3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # the build tree's Python venv (JSON-schema checks now; Synapse later)
  python3 python3-venv python3-pip
  # test isolation: unshare (util-linux) and ip (iproute2) for the private network namespace
  util-linux iproute2
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (it calls apt-get install)" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi
