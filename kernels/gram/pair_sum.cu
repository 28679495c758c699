// sum_ij kx(x_i, x_j) ky(y_i, y_j) on the GPU, streamed: each block forms 64 x 64 tiles of both
// kernels for the same (i, j) pairs, multiplies them entrywise and sums (float32 per thread and
// tile, float64 across tiles). One float64 partial per block, added on the host in block order.
#include <cub/block/block_reduce.cuh>

#include <algorithm>
#include <vector>

#include "common/check.cuh"
#include "gram/gram.cuh"

namespace lwnet::cuda {

namespace {

constexpr std::int64_t kMaxSplits = 65535;
constexpr int kBlocksPerSm = 4;

template <bool kL1x, bool kL1y>
__global__ void __launch_bounds__(tile::kThreads)
    pair_sum_kernel(detail::KernelConstants kx, tile::Operand X, std::int64_t dx, detail::KernelConstants ky,
                    tile::Operand Y, std::int64_t dy, std::int64_t tiles_per_split, double* block_sums) {
  using BlockReduce = cub::BlockReduce<double, tile::kThreads>;
  __shared__ tile::Staging staging;
  __shared__ typename BlockReduce::TempStorage reduce_storage;

  const std::int64_t i0 = static_cast<std::int64_t>(blockIdx.x) * tile::kBlockRows;
  const std::int64_t tiles = ceil_div(X.rows, tile::kBlockCols);
  const std::int64_t t_begin = static_cast<std::int64_t>(blockIdx.y) * tiles_per_split;
  const std::int64_t t_end = min(tiles, t_begin + tiles_per_split);
  double total = 0.0;
  for (std::int64_t t = t_begin; t < t_end; ++t) {
    const std::int64_t j0 = t * tile::kBlockCols;
    float ax[tile::kMicro][tile::kMicro];
    float ay[tile::kMicro][tile::kMicro];
    tile::accumulate<kL1x>(X, i0, X, j0, dx, staging, ax);
    tile::accumulate<kL1y>(Y, i0, Y, j0, dy, staging, ay);
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < tile::kMicro; ++i)
#pragma unroll
      for (int j = 0; j < tile::kMicro; ++j)
        s += tile::entry(kx, X, i0, X, j0, 0, ax[i][j], i, j) * tile::entry(ky, Y, i0, Y, j0, 0, ay[i][j], i, j);
    total += s;
  }
  const double block_total = BlockReduce(reduce_storage).Sum(total);
  if (threadIdx.x == 0) block_sums[static_cast<std::int64_t>(blockIdx.y) * gridDim.x + blockIdx.x] = block_total;
}

template <bool kL1x>
void launch_for_y(bool y_l1, dim3 grid, cudaStream_t stream, const detail::KernelConstants& kx,
                  const tile::Operand& x, std::int64_t dx, const detail::KernelConstants& ky,
                  const tile::Operand& y, std::int64_t dy, std::int64_t tiles_per_split, double* sums) {
  if (y_l1)
    pair_sum_kernel<kL1x, true><<<grid, tile::kThreads, 0, stream>>>(kx, x, dx, ky, y, dy, tiles_per_split, sums);
  else
    pair_sum_kernel<kL1x, false><<<grid, tile::kThreads, 0, stream>>>(kx, x, dx, ky, y, dy, tiles_per_split, sums);
}

}  // namespace

double kernel_pair_sum(const CudaContext& ctx, const detail::KernelConstants& kx,
                       const MatrixView<const float>& X, const detail::KernelConstants& ky,
                       const MatrixView<const float>& Y) {
  cudaStream_t stream = ctx.stream();
  DeviceBuffer<float> x_norms;
  DeviceBuffer<float> y_norms;
  const tile::Operand x = make_operand(kx, X, x_norms, stream);
  const tile::Operand y = make_operand(ky, Y, y_norms, stream);
  const std::int64_t n = X.rows();
  const std::int64_t row_blocks = ceil_div(n, tile::kBlockRows);
  const std::int64_t tiles = ceil_div(n, tile::kBlockCols);
  const std::int64_t target = static_cast<std::int64_t>(kBlocksPerSm) * ctx.sm_count();
  std::int64_t splits = std::clamp<std::int64_t>(ceil_div(target, row_blocks), 1, std::min(tiles, kMaxSplits));
  const std::int64_t tiles_per_split = ceil_div(tiles, splits);
  splits = ceil_div(tiles, tiles_per_split);

  const auto block_count = static_cast<std::size_t>(row_blocks * splits);
  DeviceBuffer<double> sums(block_count, stream);
  const dim3 grid(static_cast<unsigned>(row_blocks), static_cast<unsigned>(splits));
  if (kx.uses_dot())
    launch_for_y<false>(!ky.uses_dot(), grid, stream, kx, x, X.cols(), ky, y, Y.cols(), tiles_per_split, sums.data());
  else
    launch_for_y<true>(!ky.uses_dot(), grid, stream, kx, x, X.cols(), ky, y, Y.cols(), tiles_per_split, sums.data());
  LWNET_CUDA_CHECK_LAUNCH("pair_sum_kernel", stream);

  std::vector<double> host(block_count);
  LWNET_CUDA_CHECK(cudaMemcpyAsync(host.data(), sums.data(), block_count * sizeof(double), cudaMemcpyDeviceToHost, stream));
  LWNET_CUDA_CHECK(cudaStreamSynchronize(stream));
  double total = 0.0;
  for (double s : host) total += s;
  return total;
}

}  // namespace lwnet::cuda
