#!/usr/bin/env bash
# Installs everything, builds, and runs the demo: for now, `mxcall validate` over the spec's own examples.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh main
shared=${MXCALL_SHARED_DIR:-../shared}
build/tests/support/mxcall-spec-examples "$shared/matrix-spec/data/event-schemas/examples" > build/spec-examples.jsonl
build/tools/mxcall/mxcall validate build/spec-examples.jsonl
