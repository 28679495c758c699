# Every public header compiles on its own with the host compiler alone (no CUDA, nothing
# included before it): one generated translation unit per header.
file(GLOB_RECURSE _lwnet_public_headers RELATIVE ${PROJECT_SOURCE_DIR}/include
     CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/lwnet/*.hpp)
set(_lwnet_header_sources "")
foreach(header IN LISTS _lwnet_public_headers)
  string(MAKE_C_IDENTIFIER "${header}" name)
  set(source ${PROJECT_BINARY_DIR}/header_check/${name}.cpp)
  file(CONFIGURE OUTPUT ${source} CONTENT "#include \"${header}\"\n#include \"${header}\"  // include guard\n")
  list(APPEND _lwnet_header_sources ${source})
endforeach()
add_library(lwnet_header_check OBJECT ${_lwnet_header_sources})
target_include_directories(lwnet_header_check PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_compile_options(lwnet_header_check PRIVATE -Wall -Wextra -Wpedantic -Werror)
