# lwnet_core is built from parts, one folder of host/ each; each part names the parts it may call
# (docs/DESIGN.md, "Parts and their arrows"). The linker enforces the arrows: with
# LWNET_CHECK_PARTS, each part's objects are also linked into a shared library
# (part_checks/liblwnet_part_check_<part>.so, never installed) with --no-undefined against only
# the parts and external libraries it declares, so a call along an arrow that does not exist fails
# the build with "undefined reference to <symbol>".
#
# Not with sanitizers or libFuzzer: Clang links their runtimes into executables only, so every
# instrumented shared library has undefined symbols.
if(LWNET_SANITIZE OR LWNET_FUZZ)
  set(_lwnet_check_parts_default OFF)
else()
  set(_lwnet_check_parts_default ON)
endif()
option(LWNET_CHECK_PARTS "Link each part of lwnet_core on its own to enforce the dependency arrows"
       ${_lwnet_check_parts_default})

# The external libraries every part may use.
set(LWNET_PART_COMMON_LINKS OpenMP::OpenMP_CXX Threads::Threads)

# lwnet_add_part(name CALLS part... LINKS lib... SOURCES src...)
#   name: lwnet_part_<name>, an OBJECT library; CALLS: the parts its code may call; LINKS: the
#   external libraries it may use (their include folders and compile flags apply to it alone).
function(lwnet_add_part name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "CALLS;LINKS;SOURCES")
  set(target lwnet_part_${name})
  add_library(${target} OBJECT ${arg_SOURCES})
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    PRIVATE ${PROJECT_SOURCE_DIR}/host)
  target_link_libraries(${target} PRIVATE ${LWNET_PART_COMMON_LINKS} ${arg_LINKS})
  lwnet_set_target_options(${target})
  set_property(GLOBAL APPEND PROPERTY LWNET_PARTS ${name})
  set_property(GLOBAL PROPERTY LWNET_PART_LINKS_${name} ${arg_LINKS})
  foreach(called IN LISTS arg_CALLS)
    if(NOT TARGET lwnet_part_${called})
      message(FATAL_ERROR "part ${name} calls part ${called}, which is not defined before it: parts "
                          "are declared bottom-up, so the arrows cannot form a cycle")
    endif()
  endforeach()
  if(NOT LWNET_CHECK_PARTS)
    return()
  endif()
  set(check lwnet_part_check_${name})
  add_library(${check} SHARED $<TARGET_OBJECTS:${target}>)
  set_target_properties(${check} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/part_checks
                                            LINKER_LANGUAGE CXX)
  list(TRANSFORM arg_CALLS PREPEND lwnet_part_check_ OUTPUT_VARIABLE called_checks)
  target_link_libraries(${check} PRIVATE ${called_checks} ${LWNET_PART_COMMON_LINKS} ${arg_LINKS})
  target_link_options(${check} PRIVATE LINKER:--no-undefined)
endfunction()

# The objects of the named parts, for a library made of them.
function(lwnet_part_objects out)
  set(objects)
  foreach(name IN LISTS ARGN)
    list(APPEND objects $<TARGET_OBJECTS:lwnet_part_${name}>)
  endforeach()
  set(${out} ${objects} PARENT_SCOPE)
endfunction()

# lwnet_parts_library(out part...): a static library of exactly these parts (and their external
# libraries), for code that may call them and nothing else; its name goes to `out`.
function(lwnet_parts_library out)
  string(JOIN _ target lwnet_parts ${ARGN})
  if(NOT TARGET ${target})
    lwnet_part_objects(objects ${ARGN})
    set(links ${LWNET_PART_COMMON_LINKS})
    foreach(name IN LISTS ARGN)
      get_property(part_links GLOBAL PROPERTY LWNET_PART_LINKS_${name})
      list(APPEND links ${part_links})
    endforeach()
    add_library(${target} STATIC EXCLUDE_FROM_ALL ${objects})
    set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
    target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
    target_link_libraries(${target} PRIVATE ${links})
  endif()
  set(${out} ${target} PARENT_SCOPE)
endfunction()
