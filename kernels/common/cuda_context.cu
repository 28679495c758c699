#include <cstdint>
#include <map>
#include <mutex>

#include "common/cuda_context.cuh"

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

CudaContext::CudaContext(int device) : device_(device), stream_(make_stream_on(device)) {
  DeviceGuard guard(device);
  LWNET_CUDA_CHECK(cudaGetDeviceProperties(&properties_, device));
  retain_pool_memory(device);
  cublas_ = CublasHandle::create(stream_.get());
  cusolver_ = CusolverHandle::create(stream_.get());
}

}  // namespace lwnet::cuda
