// The oracle checked against hand-computed values, and its two HSIC paths against each other, so
// that a mistake in the oracle cannot hide a matching mistake in lwnet.
#include <cmath>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "oracle.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

TEST(Oracle, KernelsAtHandComputedPoints) {
  const float a[] = {0.0f, 0.0f};
  const float b[] = {3.0f, 4.0f};
  const float c[] = {1.0f, 2.0f};
  EXPECT_DOUBLE_EQ(oracle::kernel(GramParams::gaussian(5.0), a, b, 2), std::exp(-25.0 / 50.0));
  EXPECT_DOUBLE_EQ(oracle::kernel(GramParams::laplacian(2.0), a, b, 2), std::exp(-7.0 / 2.0));
  EXPECT_DOUBLE_EQ(oracle::kernel(GramParams::linear(), b, c, 2), 11.0);
  EXPECT_DOUBLE_EQ(oracle::kernel(GramParams::polynomial(3, 0.5, -1.0), b, c, 2), 4.5 * 4.5 * 4.5);
  EXPECT_DOUBLE_EQ(oracle::sq_distance(b, c, 2), 8.0);
}

TEST(Oracle, HsicPathsAgreeAndNikIsOne) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 40;
  DMat K(n, n), L(n, n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j <= i; ++j) {
      K(i, j) = K(j, i) = rng.uniform(0.0, 1.0);
      L(i, j) = L(j, i) = rng.uniform(-1.0, 1.0);
    }
  const oracle::Hsic e = oracle::hsic_explicit(K, L);
  const oracle::Hsic c = oracle::hsic_centered(K, L);
  EXPECT_NEAR(e.hsic, c.hsic, 1e-9 * n * n);
  EXPECT_NEAR(e.norm_hk, c.norm_hk, 1e-9 * n);
  EXPECT_NEAR(e.norm_hkh, c.norm_hkh, 1e-9 * n);
  EXPECT_NEAR(e.norm_hl, c.norm_hl, 1e-9 * n);
  EXPECT_NEAR(e.norm_hlh, c.norm_hlh, 1e-9 * n);
  // ||HK|| >= ||HKH|| (spec section 0), so code <= textbook.
  EXPECT_GE(e.norm_hk, e.norm_hkh);

  const Labels labels{{0, 1, 1, 2, 2, 2, 0, 1}, 3};
  const DMat nik = oracle::label_gram(labels);
  EXPECT_NEAR(oracle::hsic_explicit(nik, nik).textbook(), 1.0, 1e-14);
  EXPECT_NEAR(oracle::hsic_centered(nik, nik).textbook(), 1.0, 1e-14);
}

TEST(Oracle, EigenvaluesAndMedian) {
  DMat A(3, 3);
  A(0, 0) = 2.0;
  A(1, 1) = 2.0;
  A(0, 1) = A(1, 0) = 1.0;
  A(2, 2) = -4.0;  // eigenvalues -4, 1, 3
  const auto w = oracle::symmetric_eigenvalues(A);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NEAR(w[0], -4.0, 1e-13);
  EXPECT_NEAR(w[1], 1.0, 1e-13);
  EXPECT_NEAR(w[2], 3.0, 1e-13);

  const float pts[] = {0.0f, 1.0f, 2.0f, 10.0f};  // 16 distances, middle two 1 and 2
  const oracle::Median m = oracle::median_pairwise_distance(MatrixView<const float>::host(pts, 4, 1));
  EXPECT_DOUBLE_EQ(m.median, 1.5);
  EXPECT_DOUBLE_EQ(m.lower_middle_sq, 1.0);
}

}  // namespace
}  // namespace lwnet::test
