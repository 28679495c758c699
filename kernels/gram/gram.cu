// Row norms and materialised Gram / squared-distance matrices on the GPU: the tile map-reduce
// skeleton with a consumer that stores each value.
#include "common/check.cuh"
#include "common/launch.cuh"
#include "gram/gram.cuh"
#include "gram/tile_map_reduce.cuh"

namespace lwnet::cuda {

namespace {

constexpr int kNormThreads = 256;
constexpr int kWarp = 32;

__global__ void row_sq_norms_kernel(const float* X, std::int64_t ld, std::int64_t rows,
                                    std::int64_t d, float* norms) {
  const std::int64_t warp = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  if (warp >= rows) return;
  const float* x = X + warp * ld;
  double s = 0.0;
  for (std::int64_t f = lane; f < d; f += kWarp) s += static_cast<double>(x[f]) * x[f];
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2) s += __shfl_down_sync(0xffffffffu, s, offset);
  if (lane == 0) norms[warp] = static_cast<float>(s);
}

// The Gram consumer: each pair's value is stored at out(a, b).
struct StoreTile {
  static constexpr int kMinBlocksPerSm = 0;  // 62-64 registers unconstrained: 4 blocks per SM

  float* out;
  std::int64_t ld_out;

  struct Shared {};
  struct State {};

  __device__ void begin(const tile::TileBlock&, State&, Shared&) const {}

  __device__ void consume_tile(const tile::TileBlock& block, std::int64_t x0,
                               const float (&v)[tile::kMicro][tile::kMicro], State&, Shared&) const {
#pragma unroll
    for (int i = 0; i < tile::kMicro; ++i) {
      const std::int64_t row = block.z0 + tile::micro_row(i);
#pragma unroll
      for (int j = 0; j < tile::kMicro; ++j) {
        const std::int64_t col = x0 + tile::micro_col(j);
        if (row < block.rows && col < block.cols) out[row * ld_out + col] = v[i][j];
      }
    }
  }

  __device__ void end_split(const tile::TileBlock&, std::int64_t, State&, Shared&) const {}
  __device__ void finish(const tile::TileBlock&, State&, Shared&) const {}
};

}  // namespace

DeviceBuffer<float> row_sq_norms(const MatrixView<const float>& X, cudaStream_t stream) {
  DeviceBuffer<float> norms(static_cast<std::size_t>(X.rows()), stream);
  const std::int64_t threads = X.rows() * kWarp;
  const auto blocks = static_cast<unsigned>(ceil_div(threads, kNormThreads));
  row_sq_norms_kernel<<<blocks, kNormThreads, 0, stream>>>(X.data(), X.ld(), X.rows(), X.cols(), norms.data());
  LWNET_CUDA_CHECK_LAUNCH("row_sq_norms_kernel", stream);
  return norms;
}

tile::Operand make_operand(const detail::KernelConstants& kc, const MatrixView<const float>& X,
                           DeviceBuffer<float>& norms, cudaStream_t stream) {
  if (kc.uses_norms()) norms = row_sq_norms(X, stream);
  return tile::Operand{X.data(), X.ld(), X.rows(), kc.uses_norms() ? norms.data() : nullptr};
}

void launch_gram(const CudaContext& ctx, const detail::KernelConstants& kc, const MatrixView<const float>& Z,
                 const MatrixView<const float>& X, const MatrixView<float>& out) {
  cudaStream_t stream = ctx.stream();
  DeviceBuffer<float> z_norms;
  DeviceBuffer<float> x_norms;
  const tile::Operand z = make_operand(kc, Z, z_norms, stream);
  const tile::Operand x = make_operand(kc, X, x_norms, stream);
  // Each grid row takes a contiguous range of X tiles; at most kMaxGridYZ of them.
  const std::int64_t x_tiles = ceil_div(X.rows(), tile::kBlockCols);
  const std::int64_t tiles_per_block = ceil_div(x_tiles, grid_dim_yz(x_tiles));
  const tile::TileSchedule schedule = tile::make_schedule(Z.rows(), X.rows(), tiles_per_block, 1);
  const StoreTile store{out.data(), out.ld()};
  tile::with_kernel_map(kc, z, x, Z.cols(), detail::self_pair_offset(Z, X), [&](const auto& map) {
    tile::launch_map_reduce(map, store, schedule, stream, "gram (tile map-reduce)");
  });
}

}  // namespace lwnet::cuda
