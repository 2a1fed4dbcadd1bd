#!/usr/bin/env bash
# Installs everything, builds once, and runs the whole test suite: fast groups first.
# Every test runs inside a private network namespace that holds only `lo` (no packet can leave the machine).
# Ends with one line "mxcall: N passed, M failed, K skipped" over all groups (a skipped test, e.g. one whose spec data
# is absent, is never counted as passed); exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/setup-venv.sh
scripts/setup-node.sh
scripts/build.sh all
scripts/check-format.sh

# Reports from uninstrumented system libraries (GLib, GStreamer): narrow suppressions, each with its reason.
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/tsan.supp:second_deadlock_stack=1"

passed=0
failed=0
skipped=0
failed_groups=()

# A ctest -R pattern matching the tests of `label` in `tree` whose program exists. The TSan tree builds only the
# programs listed in tests/CMakeLists.txt (MXCALL_TSAN_TEST_TARGETS); the other tests there have no program.
built_tests_pattern() {
  (cd "$1" && ctest --show-only=json-v1) | python3 -c '
import json, re, sys
label = sys.argv[1]
names = [t["name"] for t in json.load(sys.stdin)["tests"]
         if t.get("command") and any(p["name"] == "LABELS" and label in p["value"] for p in t.get("properties", []))]
print("^(" + "|".join(re.escape(n) for n in names) + ")$" if names else "")' "$2"
}

# Runs ctest for one label in one tree (less the tests matching an optional third argument), inside a fresh network
# namespace with loopback up. In build-tsan only the tests whose program was built run (see built_tests_pattern).
run_label() {
  local tree=$1 label=$2 exclude=${3:-}
  local select="-L '^$label\$'"
  [ -z "$exclude" ] || select="$select -E '$exclude'"
  if [ "$tree" = build-tsan ]; then
    local pattern
    pattern=$(built_tests_pattern "$tree" "$label")
    [ -n "$pattern" ] || pattern='^$'
    select="$select -R '$pattern'"
  fi
  local count
  count=$(cd "$tree" && eval ctest -N "$select" | awk '/Total Tests:/ {print $3}')
  if [ "${count:-0}" -eq 0 ]; then
    echo "=== $label ($tree): no tests in this tree"
    return 0
  fi
  echo "=== ctest -L $label ($tree): $count tests"
  local log
  log=$(mktemp)
  local status=0
  local command="ip link set lo up 2>/dev/null || true; cd '$tree' && ctest $select --output-on-failure"
  # GLib 2.74's GSlice hands memory between threads through per-thread magazines TSan cannot see; malloc it can.
  [ "$tree" != build-tsan ] || command="export G_SLICE=always-malloc; $command"
  command="$command --timeout 900 -j 2"
  unshare -n -- bash -c "$command" 2>&1 | tee "$log" || status=$?
  local group_failed
  group_failed=$(sed -n 's/.* tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  local group_total
  group_total=$(sed -n 's/.* tests passed, [0-9]* tests\{0,1\} failed out of \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  # GTEST_SKIP shows as "(Skipped)" in ctest's "did not run" list, but ctest counts it among the passed.
  local group_skipped
  group_skipped=$(grep -c '^[[:space:]]*[0-9]* - .* (Skipped)$' "$log" || true)
  rm -f "$log"
  if [ -z "$group_total" ]; then  # ctest itself broke: count the whole group as failed
    group_total=$count
    group_failed=$count
  fi
  passed=$((passed + group_total - group_failed - group_skipped))
  failed=$((failed + group_failed))
  skipped=$((skipped + group_skipped))
  if [ "$status" -ne 0 ] || [ "$group_failed" -ne 0 ]; then failed_groups+=("$label ($tree)"); fi
}

run_label build unit
run_label build-asan unit
run_label build sim
run_label build-asan sim
run_label build-asan fuzz-smoke
run_label build bench-smoke
for label in synapse media interop; do
  run_label build "$label"
done
# The threaded layers again under ASan+UBSan and under ThreadSanitizer (unit there: the scripted hostile server).
# The slow unwinder here too: synapse.cli's mxcall children run GStreamer, whose one GLib leak lsan.supp names by frame.
ASAN_OPTIONS=fast_unwind_on_malloc=0 run_label build-asan synapse
# The slow unwinder at each malloc: the one suppressed GLib leak is recognised by its _dl_init frame (lsan.supp). It
# slows the senders enough that a paced WAV source catches up in a burst, so the pacing test runs in build/ only.
ASAN_OPTIONS=fast_unwind_on_malloc=0 run_label build-asan media 'WavFileSourceIsSentAtRealTimePace'
# The TSan tree holds the threaded layers' tests (tests/CMakeLists.txt, MXCALL_TSAN_TEST_TARGETS). Its media label
# leaves out the pacing test, for the reason ASan does.
for label in unit synapse; do
  run_label build-tsan "$label"
done
run_label build-tsan media 'WavFileSourceIsSentAtRealTimePace'
# Unit tests with threads (label tsan: the runtime's phones and their GLib loop) under ThreadSanitizer.
run_label build-tsan tsan

if [ "${#failed_groups[@]}" -gt 0 ]; then
  echo "mxcall: failing groups: ${failed_groups[*]}"
fi
echo "mxcall: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "${#failed_groups[@]}" -eq 0 ]
