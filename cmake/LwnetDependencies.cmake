# Third-party dependencies, all as imported targets. scripts/install-deps.sh installs them on Debian.

find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)

# BLAS/LAPACK (dense algebra only: the kernel tiles are lwnet's own loops): OpenBLAS's serial build.
# lwnet runs its own threads (host/cpu/thread_pool.hpp) and calls BLAS one block per thread, so
# results do not depend on how a threaded BLAS would split a call. A threaded OpenBLAS would also
# add threads of its own, and its OpenMP build maps a 128 MiB buffer per core before main: 2 GiB
# on 16 cores, and a start-up that spins forever under an address-space limit (ulimit -v).
# Debian installs the variants side by side and resolves libopenblas.so.0 to one of them by
# priority, so the serial one is linked by its path and found at run time through the run path.
# Searched in openblas-serial/ below each library folder CMake is given (CMAKE_LIBRARY_PATH, also
# from the environment: scripts/gpu-run.sh unpacks the packages into a folder of its own), then
# below the system's.
set(_lwnet_openblas_serial_dir "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-serial")
set(_lwnet_library_dirs ${CMAKE_LIBRARY_PATH})
if(DEFINED ENV{CMAKE_LIBRARY_PATH})
  string(REPLACE ":" ";" _lwnet_env_dirs "$ENV{CMAKE_LIBRARY_PATH}")
  list(APPEND _lwnet_library_dirs ${_lwnet_env_dirs})
endif()
list(TRANSFORM _lwnet_library_dirs APPEND "/openblas-serial")
find_library(LWNET_OPENBLAS_SERIAL NAMES openblas PATHS ${_lwnet_library_dirs} "${_lwnet_openblas_serial_dir}"
             NO_DEFAULT_PATH)
if(LWNET_OPENBLAS_SERIAL)
  set(LWNET_BLAS_VENDOR "OpenBLAS serial")
  set(LWNET_BLAS_LIBRARIES "${LWNET_OPENBLAS_SERIAL}")
  # Installed programs keep the run path to it (the build tree gets it anyway).
  set(CMAKE_INSTALL_RPATH_USE_LINK_PATH ON)
else()
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
  endif()
  set(LWNET_BLAS_LIBRARIES LAPACK::LAPACK BLAS::BLAS)
  message(WARNING "lwnet: OpenBLAS's serial build not found in ${_lwnet_openblas_serial_dir}; using "
                  "${BLAS_LIBRARIES} (${LWNET_BLAS_VENDOR}). Install libopenblas-serial-dev (scripts/install-deps.sh): "
                  "a threaded BLAS adds its own threads next to lwnet's.")
endif()

if(LWNET_ENABLE_CUDA)
  find_package(CUDAToolkit REQUIRED)
  # Thrust/CUB live under include/cccl: use the package CCCL ships with the toolkit.
  find_package(CCCL CONFIG REQUIRED HINTS "${CUDAToolkit_LIBRARY_DIR}/cmake")
endif()

find_package(nlohmann_json 3 CONFIG REQUIRED)  # model files' JSON header
find_package(ZLIB REQUIRED)                     # gzip-compressed data (IDX .gz)
# What lwnet_core's code links, all private: the static lwnet_core passes them on to what links it,
# the shared liblwnet.so (host/select/) hides them.
set(LWNET_CORE_EXTERNAL_LIBRARIES OpenMP::OpenMP_CXX ${LWNET_BLAS_LIBRARIES} Threads::Threads
                                  nlohmann_json::nlohmann_json ZLIB::ZLIB)
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
