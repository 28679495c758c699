# lwnet_run(COMMAND cmd... [WORKING_DIRECTORY dir] [OUTPUT var] [ECHO]) for the cmake -P test
# scripts (cmake/Run*Test.cmake): runs the command (in WORK_DIR by default), fails the test with
# its output when it fails, stores its standard output in `var`, prints it with ECHO.
function(lwnet_run)
  cmake_parse_arguments(PARSE_ARGV 0 arg "ECHO" "WORKING_DIRECTORY;OUTPUT" "COMMAND")
  if(NOT arg_WORKING_DIRECTORY)
    set(arg_WORKING_DIRECTORY ${WORK_DIR})
  endif()
  file(MAKE_DIRECTORY ${arg_WORKING_DIRECTORY})
  execute_process(COMMAND ${arg_COMMAND} WORKING_DIRECTORY ${arg_WORKING_DIRECTORY}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${arg_COMMAND}\n${out}\n${err}")
  endif()
  if(arg_ECHO)
    message("${out}")
  endif()
  if(arg_OUTPUT)
    set(${arg_OUTPUT} "${out}" PARENT_SCOPE)
  endif()
endfunction()
