#!/usr/bin/env bash
# The build tree's Python venv (build/venv) with the pinned test tools of tools/requirements/*.txt, from PyPI.
# Runs outside any network namespace; reinstalls only when a requirements file changed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/venv
stamp=$venv/.requirements-installed
needs_install=0
[ -f "$stamp" ] || needs_install=1
for f in tools/requirements/*.txt; do
  [ "$f" -nt "$stamp" ] && needs_install=1
done
if [ "$needs_install" = 1 ]; then
  mkdir -p build
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check $(printf -- '-r %s ' tools/requirements/*.txt)
  touch "$stamp"
fi
