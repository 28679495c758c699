// Random Fourier features on the CPU: the linear-kernel tile (cpu_tiles.hpp) of X against the
// rows of omega^T, then a vectorised cos, so every value takes the same path at any thread count.
#include <algorithm>
#include <cmath>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_tiles.hpp"
#include "cpu/simd.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

void CpuBackend::random_fourier_features_impl(MatrixView<const float> X, MatrixView<const float> omega,
                                              MatrixView<const float> phase, double sigma,
                                              MatrixView<float> out) {
  // x . omega_f for every column f of omega: the linear kernel between X and the rows of omega^T.
  const std::int64_t D = omega.cols();
  const std::int64_t d = X.cols();
  Matrix<float> omega_t = Matrix<float>::host(D, d);
  for (std::int64_t k = 0; k < d; ++k)
    for (std::int64_t f = 0; f < D; ++f) omega_t(f, k) = omega(k, f);
  const auto kc = detail::make_kernel_constants(GramParams::linear());
  const TileOperand x_op(X, kc, pool());
  const TileOperand w_op(omega_t.cview(), kc, pool(), TileOperand::Side::x);
  const auto inv_sigma = static_cast<float>(1.0 / sigma);
  const float scale = static_cast<float>(std::sqrt(2.0 / static_cast<double>(D)));
  const float* b = phase.data();
  const TileGrid grid(X.rows(), D);
  pool().run(grid.tasks(), pool().threads_for(X.rows() * D * (d + 24), grid.tasks()), [&](std::int64_t task, int) {
    const auto [z0, tm, f0, tn] = grid.span(task);
    float* tile = out.data() + z0 * out.ld() + f0;
    compute_tile(kc, x_op, z0, tm, w_op, f0, tn, SelfPairs::none(), tile, out.ld());
    for (std::int64_t a = 0; a < tm; ++a) {
      float* row = tile + a * out.ld();
      for (std::int64_t f = 0; f < tn; f += simd::kLanes) {
        // A short last vector goes through a padded copy, so every value takes the same path.
        const std::int64_t lanes = std::min<std::int64_t>(simd::kLanes, tn - f);
        float arg[simd::kLanes] = {};
        for (std::int64_t l = 0; l < lanes; ++l) arg[l] = row[f + l] * inv_sigma + b[f0 + f + l];
        float value[simd::kLanes];
        simd::store(value, simd::splat(scale) * simd::cos(simd::load(arg)));
        std::copy(value, value + lanes, row + f);
      }
    }
  });
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
