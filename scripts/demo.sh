#!/usr/bin/env bash
# Installs everything, builds, and runs the demo: `mxcall validate` over the spec's own m.call.* examples, then the
# call engine placing a call on a scripted timeline (`mxcall replay`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh main
shared=${MXCALL_SHARED_DIR:-../shared}
echo "== mxcall validate: the spec's own m.call.* examples"
build/tests/support/mxcall-spec-examples "$shared/matrix-spec/data/event-schemas/examples" > build/spec-examples.jsonl
build/tools/mxcall/mxcall validate build/spec-examples.jsonl
echo "== mxcall replay: a call placed, answered on another device, connected and hung up (docs/replay.md)"
build/tools/mxcall/mxcall replay tests/replay/scripts/caller_happy_path.jsonl
