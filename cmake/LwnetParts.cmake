# lwnet_core is built from parts, one folder of host/ each; each part names the parts it may call
# (docs/DESIGN.md, "Parts and their arrows"). The linker enforces the arrows: with
# LWNET_CHECK_PARTS, each part's objects are also linked into a shared library
# (part_checks/liblwnet_part_check_<part>.so, never installed) with --no-undefined against only
# static libraries of the parts it declares (lwnet_parts_library) and the external libraries it
# declares, so a call along an arrow that does not exist fails the build with "undefined
# reference to <symbol>". Static, not shared, libraries of the called parts: the parts are compiled
# with hidden visibility (liblwnet.so exports the public API only), so one part's shared library
# would export nothing to another. A part must therefore declare every part its calls reach, not
# only the next one down: lwnet_add_part checks that CALLS is closed that way.
#
if(LWNET_SANITIZE OR LWNET_FUZZ)
  set(_lwnet_check_parts_default OFF)
else()
  set(_lwnet_check_parts_default ON)
endif()
option(LWNET_CHECK_PARTS "Link each part of lwnet_core on its own to enforce the dependency arrows"
       ${_lwnet_check_parts_default})

# The external libraries every part may use.
set(LWNET_PART_COMMON_LINKS OpenMP::OpenMP_CXX Threads::Threads)

# lwnet_add_part(name CALLS part... LINKS lib... SOURCES src... [OBJECTS obj... DEPENDS target...])
#   name: lwnet_part_<name>, an OBJECT library; CALLS: the parts its code may call; LINKS: the
#   external libraries it may use (their include folders and compile flags apply to it alone);
#   OBJECTS: object files built otherwise (the CPU levels: cmake/LwnetCpuLevels.cmake) that belong
#   to the part, and DEPENDS the targets that build them.
function(lwnet_add_part name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "CALLS;LINKS;SOURCES;OBJECTS;DEPENDS")
  set(target lwnet_part_${name})
  add_library(${target} OBJECT ${arg_SOURCES})
  set_property(GLOBAL PROPERTY LWNET_PART_OBJECTS_${name} ${arg_OBJECTS})
  set_property(GLOBAL PROPERTY LWNET_PART_DEPENDS_${name} ${arg_DEPENDS})
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    PRIVATE ${PROJECT_SOURCE_DIR}/host)
  target_link_libraries(${target} PRIVATE ${LWNET_PART_COMMON_LINKS} ${arg_LINKS})
  lwnet_set_target_options(${target})
  set_property(GLOBAL APPEND PROPERTY LWNET_PARTS ${name})
  set_property(GLOBAL PROPERTY LWNET_PART_LINKS_${name} ${arg_LINKS})
  set_property(GLOBAL PROPERTY LWNET_PART_CALLS_${name} ${arg_CALLS})
  foreach(called IN LISTS arg_CALLS)
    if(NOT TARGET lwnet_part_${called})
      message(FATAL_ERROR "part ${name} calls part ${called}, which is not defined before it: parts "
                          "are declared bottom-up, so the arrows cannot form a cycle")
    endif()
    get_property(reached GLOBAL PROPERTY LWNET_PART_CALLS_${called})
    foreach(part IN LISTS reached)
      if(NOT part IN_LIST arg_CALLS)
        message(FATAL_ERROR "part ${name} calls ${called}, which calls ${part}: list ${part} in ${name}'s "
                            "CALLS too (the part checks link static libraries of exactly those parts)")
      endif()
    endforeach()
  endforeach()
  if(NOT LWNET_CHECK_PARTS)
    return()
  endif()
  set(check lwnet_part_check_${name})
  add_library(${check} SHARED $<TARGET_OBJECTS:${target}> ${arg_OBJECTS})
  lwnet_part_dependencies(${check} ${name})
  set_target_properties(${check} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/part_checks
                                            LINKER_LANGUAGE CXX)
  set(called_parts)
  foreach(called IN LISTS arg_CALLS)
    lwnet_parts_library(called_library ${called})
    list(APPEND called_parts ${called_library})
  endforeach()
  # One group: the called parts' archives refer to each other in any order.
  string(JOIN , called_group ${called_parts})
  if(called_parts)
    target_link_libraries(${check} PRIVATE "$<LINK_GROUP:RESCAN,${called_group}>")
  endif()
  target_link_libraries(${check} PRIVATE ${LWNET_PART_COMMON_LINKS} ${arg_LINKS})
  target_link_options(${check} PRIVATE LINKER:--no-undefined)
endfunction()

# The objects of the named parts, for a library made of them (which lwnet_part_dependencies must
# then be given).
function(lwnet_part_objects out)
  set(objects)
  foreach(name IN LISTS ARGN)
    get_property(extra GLOBAL PROPERTY LWNET_PART_OBJECTS_${name})
    list(APPEND objects $<TARGET_OBJECTS:lwnet_part_${name}> ${extra})
  endforeach()
  set(${out} ${objects} PARENT_SCOPE)
endfunction()

# lwnet_part_dependencies(target part...): target, made of these parts' objects, is built after them.
function(lwnet_part_dependencies target)
  foreach(name IN LISTS ARGN)
    get_property(depends GLOBAL PROPERTY LWNET_PART_DEPENDS_${name})
    if(depends)
      add_dependencies(${target} ${depends})
    endif()
  endforeach()
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
    lwnet_part_dependencies(${target} ${ARGN})
    set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
    target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
    target_link_libraries(${target} PRIVATE ${links})
  endif()
  set(${out} ${target} PARENT_SCOPE)
endfunction()
