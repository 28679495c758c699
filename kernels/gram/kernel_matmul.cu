// out = K(Z, X) B on the GPU without storing K: the fused primitive (spec section 0).
//
// A block owns 64 rows of Z and walks a range of 64-row X tiles. Per tile it computes the 64 x 64
// kernel values in registers (tile.cuh), parks them in shared memory next to the tile's rows of
// B, and each thread then forms up to 8 (row, class) sums of 64 products in float32, adding
// each into a float64 accumulator (float32 within a tile, float64 across tiles, spec 1.6).
// Classes are processed kClassChunk at a time (more classes: more passes over X).
// Summation order, fixed so a row's result depends only on its own data and X (a one-row batch
// gives the bits it gets inside a large one): 64-row tiles are grouped into splits of
// kTilesPerSplit; a split's tiles are added in float64, and the splits in order:
// out = ((0 + s_0) + s_1) + ... With many Z rows each block folds all splits itself; with few rows
// each block takes one split (gridDim.y = splits) and a second kernel adds them in the same order.
#include <algorithm>

#include "common/check.cuh"
#include "gram/gram.cuh"

namespace lwnet::cuda {

namespace {

constexpr int kClassChunk = 32;                                  // classes per pass
constexpr int kRowGroups = tile::kThreads / tile::kBlockRows;    // 4 threads per Z row
constexpr int kClassesPerThread = kClassChunk / kRowGroups;      // 8 accumulators per thread
constexpr std::int64_t kTilesPerSplit = 64;                      // 4096 rows of X per split
constexpr std::int64_t kMaxSplits = 65535;                       // gridDim.y limit
constexpr int kBlocksPerSm = 4;                                  // target occupancy in blocks
constexpr std::int64_t kMaxPartialBytes = std::int64_t{1} << 28; // per-split sums kept for few Z rows
static_assert(kRowGroups * tile::kBlockRows == tile::kThreads, "thread layout");

struct ClassChunk {
  const float* B;
  std::int64_t ldb;
  int begin;  // first class of this pass
  int count;  // classes in this pass, <= kClassChunk
};

template <bool kL1>
__global__ void __launch_bounds__(tile::kThreads)
    kernel_matmul_kernel(detail::KernelConstants kc, tile::Operand Z, tile::Operand X, std::int64_t d,
                         std::int64_t self_offset, ClassChunk chunk, std::int64_t splits_per_block,
                         double* partial, std::int64_t total_classes) {
  __shared__ tile::Staging staging;
  __shared__ float k_tile[tile::kBlockRows][tile::kBlockCols + 1];  // +1: conflict-free column reads
  __shared__ float b_tile[tile::kBlockCols][kClassChunk];

  const std::int64_t z0 = static_cast<std::int64_t>(blockIdx.x) * tile::kBlockRows;
  const std::int64_t x_tiles = ceil_div(X.rows, tile::kBlockCols);
  const std::int64_t t_begin = static_cast<std::int64_t>(blockIdx.y) * splits_per_block * kTilesPerSplit;
  const std::int64_t t_end = min(x_tiles, t_begin + splits_per_block * kTilesPerSplit);

  const int r = static_cast<int>(threadIdx.x) % tile::kBlockRows;  // this thread's row in the tile
  const int group = static_cast<int>(threadIdx.x) / tile::kBlockRows;  // classes group + 4 q
  double split_sums[kClassesPerThread];  // the current split
  double sums[kClassesPerThread];        // the splits so far, in order
#pragma unroll
  for (int q = 0; q < kClassesPerThread; ++q) sums[q] = split_sums[q] = 0.0;

  for (std::int64_t t = t_begin; t < t_end; ++t) {
    const std::int64_t x0 = t * tile::kBlockCols;
    float acc[tile::kMicro][tile::kMicro];
    tile::accumulate<kL1>(Z, z0, X, x0, d, staging, acc);
#pragma unroll
    for (int i = 0; i < tile::kMicro; ++i)
#pragma unroll
      for (int j = 0; j < tile::kMicro; ++j)
        k_tile[tile::thread_row() + tile::kThreadsPerDim * i][tile::thread_col() + tile::kThreadsPerDim * j] =
            tile::entry(kc, Z, z0, X, x0, self_offset, acc[i][j], i, j);
    for (int e = static_cast<int>(threadIdx.x); e < tile::kBlockCols * kClassChunk; e += tile::kThreads) {
      const int b = e / kClassChunk;
      const int jj = e % kClassChunk;
      const std::int64_t col = x0 + b;
      b_tile[b][jj] = (col < X.rows && jj < chunk.count) ? chunk.B[col * chunk.ldb + chunk.begin + jj] : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int q = 0; q < kClassesPerThread; ++q) {
      const int jj = group + kRowGroups * q;
      if (jj < chunk.count) {
        float s = 0.0f;
#pragma unroll 16
        for (int b = 0; b < tile::kBlockCols; ++b) s = fmaf(k_tile[r][b], b_tile[b][jj], s);
        split_sums[q] += s;
      }
    }
    __syncthreads();  // k_tile and b_tile are rewritten by the next tile
    if ((t + 1) % kTilesPerSplit == 0 || t + 1 == t_end) {  // a split ends
#pragma unroll
      for (int q = 0; q < kClassesPerThread; ++q) {
        sums[q] += split_sums[q];
        split_sums[q] = 0.0;
      }
    }
  }

  const std::int64_t row = z0 + r;
  if (row >= Z.rows) return;
  double* dst = partial + (static_cast<std::int64_t>(blockIdx.y) * Z.rows + row) * total_classes + chunk.begin;
#pragma unroll
  for (int q = 0; q < kClassesPerThread; ++q) {
    const int jj = group + kRowGroups * q;
    if (jj < chunk.count) dst[jj] = sums[q];
  }
}

// out(a, j) = sum over splits of partial[split][a][j], in split order.
template <class Out>
__global__ void sum_splits_kernel(const double* partial, std::int64_t splits, std::int64_t m, std::int64_t c,
                                  Out* out, std::int64_t ld_out) {
  const std::int64_t total = m * c;
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
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
  const std::int64_t target_blocks = static_cast<std::int64_t>(kBlocksPerSm) * ctx.sm_count();
  const std::int64_t splits = ceil_div(x_tiles, kTilesPerSplit);
  const bool parallel_splits = z_blocks < target_blocks && splits > 1 && splits <= kMaxSplits &&
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

  const std::int64_t z_blocks = ceil_div(m, tile::kBlockRows);
  const SplitPlan split = plan_splits(ctx, m, X.rows(), c);
  const std::int64_t blocks_y = split.blocks_y;
  const std::int64_t splits_per_block = split.splits_per_block;

  DeviceBuffer<double> partial(static_cast<std::size_t>(blocks_y * m * c), stream);
  const std::int64_t self_offset = detail::self_pair_offset(Z, X);
  const dim3 grid(static_cast<unsigned>(z_blocks), static_cast<unsigned>(blocks_y));
  for (std::int64_t begin = 0; begin < c; begin += kClassChunk) {
    const ClassChunk chunk{B.data(), B.ld(), static_cast<int>(begin),
                           static_cast<int>(std::min<std::int64_t>(kClassChunk, c - begin))};
    if (kc.uses_dot())
      kernel_matmul_kernel<false><<<grid, tile::kThreads, 0, stream>>>(kc, z, x, Z.cols(), self_offset, chunk,
                                                                       splits_per_block, partial.data(), c);
    else
      kernel_matmul_kernel<true><<<grid, tile::kThreads, 0, stream>>>(kc, z, x, Z.cols(), self_offset, chunk,
                                                                      splits_per_block, partial.data(), c);
    LWNET_CUDA_CHECK_LAUNCH("kernel_matmul_kernel", stream);
  }
  constexpr int kSumThreads = 256;
  const auto sum_blocks = static_cast<unsigned>(std::min<std::int64_t>(ceil_div(m * c, kSumThreads), 65535));
  sum_splits_kernel<Out><<<sum_blocks, kSumThreads, 0, stream>>>(partial.data(), blocks_y, m, c, out.data(), out.ld());
  LWNET_CUDA_CHECK_LAUNCH("sum_splits_kernel", stream);
}

template void launch_kernel_matmul<float>(const CudaContext&, const detail::KernelConstants&,
                                          const MatrixView<const float>&, const MatrixView<const float>&,
                                          const MatrixView<const float>&, const MatrixView<float>&);
template void launch_kernel_matmul<double>(const CudaContext&, const detail::KernelConstants&,
                                           const MatrixView<const float>&, const MatrixView<const float>&,
                                           const MatrixView<const float>&, const MatrixView<double>&);

}  // namespace lwnet::cuda
