# cmake -DLWNET=<lwnet> -DLIMIT_KB=<KiB|none> -DARGS="<arguments>" -DRC=<code> -DEXPECT=<regex>
#       [-DENV=NAME=VALUE] -P RunUnderAddressLimit.cmake
# Runs lwnet under `ulimit -v LIMIT_KB` and checks its exit code, that its output (stdout and
# stderr) matches EXPECT, and, for a failure, that stderr is one "lwnet: error:" line. A process
# that spins instead of failing fails the test after TIMEOUT seconds rather than hanging it.
#
# lwnet runs with its default threads: it links OpenBLAS's serial build, which maps no buffer per
# core before main (the OpenMP build maps 128 MiB per core there and retries a failed mmap
# forever: 2.1 GB on sixteen cores, a spin under the limit).
separate_arguments(args UNIX_COMMAND "${ARGS}")
set(environment ${CMAKE_COMMAND} -E env)
if(LIMIT_KB STREQUAL "none")
  set(limit "")
else()
  set(limit "ulimit -v ${LIMIT_KB} && ")
endif()
if(ENV)
  list(APPEND environment "${ENV}")
endif()
set(TIMEOUT 120)
execute_process(COMMAND ${environment} sh -c "${limit}exec \"$0\" \"$@\"" ${LWNET} ${args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT ${TIMEOUT})
set(report "lwnet ${ARGS} (ulimit -v ${LIMIT_KB}${ENV}): exit ${rc}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT rc STREQUAL "${RC}")
  message(FATAL_ERROR "expected exit ${RC} within ${TIMEOUT} s; ${report}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "output does not match '${EXPECT}'; ${report}")
endif()
if(NOT RC EQUAL 0 AND NOT err MATCHES "^lwnet: error: [^\n]+\n$")
  message(FATAL_ERROR "stderr is not one 'lwnet: error:' line; ${report}")
endif()
message(STATUS "${report}")
