# Backend modules: shared objects that lwnet::lwnet opens with dlopen at run time (the CUDA backend,
# kernels/; test doubles, tests/select/), so that a program using the CPU never loads the CUDA
# libraries (docs/DESIGN.md, "The CUDA backend module").
#
# How a module gets lwnet_core's code (its backend derives from lwnet::Backend): it links a static
# library of the parts of lwnet_core it may call (PARTS) into itself, hidden. -fvisibility=hidden, -Wl,--exclude-libs,ALL and a version
# script that exports the entry function alone keep the module's copy of lwnet_core private: the
# module's code binds to its own copy and never interposes on the program's, nor the program's on
# it. The two copies come from the same sources (the loader checks LWNET_MODULE_INTERFACE_ID), so
# objects crossing the boundary (CudaProbe, Matrix, the Backend vtable) have one layout, and
# exceptions thrown in the module (CudaError, Unavailable) are caught as lwnet::Error by the program:
# libstdc++ matches type_info by name across shared objects. A shared lwnet_core would avoid the
# second copy, but would make every lwnet program (and the CPU tests) depend on a shared library
# and its run path; the module is only ever loaded next to a program that already has lwnet_core.

include(GNUInstallDirs)
set(LWNET_CUDA_MODULE_FILE_NAME
    "${CMAKE_SHARED_MODULE_PREFIX}lwnet_cuda_backend${CMAKE_SHARED_MODULE_SUFFIX}")

# LWNET_MODULE_INTERFACE_ID, regenerated whenever a header shared with the module changes.
set(LWNET_MODULE_INTERFACE_DIR ${PROJECT_BINARY_DIR}/generated/module_interface)
file(GLOB_RECURSE _lwnet_interface_headers CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/include/lwnet/*.hpp ${PROJECT_SOURCE_DIR}/include/lwnet/*.h)
add_custom_command(
  OUTPUT ${LWNET_MODULE_INTERFACE_DIR}/lwnet_module_interface.hpp
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
          -DOUTPUT=${LWNET_MODULE_INTERFACE_DIR}/lwnet_module_interface.hpp
          -P ${CMAKE_CURRENT_LIST_DIR}/LwnetInterfaceId.cmake
  DEPENDS ${_lwnet_interface_headers} ${PROJECT_SOURCE_DIR}/kernels/cuda_module_abi.hpp
          ${CMAKE_CURRENT_LIST_DIR}/LwnetInterfaceId.cmake
  COMMENT "Hashing the headers shared with backend modules"
  VERBATIM)
add_custom_target(lwnet_module_interface DEPENDS ${LWNET_MODULE_INTERFACE_DIR}/lwnet_module_interface.hpp)

# lwnet_use_module_interface(target): target compiles against the entry surface and the id.
function(lwnet_use_module_interface target)
  add_dependencies(${target} lwnet_module_interface)
  target_include_directories(${target} PRIVATE ${LWNET_MODULE_INTERFACE_DIR} ${PROJECT_SOURCE_DIR}/kernels)
endfunction()

# lwnet_add_backend_module(target OUTPUT_DIRECTORY dir PARTS part... SOURCES src...)
#   PARTS: the parts of lwnet_core (cmake/LwnetParts.cmake) the module's code may call; only their
#   objects are linked in, so a call into any other part (kernels/ knows nothing of trainers, I/O
#   or the CLI) fails to link.
function(lwnet_add_backend_module target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "OUTPUT_DIRECTORY" "PARTS;SOURCES")
  add_library(${target} MODULE ${arg_SOURCES})
  set_target_properties(${target} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    CUDA_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${arg_OUTPUT_DIRECTORY}
    LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/lwnet_backend_module.map)
  target_link_options(${target} PRIVATE
    LINKER:--exclude-libs,ALL
    LINKER:--version-script=${PROJECT_SOURCE_DIR}/cmake/lwnet_backend_module.map)
  # A symbol missing from the module fails the link here, not the dlopen later. Not with
  # sanitizers: Clang links their runtimes into executables only, and the module uses the program's.
  if(NOT LWNET_SANITIZE AND NOT LWNET_FUZZ)
    target_link_options(${target} PRIVATE LINKER:--no-undefined)
  endif()
  lwnet_parts_library(parts ${arg_PARTS})
  target_link_libraries(${target} PRIVATE ${parts})
  lwnet_use_module_interface(${target})
endfunction()
