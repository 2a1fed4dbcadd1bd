#!/usr/bin/env bash
# A mutation check of the protocol layer: applies one small change at a time to protocol/src (each breaks one rule),
# rebuilds the protocol's test programs in build/, runs every one of them, and expects some test to fail. Prints each
# mutant as KILLED (with the test programs and labels that noticed) or SURVIVED, then how many mutants each program
# and each ctest label killed. Exits non-zero when a mutant survived, did not compile, no longer matches the source,
# or did not run within the time budget. Restores every file afterwards, also on Ctrl-C or SIGTERM.
# Usage: scripts/mutate.sh [build-dir] [mutant-filter]   (default build; configure it first: scripts/build.sh main)
#   mutant-filter: run only the mutants whose description contains this text.
# Bounds: MXCALL_MUTATE_BUDGET_S (default 2400) for the whole run: mutants not started by then are listed as NOT RUN;
# MXCALL_MUTATE_TEST_TIMEOUT_S (default 300) for one test program on one mutant (a hang counts as a kill, said so).
# Cost on 2 busy cores: the unmutated baseline, then per mutant one object rebuilt, three programs linked and run
# (MXCALL_SIM_RUNS=2000 seeds for the simulation, a fifth of the sim label's): one to two minutes each. Add a mutant
# for every new rule's guard.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
filter=${2:-}
export MXCALL_SIM_RUNS=${MXCALL_SIM_RUNS:-2000}
unset MXCALL_UPDATE_REPLAY  # a mutant must never rewrite the replay tests' expected output

python3 - "$build" "$filter" <<'PY'
import os, pathlib, signal, subprocess, sys, time

build, only = sys.argv[1], sys.argv[2]
budget_s = float(os.environ.get("MXCALL_MUTATE_BUDGET_S", "2400"))
test_timeout_s = float(os.environ.get("MXCALL_MUTATE_TEST_TIMEOUT_S", "300"))
E = "protocol/src/engine/"
# (what the change breaks, file, text, replacement): the text must occur exactly once.
MUTANTS = [
    ("rule 12: our own echo is ignored", E + "router.cpp",
     "*common.party_id == me_.party_id", "*common.party_id != me_.party_id"),
    ("rule 28: an unanswered invite is hung up", E + "call_media.cpp",
     'return hang_up_with("invite_timeout");', 'return end("invite_timeout");'),
    ("rule 40: a second answer is ignored", E + "call_signalling.cpp",
     "  if (opponent_chosen_) {\n    return ignore(event, from_opponent(event)",
     "  if (false) {\n    return ignore(event, from_opponent(event)"),
    ("rule 50: ice_timeout once media flowed, else ice_failed", E + "call.hpp",
     'ice_.media_flowed ? "ice_timeout" : "ice_failed"', 'ice_.media_flowed ? "ice_failed" : "ice_timeout"'),
    ("rule 57: the caller is impolite in an offer collision", E + "call_signalling.cpp",
     "if (role_ == Role::caller) return ignore(event, \"offer collision", "if (false) return ignore(event, \"offer collision"),
    ("rule 60: a glare loser with a v0 caller gets a user_busy hangup", E + "call_signalling.cpp",
     "      } else {\n        send(Hangup{our_common(), kGlareHangupReason, true});",
     "      } else {\n        send(Reject{our_common(), std::nullopt});"),
    ("rule 31: a callee batches its candidates 500 ms apart", E + "call_media.cpp",
     "  } else if (!local_.held.empty()) {\n    timers_.set(Timer::candidate_flush, now + static_cast<Millis>(candidate_batch_delay_ms()));",
     "  } else if (!local_.held.empty()) {\n    timers_.set(Timer::candidate_flush, now + static_cast<Millis>(host_.timeouts().candidate_batch_caller_ms));"),
    ("digest 8.9: a held end marker is no candidate", E + "call_media.cpp",
     "    if (c.is_end_of_candidates()) {\n      // A signal only", "    if (false) {\n      // A signal only"),
    ("rule 55: an unanswered negotiate fails the call", E + "call_media.cpp",
     'return hang_up_with("unknown_error");\n    case Timer::connect', 'return;\n    case Timer::connect'),
    ("reader: an empty call_id is refused", "protocol/src/content_reader.cpp",
     'if (content.common.call_id.empty()) return in.fail', 'if (false) return in.fail'),
    ("writer: no empty stream id", "protocol/src/send_rules.cpp",
     "if (stream_id.empty()) return error(", "if (false) return error("),
    ("writer: no empty replacement_id in m.call.replaces", "protocol/src/send_rules.cpp",
     "Error check_replaces(const Replaces& c) {\n  if (c.replacement_id.empty())",
     "Error check_replaces(const Replaces& c) {\n  if (false)"),
    ("writer: no empty replacement_id in m.call.reject_replacement", "protocol/src/send_rules.cpp",
     '"failed_call"};\n  if (c.replacement_id.empty())', '"failed_call"};\n  if (false)'),
    ("writer: no empty target_room", "protocol/src/send_rules.cpp",
     "if (c.target_room && c.target_room->empty())", "if (false)"),
    ("rule 10: every event carries our party_id", "protocol/src/send_rules.cpp",
     "if (!common.party_id) return error(", "if (false) return error("),
]

