// out = K(Z, X) B on the CPU without storing K (spec section 0, "the one fused primitive").
//
// Summation order, fixed so that a row's result depends on nothing but its own data and X:
// X is cut into tiles of kTileCols rows and the tiles into splits of kTilesPerSplit; a tile's
// products are summed in float32, a split's tiles in float64, and the splits, in order, in
// float64: out = ((0 + s_0) + s_1) + ... Neither the thread count nor the number of rows of Z
// (a one-row batch or a large one) changes a bit of any row's result.
// Scheduling: with many Z rows a task is a block of rows over all splits; with few rows the
// splits run as separate tasks and their sums are added afterwards in the same order.
#include <algorithm>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_tiles.hpp"
#include "cpu/simd.hpp"

namespace lwnet::cpu {

namespace {

constexpr std::int64_t kTilesPerSplit = 16;         // 4096 rows of X per split
constexpr std::int64_t kTargetTasks = 128;          // tasks that keep many threads busy
constexpr std::int64_t kMaxPartialBytes = 1 << 28;  // per-split sums kept for few Z rows

// Per-thread working memory for one block of Z rows.
struct BlockScratch {
  TileScratch tile;
  std::vector<float> k;          // (kTileRows, kTileCols) kernel values
  std::vector<double> split_sum; // (kTileRows, c)

