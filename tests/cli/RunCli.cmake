# cmake -DCOMMAND="exe;arg;..." -DEXPECT_CODE=N [-DEXPECT_REGEX=re] [-DSTDOUT_REGEX=re] [-DSTDERR_REGEX=re]
#       [-DSTDOUT_NOT_REGEX=re] -P RunCli.cmake
# Runs one lwnet command and checks its exit code and its output: EXPECT_REGEX against stdout
# followed by stderr, STDOUT_REGEX / STDERR_REGEX against each stream alone (results go to stdout,
# progress and warnings to stderr), STDOUT_NOT_REGEX must not match stdout.
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
set(shown "exit code ${code}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT code STREQUAL EXPECT_CODE)
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_CODE}\n${shown}")
endif()
if(DEFINED EXPECT_REGEX AND NOT all MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "output does not match '${EXPECT_REGEX}':\n${shown}")
endif()
if(DEFINED STDOUT_REGEX AND NOT out MATCHES "${STDOUT_REGEX}")
  message(FATAL_ERROR "stdout does not match '${STDOUT_REGEX}':\n${shown}")
endif()
if(DEFINED STDERR_REGEX AND NOT err MATCHES "${STDERR_REGEX}")
  message(FATAL_ERROR "stderr does not match '${STDERR_REGEX}':\n${shown}")
endif()
if(DEFINED STDOUT_NOT_REGEX AND out MATCHES "${STDOUT_NOT_REGEX}")
  message(FATAL_ERROR "stdout matches '${STDOUT_NOT_REGEX}', which belongs elsewhere:\n${shown}")
endif()
message("${shown}")
