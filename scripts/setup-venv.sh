#!/usr/bin/env bash
# The build tree's Python venv (build/venv): test-only tools from PyPI. Runs outside any network namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/venv
stamp=$venv/.requirements-installed
if [ ! -f "$stamp" ] || [ tools/python-requirements.txt -nt "$stamp" ]; then
  mkdir -p build
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tools/python-requirements.txt
  touch "$stamp"
fi
