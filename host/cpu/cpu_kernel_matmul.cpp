// out = K(Z, X) B on the CPU without storing K (spec section 0, "the one fused primitive").
//
// Summation order, fixed so that a row's result depends on nothing but its own data, X and B:
// X is cut into tiles of kTileCols rows and the tiles into splits of kTilesPerSplit; a tile's
// products are summed in float32, a split's tiles in float64, and the splits, in order, in
// float64: out = ((0 + s_0) + s_1) + ... Neither the thread count nor the number of rows of Z
// (a one-row batch or a large one) changes a bit of any row's result.
//
// Grouped rows: when B has few distinct rows (the class indicators of a layer, [Y 1] of HSIC),
// X's rows are first ordered by their row of B, so that each tile holds a few runs of rows
// sharing one row of B. Per row of Z the tile then gives one float32 sum of k per run (one
// addition per pair instead of c multiply-adds), and out = sum over groups of (float64 group sum)
// x (the group's row of B). The grouping is a function of B alone, so the order stays fixed.
//
// Several Gaussian widths at once: the tile's clamped squared distances are computed once and
// each width's kernel values taken from them, exactly as the single-width tile computes them, so
// each width's output has the same bits as its own kernel_matmul (the distances, most of the work
// when d is large, are shared).
//
// Scheduling: with many Z rows a task is a block of rows over all splits; with few rows the
// splits run as separate tasks and their sums are added afterwards in the same order.
// With squares: the same kernel values, squared, summed per row over each tile's columns in the
// same lane order.
#include <algorithm>
#include <optional>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_row_groups.hpp"
#include "cpu/cpu_symmetric_sums.hpp"
#include "cpu/cpu_tiles.hpp"
#include "cpu/simd.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

constexpr std::int64_t kTilesPerSplit = 16;         // 4096 rows of X per split
constexpr std::int64_t kTargetTasks = 128;          // tasks that keep many threads busy
constexpr std::int64_t kMaxPartialBytes = 1 << 28;  // per-split sums kept for few Z rows
// The symmetric path keeps its column sums: at most this, and a quarter of the available memory.
constexpr std::int64_t kMaxSymmetricStoreBytes = std::int64_t{1} << 30;

// Per-thread working memory for one block of Z rows.
struct BlockScratch {
  std::vector<float> k;          // (kTileRows, kTileCols) kernel values
  std::vector<float> d2;         // (kTileRows, kTileCols) squared distances (several widths)
  std::vector<double> split_sum; // (kTileRows, row columns)

  BlockScratch(std::int64_t row_cols, bool widths)
      : k(static_cast<std::size_t>(kTileRows * kTileCols)),
        d2(widths ? static_cast<std::size_t>(kTileRows * kTileCols) : 0),
        split_sum(static_cast<std::size_t>(kTileRows * row_cols)) {}
};

struct FusedProblem {
  const detail::KernelConstants& kc;
  const TileOperand& z;
  const TileOperand& x;             // X, or X's rows in grouped order
  const MatrixView<const float>& B;
  const RowGroups* groups;          // grouped rows, or null: the dense product with b_tiles
  const float* b_tiles;             // B transposed per tile of X: tile t is (c, kTileCols), zero beyond X's last row
  SelfPairs self;
  std::int64_t x_tiles;
  bool squares;  // also sum K^2 per row (the last of the sum columns)
  // Several Gaussian widths: -1 / (2 sigma_w^2) each (kc is then the squared distance); empty for one kernel.
  std::vector<float> width_scales;
  // Per row and kernel: c products (dense) or one sum per group, then the squares.
  std::int64_t product_cols() const { return groups != nullptr ? groups->count : B.cols(); }
  std::int64_t sum_cols() const { return product_cols() + (squares ? 1 : 0); }
  std::int64_t kernels() const { return width_scales.empty() ? 1 : static_cast<std::int64_t>(width_scales.size()); }
  // A row's sums: each kernel's sum_cols() in turn.
  std::int64_t row_cols() const { return kernels() * sum_cols(); }
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
                  std::int64_t j0, std::int64_t ldsum, double* split_sum) {
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
        for (int r = 0; r < kRowsPerBlock; ++r) acc[r][q] = simd::fma(kv[r], bv, acc[r][q]);
      }
    }
    const std::int64_t rows = std::min<std::int64_t>(kRowsPerBlock, tm - a0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (int q = 0; q < kClasses; ++q)  // float32 within a tile, float64 across tiles
        split_sum[static_cast<std::size_t>((a0 + r) * ldsum + j0 + q)] += simd::horizontal_sum(acc[r][q]);
  }
}

