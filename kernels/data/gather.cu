#include <algorithm>

#include "common/check.cuh"
#include "common/launch.cuh"
#include "common/resources.cuh"
#include "data/gather.cuh"

namespace lwnet::cuda {

namespace {

// One block per output row (grid-stride), threads across the columns.
__global__ void gather_rows_kernel(const float* X, std::int64_t ldx, const std::int64_t* indices, std::int64_t count,
                                   std::int64_t cols, float* out, std::int64_t ldo) {
  for (std::int64_t k = blockIdx.x; k < count; k += gridDim.x) {
    const float* src = X + indices[k] * ldx;
    float* dst = out + k * ldo;
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) dst[j] = src[j];
  }
}

}  // namespace

void gather_rows(const CudaContext& ctx, const MatrixView<const float>& X, const std::vector<std::int64_t>& indices,
                 const MatrixView<float>& out) {
  cudaStream_t stream = ctx.stream();
  DeviceBuffer<std::int64_t> d_indices(indices.size(), stream);
  // From pageable memory, cudaMemcpyAsync stages `indices` before it returns (CUDA runtime API,
  // "API synchronization behavior"), so the vector may go away afterwards.
  LWNET_CUDA_CHECK(cudaMemcpyAsync(d_indices.data(), indices.data(), indices.size() * sizeof(std::int64_t),
                                   cudaMemcpyHostToDevice, stream));
  constexpr int kThreads = 128;
  const unsigned blocks = grid_stride_blocks(out.rows(), 1, ctx.sm_count());
  gather_rows_kernel<<<blocks, kThreads, 0, stream>>>(X.data(), X.ld(), d_indices.data(), out.rows(), X.cols(),
                                                      out.data(), out.ld());
  LWNET_CUDA_CHECK_LAUNCH("gather_rows_kernel", stream);
}

}  // namespace lwnet::cuda
