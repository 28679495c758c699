# cmake -DBUILD_DIR=... -DWORK_DIR=... -DSOURCE_DIR=... -DGENERATOR=... -DCXX_COMPILER=... -P RunPackageTest.cmake
# Installs the build into WORK_DIR/prefix, then configures, builds and runs tests/package with the
# same C++ compiler (a Clang build's static libraries need Clang's OpenMP runtime at link time).
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message("${out}")
  set(output "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
# The consumer links no CUDA library, even when lwnet was built with CUDA.
run(${CMAKE_COMMAND} -DBINARY=${WORK_DIR}/build/consumer -P ${SOURCE_DIR}/tests/CheckNoCudaLibraries.cmake)
run(${WORK_DIR}/build/consumer)
# With CUDA, the installed module is found and loaded from the prefix (the installed lwnet::lwnet
# does not look into the build tree): the probe then reports the CUDA runtime's own answer.
file(GLOB module ${WORK_DIR}/prefix/lib*/liblwnet_cuda_backend.so)
if(module AND output MATCHES "CUDA backend module not (found|loaded)")
  message(FATAL_ERROR "the consumer did not load the installed ${module}:\n${output}")
endif()