// B's rows transposed tile by tile, once for all blocks of Z rows (see FusedProblem::b_tiles).
std::vector<float> transposed_b_tiles(const MatrixView<const float>& B, std::int64_t x_tiles, ThreadPool& pool) {
  const std::int64_t c = B.cols();
  std::vector<float> tiles(static_cast<std::size_t>(x_tiles * c * kTileCols), 0.0f);
  parallel_for(pool, x_tiles, 1, c * kTileCols, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t t = begin; t < end; ++t) {
      float* dst = tiles.data() + t * c * kTileCols;
      const std::int64_t tn = std::min(kTileCols, B.rows() - t * kTileCols);
      for (std::int64_t b = 0; b < tn; ++b) {
        const float* brow = B.data() + (t * kTileCols + b) * B.ld();
        for (std::int64_t j = 0; j < c; ++j) dst[j * kTileCols + b] = brow[j];
      }
    }
  });
  return tiles;
}

// sums[a * ldsum + ...] += one tile's contribution for its rows: the squares, then the group run
// sums or the dense products.
void add_tile_sums(const FusedProblem& p, std::int64_t t, const float* k, std::int64_t tm, std::int64_t tn_padded,
                   std::int64_t ldsum, double* sums) {
  if (p.squares) add_square_sums(k, tm, tn_padded, p.product_cols(), ldsum, sums);
  if (p.groups != nullptr) {
    add_run_sums(k, tm, p.groups->tile_runs[static_cast<std::size_t>(t)], ldsum, sums);
    return;
  }
  const std::int64_t c = p.B.cols();
  const float* bt = p.b_tiles + t * c * kTileCols;
  for (std::int64_t j0 = 0; j0 < c; j0 += kClassesPerBlock) {
    switch (std::min<std::int64_t>(kClassesPerBlock, c - j0)) {
      case 1: tile_times_b<1>(k, tm, bt, kTileCols, tn_padded, j0, ldsum, sums); break;
      case 2: tile_times_b<2>(k, tm, bt, kTileCols, tn_padded, j0, ldsum, sums); break;
      case 3: tile_times_b<3>(k, tm, bt, kTileCols, tn_padded, j0, ldsum, sums); break;
      default: tile_times_b<4>(k, tm, bt, kTileCols, tn_padded, j0, ldsum, sums); break;
    }
  }
}

// scratch.split_sum = the float64 sum over split `split`'s tiles for Z rows [z0, z0 + tm).
void sum_split(const FusedProblem& p, std::int64_t z0, std::int64_t tm, std::int64_t split, BlockScratch& s) {
  const std::int64_t ldsum = p.row_cols();
  const std::int64_t n = p.x.rows.rows();
  double* sums = s.split_sum.data();
  std::fill(s.split_sum.begin(), s.split_sum.end(), 0.0);
  const std::int64_t t_end = std::min(p.x_tiles, (split + 1) * kTilesPerSplit);
  for (std::int64_t t = split * kTilesPerSplit; t < t_end; ++t) {
    const std::int64_t x0 = t * kTileCols;
    const std::int64_t tn = std::min(kTileCols, n - x0);
    const std::int64_t tn_padded = simd::round_up(tn, simd::kLanes);
    float* k = s.k.data();
    if (p.width_scales.empty()) {
      compute_tile(p.kc, p.z, z0, tm, p.x, x0, tn, p.self, k, kTileCols);
      // Padding columns multiply zeros of B: clear K there too, so an infinite value cannot
      // turn into NaN.
      for (std::int64_t a = 0; a < tm; ++a) std::fill(k + a * kTileCols + tn, k + a * kTileCols + tn_padded, 0.0f);
      add_tile_sums(p, t, k, tm, tn_padded, ldsum, sums);
      continue;
    }
    // Several widths: exp(scale_w d^2) from the shared distances, as compute_tile's Gaussian
    // finish takes it from the same clamped d^2 (self-pairs: d^2 = 0, so k = 1 exactly).
    compute_tile(p.kc, p.z, z0, tm, p.x, x0, tn, p.self, s.d2.data(), kTileCols);
    for (std::size_t w = 0; w < p.width_scales.size(); ++w) {
      const simd::Vec scale = simd::splat(p.width_scales[w]);
      for (std::int64_t a = 0; a < tm; ++a) {
        const float* d2 = s.d2.data() + a * kTileCols;
        float* row = k + a * kTileCols;
        for (std::int64_t b = 0; b < tn_padded; b += simd::kLanes)
          simd::store(row + b, simd::exp_nonpositive(scale * simd::load(d2 + b)));
        std::fill(row + tn, row + tn_padded, 0.0f);
      }
      add_tile_sums(p, t, k, tm, tn_padded, ldsum, sums + static_cast<std::int64_t>(w) * p.sum_cols());
    }
  }
}

