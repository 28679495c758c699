# cmake -DLWNET=<lwnet> -DLIMIT_KB=<KiB|none> -DARGS="<arguments>" -DRC=<code> -DEXPECT=<regex>
#       [-DENV=NAME=VALUE] -P RunUnderAddressLimit.cmake
# Runs lwnet under `ulimit -v LIMIT_KB` and checks its exit code, that its output (stdout and
# stderr) matches EXPECT, and, for a failure, that stderr is one "lwnet: error:" line. A process
# that spins instead of failing fails the test after TIMEOUT seconds rather than hanging it.
#
# Under a limit, lwnet runs with OMP_NUM_THREADS=1: OpenBLAS (0.3.21, OpenMP build) maps a 128 MiB
# buffer per OpenMP thread in its constructor, before main, and retries a failed mmap forever, so
# the address space the CPU path needs grows with the core count (about 180 MB with one thread,
# 310 MB with two, 2.1 GB with sixteen). With one thread it is the same on every machine.
separate_arguments(args UNIX_COMMAND "${ARGS}")
set(environment ${CMAKE_COMMAND} -E env)
if(LIMIT_KB STREQUAL "none")
  set(limit "")
else()
  set(limit "ulimit -v ${LIMIT_KB} && ")
  list(APPEND environment OMP_NUM_THREADS=1)
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
