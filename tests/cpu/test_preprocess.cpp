// Standardizer (preprocess.hpp): per-column mean and POPULATION standard deviation (ddof 0) in
// float64, z = (x - mean) / std, a zero-std column mapped to 0, a one-row batch standardised like
// the same row inside a larger batch, and its argument checks.
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

}  // namespace
}  // namespace lwnet::test