// outs[w] = K_w(Z, X) B for one kernel (params.size() == 1) or several Gaussian widths, and, when
// sq_sums is given (one kernel), sq_sums(a) = sum_b K(z_a, x_b)^2.
template <class Out>
void fused_kernel_matmul(ThreadPool& pool, std::int64_t store_limit, const MatrixView<const float>& Z,
                         const MatrixView<const float>& X, const MatrixView<const float>& B,
                         const std::vector<GramParams>& params, const std::vector<MatrixView<Out>>& outs,
                         const MatrixView<double>* sq_sums = nullptr) {
  const bool several = params.size() > 1;
  const auto kc = several ? detail::squared_distance_constants() : detail::make_kernel_constants(params.front());
  const std::int64_t m = Z.rows();
  const std::int64_t n = X.rows();
  const std::int64_t c = B.cols();
  const std::int64_t x_tiles = ceil_div(n, kTileCols);
  const std::optional<RowGroups> groups = group_rows(B);

  // Grouped: X's rows in grouped order, and each Z row's self-pair moved with its X row.
  Matrix<float> x_grouped;
  std::vector<std::int64_t> self_rows;
  SelfPairs self = SelfPairs::at_offset(detail::self_pair_offset(Z, X));
  std::vector<float> b_tiles;
  if (groups) {
    x_grouped = Matrix<float>::host(n, X.cols());
    parallel_for(pool, n, kTileCols, X.cols(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t p = begin; p < end; ++p) {
        const float* row = X.data() + groups->order[static_cast<std::size_t>(p)] * X.ld();
        std::copy(row, row + X.cols(), x_grouped.data() + p * X.cols());
      }
    });
    if (self.offset != detail::kNoSelfPairs) {
      self_rows.resize(static_cast<std::size_t>(m));
      for (std::int64_t a = 0; a < m; ++a) {
        const std::int64_t x_row = a + self.offset;
        self_rows[static_cast<std::size_t>(a)] = x_row >= 0 && x_row < n ? groups->position[static_cast<std::size_t>(x_row)] : -1;
      }
      self = SelfPairs{detail::kNoSelfPairs, self_rows.data()};
    }
  } else {
    b_tiles = transposed_b_tiles(B, x_tiles, pool);
  }
  const TileOperand x_op(groups ? x_grouped.cview() : X, kc, pool, TileOperand::Side::x);
  const std::int64_t product_cols = groups ? groups->count : c;
  const std::int64_t cols = product_cols + (sq_sums != nullptr ? 1 : 0);

  // Row a's float64 sums (each kernel's products, then squares) into the outputs.
  const auto store = [&](std::int64_t a, const double* row_sums) {
    for (std::size_t w = 0; w < outs.size(); ++w) {
      const double* sums = row_sums + static_cast<std::int64_t>(w) * cols;
      const MatrixView<Out>& out = outs[w];
      if (groups) {
        for (std::int64_t j = 0; j < c; ++j) {
          double v = 0.0;
          for (std::int64_t g = 0; g < groups->count; ++g) v += sums[g] * groups->values[static_cast<std::size_t>(g * c + j)];
          out(a, j) = static_cast<Out>(v);
        }
      } else {
        for (std::int64_t j = 0; j < c; ++j) out(a, j) = static_cast<Out>(sums[j]);
      }
    }
    if (sq_sums != nullptr) (*sq_sums)(a, 0) = row_sums[product_cols];
  };

  // K(X, X) B with grouped B: each pair of tiles once (cpu_symmetric_sums.hpp).
  const bool self_product = detail::self_pair_offset(Z, X) == 0 && m == n;
  if (!several && groups && self_product && symmetric_store_bytes(n, cols) <= store_limit) {
    symmetric_grouped_sums(pool, kc, x_op, *groups, sq_sums != nullptr, [&](std::int64_t position, const double* sums) {
      store(groups->order[static_cast<std::size_t>(position)], sums);
    });
    return;
  }

  const TileOperand z_op(Z, kc, pool);
  FusedProblem p{kc, z_op, x_op, B, groups ? &*groups : nullptr, b_tiles.data(), self, x_tiles, sq_sums != nullptr, {}};
  if (several)
    for (const GramParams& w : params) p.width_scales.push_back(detail::make_kernel_constants(w).neg_inv_two_sigma2);
  const std::int64_t row_cols = p.row_cols();
  const std::int64_t splits = ceil_div(x_tiles, kTilesPerSplit);
  const std::int64_t z_blocks = ceil_div(m, kTileRows);
  const std::int64_t work = m * n * (X.cols() + p.kernels() * ((groups ? 1 : c) + 16));  // + the exponentials
  const bool parallel_splits = z_blocks < kTargetTasks && splits > 1 &&
                               splits * m * row_cols * static_cast<std::int64_t>(sizeof(double)) <= kMaxPartialBytes;
  if (!parallel_splits) {
    const int threads = pool.threads_for(work, z_blocks);
    std::vector<BlockScratch> scratch(static_cast<std::size_t>(threads), BlockScratch(row_cols, several));
    std::vector<std::vector<double>> totals(static_cast<std::size_t>(threads),
                                            std::vector<double>(static_cast<std::size_t>(kTileRows * row_cols)));
    pool.run(z_blocks, threads, [&](std::int64_t block, int worker) {
      BlockScratch& s = scratch[static_cast<std::size_t>(worker)];
      std::vector<double>& total = totals[static_cast<std::size_t>(worker)];
      const std::int64_t z0 = block * kTileRows;
      const std::int64_t tm = std::min(kTileRows, m - z0);
      std::fill(total.begin(), total.end(), 0.0);
      for (std::int64_t split = 0; split < splits; ++split) {
        sum_split(p, z0, tm, split, s);
        for (std::size_t e = 0; e < total.size(); ++e) total[e] += s.split_sum[e];
      }
      for (std::int64_t a = 0; a < tm; ++a) store(z0 + a, total.data() + a * row_cols);
    });
    return;
  }

  // partial[split][a][j]: split's sum for row a, column j.
  std::vector<double> partial(static_cast<std::size_t>(splits * m * row_cols));
  const int threads = pool.threads_for(work, z_blocks * splits);
  std::vector<BlockScratch> scratch(static_cast<std::size_t>(threads), BlockScratch(row_cols, several));
  pool.run(z_blocks * splits, threads, [&](std::int64_t task, int worker) {
    BlockScratch& s = scratch[static_cast<std::size_t>(worker)];
    const std::int64_t block = task / splits;
    const std::int64_t split = task % splits;
    const std::int64_t z0 = block * kTileRows;
    const std::int64_t tm = std::min(kTileRows, m - z0);
    sum_split(p, z0, tm, split, s);
    std::copy(s.split_sum.begin(), s.split_sum.begin() + tm * row_cols, partial.data() + (split * m + z0) * row_cols);
  });
  parallel_for(pool, m, kTileRows, splits * row_cols, [&](std::int64_t begin, std::int64_t end) {
    std::vector<double> total(static_cast<std::size_t>(row_cols));
    for (std::int64_t a = begin; a < end; ++a) {
      for (std::int64_t j = 0; j < row_cols; ++j) {
        double sum = 0.0;
        for (std::int64_t split = 0; split < splits; ++split) sum += partial[static_cast<std::size_t>((split * m + a) * row_cols + j)];
        total[static_cast<std::size_t>(j)] = sum;
      }
      store(a, total.data());
    }
  });
}

}  // namespace

