// Materialised kernel matrices and distances, the streamed pair sum, and the median of pairwise
// distances, on the CPU.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_tiles.hpp"

namespace lwnet::cpu {

namespace {

// out = tile op over all (Z row, X row) pairs, written tile by tile straight into out.
void materialise(int threads, const detail::KernelConstants& kc, const MatrixView<const float>& Z,
                 const MatrixView<const float>& X, const MatrixView<float>& out) {
  const TileOperand z_op(Z, kc, threads);
  const TileOperand x_op(X, kc, threads, TileOperand::Side::x);
  const std::int64_t self_offset = detail::self_pair_offset(Z, X);
  const std::int64_t z_blocks = ceil_div(Z.rows(), kTileRows);
  const std::int64_t x_tiles = ceil_div(X.rows(), kTileCols);
#pragma omp parallel num_threads(threads) if (worth_parallel(Z.rows() * X.rows() * X.cols()))
  {
    TileScratch scratch;
#pragma omp for schedule(dynamic) collapse(2)
    for (std::int64_t i = 0; i < z_blocks; ++i) {
      for (std::int64_t t = 0; t < x_tiles; ++t) {
        const std::int64_t z0 = i * kTileRows;
        const std::int64_t x0 = t * kTileCols;
        compute_tile(kc, z_op, z0, std::min(kTileRows, Z.rows() - z0), x_op, x0,
                     std::min(kTileCols, X.rows() - x0), self_offset,
                     out.data() + z0 * out.ld() + x0, out.ld(), scratch);
      }
    }
  }
}

}  // namespace

void CpuBackend::squared_distances_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                        MatrixView<float> out) {
  materialise(threads_, detail::squared_distance_constants(), Z, X, out);
}

void CpuBackend::gram_impl(MatrixView<const float> Z, MatrixView<const float> X,
                           const GramParams& params, MatrixView<float> out) {
  materialise(threads_, detail::make_kernel_constants(params), Z, X, out);
}

// sum_ij kx(x_i, x_j) ky(y_i, y_j): tiles of both kernels, multiplied entrywise and summed in
// float32 per tile row, float64 across; per-task sums added in a fixed order.
double CpuBackend::kernel_pair_sum_impl(MatrixView<const float> X, const GramParams& x_params,
                                        MatrixView<const float> Y, const GramParams& y_params) {
  const auto kx = detail::make_kernel_constants(x_params);
  const auto ky = detail::make_kernel_constants(y_params);
  const TileOperand x_op(X, kx, threads_, TileOperand::Side::x);
  const TileOperand y_op(Y, ky, threads_, TileOperand::Side::x);
  const std::int64_t n = X.rows();
  const std::int64_t blocks = ceil_div(n, kTileRows);
  const std::int64_t tiles = ceil_div(n, kTileCols);
  std::vector<double> task_sums(static_cast<std::size_t>(blocks * tiles), 0.0);
#pragma omp parallel num_threads(threads_) if (worth_parallel(n * n * (X.cols() + Y.cols())))
  {
    TileScratch scratch;
    std::vector<float> kx_tile(static_cast<std::size_t>(kTileRows * kTileCols));
    std::vector<float> ky_tile(static_cast<std::size_t>(kTileRows * kTileCols));
#pragma omp for schedule(dynamic) collapse(2)
    for (std::int64_t i = 0; i < blocks; ++i) {
      for (std::int64_t t = 0; t < tiles; ++t) {
        const std::int64_t i0 = i * kTileRows;
        const std::int64_t j0 = t * kTileCols;
        const std::int64_t tm = std::min(kTileRows, n - i0);
        const std::int64_t tn = std::min(kTileCols, n - j0);
        compute_tile(kx, x_op, i0, tm, x_op, j0, tn, 0, kx_tile.data(), kTileCols, scratch);
        compute_tile(ky, y_op, i0, tm, y_op, j0, tn, 0, ky_tile.data(), kTileCols, scratch);
        double sum = 0.0;
        for (std::int64_t a = 0; a < tm; ++a) {
          const float* p = kx_tile.data() + a * kTileCols;
          const float* q = ky_tile.data() + a * kTileCols;
          float s = 0.0f;
#pragma omp simd reduction(+ : s)
          for (std::int64_t b = 0; b < tn; ++b) s += p[b] * q[b];
          sum += s;
        }
        task_sums[static_cast<std::size_t>(i * tiles + t)] = sum;
      }
    }
  }
  double total = 0.0;
  for (double s : task_sums) total += s;
  return total;
}

double CpuBackend::median_pairwise_distance_impl(MatrixView<const float> X) {
  const std::int64_t m = X.rows();
  std::vector<float> d2(static_cast<std::size_t>(m * m));
  squared_distances_impl(X, X, MatrixView<float>::host(d2.data(), m, m));
  // Sorting squared distances orders the distances; take square roots of the middle ones only.
  const std::size_t count = d2.size();
  const std::size_t upper = count / 2;
  std::nth_element(d2.begin(), d2.begin() + static_cast<std::ptrdiff_t>(upper), d2.end());
  const double hi = std::sqrt(static_cast<double>(d2[upper]));
  if (count % 2 == 1) return hi;
  const float lo2 = *std::max_element(d2.begin(), d2.begin() + static_cast<std::ptrdiff_t>(upper));
  return 0.5 * (std::sqrt(static_cast<double>(lo2)) + hi);
}

}  // namespace lwnet::cpu
