# Each CPU level's relocatable object (cmake/LwnetCpuLevels.cmake) defines one global symbol, its
# entry make_backend_isa_<level>: any other (a weak template instance, a "unique" static of an
# inline function) could be bound by the final link in place of the baseline's copy.
# Usage: cmake "-DOBJECTS=a.o;b.o" [-DNM=nm] -P CheckCpuLevelObjects.cmake
if(NOT NM)
  set(NM nm)
endif()
foreach(object IN LISTS OBJECTS)
  execute_process(COMMAND ${NM} --defined-only --extern-only ${object} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} ${object} failed (${rc})")
  endif()
  string(REGEX MATCHALL "[^\n]+" globals "${out}")
  list(LENGTH globals count)
  if(NOT count EQUAL 1 OR NOT globals MATCHES " T _ZN5lwnet3cpu[0-9]+make_backend_isa_")
    message(FATAL_ERROR "${object} defines ${count} global symbols, not its entry alone:\n${out}")
  endif()
  message(STATUS "${object}: ${globals}")
endforeach()
