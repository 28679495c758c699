// out = K(Z, X) B on the GPU without storing K: the fused primitive (spec section 0).
//
// The tile map-reduce skeleton (tile_map_reduce.cuh) with a KernelMap and the TileTimesB
// consumer: a block owns 64 rows of Z and walks a range of 64-row X tiles. Per tile the map
// computes the 64 x 64 kernel values in registers, the consumer parks them in shared memory next
// to the tile's rows of B, and each thread then forms up to 8 (row, class) sums of 64 products in
// float32, adding each into a float64 accumulator (float32 within a tile, float64 across tiles,
// spec 1.6).
// Classes are processed kClassChunk at a time (more classes: more passes over X).
// Summation order, fixed so a row's result depends only on its own data and X (a one-row batch
// gives the bits it gets inside a large one): 64-row tiles are grouped into splits of
// kTilesPerSplit; a split's tiles are added in float64, and the splits in order:
// out = ((0 + s_0) + s_1) + ... With many Z rows each block folds all splits itself; with few rows
// each block takes one split (gridDim.y = splits) and a second kernel adds them in the same order.
#include <algorithm>

#include "common/check.cuh"
#include "common/launch.cuh"
#include "gram/gram.cuh"
#include "gram/tile_map_reduce.cuh"

namespace lwnet::cuda {

namespace {

constexpr int kClassChunk = 32;                                  // classes per pass
constexpr int kRowGroups = tile::kThreads / tile::kBlockRows;    // 4 threads per Z row
constexpr int kClassesPerThread = kClassChunk / kRowGroups;      // 8 accumulators per thread
constexpr std::int64_t kTilesPerSplit = 64;                      // 4096 rows of X per split
constexpr int kTargetBlocksPerSm = 4;                            // target occupancy in blocks
constexpr std::int64_t kMaxPartialBytes = std::int64_t{1} << 28; // per-split sums kept for few Z rows
static_assert(kRowGroups * tile::kBlockRows == tile::kThreads, "thread layout");

struct ClassChunk {
  const float* B;
  std::int64_t ldb;
  int begin;  // first class of this pass
  int count;  // classes in this pass, <= kClassChunk
};

// The K.B consumer: each tile of kernel values is parked in shared memory beside the tile's rows
// of B (this pass's classes); thread (r, group) forms the 64-product float32 sums of row r for
// classes group + 4 q and adds them into float64 split sums; at a split's end those are added
// into the running sums, in split order. finish writes the block's sums to its slab of `partial`.
struct TileTimesB {
  // 2 blocks of 256 threads per SM: at most 128 registers per thread (about 126 are used; the
  // float64 sums alone take 32), so growth spills instead of halving occupancy.
  static constexpr int kMinBlocksPerSm = 2;

  ClassChunk chunk;
  double* partial;             // (blocks_y x m x total_classes)
  std::int64_t total_classes;  // c: the slab's row length

  struct Shared {
    float k_tile[tile::kBlockRows][tile::kBlockCols + 1];  // +1: conflict-free column reads
    float b_tile[tile::kBlockCols][kClassChunk];
  };
  struct State {
    double split_sums[kClassesPerThread];  // the current split
    double sums[kClassesPerThread];        // the splits so far, in order
  };

  __device__ static int tile_row() { return static_cast<int>(threadIdx.x) % tile::kBlockRows; }
  __device__ static int class_group() { return static_cast<int>(threadIdx.x) / tile::kBlockRows; }

  __device__ void begin(const tile::TileBlock&, State& st, Shared&) const {
#pragma unroll
    for (int q = 0; q < kClassesPerThread; ++q) st.sums[q] = st.split_sums[q] = 0.0;
  }

  __device__ void consume_tile(const tile::TileBlock& block, std::int64_t x0,
                               const float (&v)[tile::kMicro][tile::kMicro], State& st, Shared& sh) const {
#pragma unroll
    for (int i = 0; i < tile::kMicro; ++i)
#pragma unroll
      for (int j = 0; j < tile::kMicro; ++j) sh.k_tile[tile::micro_row(i)][tile::micro_col(j)] = v[i][j];
    for (int e = static_cast<int>(threadIdx.x); e < tile::kBlockCols * kClassChunk; e += tile::kThreads) {
      const int b = e / kClassChunk;
      const int jj = e % kClassChunk;
      const std::int64_t col = x0 + b;
      sh.b_tile[b][jj] = (col < block.cols && jj < chunk.count) ? chunk.B[col * chunk.ldb + chunk.begin + jj] : 0.0f;
    }
    __syncthreads();
    const int r = tile_row();
#pragma unroll
    for (int q = 0; q < kClassesPerThread; ++q) {
      const int jj = class_group() + kRowGroups * q;
      if (jj < chunk.count) {
        float s = 0.0f;
#pragma unroll 16
        for (int b = 0; b < tile::kBlockCols; ++b) s = fmaf(sh.k_tile[r][b], sh.b_tile[b][jj], s);
        st.split_sums[q] += s;
      }
    }
    __syncthreads();  // k_tile and b_tile are rewritten by the next tile
  }

  __device__ void end_split(const tile::TileBlock&, std::int64_t, State& st, Shared&) const {
#pragma unroll
    for (int q = 0; q < kClassesPerThread; ++q) {
      st.sums[q] += st.split_sums[q];
      st.split_sums[q] = 0.0;
    }
  }

