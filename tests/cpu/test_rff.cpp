// Random Fourier features phi(x) = sqrt(2/D) cos(x omega / sigma + b) on the CPU: the primitive
// and the op against the oracle's formula for a given map; make_rff_map's distribution (omega
// ~ N(0, 1), b ~ U[0, 2 pi)) and determinism; and phi(x).phi(z) approximating the Gaussian kernel
// within a Hoeffding bound of order 1/sqrt(D).
#include <cmath>
#include <tuple>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/ops.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

// max over (i, j) of sum_k |x_ik omega_kj|: the scale of the sgemm's rounding.
double max_abs_dot(MatrixView<const float> X, MatrixView<const float> omega) {
  double best = 0.0;
  for (std::int64_t i = 0; i < X.rows(); ++i)
    for (std::int64_t j = 0; j < omega.cols(); ++j) {
      double s = 0.0;
      for (std::int64_t k = 0; k < X.cols(); ++k) s += std::fabs(static_cast<double>(X(i, k)) * omega(k, j));
      best = std::max(best, s);
    }
  return best;
}

struct RffCase {
  std::int64_t n, d, features;
  double sigma;
};

class CpuRff : public ::testing::TestWithParam<RffCase> {};

TEST_P(CpuRff, PrimitiveAndOpMatchOracle) {
  const RffCase rc = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const auto X = padded_copy(rng.uniform_matrix(rc.n, rc.d).cview());
  Rng map_rng(rng_seed);
  const RffMap map = make_rff_map(rc.d, rc.features, map_rng);
  const DMat expected = oracle::random_fourier_features(X.cview(), map.omega.cview(), map.phase.cview(), rc.sigma);
  const double tol = rff_error(rc.d, rc.features, max_abs_dot(X.cview(), map.omega.cview()), rc.sigma);
  auto backend = make_cpu_backend();

  Padded<float> out(rc.n, rc.features);
  backend->random_fourier_features(X.cview(), map.omega.cview(), map.phase.cview(), rc.sigma, out.view);
  EXPECT_TRUE(expect_close(out.cview(), expected, tol, 0.0)) << "primitive";

  Matrix<float> out_op = Matrix<float>::host(rc.n, rc.features);
  random_fourier_features(*backend, X.cview(), map, rc.sigma, out_op.view());
  EXPECT_TRUE(expect_close(out_op.cview(), expected, tol, 0.0)) << "op";
}

INSTANTIATE_TEST_SUITE_P(Cases, CpuRff,
                         ::testing::Values(RffCase{1, 1, 1, 1.0}, RffCase{7, 3, 16, 0.5}, RffCase{257, 40, 100, 3.0},
                                           RffCase{1000, 5, 64, 1.5}),
                         [](const ::testing::TestParamInfo<RffCase>& param_info) {
                           const RffCase& p = param_info.param;
                           return "n" + std::to_string(p.n) + "_d" + std::to_string(p.d) + "_D" +
                                  std::to_string(p.features);
                         });

TEST(CpuRffMap, DistributionAndDeterminism) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  const std::int64_t d = 20;
  const std::int64_t features = 500;
  Rng a(seed);
  Rng b(seed);
  const RffMap m1 = make_rff_map(d, features, a);
  const RffMap m2 = make_rff_map(d, features, b);
  ASSERT_EQ(m1.omega.rows(), d);
  ASSERT_EQ(m1.omega.cols(), features);
  ASSERT_EQ(m1.phase.rows(), 1);
  ASSERT_EQ(m1.phase.cols(), features);
  EXPECT_TRUE(std::equal(m1.omega.data(), m1.omega.data() + d * features, m2.omega.data())) << "same seed, same omega";
  EXPECT_TRUE(std::equal(m1.phase.data(), m1.phase.data() + features, m2.phase.data())) << "same seed, same phase";

  // omega ~ N(0, 1): over N = d D draws the sample mean has sd 1/sqrt(N) and the sample variance
  // sd sqrt(2/N); allow 5 sd. phase ~ U[0, 2 pi): in range, mean pi with sd 2 pi / sqrt(12 D).
  const double count = static_cast<double>(d * features);
  double mean = 0.0, var = 0.0;
  for (std::int64_t k = 0; k < d * features; ++k) mean += m1.omega.data()[k] / count;
  for (std::int64_t k = 0; k < d * features; ++k) var += (m1.omega.data()[k] - mean) * (m1.omega.data()[k] - mean) / count;
  EXPECT_LT(std::fabs(mean), 5.0 / std::sqrt(count));
  EXPECT_LT(std::fabs(var - 1.0), 5.0 * std::sqrt(2.0 / count));
  double phase_mean = 0.0;
  for (std::int64_t j = 0; j < features; ++j) {
    const float b_j = m1.phase(0, j);
    EXPECT_GE(b_j, 0.0f);
    EXPECT_LE(b_j, static_cast<float>(2.0 * M_PI));  // float rounding may reach 2 pi itself
    phase_mean += b_j / static_cast<double>(features);
  }
  EXPECT_LT(std::fabs(phase_mean - M_PI), 5.0 * 2.0 * M_PI / std::sqrt(12.0 * static_cast<double>(features)));
}

// phi(x).phi(z) = (1/D) sum_j 2 cos(w_j x + b_j) cos(w_j z + b_j): a mean of D independent terms in
// [-2, 2] with expectation k(x, z). Hoeffding: P(|mean - k| >= t) <= 2 exp(-D t^2 / 8); over P pairs
// a failure probability of 1e-6 needs t = sqrt(8 ln(2 P / 1e-6) / D) — a few / sqrt(D).
TEST(CpuRffApproximation, FeatureDotsApproximateGaussianKernel) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t m = 40;
  const std::int64_t d = 3;
  const std::int64_t features = 16384;
  const double sigma = 1.2;
  const Matrix<float> X = rng.uniform_matrix(m, d);
  Rng map_rng(rng_seed);
  const RffMap map = make_rff_map(d, features, map_rng);
  Matrix<float> phi = Matrix<float>::host(m, features);
  random_fourier_features(*make_cpu_backend(), X.cview(), map, sigma, phi.view());

  const DMat K = oracle::gram(X.cview(), X.cview(), GramParams::gaussian(sigma));
  const double pairs = static_cast<double>(m * (m + 1) / 2);
  const double bound = std::sqrt(8.0 * std::log(2.0 * pairs / 1e-6) / static_cast<double>(features));
  double worst = 0.0;
  for (std::int64_t a = 0; a < m; ++a)
    for (std::int64_t b = 0; b <= a; ++b) {
      double dot = 0.0;
      for (std::int64_t j = 0; j < features; ++j) dot += static_cast<double>(phi(a, j)) * phi(b, j);
      worst = std::max(worst, std::fabs(dot - K(a, b)));
    }
  EXPECT_LT(worst, bound) << "largest |phi(x).phi(z) - k(x, z)| over " << pairs << " pairs, D = " << features;
}

}  // namespace
}  // namespace lwnet::test
