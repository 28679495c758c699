# lwnet_set_target_options(target): warnings, tuning, visibility and sanitizers for lwnet's own
# targets only. Hidden visibility: liblwnet.so exports what include/lwnet/ marks LWNET_API
# (lwnet/export.h) and nothing else; in static libraries and programs it changes nothing.
function(lwnet_set_target_options target)
  set_target_properties(${target} PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow>
    # a * b + c stays a multiply and an add whatever the compiler and the instruction set (GCC's
    # C++ and Clang contract to FMA by default where the level has it): the CPU levels
    # (host/cpu/cpu_isa.hpp) sum alike; hot sums call simd::fma_lanes for the fused instruction
    $<$<COMPILE_LANGUAGE:CXX>:-ffp-contract=off>
    # GCC and Clang note that passing 32-byte vectors by value differs between the baseline's ABI
    # and AVX's: no function taking them crosses from one CPU level's code to another's
    # (host/cpu/cpu_isa.hpp)
    $<$<COMPILE_LANGUAGE:CXX>:-Wno-psabi>
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra --expt-relaxed-constexpr -lineinfo>)
  if(LWNET_NATIVE_ARCH)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-march=native>
      $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-march=native>)
  endif()
  if(LWNET_SANITIZE)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined>)
    # PUBLIC: whatever links an instrumented library needs the sanitizer runtimes; with Clang, also
    # their C++ part (and the C++ library it calls) when a C program links one: the C++ code's vptr
    # checks call into it, and Clang's C driver links neither.
    # (Decided here, not by a generator expression: a C-only consumer of the installed package has
    # no C++ compiler to test.)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
    if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      target_link_options(${target} PUBLIC -fsanitize-link-c++-runtime)
      target_link_libraries(${target} PUBLIC stdc++)
    endif()
  endif()
  if(LWNET_FUZZ)  # coverage feedback for libFuzzer in everything the fuzz targets call
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link>)
  endif()
endfunction()