  __device__ void finish(const tile::TileBlock& block, State& st, Shared&) const {
    const std::int64_t row = block.z0 + tile_row();
    if (row >= block.rows) return;  // after the last barrier
    double* dst = partial + (block.x_range * block.rows + row) * total_classes + chunk.begin;
#pragma unroll
    for (int q = 0; q < kClassesPerThread; ++q) {
      const int jj = class_group() + kRowGroups * q;
      if (jj < chunk.count) dst[jj] = st.sums[q];
    }
  }
};

// out(a, j) = sum over splits of partial[split][a][j], in split order.
template <class Out>
__global__ void sum_splits_kernel(const double* partial, std::int64_t splits, std::int64_t m, std::int64_t c,
                                  Out* out, std::int64_t ld_out) {
  const std::int64_t total = m * c;
  for (std::int64_t e = global_thread_index(); e < total; e += global_thread_count()) {
    double s = 0.0;
    for (std::int64_t split = 0; split < splits; ++split) s += partial[split * total + e];
    out[(e / c) * ld_out + e % c] = static_cast<Out>(s);
  }
}

}  // namespace

namespace {

// How the X tiles are cut for Z (m rows) against X (n rows) and B (c columns): with few Z blocks
// the splits run in parallel (one grid row each, a float64 partial-sum slab per split, summed in
// order afterwards), else one block walks all splits.
struct SplitPlan {
  std::int64_t blocks_y = 1;
  std::int64_t splits_per_block = 1;
};

SplitPlan plan_splits(const CudaContext& ctx, std::int64_t m, std::int64_t n, std::int64_t c) {
  const std::int64_t z_blocks = ceil_div(m, tile::kBlockRows);
  const std::int64_t x_tiles = ceil_div(n, tile::kBlockCols);
  const std::int64_t target_blocks = static_cast<std::int64_t>(kTargetBlocksPerSm) * ctx.sm_count();
  const std::int64_t splits = ceil_div(x_tiles, kTilesPerSplit);
  const bool parallel_splits = z_blocks < target_blocks && splits > 1 && splits <= kMaxGridYZ &&
                               splits * m * c * static_cast<std::int64_t>(sizeof(double)) <= kMaxPartialBytes;
  return parallel_splits ? SplitPlan{splits, 1} : SplitPlan{1, splits};
}

}  // namespace

std::size_t kernel_matmul_workspace_bytes(const CudaContext& ctx, std::int64_t m, std::int64_t n, std::int64_t c) {
  if (m < 1 || n < 1 || c < 1) return 0;
  return static_cast<std::size_t>(plan_splits(ctx, m, n, c).blocks_y * m * c) * sizeof(double);
}

template <class Out>
void launch_kernel_matmul(const CudaContext& ctx, const detail::KernelConstants& kc,
                          const MatrixView<const float>& Z, const MatrixView<const float>& X,
                          const MatrixView<const float>& B, const MatrixView<Out>& out) {
  cudaStream_t stream = ctx.stream();
  const std::int64_t m = Z.rows();
  const std::int64_t c = B.cols();
  DeviceBuffer<float> z_norms;
  DeviceBuffer<float> x_norms;
  const tile::Operand z = make_operand(kc, Z, z_norms, stream);
  const tile::Operand x = make_operand(kc, X, x_norms, stream);

  const SplitPlan split = plan_splits(ctx, m, X.rows(), c);
  const tile::TileSchedule schedule = tile::make_schedule(m, X.rows(), kTilesPerSplit, split.splits_per_block);
  const std::int64_t blocks_y = split.blocks_y;  // == schedule.blocks_y: one partial-sum slab per grid row

  DeviceBuffer<double> partial(static_cast<std::size_t>(blocks_y * m * c), stream);
  tile::with_kernel_map(kc, z, x, Z.cols(), detail::self_pair_offset(Z, X), [&](const auto& map) {
    for (std::int64_t begin = 0; begin < c; begin += kClassChunk) {
      const ClassChunk chunk{B.data(), B.ld(), static_cast<int>(begin),
                             static_cast<int>(std::min<std::int64_t>(kClassChunk, c - begin))};
      tile::launch_map_reduce(map, TileTimesB{chunk, partial.data(), c}, schedule, stream,
                              "kernel_matmul (tile map-reduce)");
    }
  });
  const unsigned sum_blocks = grid_stride_blocks(m * c, kDefaultBlockThreads, ctx.sm_count());
  sum_splits_kernel<Out><<<sum_blocks, kDefaultBlockThreads, 0, stream>>>(partial.data(), blocks_y, m, c, out.data(),
                                                                           out.ld());
  LWNET_CUDA_CHECK_LAUNCH("sum_splits_kernel", stream);
}

template void launch_kernel_matmul<float>(const CudaContext&, const detail::KernelConstants&,
                                          const MatrixView<const float>&, const MatrixView<const float>&,
                                          const MatrixView<const float>&, const MatrixView<float>&);
template void launch_kernel_matmul<double>(const CudaContext&, const detail::KernelConstants&,
                                           const MatrixView<const float>&, const MatrixView<const float>&,
                                           const MatrixView<const float>&, const MatrixView<double>&);

}  // namespace lwnet::cuda
