// The median of pairwise distances (numpy's median over all m^2 distances, zero diagonal
// included) and the median heuristic on the CPU: against the oracle for odd and even m^2, ties,
// both dot-product paths; the heuristic's subsample is the seeded Rng's sample_without_replacement
// (so it is reproducible and advances the generator), and all rows when sample_size >= n.
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

class CpuMedianPairwise : public ::testing::TestWithParam<std::tuple<std::int64_t, std::int64_t>> {};  // m, d

TEST_P(CpuMedianPairwise, MatchesOracle) {
  const auto [m, d] = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const auto X = padded_copy(rng.uniform_matrix(m, d).cview());
  const oracle::Median expected = oracle::median_pairwise_distance(X.cview());
  const double actual = make_cpu_backend()->median_pairwise_distance(X.cview());
  const double tol = median_distance_error(d, max_sq_norm(X.cview()), expected.lower_middle_sq);
  EXPECT_TRUE(expect_close(actual, expected.median, tol, 0.0)) << "m " << m << " (m^2 " << (m * m % 2 ? "odd" : "even") << ")";
}

INSTANTIATE_TEST_SUITE_P(Sizes, CpuMedianPairwise,
                         ::testing::Combine(::testing::Values(1, 2, 3, 7, 33, 200, 257), ::testing::Values(1, 3, 40)),
                         [](const ::testing::TestParamInfo<std::tuple<std::int64_t, std::int64_t>>& param_info) {
                           return "m" + std::to_string(std::get<0>(param_info.param)) + "_d" +
                                  std::to_string(std::get<1>(param_info.param));
                         });

TEST(CpuMedianPairwiseClosedForm, SmallExamples) {
  auto backend = make_cpu_backend();
  // One point: the only distance is 0.
  const float one[] = {3.0f};
  EXPECT_EQ(backend->median_pairwise_distance(MatrixView<const float>::host(one, 1, 1)), 0.0);
  // Two points 5 apart: distances {0, 0, 5, 5}, median (0 + 5) / 2.
  const float two[] = {0.0f, 0.0f, 3.0f, 4.0f};
  EXPECT_DOUBLE_EQ(backend->median_pairwise_distance(MatrixView<const float>::host(two, 2, 2)), 2.5);
  // Points 0, 1, 3 on a line: distances {0,0,0,1,1,2,2,3,3}, median 1.
  const float three[] = {0.0f, 1.0f, 3.0f};
  EXPECT_DOUBLE_EQ(backend->median_pairwise_distance(MatrixView<const float>::host(three, 3, 1)), 1.0);
  // Four points 0, 1, 2, 10: sorted 16 distances 0 0 0 0 1 1 1 1 | 2 2 8 8 9 9 10 10 -> (1 + 2) / 2.
  const float four[] = {0.0f, 1.0f, 2.0f, 10.0f};
  EXPECT_DOUBLE_EQ(backend->median_pairwise_distance(MatrixView<const float>::host(four, 4, 1)), 1.5);
}

// The oracle's median of the rows Rng(seed).sample_without_replacement(n, min(n, s)) picks.
oracle::Median oracle_heuristic(MatrixView<const float> X, Rng& replica, std::int64_t sample_size) {
  const std::int64_t m = std::min(X.rows(), sample_size);
  const auto rows = replica.sample_without_replacement(X.rows(), m);
  Matrix<float> sample = Matrix<float>::host(m, X.cols());
  for (std::int64_t k = 0; k < m; ++k)
    for (std::int64_t j = 0; j < X.cols(); ++j) sample(k, j) = X(rows[static_cast<std::size_t>(k)], j);
  return oracle::median_pairwise_distance(sample.cview());
}

class CpuMedianHeuristic : public ::testing::TestWithParam<std::tuple<std::int64_t, std::int64_t>> {};  // n, sample

TEST_P(CpuMedianHeuristic, UsesTheSeededSubsample) {
  const auto [n, sample_size] = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t d = 6;
  const Matrix<float> X = rng.uniform_matrix(n, d);
  auto backend = make_cpu_backend();
  const double max_norm = max_sq_norm(X.cview());

  Rng a(rng_seed), b(rng_seed), replica(rng_seed);
  const double first = median_heuristic_sigma(*backend, X.cview(), a, sample_size);
  EXPECT_EQ(first, median_heuristic_sigma(*backend, X.cview(), b, sample_size)) << "same seed, same result";
  const oracle::Median o1 = oracle_heuristic(X.cview(), replica, sample_size);
  const double tol1 = median_distance_error(d, max_norm, o1.lower_middle_sq);
  EXPECT_TRUE(expect_close(first, o1.median, tol1, 0.0)) << "first draw";
  // The generator advances: the second call uses the replica's second subsample.
  const double second = median_heuristic_sigma(*backend, X.cview(), a, sample_size);
  const oracle::Median o2 = oracle_heuristic(X.cview(), replica, sample_size);
  EXPECT_TRUE(expect_close(second, o2.median, median_distance_error(d, max_norm, o2.lower_middle_sq), 0.0))
      << "second draw";
  if (sample_size >= n) {
    // The whole data set either way: the same median (the row order does not matter).
    EXPECT_TRUE(expect_close(first, oracle::median_pairwise_distance(X.cview()).median, tol1, 0.0));
    EXPECT_TRUE(expect_close(second, first, 2.0 * tol1, 0.0));
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, CpuMedianHeuristic,
                         ::testing::Values(std::make_tuple(500, 200), std::make_tuple(150, 200),
                                           std::make_tuple(200, 200), std::make_tuple(1200, 200),
                                           std::make_tuple(50, 7), std::make_tuple(9, 1)),
                         [](const ::testing::TestParamInfo<std::tuple<std::int64_t, std::int64_t>>& param_info) {
                           return "n" + std::to_string(std::get<0>(param_info.param)) + "_sample" +
                                  std::to_string(std::get<1>(param_info.param));
                         });

}  // namespace
}  // namespace lwnet::test
