# Every public header compiles on its own with the host compiler alone (no CUDA, nothing
# included before it): one generated translation unit per header, the C headers (.h) included
# (compiled as C++ here; tests/capi compiles lwnet.h as C99). The exception, lwnet/cuda.hpp
# (which no other header includes), includes <cuda_runtime.h>: it is checked, with the CUDA
# toolkit's headers and those alone added, when the build has CUDA.
file(GLOB_RECURSE _lwnet_public_headers RELATIVE ${PROJECT_SOURCE_DIR}/include
     CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/lwnet/*.hpp ${PROJECT_SOURCE_DIR}/include/lwnet/*.h)
set(_lwnet_header_sources "")
foreach(header IN LISTS _lwnet_public_headers)
  # The installed headers mean the same to every compiler: none branches on nvcc.
  file(READ ${PROJECT_SOURCE_DIR}/include/${header} _lwnet_header_text)
  if(_lwnet_header_text MATCHES "__CUDACC__")
    message(FATAL_ERROR "include/${header} tests __CUDACC__: public headers must not branch on the compiler "
                        "(CUDA code defines LWNET_HD first, kernels/common/host_device.cuh)")
  endif()
  if(header STREQUAL "lwnet/cuda.hpp" AND NOT LWNET_ENABLE_CUDA)
    continue()
  endif()
  string(MAKE_C_IDENTIFIER "${header}" name)
  set(source ${PROJECT_BINARY_DIR}/header_check/${name}.cpp)
  file(CONFIGURE OUTPUT ${source} CONTENT "#include \"${header}\"\n#include \"${header}\"  // include guard\n")
  list(APPEND _lwnet_header_sources ${source})
  if(header STREQUAL "lwnet/cuda.hpp")
    set(_lwnet_cuda_includes "")
    foreach(dir IN LISTS CUDAToolkit_INCLUDE_DIRS)
      list(APPEND _lwnet_cuda_includes -isystem ${dir})
    endforeach()
    set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "${_lwnet_cuda_includes}")
  endif()
endforeach()
add_library(lwnet_header_check OBJECT ${_lwnet_header_sources})
target_include_directories(lwnet_header_check PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_compile_options(lwnet_header_check PRIVATE -Wall -Wextra -Wpedantic -Werror)

# The README's library example (its first ```cpp block) compiles against <lwnet/lwnet.hpp> alone:
# the umbrella header must declare everything the example uses. The block's statements become the
# body of a function whose parameters are the example's inputs; it is compiled, never run.
file(READ ${PROJECT_SOURCE_DIR}/README.md _lwnet_readme)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/README.md)
if(NOT _lwnet_readme MATCHES "```cpp\n([^`]*)```")
  message(FATAL_ERROR "README.md has no ```cpp block (the library example the header check compiles)")
endif()
set(_lwnet_example "${CMAKE_MATCH_1}")
string(REGEX MATCHALL "#include[^\n]*\n" _lwnet_example_includes "${_lwnet_example}")
string(REGEX REPLACE "#include[^\n]*\n" "" _lwnet_example_body "${_lwnet_example}")
string(JOIN "" _lwnet_example_includes ${_lwnet_example_includes})
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/header_check/readme_example.cpp @ONLY CONTENT
"// Generated from README.md's library example by cmake/LwnetHeaderCheck.cmake.
${_lwnet_example_includes}
void lwnet_readme_example(const lwnet::Matrix<float>& host_matrix, const lwnet::Matrix<float>& X_host,
                          const lwnet::Matrix<float>& X_new, const lwnet::Labels& labels,
                          const std::vector<std::string>& classes) {
${_lwnet_example_body}}
")
target_sources(lwnet_header_check PRIVATE ${PROJECT_BINARY_DIR}/header_check/readme_example.cpp)
set_source_files_properties(${PROJECT_BINARY_DIR}/header_check/readme_example.cpp PROPERTIES
  COMPILE_OPTIONS "-Wno-unused-variable;-Wno-unused-but-set-variable;-Wno-missing-declarations")
