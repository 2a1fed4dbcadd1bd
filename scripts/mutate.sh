#!/usr/bin/env bash
# A mutation check of the protocol layer: applies one small change at a time to protocol/src (each breaks one rule),
# rebuilds the protocol tests in build/, and expects some test to fail. Prints each mutant as KILLED or SURVIVED and
# exits non-zero when any survived. Restores every file afterwards, also on Ctrl-C.
# Usage: scripts/mutate.sh [build-dir]   (default build; configure it first with scripts/build.sh main)
# About a minute per mutant on 2 cores. Add a mutant for every new rule's guard.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
export MXCALL_SIM_RUNS=${MXCALL_SIM_RUNS:-500}

python3 - "$build" <<'PY'
import pathlib, subprocess, sys

build = sys.argv[1]
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

targets = ["protocol_unit_tests", "replay_tests", "simulation_tests"]
tests = [f"{build}/tests/unit/protocol_unit_tests", f"{build}/tests/replay/replay_tests",
         f"{build}/tests/sim/simulation_tests"]
survived = 0
for why, path, text, replacement in MUTANTS:
    file = pathlib.Path(path)
    original = file.read_text()
    if original.count(text) != 1:
        print(f"STALE     {why}: the text to change occurs {original.count(text)} times in {path}")
        survived += 1
        continue
    try:
        file.write_text(original.replace(text, replacement))
        built = subprocess.run(["cmake", "--build", build, "-j2", "--target", *targets], capture_output=True)
        if built.returncode != 0:
            print(f"NOBUILD   {why}: the mutant does not compile; fix the mutant")
            survived += 1
            continue
        failed = any(subprocess.run([t, "--gtest_brief=1"], capture_output=True).returncode != 0 for t in tests)
        print(("KILLED    " if failed else "SURVIVED  ") + why, flush=True)
        survived += 0 if failed else 1
    finally:
        file.write_text(original)
subprocess.run(["cmake", "--build", build, "-j2", "--target", *targets], capture_output=True)
print(f"mutate: {len(MUTANTS) - survived} of {len(MUTANTS)} mutants killed")
sys.exit(1 if survived else 0)
PY
