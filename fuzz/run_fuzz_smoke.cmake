# Builds a seed corpus from the spec's examples (one event per file) and runs a fuzzer over it for SECONDS.
# Fails when the fuzzer finds anything (libFuzzer exits non-zero and leaves the crashing input in WORK_DIR).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/seeds ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)
if(DEFINED EXAMPLES_PRINTER)
  execute_process(COMMAND ${EXAMPLES_PRINTER} ${EXAMPLES_DIR} OUTPUT_VARIABLE examples RESULT_VARIABLE printed)
  if(NOT printed EQUAL 0)
    message(FATAL_ERROR "could not read the spec examples in ${EXAMPLES_DIR}")
  endif()
  string(REPLACE "\n" ";" lines "${examples}")
  set(n 0)
  foreach(line IN LISTS lines)
    if(NOT line STREQUAL "")
      math(EXPR n "${n} + 1")
      file(WRITE ${WORK_DIR}/seeds/example-${n}.json "${line}")
    endif()
  endforeach()
  if(n LESS 8)
    message(FATAL_ERROR "expected the 8 m.call.* examples, found ${n}")
  endif()
endif()
# A seed corpus kept in the repository (fuzz/corpus/<name>/).
if(DEFINED SEED_DIR)
  file(GLOB seeds ${SEED_DIR}/*)
  file(COPY ${seeds} DESTINATION ${WORK_DIR}/seeds)
endif()
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -seed=1 -rss_limit_mb=2048 -max_len=65536 -timeout=10
          -print_final_stats=1 -artifact_prefix=${WORK_DIR}/artifacts/ ${WORK_DIR}/corpus ${WORK_DIR}/seeds
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(GLOB found ${WORK_DIR}/artifacts/*)
  message(FATAL_ERROR "the fuzzer found a problem (exit ${result}); reproduce with: ${FUZZER} ${found}")
endif()