std::int64_t CpuBackend::symmetric_store_limit() const {
  const auto available = static_cast<std::int64_t>(std::min<std::size_t>(free_memory_bytes(), std::size_t{1} << 62));
  return available > 0 ? std::min(kMaxSymmetricStoreBytes, available / 4) : kMaxSymmetricStoreBytes;
}

void CpuBackend::kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                    MatrixView<const float> B, const GramParams& params,
                                    MatrixView<float> out) {
  fused_kernel_matmul<float>(pool(), symmetric_store_limit(), Z, X, B, {params}, {out});
}

void CpuBackend::kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                    MatrixView<const float> B, const GramParams& params,
                                    MatrixView<double> out) {
  fused_kernel_matmul<double>(pool(), symmetric_store_limit(), Z, X, B, {params}, {out});
}

void CpuBackend::kernel_matmul_with_squares_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                                 MatrixView<const float> B, const GramParams& params,
                                                 MatrixView<double> out, MatrixView<double> sq_sums) {
  fused_kernel_matmul<double>(pool(), symmetric_store_limit(), Z, X, B, {params}, {out}, &sq_sums);
}

void CpuBackend::gaussian_matmul_widths_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                             MatrixView<const float> B, const std::vector<double>& sigmas,
                                             const std::vector<MatrixView<double>>& outs) {
  std::vector<GramParams> params;
  for (double sigma : sigmas) params.push_back(GramParams::gaussian(sigma));
  fused_kernel_matmul<double>(pool(), symmetric_store_limit(), Z, X, B, params, outs);
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
