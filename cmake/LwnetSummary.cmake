message(STATUS "lwnet ${PROJECT_VERSION}: CUDA ${LWNET_ENABLE_CUDA} (archs ${CMAKE_CUDA_ARCHITECTURES}), "
               "BLAS ${LWNET_BLAS_VENDOR}, tests ${LWNET_BUILD_TESTS}, bench ${LWNET_BUILD_BENCH}, "
               "cli ${LWNET_BUILD_CLI}, native ${LWNET_NATIVE_ARCH}")
