#include <string>

#include "common/allocator.cuh"
#include "common/check.cuh"
#include "lwnet/error.hpp"

namespace lwnet::cuda {

namespace {

std::string mib(std::size_t bytes) {
  return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB";
}

}  // namespace

void* device_allocate(std::size_t bytes, cudaStream_t stream) {
  void* ptr = nullptr;
  const cudaError_t status = cudaMallocAsync(&ptr, bytes, stream);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the (non-sticky) error
    std::size_t free_bytes = 0;
    std::size_t total_bytes = 0;
    checks::ignore_error(cudaMemGetInfo(&free_bytes, &total_bytes));
    int device = -1;
    checks::ignore_error(cudaGetDevice(&device));
    throw OutOfMemory("out of GPU memory on cuda:" + std::to_string(device) + ": asked for " + mib(bytes) +
                    " with " + mib(free_bytes) + " free of " + mib(total_bytes) +
                    "; lower --memory-budget so the data stream through the GPU in chunks, reduce the problem size, or "
                    "run on the CPU (--device cpu)");
  }
  LWNET_CUDA_CHECK(status);
  return ptr;
}

void device_free(void* ptr, cudaStream_t stream) noexcept {
  if (ptr != nullptr) checks::ignore_error(cudaFreeAsync(ptr, stream));
}

void* pinned_allocate(std::size_t bytes) {
  void* ptr = nullptr;
  LWNET_CUDA_CHECK(cudaMallocHost(&ptr, bytes));
  return ptr;
}

void pinned_free(void* ptr) noexcept {
  if (ptr != nullptr) checks::ignore_error(cudaFreeHost(ptr));
}

}  // namespace lwnet::cuda
