# The CPU backend (host/cpu/) compiled once per x86-64 level: the baseline (the cpu part itself),
# x86-64-v3 (AVX2, FMA) and x86-64-v4 (AVX-512); host/cpu/cpu_levels.cpp picks the highest level the
# CPU runs, at run time (docs/DESIGN.md, "CPU levels"). So no installed library carries
# -march=native, and each CPU still gets vector code of its width.
#
# Each level's objects are linked into one relocatable object (ld -r) in which only the level's
# entry (lwnet::cpu::make_backend_isa_<level>) stays global (objcopy): the inline functions and
# template instances it compiled with AVX2 or AVX-512 (std::vector's, the vector math's) cannot
# then stand in for the baseline's copies at link time, which would run AVX code on a CPU without
# it. --force-group-allocation resolves the COMDAT groups inside the level first, so no group is
# left for the final link to merge with another level's by name. A test looks at the result
# (ctest cpu_level_objects_keep_to_themselves).
# GNU ld for the relocatable link (lld has no --force-group-allocation), whichever linker the
# compiler uses.
find_program(LWNET_GNU_LD NAMES ld.bfd ld DOC "GNU ld, for the CPU levels' relocatable links")
set(_lwnet_have_gnu_ld OFF)
if(LWNET_GNU_LD)
  execute_process(COMMAND ${LWNET_GNU_LD} --version OUTPUT_VARIABLE _lwnet_ld_version ERROR_QUIET)
  if(_lwnet_ld_version MATCHES "GNU ld")
    set(_lwnet_have_gnu_ld ON)
  endif()
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND NOT LWNET_NATIVE_ARCH AND NOT LWNET_SANITIZE
   AND NOT LWNET_FUZZ AND _lwnet_have_gnu_ld AND CMAKE_OBJCOPY)
  set(_lwnet_cpu_levels_default ON)
else()
  set(_lwnet_cpu_levels_default OFF)
endif()
option(LWNET_CPU_LEVELS "Also build the CPU backend for x86-64-v3 and x86-64-v4 and choose one at run time (x86-64)"
       ${_lwnet_cpu_levels_default})
if(LWNET_CPU_LEVELS AND LWNET_NATIVE_ARCH)
  message(FATAL_ERROR "LWNET_CPU_LEVELS=ON with LWNET_NATIVE_ARCH=ON: -march=native would reach the baseline "
                      "level's code too; choose one")
endif()
if(LWNET_CPU_LEVELS AND (NOT _lwnet_have_gnu_ld OR NOT CMAKE_OBJCOPY))
  message(FATAL_ERROR "LWNET_CPU_LEVELS=ON needs GNU ld (ld.bfd) and objcopy (binutils); configure with "
                      "-DLWNET_CPU_LEVELS=OFF")
endif()

# lwnet_cpu_level_objects(out SOURCES src...): the levels' relocatable objects (none when
# LWNET_CPU_LEVELS is OFF); the target lwnet_cpu_levels builds them.
function(lwnet_cpu_level_objects out)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES")
  set(objects)
  if(LWNET_CPU_LEVELS)
    foreach(level x86-64-v3 x86-64-v4)
      string(REPLACE "-" "_" ns "isa_${level}")
      set(target lwnet_cpu_${ns})
      add_library(${target} OBJECT ${arg_SOURCES})
      target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/host)
      target_link_libraries(${target} PRIVATE ${LWNET_PART_COMMON_LINKS} ${LWNET_BLAS_LIBRARIES})
      lwnet_set_target_options(${target})
      # -fno-gnu-unique: GCC gives the static locals of inline functions (std::to_chars's digit
      # table) "unique" binding, which objcopy cannot make local.
      target_compile_options(${target} PRIVATE -march=${level} -mtune=generic $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)
      target_compile_definitions(${target} PRIVATE LWNET_CPU_ISA_NS=${ns} LWNET_CPU_ISA_NAME="${level}"
                                                   LWNET_BLAS_VENDOR="${LWNET_BLAS_VENDOR}")
      set(object ${CMAKE_CURRENT_BINARY_DIR}/lwnet_cpu_${ns}${CMAKE_CXX_OUTPUT_EXTENSION})
      add_custom_command(
        OUTPUT ${object}
        COMMAND ${LWNET_GNU_LD} -r --force-group-allocation -o ${object}.all $<TARGET_OBJECTS:${target}>
        COMMAND ${CMAKE_OBJCOPY} --wildcard "--keep-global-symbol=_ZN5lwnet3cpu*make_backend_${ns}E*"
                ${object}.all ${object}
        DEPENDS ${target} $<TARGET_OBJECTS:${target}>
        COMMENT "Keeping the CPU backend's ${level} code to itself"
        COMMAND_EXPAND_LISTS VERBATIM)
      list(APPEND objects ${object})
    endforeach()
  endif()
  add_custom_target(lwnet_cpu_levels DEPENDS ${objects})
  set_property(GLOBAL PROPERTY LWNET_CPU_LEVEL_OBJECTS ${objects})
  set(${out} ${objects} PARENT_SCOPE)
endfunction()
