// sum_ij kx(x_i, x_j) ky(y_i, y_j) on the GPU, streamed: the tile map-reduce skeleton with the
// ProductMap of the two kernels (both tiles for the same (i, j) pairs) and the BlockSum consumer,
// which adds the entrywise products (float32 per thread and tile, each product fused into the sum,
// float64 across tiles). One float64 partial per block, added on the host in block order.
#include <cub/block/block_reduce.cuh>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "common/check.cuh"
#include "common/launch.cuh"
#include "gram/gram.cuh"
#include "gram/tile_map_reduce.cuh"

namespace lwnet::cuda {

namespace {

constexpr int kTargetBlocksPerSm = 4;

// The pair-sum consumer: each thread sums its micro-tile in float32 (i, then j), adds that into a
// float64 total per tile, and the block's totals are reduced into block_sums[y * z_blocks + x].
struct BlockSum {
  using BlockReduce = cub::BlockReduce<double, tile::kThreads>;

  // Unconstrained: 80 registers (3 blocks per SM) when ky uses dot products; about 106 (2 blocks)
  // when ky is Laplacian, where a limit of 3 blocks would spill.
  static constexpr int kMinBlocksPerSm = 0;

  double* block_sums;  // (blocks_y x z_blocks)

  struct Shared {
    typename BlockReduce::TempStorage reduce;
  };
  struct State {
    double total;
  };

  __device__ void begin(const tile::TileBlock&, State& st, Shared&) const { st.total = 0.0; }

  template <class Value>
  __device__ void consume_tile(const tile::TileBlock&, std::int64_t, const Value (&v)[tile::kMicro][tile::kMicro],
                               State& st, Shared&) const {
    float s = 0.0f;  // pairs outside the matrix come as zeros and are added like the rest, as always
#pragma unroll
    for (int i = 0; i < tile::kMicro; ++i)
#pragma unroll
      for (int j = 0; j < tile::kMicro; ++j) s = tile::add_value(s, v[i][j]);
    st.total += s;
  }

  __device__ void end_split(const tile::TileBlock&, std::int64_t, State&, Shared&) const {}

  __device__ void finish(const tile::TileBlock& block, State& st, Shared& sh) const {
    const double block_total = BlockReduce(sh.reduce).Sum(st.total);
    if (threadIdx.x == 0) block_sums[block.x_range * block.z_blocks + block.z_block] = block_total;
  }
};

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
  const std::int64_t target = static_cast<std::int64_t>(kTargetBlocksPerSm) * ctx.sm_count();
  std::int64_t splits = std::clamp<std::int64_t>(ceil_div(target, row_blocks), 1, std::min(tiles, kMaxGridYZ));
  const std::int64_t tiles_per_split = ceil_div(tiles, splits);
  splits = ceil_div(tiles, tiles_per_split);
  const tile::TileSchedule schedule = tile::make_schedule(n, n, tiles_per_split, 1);  // blocks_y == splits

  const auto block_count = static_cast<std::size_t>(row_blocks * splits);
  DeviceBuffer<double> sums(block_count, stream);
  const BlockSum block_sum{sums.data()};
  // Row i of X pairs with row i of itself: self-pairs at offset 0.
  tile::with_kernel_map(kx, x, x, X.cols(), 0, [&](const auto& x_map) {
    tile::with_kernel_map(ky, y, y, Y.cols(), 0, [&](const auto& y_map) {
      const tile::ProductMap<std::decay_t<decltype(x_map)>, std::decay_t<decltype(y_map)>> map{x_map, y_map};
      tile::launch_map_reduce(map, block_sum, schedule, stream, "kernel_pair_sum (tile map-reduce)");
    });
  });

  std::vector<double> host(block_count);
  LWNET_CUDA_CHECK(cudaMemcpyAsync(host.data(), sums.data(), block_count * sizeof(double), cudaMemcpyDeviceToHost, stream));
  LWNET_CUDA_CHECK(cudaStreamSynchronize(stream));
  double total = 0.0;
  for (double s : host) total += s;
  return total;
}

}  // namespace lwnet::cuda
