#!/usr/bin/env bash
# The interop peers' Node packages (tests/interop/node_modules): matrix-js-sdk, @roamhq/wrtc (its libwebrtc binary is
# inside the npm package @roamhq/wrtc-linux-x64, no download step) and playwright-core, exactly as
# tests/interop/package-lock.json pins them. Runs outside any network namespace; reinstalls only when the lock changed.
set -euo pipefail
cd "$(dirname "$0")/../tests/interop"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup-node: node and npm are missing: run scripts/install-deps.sh (package nodejs), or install Node.js 20" >&2
  exit 2
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  # matrix-js-sdk 37.5.0, @roamhq/wrtc 0.10.0 and playwright-core 1.65.1 declare engines.node >=20; Debian 12's own
  # nodejs is 18.
  echo "setup-node: Node.js $(node --version) is too old: the interop peers need Node.js 20 or newer" >&2
  exit 2
fi

stamp=node_modules/.mxcall-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
