# Third-party dependencies, all as imported targets. scripts/install-deps.sh installs them on Debian.

find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)

# BLAS/LAPACK: OpenBLAS (its OpenMP build, so BLAS calls made inside lwnet's OpenMP regions run
# single-threaded instead of oversubscribing). Any other BLAS works, more slowly.
set(BLA_VENDOR OpenBLAS)
find_package(BLAS QUIET)
find_package(LAPACK QUIET)
if(BLAS_FOUND AND LAPACK_FOUND)
  set(LWNET_BLAS_VENDOR "OpenBLAS")
else()
  unset(BLA_VENDOR)
  find_package(BLAS REQUIRED)
  find_package(LAPACK REQUIRED)
  set(LWNET_BLAS_VENDOR "generic")
  message(WARNING "lwnet: OpenBLAS not found; using ${BLAS_LIBRARIES}. The CPU backend will be slow. "
                  "Install libopenblas-openmp-dev (scripts/install-deps.sh).")
endif()

if(LWNET_ENABLE_CUDA)
  find_package(CUDAToolkit REQUIRED)
  # Thrust/CUB live under include/cccl: use the package CCCL ships with the toolkit.
  find_package(CCCL CONFIG REQUIRED HINTS "${CUDAToolkit_LIBRARY_DIR}/cmake")
endif()

find_package(nlohmann_json 3 CONFIG REQUIRED)  # model files' JSON header
find_package(ZLIB REQUIRED)                     # gzip-compressed data (IDX .gz)
if(LWNET_BUILD_CLI)
  find_package(CLI11 CONFIG REQUIRED)
endif()

if(LWNET_BUILD_TESTS)
  find_package(GTest CONFIG QUIET)
  if(NOT GTest_FOUND)
    if(LWNET_GTEST_SOURCE_DIR STREQUAL "" AND EXISTS /usr/src/googletest/CMakeLists.txt)
      set(LWNET_GTEST_SOURCE_DIR /usr/src/googletest)
    endif()
    if(LWNET_GTEST_SOURCE_DIR STREQUAL "")
      message(FATAL_ERROR "lwnet: GoogleTest not found. Install libgtest-dev (scripts/install-deps.sh), "
                          "set LWNET_GTEST_SOURCE_DIR, or configure with -DLWNET_BUILD_TESTS=OFF")
    endif()
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
    add_subdirectory(${LWNET_GTEST_SOURCE_DIR} ${CMAKE_BINARY_DIR}/_deps/googletest EXCLUDE_FROM_ALL)
    add_library(GTest::gtest ALIAS gtest)
    add_library(GTest::gtest_main ALIAS gtest_main)
  endif()
  include(GoogleTest)
endif()

if(LWNET_BUILD_BENCH)
  find_package(benchmark CONFIG QUIET)
  if(NOT benchmark_FOUND)
    message(WARNING "lwnet: Google Benchmark not found; bench/ is not built (install libbenchmark-dev)")
    set(LWNET_BUILD_BENCH OFF)
  endif()
endif()