  explicit BlockScratch(std::int64_t c)
      : k(static_cast<std::size_t>(kTileRows * kTileCols)), split_sum(static_cast<std::size_t>(kTileRows * c)) {}
};

struct FusedProblem {
  const detail::KernelConstants& kc;
  const TileOperand& z;
  const TileOperand& x;
  const MatrixView<const float>& B;
  const float* b_tiles;  // B transposed per tile of X: tile t is (c, kTileCols), zero beyond X's last row
  std::int64_t self_offset;
  std::int64_t x_tiles;
};

// A register block of the K.B product: kRowsPerBlock rows of K by up to kClassesPerBlock
// columns of B, one vector of partial sums each, over the tile's columns.
constexpr int kRowsPerBlock = 4;
constexpr int kClassesPerBlock = 4;

// split_sum[a][j0 + q] += sum_b k[a][b] bt[j0 + q][b] for the tile's rows, classes j0..j0+kClasses.
// Each (a, j) sum is the same float32 lane sums and the same fixed lane order in any block: short
// row blocks repeat their last row and the extra results are discarded.
template <int kClasses>
void tile_times_b(const float* k, std::int64_t tm, const float* bt, std::int64_t ldbt, std::int64_t cols,
                  std::int64_t j0, std::int64_t c, double* split_sum) {
  const float* bj[kClasses];
  for (int q = 0; q < kClasses; ++q) bj[q] = bt + (j0 + q) * ldbt;
  for (std::int64_t a0 = 0; a0 < tm; a0 += kRowsPerBlock) {
    const float* krow[kRowsPerBlock];
    for (int r = 0; r < kRowsPerBlock; ++r) krow[r] = k + std::min<std::int64_t>(a0 + r, tm - 1) * kTileCols;
    simd::Vec acc[kRowsPerBlock][kClasses] = {};
    for (std::int64_t b = 0; b < cols; b += simd::kLanes) {
      simd::Vec kv[kRowsPerBlock];
      for (int r = 0; r < kRowsPerBlock; ++r) kv[r] = simd::load(krow[r] + b);
      for (int q = 0; q < kClasses; ++q) {
        const simd::Vec bv = simd::load(bj[q] + b);
        for (int r = 0; r < kRowsPerBlock; ++r) acc[r][q] = acc[r][q] + kv[r] * bv;
      }
    }
    const std::int64_t rows = std::min<std::int64_t>(kRowsPerBlock, tm - a0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (int q = 0; q < kClasses; ++q)  // float32 within a tile, float64 across tiles
        split_sum[static_cast<std::size_t>((a0 + r) * c + j0 + q)] += simd::horizontal_sum(acc[r][q]);
  }
}

// B's rows transposed tile by tile, once for all blocks of Z rows (see FusedProblem::b_tiles).
std::vector<float> transposed_b_tiles(const MatrixView<const float>& B, std::int64_t x_tiles, int threads, bool parallel) {
  const std::int64_t c = B.cols();
  std::vector<float> tiles(static_cast<std::size_t>(x_tiles * c * kTileCols), 0.0f);
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (std::int64_t t = 0; t < x_tiles; ++t) {
    float* dst = tiles.data() + t * c * kTileCols;
    const std::int64_t tn = std::min(kTileCols, B.rows() - t * kTileCols);
    for (std::int64_t b = 0; b < tn; ++b) {
      const float* brow = B.data() + (t * kTileCols + b) * B.ld();
      for (std::int64_t j = 0; j < c; ++j) dst[j * kTileCols + b] = brow[j];
    }
  }
  return tiles;
}

// scratch.split_sum = the float64 sum over split `split`'s tiles for Z rows [z0, z0 + tm).
void sum_split(const FusedProblem& p, std::int64_t z0, std::int64_t tm, std::int64_t split, BlockScratch& s) {
  const std::int64_t c = p.B.cols();
  const std::int64_t n = p.x.rows.rows();
  std::fill(s.split_sum.begin(), s.split_sum.end(), 0.0);
  const std::int64_t t_end = std::min(p.x_tiles, (split + 1) * kTilesPerSplit);
  for (std::int64_t t = split * kTilesPerSplit; t < t_end; ++t) {
    const std::int64_t x0 = t * kTileCols;
    const std::int64_t tn = std::min(kTileCols, n - x0);
    const std::int64_t tn_padded = simd::round_up(tn, simd::kLanes);
    compute_tile(p.kc, p.z, z0, tm, p.x, x0, tn, p.self_offset, s.k.data(), kTileCols, s.tile);
    // Padding columns multiply zeros of B: clear K there too, so an infinite value cannot
    // turn into NaN.
    for (std::int64_t a = 0; a < tm; ++a) std::fill(s.k.data() + a * kTileCols + tn, s.k.data() + a * kTileCols + tn_padded, 0.0f);
    const float* bt = p.b_tiles + t * c * kTileCols;
    double* sums = s.split_sum.data();
    for (std::int64_t j0 = 0; j0 < c; j0 += kClassesPerBlock) {
      switch (std::min<std::int64_t>(kClassesPerBlock, c - j0)) {
        case 1: tile_times_b<1>(s.k.data(), tm, bt, kTileCols, tn_padded, j0, c, sums); break;
        case 2: tile_times_b<2>(s.k.data(), tm, bt, kTileCols, tn_padded, j0, c, sums); break;
        case 3: tile_times_b<3>(s.k.data(), tm, bt, kTileCols, tn_padded, j0, c, sums); break;
        default: tile_times_b<4>(s.k.data(), tm, bt, kTileCols, tn_padded, j0, c, sums); break;
      }
    }
  }
}

template <class Out>
void fused_kernel_matmul(int threads, const MatrixView<const float>& Z, const MatrixView<const float>& X,
                         const MatrixView<const float>& B, const GramParams& params, const MatrixView<Out>& out) {
  const auto kc = detail::make_kernel_constants(params);
  const std::int64_t m = Z.rows();
  const std::int64_t c = B.cols();
  const TileOperand z_op(Z, kc, threads);
  const TileOperand x_op(X, kc, threads, TileOperand::Side::x);
  const std::int64_t x_tiles = ceil_div(X.rows(), kTileCols);
  const bool parallel = worth_parallel(m * X.rows() * (X.cols() + c));
  const std::vector<float> b_tiles = transposed_b_tiles(B, x_tiles, threads, parallel);
  const FusedProblem p{kc, z_op, x_op, B, b_tiles.data(), detail::self_pair_offset(Z, X), x_tiles};
  const std::int64_t z_blocks = ceil_div(m, kTileRows);
  const std::int64_t splits = ceil_div(x_tiles, kTilesPerSplit);
  const bool parallel_splits = z_blocks < kTargetTasks && splits > 1 &&
                               splits * m * c * static_cast<std::int64_t>(sizeof(double)) <= kMaxPartialBytes;

  if (!parallel_splits) {
#pragma omp parallel num_threads(threads) if (parallel)
    {
      BlockScratch s(c);
      std::vector<double> total(static_cast<std::size_t>(kTileRows * c));
#pragma omp for schedule(dynamic)
      for (std::int64_t block = 0; block < z_blocks; ++block) {
        const std::int64_t z0 = block * kTileRows;
        const std::int64_t tm = std::min(kTileRows, m - z0);
        std::fill(total.begin(), total.end(), 0.0);
        for (std::int64_t split = 0; split < splits; ++split) {
          sum_split(p, z0, tm, split, s);
          for (std::size_t e = 0; e < total.size(); ++e) total[e] += s.split_sum[e];
        }
        for (std::int64_t a = 0; a < tm; ++a)
          for (std::int64_t j = 0; j < c; ++j) out(z0 + a, j) = static_cast<Out>(total[static_cast<std::size_t>(a * c + j)]);
      }
    }
    return;
  }

  // partial[split][a][j]: split's sum for out(a, j).
  std::vector<double> partial(static_cast<std::size_t>(splits * m * c));
#pragma omp parallel num_threads(threads) if (parallel)
  {
    BlockScratch s(c);
#pragma omp for schedule(dynamic)
    for (std::int64_t task = 0; task < z_blocks * splits; ++task) {
      const std::int64_t block = task / splits;
      const std::int64_t split = task % splits;
      const std::int64_t z0 = block * kTileRows;
      const std::int64_t tm = std::min(kTileRows, m - z0);
      sum_split(p, z0, tm, split, s);
      std::copy(s.split_sum.begin(), s.split_sum.begin() + tm * c, partial.data() + (split * m + z0) * c);
    }
  }
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (std::int64_t a = 0; a < m; ++a) {
    for (std::int64_t j = 0; j < c; ++j) {
      double total = 0.0;
      for (std::int64_t split = 0; split < splits; ++split) total += partial[static_cast<std::size_t>((split * m + a) * c + j)];
      out(a, j) = static_cast<Out>(total);
    }
  }
}

}  // namespace

void CpuBackend::kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                    MatrixView<const float> B, const GramParams& params,
                                    MatrixView<float> out) {
  fused_kernel_matmul(threads_, Z, X, B, params, out);
}

void CpuBackend::kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                    MatrixView<const float> B, const GramParams& params,
                                    MatrixView<double> out) {
  fused_kernel_matmul(threads_, Z, X, B, params, out);
}

}  // namespace lwnet::cpu
