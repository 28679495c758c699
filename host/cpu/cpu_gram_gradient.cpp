// The gradient of a Gaussian kernel-matrix loss back to the points, on the CPU:
//   out_a = sum_b W_ab (z_b - z_a) / sigma^2,  W_ab = (G_ab + G_ba) k(z_a, z_b).
// One task owns whole rows a and walks b in ascending order with float64 sums throughout: the
// squared distance from the differences themselves (four fixed partial sums), so rows far from the
// origin lose nothing to cancellation and a self-pair's distance is exactly 0 (k = 1); then
// W_ab (z_b - z_a) added feature by feature. No m x m buffer; results do not depend on the
// thread count.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/thread_pool.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

// sum_f (a_f - b_f)^2 in float64, in four interleaved partial sums added as (s0 + s1) + (s2 + s3).
double squared_difference(const float* a, const float* b, std::int64_t d) {
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  std::int64_t f = 0;
  for (; f + 4 <= d; f += 4)
    for (int l = 0; l < 4; ++l) {
      const double diff = static_cast<double>(a[f + l]) - static_cast<double>(b[f + l]);
      s[l] += diff * diff;
    }
  for (; f < d; ++f) {
    const double diff = static_cast<double>(a[f]) - static_cast<double>(b[f]);
    s[0] += diff * diff;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

}  // namespace

void CpuBackend::gaussian_gram_gradient_impl(MatrixView<const float> Z, MatrixView<const float> G, double sigma,
                                             MatrixView<float> out) {
  const std::int64_t m = Z.rows();
  const std::int64_t d = Z.cols();
  const double neg_inv_two_sigma2 = -1.0 / (2.0 * sigma * sigma);
  const double inv_sigma2 = 1.0 / (sigma * sigma);
  // One row per task when rows are long, more when they are short.
  const std::int64_t rows_per_task = std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, m * d));
  parallel_for(pool(), m, rows_per_task, m * (3 * d + 20), [&](std::int64_t begin, std::int64_t end) {
    std::vector<double> acc(static_cast<std::size_t>(d));
    for (std::int64_t a = begin; a < end; ++a) {
      std::fill(acc.begin(), acc.end(), 0.0);
      const float* z_a = Z.data() + a * Z.ld();
      const float* g_row = G.data() + a * G.ld();
      for (std::int64_t b = 0; b < m; ++b) {
        const float* z_b = Z.data() + b * Z.ld();
        const double k = std::exp(squared_difference(z_a, z_b, d) * neg_inv_two_sigma2);
        // b == a adds W_aa * 0: nothing, unless G holds NaN or Inf there, which then shows.
        const double w = (static_cast<double>(g_row[b]) + static_cast<double>(G(b, a))) * k;
        for (std::int64_t f = 0; f < d; ++f)
          acc[static_cast<std::size_t>(f)] += w * (static_cast<double>(z_b[f]) - static_cast<double>(z_a[f]));
      }
      float* o = out.data() + a * out.ld();
      for (std::int64_t f = 0; f < d; ++f) o[f] = static_cast<float>(acc[static_cast<std::size_t>(f)] * inv_sigma2);
    }
  });
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
