# `cmake --install` puts headers, libraries, the lwnet tool and a CMake package in the prefix, so
# other projects can `find_package(lwnet)` and link lwnet::lwnet (or lwnet::core alone).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_lwnet_install_targets lwnet_core lwnet_lwnet)
if(LWNET_ENABLE_CUDA)
  list(APPEND _lwnet_install_targets lwnet_cuda)
endif()
install(TARGETS ${_lwnet_install_targets} EXPORT lwnetTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/lwnet DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(LWNET_BUILD_CLI)
  install(TARGETS lwnet_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(_lwnet_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/lwnet)
install(EXPORT lwnetTargets NAMESPACE lwnet:: DESTINATION ${_lwnet_cmake_dir})
set(LWNET_CONFIG_BLAS_VENDOR "${LWNET_BLAS_VENDOR}")
set(LWNET_CONFIG_WITH_CUDA "${LWNET_ENABLE_CUDA}")
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lwnetConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/lwnetConfig.cmake
                              INSTALL_DESTINATION ${_lwnet_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lwnetConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lwnetConfig.cmake ${PROJECT_BINARY_DIR}/lwnetConfigVersion.cmake
        DESTINATION ${_lwnet_cmake_dir})
