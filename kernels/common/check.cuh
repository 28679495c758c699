// Status checks for CUDA, cuBLAS and cuSOLVER calls and kernel launches. Each failure throws
// lwnet::CudaError with the expression, file:line and the library's own error name and text.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

namespace lwnet::cuda::checks {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line);
[[noreturn]] void throw_cusolver_error(cusolverStatus_t status, const char* expr, const char* file, int line);
// After a launch: the launch error, and with LWNET_CUDA_SYNC=1 in the environment also the
// kernel's own error (synchronising the stream, for debugging only).
void check_launch(const char* kernel, cudaStream_t stream, const char* file, int line);
const char* cusolver_status_name(cusolverStatus_t status);

// For cleanup paths that cannot throw: drops a failed status and clears the runtime's
// last-error state, so the failure is not blamed on the next kernel launch.
inline void ignore_error(cudaError_t status) noexcept {
  if (status != cudaSuccess) static_cast<void>(cudaGetLastError());
}

}  // namespace lwnet::cuda::checks

#define LWNET_CUDA_CHECK(expr)                                                         \
  do {                                                                                 \
    const cudaError_t lwnet_status_ = (expr);                                          \
    if (lwnet_status_ != cudaSuccess)                                                  \
      ::lwnet::cuda::checks::throw_cuda_error(lwnet_status_, #expr, __FILE__, __LINE__); \
  } while (0)

#define LWNET_CUBLAS_CHECK(expr)                                                         \
  do {                                                                                   \
    const cublasStatus_t lwnet_status_ = (expr);                                         \
    if (lwnet_status_ != CUBLAS_STATUS_SUCCESS)                                          \
      ::lwnet::cuda::checks::throw_cublas_error(lwnet_status_, #expr, __FILE__, __LINE__); \
  } while (0)

#define LWNET_CUSOLVER_CHECK(expr)                                                         \
  do {                                                                                     \
    const cusolverStatus_t lwnet_status_ = (expr);                                         \
    if (lwnet_status_ != CUSOLVER_STATUS_SUCCESS)                                          \
      ::lwnet::cuda::checks::throw_cusolver_error(lwnet_status_, #expr, __FILE__, __LINE__); \
  } while (0)

#define LWNET_CUDA_CHECK_LAUNCH(kernel_name, stream) \
  ::lwnet::cuda::checks::check_launch(kernel_name, stream, __FILE__, __LINE__)
