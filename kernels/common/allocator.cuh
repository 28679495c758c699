// The one place lwnet allocates device memory: stream-ordered allocation from the device's
// memory pool. Out-of-memory errors say how much was asked and how much is free.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace lwnet::cuda {

// Allocates `bytes` (> 0) on the current device, ordered on `stream`. Throws CudaError.
void* device_allocate(std::size_t bytes, cudaStream_t stream);
// Frees memory from device_allocate after the work queued on `stream`. Never throws.
void device_free(void* ptr, cudaStream_t stream) noexcept;

// Page-locked host memory (fast, asynchronous copies). Throws CudaError.
void* pinned_allocate(std::size_t bytes);
void pinned_free(void* ptr) noexcept;

}  // namespace lwnet::cuda
