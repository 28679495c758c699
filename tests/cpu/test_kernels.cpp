// Kernel parameters (kernels.hpp): squared_kernel's identity k_sq(a, b) = k(a, b)^2 for all four
// families, checked on Gram matrices against the oracle and against K o K; the parameters it
// returns; names and parsing round trips.
#include <cmath>

#include <gtest/gtest.h>

#include "cases.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

class CpuSquaredKernel : public ::testing::TestWithParam<KernelKind> {};

TEST_P(CpuSquaredKernel, GramOfSquaredKernelIsElementwiseSquare) {
  const KernelKind kind = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 70;
  const std::int64_t d = 5;
  const Matrix<float> X = rng.uniform_matrix(n, d);
  const GramParams p = scaled_kernel(kind, d);
  const GramParams sq = squared_kernel(p);
  auto backend = make_cpu_backend();
  Matrix<float> K = Matrix<float>::host(n, n);
  Matrix<float> Ksq = Matrix<float>::host(n, n);
  backend->gram(X.cview(), X.cview(), p, K.view());
  backend->gram(X.cview(), X.cview(), sq, Ksq.view());

  // Against the oracle's k^2: only K_sq's own rounding.
  DMat expected = oracle::gram(X.cview(), X.cview(), p);
  for (double& v : expected.v) v *= v;
  const KernelErrorModel e_sq = kernel_error_model(sq, X.cview(), X.cview());
  EXPECT_TRUE(expect_close(Ksq.cview(), expected, e_sq.entry, 0.0)) << to_string(p) << " squared is " << to_string(sq);

  // Against K o K from the float32 K: |fl(k)^2 - k^2| <= 2 |k| e + e^2, plus the square's rounding.
  const KernelErrorModel e = kernel_error_model(p, X.cview(), X.cview());
  DMat k_times_k = oracle::from_view(K.cview());
  for (double& v : k_times_k.v) v *= v;
  const double tol = e_sq.entry + 2.0 * e.max_abs * e.entry + e.entry * e.entry + kU32 * e.max_abs * e.max_abs;
  EXPECT_TRUE(expect_close(Ksq.cview(), k_times_k, tol, 0.0));
}

INSTANTIATE_TEST_SUITE_P(Kinds, CpuSquaredKernel, ::testing::ValuesIn(kAllKernels),
                         [](const ::testing::TestParamInfo<KernelKind>& param_info) {
                           return std::string(to_string(param_info.param));
                         });

// Polynomial kernels at the degree limits and with negative bases (odd powers keep the sign).
TEST(CpuPolynomialKernel, DegreesAndSignsMatchOracle) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t d = 6;
  const Matrix<float> Z = rng.uniform_matrix(33, d);
  const Matrix<float> X = rng.uniform_matrix(70, d);
  auto backend = make_cpu_backend();
  Matrix<float> K = Matrix<float>::host(33, 70);
  // gamma 1/d and coef0 -0.2 put the base g z.x + c0 in [-1.2, 0.8].
  for (int degree : {1, 2, 5, GramParams::kMaxPolynomialDegree}) {
    const GramParams p = GramParams::polynomial(degree, 1.0 / static_cast<double>(d), -0.2);
    SCOPED_TRACE(to_string(p));
    backend->gram(Z.cview(), X.cview(), p, K.view());
    const double tol = kernel_error_model(p, Z.cview(), X.cview()).entry;
    EXPECT_TRUE(expect_close(K.cview(), oracle::gram(Z.cview(), X.cview(), p), tol, 0.0));
  }
}

TEST(CpuSquaredKernelParams, EachFamilyIsClosedUnderSquaring) {
  const GramParams g = squared_kernel(GramParams::gaussian(2.0));
  EXPECT_EQ(g.kind, KernelKind::gaussian);
  EXPECT_DOUBLE_EQ(g.sigma, 2.0 / std::sqrt(2.0));
  const GramParams l = squared_kernel(GramParams::laplacian(3.0));
  EXPECT_EQ(l.kind, KernelKind::laplacian);
  EXPECT_DOUBLE_EQ(l.sigma, 1.5);
  const GramParams lin = squared_kernel(GramParams::linear());
  EXPECT_EQ(lin.kind, KernelKind::polynomial);
  EXPECT_EQ(lin.degree, 2);
  EXPECT_EQ(lin.gamma, 1.0);
  EXPECT_EQ(lin.coef0, 0.0);
  const GramParams p = squared_kernel(GramParams::polynomial(3, 0.5, 2.0));
  EXPECT_EQ(p.kind, KernelKind::polynomial);
  EXPECT_EQ(p.degree, 6);
  EXPECT_EQ(p.gamma, 0.5);
  EXPECT_EQ(p.coef0, 2.0);
}

TEST(CpuKernelNames, RoundTrip) {
  for (KernelKind k : kAllKernels) EXPECT_EQ(parse_kernel_kind(to_string(k)), k);
  for (HsicNormalization n : {HsicNormalization::none, HsicNormalization::code, HsicNormalization::textbook})
    EXPECT_EQ(parse_hsic_normalization(to_string(n)), n);
  EXPECT_EQ(to_string(GramParams::gaussian(0.5)), "gaussian(sigma=0.5)");
  EXPECT_TRUE(throws_with<InvalidArgument>([] { parse_kernel_kind("rbf"); }, {"'rbf'"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([] { parse_hsic_normalization("paper"); }, {"'paper'"}));
}

}  // namespace
}  // namespace lwnet::test
