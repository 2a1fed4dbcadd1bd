#!/usr/bin/env bash
# Fails when a tracked C++ file is not formatted as .clang-format says (clang-format 14, Debian 12).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc' 2>/dev/null || find . -name '*.cpp' -o -name '*.hpp')
[ "${#files[@]}" -gt 0 ] || exit 0
if ! clang-format --dry-run -Werror "${files[@]}" 2> build/format.log; then
  grep -m 20 'warning:' build/format.log >&2 || true
  echo "check-format: run clang-format -i on the files above" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
