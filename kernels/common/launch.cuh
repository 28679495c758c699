// Launch arithmetic in one place: how many blocks a kernel gets for a given amount of work. The
// kernels that use it loop grid-stride (over elements, rows or tiles), so any grid size is correct
// and the grid is only a choice of parallelism: enough blocks to fill the device (a few resident
// blocks per SM), never more than the work needs, and never past the hardware's grid limits
// (2^31 - 1 blocks in x, 65535 in y and z).
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace lwnet::cuda {

// Threads per block for simple elementwise and row kernels.
constexpr int kDefaultBlockThreads = 256;
// Blocks per SM a grid-stride grid aims for: enough resident warps to hide memory latency.
constexpr std::int64_t kBlocksPerSm = 8;
// The hardware's limit on gridDim.y and gridDim.z.
constexpr std::int64_t kMaxGridYZ = 65535;
// The hardware's limit on gridDim.x.
constexpr std::int64_t kMaxGridX = 2147483647;

// Blocks for `units` independent pieces of work handled `per_block` at a time, grid-stride:
// min(ceil(units / per_block), sm_count * kBlocksPerSm), at least 1 (an empty launch is skipped by
// the caller, but a 0-block grid would be a launch error).
inline unsigned grid_stride_blocks(std::int64_t units, std::int64_t per_block, int sm_count) {
  const std::int64_t needed = (units + per_block - 1) / per_block;
  const std::int64_t resident = std::max<std::int64_t>(sm_count, 1) * kBlocksPerSm;
  return static_cast<unsigned>(std::clamp<std::int64_t>(std::min(needed, resident), 1, kMaxGridX));
}

// A y (or z) grid dimension for `units` pieces, one per block row, capped at kMaxGridYZ: the
// kernel strides over the rest with gridDim.y.
inline unsigned grid_dim_yz(std::int64_t units) {
  return static_cast<unsigned>(std::clamp<std::int64_t>(units, 1, kMaxGridYZ));
}

// Device side of the grid-stride loops: the first index and the stride of this thread.
__device__ inline std::int64_t global_thread_index() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ inline std::int64_t global_thread_count() {
  return static_cast<std::int64_t>(gridDim.x) * blockDim.x;
}

}  // namespace lwnet::cuda
