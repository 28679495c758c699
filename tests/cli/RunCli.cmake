# cmake -DCOMMAND="exe;arg;..." -DEXPECT_CODE=N -DEXPECT_REGEX=re -P RunCli.cmake
# Runs one lwnet command and checks its exit code and that its output matches a regex.
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
if(NOT code STREQUAL EXPECT_CODE)
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_CODE}\n${all}")
endif()
if(NOT all MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "output does not match '${EXPECT_REGEX}':\n${all}")
endif()
message("${all}")
