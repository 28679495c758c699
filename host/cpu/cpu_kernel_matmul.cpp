// out = K(Z, X) B on the CPU without storing K (spec section 0, "the one fused primitive").
// Work is split into tasks (a block of Z rows) x (a range of X tiles); each task sums
// tile products in float32 and accumulates across tiles in float64. When Z has few rows the
// X range is split too, and the per-split partial sums are added in a fixed order, so results do
// not depend on the thread count.
#include <algorithm>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_tiles.hpp"

namespace lwnet::cpu {

namespace {

// Number of X-range splits: enough tasks to keep many threads busy. Fixed, not derived from the
// thread count, so the order of the float64 additions (and so every bit of the result) is the
// same whatever the number of threads.
constexpr std::int64_t kTargetTasks = 128;
std::int64_t choose_splits(std::int64_t z_blocks, std::int64_t x_tiles) {
  if (z_blocks >= kTargetTasks) return 1;
  return std::clamp<std::int64_t>(ceil_div(kTargetTasks, z_blocks), 1, x_tiles);
}

template <class Out>
void fused_kernel_matmul(int threads, const MatrixView<const float>& Z,
                         const MatrixView<const float>& X, const MatrixView<const float>& B,
                         const GramParams& params, const MatrixView<Out>& out) {
  const auto kc = detail::make_kernel_constants(params);
  const std::int64_t m = Z.rows();
  const std::int64_t n = X.rows();
  const std::int64_t c = B.cols();
  const TileOperand z_op(Z, kc, threads);
  const TileOperand x_op(X, kc, threads);
  const std::int64_t self_offset = detail::self_pair_offset(Z, X);

  const std::int64_t z_blocks = ceil_div(m, kTileRows);
  const std::int64_t x_tiles = ceil_div(n, kTileCols);
  std::int64_t splits = choose_splits(z_blocks, x_tiles);
  const std::int64_t tiles_per_split = ceil_div(x_tiles, splits);
  splits = ceil_div(x_tiles, tiles_per_split);

  // partial[s][a][j]: split s's contribution to out(a, j).
  std::vector<double> partial(static_cast<std::size_t>(splits * m * c), 0.0);

#pragma omp parallel num_threads(threads)
  {
    TileScratch scratch;
    std::vector<float> k(static_cast<std::size_t>(kTileRows * kTileCols));
    std::vector<float> bt(static_cast<std::size_t>(c * kTileCols));  // B tile transposed (c, tn)
    std::vector<double> acc(static_cast<std::size_t>(kTileRows * c));

#pragma omp for schedule(dynamic)
    for (std::int64_t task = 0; task < z_blocks * splits; ++task) {
      const std::int64_t block = task / splits;
      const std::int64_t split = task % splits;
      const std::int64_t z0 = block * kTileRows;
      const std::int64_t tm = std::min(kTileRows, m - z0);
      std::fill(acc.begin(), acc.end(), 0.0);

      const std::int64_t t_end = std::min(x_tiles, (split + 1) * tiles_per_split);
      for (std::int64_t t = split * tiles_per_split; t < t_end; ++t) {
        const std::int64_t x0 = t * kTileCols;
        const std::int64_t tn = std::min(kTileCols, n - x0);
        compute_tile(kc, z_op, z0, tm, x_op, x0, tn, self_offset, k.data(), kTileCols, scratch);
        for (std::int64_t b = 0; b < tn; ++b) {
          const float* brow = B.data() + (x0 + b) * B.ld();
          for (std::int64_t j = 0; j < c; ++j) bt[static_cast<std::size_t>(j * tn + b)] = brow[j];
        }
        for (std::int64_t a = 0; a < tm; ++a) {
          const float* krow = k.data() + a * kTileCols;
          for (std::int64_t j = 0; j < c; ++j) {
            const float* bj = bt.data() + j * tn;
            float s = 0.0f;  // float32 within a tile
#pragma omp simd reduction(+ : s)
            for (std::int64_t b = 0; b < tn; ++b) s += krow[b] * bj[b];
            acc[static_cast<std::size_t>(a * c + j)] += s;  // float64 across tiles
          }
        }
      }
      double* dst = partial.data() + (split * m + z0) * c;
      std::copy(acc.begin(), acc.begin() + tm * c, dst);
    }
  }

#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t a = 0; a < m; ++a) {
    for (std::int64_t j = 0; j < c; ++j) {
      double s = 0.0;
      for (std::int64_t split = 0; split < splits; ++split)
        s += partial[static_cast<std::size_t>((split * m + a) * c + j)];
      out(a, j) = static_cast<Out>(s);
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
