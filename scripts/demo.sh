#!/usr/bin/env bash
# Installs everything, builds, and runs the demo: `mxcall demo`, a real call between two parties in one process
# (alice calls bob through an in-process room, webrtcbin media over 127.0.0.1 only), inside a private network
# namespace that holds only `lo`. It exits 0 only when each direction carried the other side's tone.
# Then the protocol tools: `mxcall validate` over the spec's own m.call.* examples and `mxcall replay`.
# Usage: scripts/demo.sh [mxcall demo options, e.g. --video --seconds 10]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh main
mxcall=build/tools/mxcall/mxcall

echo "== mxcall demo: alice calls bob, real media on 127.0.0.1"
if [ "$(id -u)" -ne 0 ] || ! unshare -n -- true 2>/dev/null; then
  echo "demo.sh: cannot make a private network namespace (unshare -n needs root and a kernel that allows it);" >&2
  echo "         running the demo in this namespace instead: its ICE still uses 127.0.0.1 only (loopback_only)." >&2
  "$mxcall" demo "$@"
else
  unshare -n -- bash -c 'ip link set lo up && exec "$0" demo "$@"' "$mxcall" "$@"
fi

shared=${MXCALL_SHARED_DIR:-../shared}
if [ -d "$shared/matrix-spec/data/event-schemas/examples" ]; then
  echo "== mxcall validate: the spec's own m.call.* examples"
  build/tests/support/mxcall-spec-examples "$shared/matrix-spec/data/event-schemas/examples" > build/spec-examples.jsonl
  "$mxcall" validate build/spec-examples.jsonl
else
  echo "== mxcall validate: skipped, the spec's examples are not at $shared/matrix-spec (set MXCALL_SHARED_DIR)"
fi
echo "== mxcall replay: a call placed, answered on another device, connected and hung up (docs/replay.md)"
"$mxcall" replay tests/replay/scripts/caller_happy_path.jsonl
