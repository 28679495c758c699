# cmake -DBUILD_DIR=... -DWORK_DIR=... -DSOURCE_DIR=... -DGENERATOR=... -DCXX_COMPILER=... -P RunPackageTest.cmake
# Installs the build into WORK_DIR/prefix, then configures, builds and runs tests/package with the
# same C++ compiler. The consumer is configured as on a machine without lwnet's own dependencies
# (CMAKE_DISABLE_FIND_PACKAGE_*: the package must not look for them) and must link liblwnet.so alone.
file(REMOVE_RECURSE ${WORK_DIR})
include(${CMAKE_CURRENT_LIST_DIR}/LwnetRunCommand.cmake)
lwnet_run(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix ECHO)
set(no_dependencies)
foreach(package nlohmann_json ZLIB OpenMP BLAS LAPACK Eigen3 CUDAToolkit CCCL)
  list(APPEND no_dependencies -DCMAKE_DISABLE_FIND_PACKAGE_${package}=ON)
endforeach()
lwnet_run(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    ${no_dependencies})
lwnet_run(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build ECHO)
# What the consumer itself needs: liblwnet.so (by its SONAME), not lwnet's private libraries.
find_program(READELF readelf)
if(READELF)
  lwnet_run(COMMAND ${READELF} -d ${WORK_DIR}/build/consumer OUTPUT output)
  string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" needed "${output}")
  if(NOT needed MATCHES "liblwnet[.]so[.][0-9]+[.][0-9]+\\]")
    message(FATAL_ERROR "the consumer does not link liblwnet.so by its SONAME: ${needed}")
  endif()
  if(needed MATCHES "gomp|omp[.]so|openblas|blas|lapack|libz[.]")
    message(FATAL_ERROR "the consumer links lwnet's private dependencies itself: ${needed}")
  endif()
  message("consumer needs: ${needed}")
endif()
# The consumer links no CUDA library, even when lwnet was built with CUDA.
lwnet_run(COMMAND ${CMAKE_COMMAND} -DBINARY=${WORK_DIR}/build/consumer -P ${SOURCE_DIR}/tests/CheckNoCudaLibraries.cmake ECHO)
lwnet_run(COMMAND ${WORK_DIR}/build/consumer ECHO OUTPUT output)
# With CUDA, the installed module is found and loaded from the prefix (the installed lwnet::lwnet
# does not look into the build tree): the probe then reports the CUDA runtime's own answer.
file(GLOB module ${WORK_DIR}/prefix/lib*/liblwnet_cuda_backend.so)
if(module AND output MATCHES "CUDA backend module not (found|loaded)")
  message(FATAL_ERROR "the consumer did not load the installed ${module}:\n${output}")
endif()
