# User-facing build options.
include(CheckLanguage)

check_language(CUDA)
if(CMAKE_CUDA_COMPILER)
  set(_lwnet_cuda_default ON)
else()
  set(_lwnet_cuda_default OFF)
endif()
option(LWNET_ENABLE_CUDA "Build the CUDA backend (default: ON when nvcc is found)" ${_lwnet_cuda_default})
option(LWNET_BUILD_TESTS "Build the GoogleTest suites" ON)
option(LWNET_BUILD_BENCH "Build the Google Benchmark suite (skipped when benchmark is missing)" ON)
option(LWNET_BUILD_CLI "Build the lwnet command-line tool" ON)
option(LWNET_BUILD_PYTHON "Build the Python package (python/: nanobind; needs Python_EXECUTABLE with nanobind, e.g. build/pyenv from scripts/python-env.sh)" OFF)
# Off by default: the CPU backend is built per x86-64 level and picks one at run time
# (LWNET_CPU_LEVELS, cmake/LwnetCpuLevels.cmake), so what is built runs on any x86-64 CPU.
option(LWNET_NATIVE_ARCH "Tune all host code for this machine's CPU (-march=native; replaces LWNET_CPU_LEVELS)" OFF)
option(LWNET_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(LWNET_FUZZ "Build the tests/fuzz targets with libFuzzer (Clang) and register a bounded fuzz run" OFF)
set(LWNET_FUZZ_SECONDS 15 CACHE STRING "Seconds each fuzz target runs in the fuzz_run_* tests")
if(LWNET_FUZZ AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "LWNET_FUZZ=ON needs Clang (libFuzzer): configure with the 'sanitize' preset or "
                      "-DCMAKE_CXX_COMPILER=clang++")
endif()
set(LWNET_GTEST_SOURCE_DIR "" CACHE PATH
    "GoogleTest sources to build when no installed GTest package is found (e.g. /usr/src/googletest)")

if(LWNET_ENABLE_CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    message(FATAL_ERROR "LWNET_ENABLE_CUDA=ON but no CUDA compiler was found: put nvcc on PATH, "
                        "set CUDACXX, or configure with -DLWNET_ENABLE_CUDA=OFF")
  endif()
  # The toolkit ships no static cuBLAS/cuSOLVER: use the shared runtime everywhere (TOOLCHAIN.md).
  set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  enable_language(CUDA)
endif()
