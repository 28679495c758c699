// Asking the CUDA runtime whether a GPU is usable. Without a driver, cudaGetDeviceCount returns
// an error (cudaErrorInsufficientDriver, 35) and leaves the count untouched: any non-success is
// "no GPU", and the error's name and text become the reason (TOOLCHAIN.md).
#include <cuda_runtime.h>

#include <string>

#include "cuda_backend.cuh"
#include "cuda_entry.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cuda {

namespace {

std::string describe_error(const char* call, cudaError_t status) {
  return std::string(call) + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")";
}

}  // namespace

CudaProbe probe() {
  CudaProbe result;
  result.compiled = true;
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) == cudaSuccess)
    result.runtime_version = std::to_string(runtime / 1000) + "." + std::to_string((runtime % 1000) / 10);
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    result.reason = describe_error("cudaGetDeviceCount", status);
    return result;
  }
  if (count <= 0) {
    result.reason = "the CUDA runtime reports no devices";
    return result;
  }
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp p{};
    const cudaError_t s = cudaGetDeviceProperties(&p, d);
    if (s != cudaSuccess) {
      cudaGetLastError();
      result.reason = describe_error("cudaGetDeviceProperties", s);
      result.names.clear();
      return result;
    }
    result.names.push_back(std::string(p.name) + " (sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " +
                           std::to_string(p.totalGlobalMem >> 30) + " GiB)");
  }
  result.device_count = count;
  return result;
}

namespace {

void check_device_usable(int device_index) {
  const CudaProbe p = probe();
  if (!p.usable()) throw Unavailable("no usable CUDA device: " + p.reason);
  if (device_index < 0 || device_index >= p.device_count)
    throw Unavailable("cuda:" + std::to_string(device_index) + " does not exist (" + std::to_string(p.device_count) +
                      " device(s))");
}

}  // namespace

std::unique_ptr<Backend> make_backend(int device_index) {
  check_device_usable(device_index);
  try {
    return std::make_unique<CudaBackend>(device_index);
  } catch (const CudaError& e) {
    throw Unavailable("cuda:" + std::to_string(device_index) + " cannot be initialised: " + e.what());
  }
}

std::unique_ptr<Backend> make_backend_on_stream(int device_index, void* stream) {
  check_device_usable(device_index);
  try {
    return std::make_unique<CudaBackend>(device_index, static_cast<cudaStream_t>(stream));
  } catch (const CudaError& e) {
    throw Unavailable("cuda:" + std::to_string(device_index) + " cannot be initialised on the caller's stream: " +
                      e.what());
  }
}

bool native_stream(Backend& backend, void** stream) noexcept {
  const auto* cuda_backend = dynamic_cast<const CudaBackend*>(&backend);
  if (cuda_backend == nullptr) return false;
  *stream = static_cast<void*>(cuda_backend->stream());
  return true;
}

}  // namespace lwnet::cuda
