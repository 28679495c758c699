# include/lwnet/version.h holds the compile-time version macros (LWNET_VERSION_MAJOR/MINOR/PATCH) as
# committed text, so the headers need no generated file; this check keeps them equal to
# project(VERSION), which the run-time version() reports: a release that bumps one and not the
# other fails to configure.
set(_lwnet_version_header ${PROJECT_SOURCE_DIR}/include/lwnet/version.h)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_lwnet_version_header})
file(READ ${_lwnet_version_header} _lwnet_version_text)
foreach(part MAJOR MINOR PATCH)
  if(NOT _lwnet_version_text MATCHES "#define LWNET_VERSION_${part} ([0-9]+)")
    message(FATAL_ERROR "include/lwnet/version.h does not define LWNET_VERSION_${part}")
  endif()
  if(NOT CMAKE_MATCH_1 EQUAL PROJECT_VERSION_${part})
    message(FATAL_ERROR "include/lwnet/version.h says LWNET_VERSION_${part} ${CMAKE_MATCH_1}, but project(VERSION) is "
                        "${PROJECT_VERSION}: update the header with the project version")
  endif()
endforeach()