# (ctest label, program): the test programs that exercise protocol/src without a homeserver or real media.
TESTS = [("unit", "tests/unit/protocol_unit_tests"), ("unit", "tests/replay/replay_tests"),
         ("sim", "tests/sim/simulation_tests")]
targets = [pathlib.Path(program).name for _, program in TESTS]


def stop(signum, frame):
    raise KeyboardInterrupt  # runs the `finally` that restores the mutated file


signal.signal(signal.SIGTERM, stop)


def build_tests():
    return subprocess.run(["cmake", "--build", build, "-j2", "--target", *targets], capture_output=True, text=True)


def failing_tests():
    """The programs with a failing test (or that hung past the timeout, or crashed): [(label, name, how)]."""
    failed = []
    for label, program in TESTS:
        name = pathlib.Path(program).name
        try:
            run = subprocess.run([f"{build}/{program}", "--gtest_brief=1"], capture_output=True, timeout=test_timeout_s)
            if run.returncode != 0:
                failed.append((label, name, "failed" if run.returncode == 1 else f"exit {run.returncode}"))
        except subprocess.TimeoutExpired:
            failed.append((label, name, f"timed out after {test_timeout_s:.0f} s"))
    return failed


started = time.monotonic()
built = build_tests()
if built.returncode != 0:
    sys.exit("mutate: the unmutated tree does not build:\n" + built.stdout[-3000:])
baseline = failing_tests()
if baseline:
    sys.exit(f"mutate: tests fail without any mutant, so no kill would mean anything: {baseline}")
print(f"mutate: baseline passes ({time.monotonic() - started:.0f} s); budget {budget_s:.0f} s", flush=True)

selected = [m for m in MUTANTS if only in m[0]]
kills = {name: 0 for name in targets}
label_kills = {label: 0 for label, _ in TESTS}
outcome = {"KILLED": 0, "SURVIVED": 0, "STALE": 0, "NOBUILD": 0, "NOT RUN": 0}
try:
    for why, path, text, replacement in selected:
        if time.monotonic() - started > budget_s:
            print(f"NOT RUN   {why}: the {budget_s:.0f} s budget (MXCALL_MUTATE_BUDGET_S) is spent", flush=True)
            outcome["NOT RUN"] += 1
            continue
        file = pathlib.Path(path)
        original = file.read_text()
        if original.count(text) != 1:
            print(f"STALE     {why}: the text to change occurs {original.count(text)} times in {path}", flush=True)
            outcome["STALE"] += 1
            continue
        began = time.monotonic()
        try:
            file.write_text(original.replace(text, replacement))
            built = build_tests()
            if built.returncode != 0:
                errors = [line for line in built.stdout.splitlines() if "error" in line][:3]
                print(f"NOBUILD   {why}: the mutant does not compile; fix the mutant: {errors}", flush=True)
                outcome["NOBUILD"] += 1
                continue
            failed = failing_tests()
        finally:
            file.write_text(original)
        for name in {name for _, name, _ in failed}:
            kills[name] += 1
        for label in {label for label, _, _ in failed}:
            label_kills[label] += 1
        seconds = time.monotonic() - began
        if failed:
            by = ", ".join(f"{name} ({label}, {how})" for label, name, how in failed)
            print(f"KILLED    {why}  [{seconds:.0f} s] by {by}", flush=True)
            outcome["KILLED"] += 1
        else:
            print(f"SURVIVED  {why}  [{seconds:.0f} s]", flush=True)
            outcome["SURVIVED"] += 1
finally:
    build_tests()  # the tree's programs match the restored sources again

ran = outcome["KILLED"] + outcome["SURVIVED"]
print("mutate: kills by program: " + ", ".join(f"{name} {n} of {ran}" for name, n in kills.items()))
print("mutate: kills by label: " + ", ".join(f"{label} {n} of {ran}" for label, n in label_kills.items()))
print(f"mutate: {outcome['KILLED']} of {len(selected)} mutants killed, " +
      ", ".join(f"{n} {what.lower()}" for what, n in outcome.items() if what != "KILLED") +
      f"; {time.monotonic() - started:.0f} s")
sys.exit(0 if outcome["KILLED"] == len(selected) else 1)
PY
