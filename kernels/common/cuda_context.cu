#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common/cuda_context.cuh"
#include "lwnet/error.hpp"

namespace lwnet::cuda {

namespace {

// Keep freed blocks in the device's pool instead of returning them at every synchronisation:
// the trainers allocate and free the same sizes layer after layer.
void retain_pool_memory(int device) {
  cudaMemPool_t pool = nullptr;
  LWNET_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  std::uint64_t threshold = UINT64_MAX;
  LWNET_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
}

Stream make_stream_on(int device) {
  DeviceGuard guard(device);
  return Stream::create();
}

}  // namespace

std::shared_ptr<CudaContext> CudaContext::shared(int device) {
  // A registry rather than a global context: contexts die with their last user.
  static std::mutex mutex;
  static std::map<int, std::weak_ptr<CudaContext>> contexts;
  const std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<CudaContext> context = contexts[device].lock();
  if (!context) {
    context = std::make_shared<CudaContext>(device);
    contexts[device] = context;
  }
  return context;
}

CudaContext::CudaContext(int device)
    : device_(device), owned_stream_(make_stream_on(device)), stream_(owned_stream_.get()) {
  initialise();
}

CudaContext::CudaContext(int device, cudaStream_t stream) : device_(device), stream_(stream) {
  const std::string op = "make_cuda_backend";
  if (stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread)
    throw InvalidArgument(op + ": the stream is a default-stream handle (0, cudaStreamLegacy or cudaStreamPerThread), "
                               "whose stream depends on the thread and the build; create a stream for lwnet");
  DeviceGuard guard(device);
  int stream_device = -1;
  const cudaError_t status = cudaStreamGetDevice(stream, &stream_device);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear it: the caller's handle was bad, the runtime is fine
    throw InvalidArgument(op + ": the stream is not a usable CUDA stream: " + cudaGetErrorName(status) + " (" +
                          cudaGetErrorString(status) + ")");
  }
  if (stream_device != device)
    throw InvalidArgument(op + ": the stream belongs to cuda:" + std::to_string(stream_device) + ", not to cuda:" +
                          std::to_string(device));
  initialise();
}

void CudaContext::initialise() {
  DeviceGuard guard(device_);
  LWNET_CUDA_CHECK(cudaGetDeviceProperties(&properties_, device_));
  retain_pool_memory(device_);
  cublas_ = CublasHandle::create(stream_);
  cusolver_ = CusolverHandle::create(stream_);
}

CudaContext::~CudaContext() {
  const NoThrowDeviceGuard guard(device_);
  if (guard.ok()) checks::ignore_error(cudaStreamSynchronize(stream_));
}

}  // namespace lwnet::cuda
