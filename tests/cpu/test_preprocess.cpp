// Standardizer (preprocess.hpp): per-column mean and POPULATION standard deviation (ddof 0) in
// float64, z = (x - mean) / std, a zero-std column mapped to 0, a one-row batch standardised like
// the same row inside a larger batch, and its argument checks; first_overflow (what apply would
// refuse, found before applying), rms_pair_distance (the data's scale), and why a single row
// cannot be standardised by its own statistics.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/error.hpp"
#include "lwnet/preprocess.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

TEST(CpuStandardizer, PopulationStatisticsAndZeroStdColumn) {
  // Column 0: 1, 2, 3, 4 (mean 2.5, population std sqrt(1.25), sample std would be sqrt(5/3));
  // column 1 constant 7; column 2: -1, 1, -1, 1 (mean 0, std 1).
  const float data[] = {1, 7, -1, 2, 7, 1, 3, 7, -1, 4, 7, 1};
  const auto X = MatrixView<const float>::host(data, 4, 3);
  const Standardizer s = Standardizer::fit(X);
  EXPECT_DOUBLE_EQ(s.mean[0], 2.5);
  EXPECT_DOUBLE_EQ(s.std[0], std::sqrt(1.25));
  EXPECT_DOUBLE_EQ(s.mean[1], 7.0);
  EXPECT_EQ(s.std[1], 0.0);
  EXPECT_DOUBLE_EQ(s.mean[2], 0.0);
  EXPECT_DOUBLE_EQ(s.std[2], 1.0);

  Matrix<float> Z = host_copy(X);
  s.apply(Z.view());
  const float r = static_cast<float>(1.0 / std::sqrt(1.25));
  const std::vector<float> expected = {-1.5f * r, 0, -1, -0.5f * r, 0, 1, 0.5f * r, 0, -1, 1.5f * r, 0, 1};
  EXPECT_TRUE(expect_close(std::vector<float>(Z.data(), Z.data() + 12), expected, 0.0, 2.0 * kU32));
}

TEST(CpuStandardizer, RandomDataStandardisesToMeanZeroStdOne) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 500, d = 7;
  Matrix<float> X = rng.uniform_matrix(n, d, 50.0, 150.0);  // far from 0: the two-pass variance matters
  const Standardizer s = Standardizer::fit(X.cview());
  s.apply(X.view());
  for (std::int64_t j = 0; j < d; ++j) {
    double mean = 0.0, sq = 0.0;
    for (std::int64_t i = 0; i < n; ++i) mean += X(i, j) / static_cast<double>(n);
    for (std::int64_t i = 0; i < n; ++i) sq += (X(i, j) - mean) * (X(i, j) - mean) / static_cast<double>(n);
    // The statistics are float64; each z is rounded once to float (u |z|, |z| <= sqrt 3 for
    // uniform data), which moves the mean by <= sqrt(3) u and the std by <= u relative.
    EXPECT_NEAR(mean, 0.0, 4.0 * kU32) << "column " << j;
    EXPECT_NEAR(std::sqrt(sq), 1.0, 4.0 * kU32) << "column " << j;
  }
}

TEST(CpuStandardizer, OneRowBatchMatchesLargerBatch) {
  LWNET_SEEDED_RANDOM(rng);
  const Matrix<float> train = rng.uniform_matrix(100, 4);
  const Standardizer s = Standardizer::fit(train.cview());
  Matrix<float> batch = rng.uniform_matrix(9, 4);
  Matrix<float> row = host_copy(batch.cview().row_range(5, 1));
  s.apply(batch.view());
  s.apply(row.view());
  for (std::int64_t j = 0; j < 4; ++j) EXPECT_EQ(row(0, j), batch(5, j));
}

TEST(CpuStandardizer, InvalidArguments) {
  const Matrix<float> empty = Matrix<float>::host(0, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { Standardizer::fit(empty.cview()); }, {"Standardizer::fit", "X is empty"}));
  Matrix<float> with_nan = Matrix<float>::host(3, 2);
  with_nan(1, 1) = NAN;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { Standardizer::fit(with_nan.cview()); }, {"column 1 is not finite"}));
  const Standardizer s = Standardizer::fit(Matrix<float>::host(3, 2).cview());
  Matrix<float> wrong = Matrix<float>::host(2, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.apply(wrong.view()); },
                                           {"Standardizer::apply", "3 columns but the statistics have 2"}));
  float* fake = reinterpret_cast<float*>(std::uintptr_t{0x1000});
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { Standardizer::fit(MatrixView<const float>(fake, 2, 2, 2, MemorySpace::cuda, 0)); }, {"host memory"}));
}

