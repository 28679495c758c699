// Materialised kernel matrices and distances, the streamed pair sum, and the median of pairwise
// distances, on the CPU.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_tiles.hpp"
#include "cpu/simd.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

// out = tile op over all (Z row, X row) pairs, written tile by tile straight into out.
void materialise(ThreadPool& pool, const detail::KernelConstants& kc, const MatrixView<const float>& Z,
                 const MatrixView<const float>& X, const MatrixView<float>& out) {
  const TileOperand z_op(Z, kc, pool);
  const TileOperand x_op(X, kc, pool, TileOperand::Side::x);
  const SelfPairs self = SelfPairs::at_offset(detail::self_pair_offset(Z, X));
  const TileGrid grid(Z.rows(), X.rows());
  pool.run(grid.tasks(), pool.threads_for(Z.rows() * X.rows() * (X.cols() + 16), grid.tasks()), [&](std::int64_t task, int) {
    const TileGrid::Span t = grid.span(task);
    compute_tile(kc, z_op, t.z0, t.tm, x_op, t.x0, t.tn, self, out.data() + t.z0 * out.ld() + t.x0, out.ld());
  });
}

}  // namespace

void CpuBackend::squared_distances_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                        MatrixView<float> out) {
  materialise(pool(), detail::squared_distance_constants(), Z, X, out);
}

void CpuBackend::gram_impl(MatrixView<const float> Z, MatrixView<const float> X,
                           const GramParams& params, MatrixView<float> out) {
  materialise(pool(), detail::make_kernel_constants(params), Z, X, out);
}

// sum_ij kx(x_i, x_j) ky(y_i, y_j): tiles of both kernels, multiplied entrywise and summed in
// float32 per tile row, float64 across; per-task sums added in a fixed order.
double CpuBackend::kernel_pair_sum_impl(MatrixView<const float> X, const GramParams& x_params,
                                        MatrixView<const float> Y, const GramParams& y_params) {
  const auto kx = detail::make_kernel_constants(x_params);
  const auto ky = detail::make_kernel_constants(y_params);
  const TileOperand x_op(X, kx, pool(), TileOperand::Side::x);
  const TileOperand y_op(Y, ky, pool(), TileOperand::Side::x);
  const std::int64_t n = X.rows();
  const TileGrid grid(n, n);
  std::vector<double> task_sums(static_cast<std::size_t>(grid.tasks()), 0.0);
  const int threads = pool().threads_for(n * n * (X.cols() + Y.cols() + 32), grid.tasks());
  std::vector<std::vector<float>> kx_tiles(static_cast<std::size_t>(threads),
                                           std::vector<float>(static_cast<std::size_t>(kTileRows * kTileCols)));
  std::vector<std::vector<float>> ky_tiles = kx_tiles;
  pool().run(grid.tasks(), threads, [&](std::int64_t task, int worker) {
    float* kx_tile = kx_tiles[static_cast<std::size_t>(worker)].data();
    float* ky_tile = ky_tiles[static_cast<std::size_t>(worker)].data();
    const TileGrid::Span t = grid.span(task);
    compute_tile(kx, x_op, t.z0, t.tm, x_op, t.x0, t.tn, SelfPairs::at_offset(0), kx_tile, kTileCols);
    compute_tile(ky, y_op, t.z0, t.tm, y_op, t.x0, t.tn, SelfPairs::at_offset(0), ky_tile, kTileCols);
    double sum = 0.0;
    for (std::int64_t a = 0; a < t.tm; ++a) {
      const float* p = kx_tile + a * kTileCols;
      const float* q = ky_tile + a * kTileCols;
      // Four chains of eight fixed lanes, not `omp simd reduction` (whose order follows the
      // build's vector width); four, so the FMA latency is hidden.
      simd::Vec lanes[4] = {};
      std::int64_t b = 0;
      for (; b + 4 * simd::kLanes <= t.tn; b += 4 * simd::kLanes)
        for (int v = 0; v < 4; ++v)
          lanes[v] = simd::fma(simd::load(p + b + v * simd::kLanes), simd::load(q + b + v * simd::kLanes), lanes[v]);
      for (; b + simd::kLanes <= t.tn; b += simd::kLanes) lanes[0] = simd::fma(simd::load(p + b), simd::load(q + b), lanes[0]);
      float s = simd::horizontal_sum((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]));
      for (; b < t.tn; ++b) s = std::fma(p[b], q[b], s);
      sum += s;
    }
    task_sums[static_cast<std::size_t>(task)] = sum;
  });
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

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
