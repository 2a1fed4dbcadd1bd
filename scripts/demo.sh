#!/usr/bin/env bash
# Installs everything, builds, and runs the demo: `mxcall validate` over the spec's own m.call.* examples, then the
# call engine placing a call on a scripted timeline (`mxcall replay`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh main
spec=${MXCALL_SPEC_DIR:-../shared/matrix-spec}
if [ -d "$spec/data/event-schemas/examples" ]; then
  echo "== mxcall validate: the spec's own m.call.* examples"
  build/tests/support/mxcall-spec-examples "$spec/data/event-schemas/examples" > build/spec-examples.jsonl
  build/tools/mxcall/mxcall validate build/spec-examples.jsonl
else
  echo "== mxcall validate: skipped (the spec's examples are not at $spec; set MXCALL_SPEC_DIR to show it)"
fi
echo "== mxcall replay: a call placed, answered on another device, connected and hung up (docs/replay.md)"
build/tools/mxcall/mxcall replay tests/replay/scripts/caller_happy_path.jsonl