TEST(CpuStandardizer, FirstOverflowFindsWhatApplyRefuses) {
  // Column 1 has std 1e-30: any value far from its mean overflows float32 once divided.
  const float train[] = {0, 0, 1, 2e-30f, 2, 0, 3, 2e-30f};
  const Standardizer s = Standardizer::fit(MatrixView<const float>::host(train, 4, 2));
  ASSERT_GT(s.std[1], 0.0);
  Matrix<float> ok = Matrix<float>::host(2, 2);
  EXPECT_FALSE(s.first_overflow(ok.cview()).has_value());
  Matrix<float> far = Matrix<float>::host(3, 2);
  far(1, 0) = 1e30f;  // column 0 has std ~1.1: fine
  far(2, 1) = 1e30f;  // (1e30 - 1e-30) / 1e-30 = 1e60: overflows
  const auto bad = s.first_overflow(far.cview());
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->row, 2);
  EXPECT_EQ(bad->feature, 1);
  EXPECT_EQ(bad->value, 1e30f);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.apply(far.view()); }, {"row 2, feature 1", "overflows float32"}));
  // A constant column (std 0) maps to 0 and never overflows.
  const float constant[] = {5, 5, 5, 5};
  const Standardizer c = Standardizer::fit(MatrixView<const float>::host(constant, 4, 1));
  const float huge[] = {3e38f};
  EXPECT_FALSE(c.first_overflow(MatrixView<const float>::host(huge, 1, 1)).has_value());
}

TEST(CpuStandardizer, RmsPairDistanceIsTheDatasScale) {
  // sqrt(2 sum_j var_j) equals the root mean square of ||x_a - x_b|| over all n^2 ordered pairs,
  // computed directly here in float64.
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 40, d = 3;
  const Matrix<float> X = rng.uniform_matrix(n, d, -5.0, 5.0);
  double sum = 0.0;
  for (std::int64_t a = 0; a < n; ++a)
    for (std::int64_t b = 0; b < n; ++b)
      for (std::int64_t j = 0; j < d; ++j) sum += (static_cast<double>(X(a, j)) - X(b, j)) * (static_cast<double>(X(a, j)) - X(b, j));
  const double direct = std::sqrt(sum / static_cast<double>(n * n));
  EXPECT_NEAR(Standardizer::fit(X.cview()).rms_pair_distance(), direct, 1e-12 * direct);
  // Tiny data have a tiny scale (what lwnet train --standardize none refuses).
  const float tiny[] = {1e-30f, 0, 0, 2e-30f};
  EXPECT_LT(Standardizer::fit(MatrixView<const float>::host(tiny, 2, 2)).rms_pair_distance(), 1e-29);
}

TEST(CpuStandardizer, ASingleRowHasNoStatisticsOfItsOwn) {
  // Why a batch standardised by its own statistics needs kMinRowsOwnStatistics = 2 rows: one row
  // has std 0 in every feature and maps to all zeros, whatever its values.
  static_assert(Standardizer::kMinRowsOwnStatistics == 2);
  const float row[] = {3, -7, 1e6f};
  Matrix<float> X = Matrix<float>::host(1, 3);
  std::copy(row, row + 3, X.data());
  const Standardizer s = Standardizer::fit(X.cview());
  for (double v : s.std) EXPECT_EQ(v, 0.0);
  s.apply(X.view());
  for (std::int64_t j = 0; j < 3; ++j) EXPECT_EQ(X(0, j), 0.0f);
  // Two distinct rows already have statistics: each feature maps to -1 and +1.
  const float two[] = {1, 10, 3, 30};
  Matrix<float> Y = Matrix<float>::host(2, 2);
  std::copy(two, two + 4, Y.data());
  Standardizer::fit(Y.cview()).apply(Y.view());
  EXPECT_EQ(Y(0, 0), -1.0f);
  EXPECT_EQ(Y(1, 1), 1.0f);
}

}  // namespace
}  // namespace lwnet::test
