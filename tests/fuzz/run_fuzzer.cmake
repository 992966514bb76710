# One bounded fuzzing run, as a ctest (tests/fuzz/CMakeLists.txt):
#   cmake -DFUZZER=<binary> -DSEEDS=<seed corpus> -DWORK=<scratch dir> -DSECONDS=<n>
#         [-DDICT=<dictionary>] -P run_fuzzer.cmake
# The fuzzer replays the committed seeds, then mutates for SECONDS. What it finds new goes to
# WORK, emptied first, so every run starts from the seeds alone and never writes to the
# source tree; a crashing input is written to WORK/crash-<sha1> (libFuzzer prints its path)
# and the test fails. Reproduce one with: <binary> <that file>.
foreach(var FUZZER SEEDS WORK SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus")
set(args -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
         -artifact_prefix=${WORK}/)
if(DEFINED DICT)
  list(APPEND args -dict=${DICT})
endif()
execute_process(COMMAND "${FUZZER}" ${args} "${WORK}/corpus" "${SEEDS}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); its input is in ${WORK}/")
endif()
