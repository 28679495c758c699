#include <cstdlib>
#include <cstring>
#include <string>

#include "common/check.cuh"
#include "lwnet/error.hpp"

namespace lwnet::cuda::checks {

namespace {

std::string where(const char* expr, const char* file, int line) {
  return std::string(expr) + " at " + file + ":" + std::to_string(line);
}

bool sync_after_launch() {
  static const bool enabled = [] {
    const char* v = std::getenv("LWNET_CUDA_SYNC");
    return v != nullptr && std::strcmp(v, "0") != 0 && v[0] != '\0';
  }();
  return enabled;
}

}  // namespace

void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line) {
  static_cast<void>(cudaGetLastError());  // the error is reported here, not at the next launch
  throw CudaError(std::string("CUDA error ") + cudaGetErrorName(status) + " (" +
                  cudaGetErrorString(status) + ") in " + where(expr, file, line));
}

void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line) {
  throw CudaError(std::string("cuBLAS error ") + cublasGetStatusName(status) + " (" +
                  cublasGetStatusString(status) + ") in " + where(expr, file, line));
}

const char* cusolver_status_name(cusolverStatus_t status) {
  switch (status) {
    case CUSOLVER_STATUS_SUCCESS: return "CUSOLVER_STATUS_SUCCESS";
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "CUSOLVER_STATUS_ALLOC_FAILED";
    case CUSOLVER_STATUS_INVALID_VALUE: return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "CUSOLVER_STATUS_INTERNAL_ERROR";
    case CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED: return "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED";
    case CUSOLVER_STATUS_NOT_SUPPORTED: return "CUSOLVER_STATUS_NOT_SUPPORTED";
    default: return "CUSOLVER_STATUS_UNKNOWN";
  }
}

void throw_cusolver_error(cusolverStatus_t status, const char* expr, const char* file, int line) {
  throw CudaError(std::string("cuSOLVER error ") + cusolver_status_name(status) + " (status " +
                  std::to_string(static_cast<int>(status)) + ") in " + where(expr, file, line));
}

void check_launch(const char* kernel, cudaStream_t stream, const char* file, int line) {
  cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess && sync_after_launch()) status = cudaStreamSynchronize(stream);
  if (status != cudaSuccess) throw_cuda_error(status, kernel, file, line);
}

}  // namespace lwnet::cuda::checks
