# `cmake --install` puts headers, the shared library liblwnet.so (lwnet::lwnet: the public C and
# C++ API, the CPU backend, the run-time device choice), the CUDA backend module, the lwnet tool and
# a CMake package in the prefix, so other projects can `find_package(lwnet)` and link lwnet::lwnet.
# Its dependencies (OpenMP, OpenBLAS, zlib, nlohmann-json) are private to it: the package asks a
# consumer for none of them.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# lwnet_lwnet_installed is the shared lwnet::lwnet, without the build tree in its module search
# (host/select/).
install(TARGETS lwnet_lwnet_installed EXPORT lwnetTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(LWNET_ENABLE_CUDA)
  # The CUDA backend module: not a link-time dependency (nothing links it), so not exported.
  install(TARGETS lwnet_cuda_backend LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/lwnet DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(LWNET_BUILD_CLI)
  install(TARGETS lwnet_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(_lwnet_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/lwnet)
install(EXPORT lwnetTargets NAMESPACE lwnet:: DESTINATION ${_lwnet_cmake_dir})
set(LWNET_CONFIG_BLAS_VENDOR "${LWNET_BLAS_VENDOR}")
set(LWNET_CONFIG_WITH_CUDA "${LWNET_ENABLE_CUDA}")
set(LWNET_CONFIG_MODULE_FILE_NAME "${LWNET_CUDA_MODULE_FILE_NAME}")
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lwnetConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/lwnetConfig.cmake
                              INSTALL_DESTINATION ${_lwnet_cmake_dir}
                              PATH_VARS CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lwnetConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lwnetConfig.cmake ${PROJECT_BINARY_DIR}/lwnetConfigVersion.cmake
        DESTINATION ${_lwnet_cmake_dir})
