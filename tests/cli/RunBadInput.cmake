# cmake -DCOMMAND="exe;arg;..." -DEXPECT_REGEX=re [-DEXPECT_CODE=2] [-DOUT_FILE=path] -P RunBadInput.cmake
# Runs one lwnet command that must fail cleanly on bad input: exit code EXPECT_CODE (2 unless told),
# nothing on stdout, exactly one line "lwnet: error: ..." on stderr matching EXPECT_REGEX (it names
# the file, and the row for CSV errors), and no output file (OUT_FILE, the command's --out) nor any
# temporary left in OUT_FILE's folder (see lwnet_expect_failure in CliCheck.cmake).
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/CliCheck.cmake)
if(NOT DEFINED EXPECT_CODE)
  set(EXPECT_CODE 2)
endif()
lwnet_expect_failure(COMMAND ${COMMAND} CODE ${EXPECT_CODE} REGEX "${EXPECT_REGEX}" OUT_FILE "${OUT_FILE}")
