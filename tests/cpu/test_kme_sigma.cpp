// The closed-form network's width choices (spec 1.2, train/kme/sigma_search.hpp):
//   candidate_grid = logspace(log10 start, log10 smallest, count), both ends exact, in scan order
//   (descending when start > smallest, ascending otherwise), count 1 = {start};
//   opt_sigma = argmax_s f(s), f(s) = sum_ij exp(-D_ij^2 / (2 s^2)) (HLH)_ij on a fresh seeded
//   subsample of min(n, sample) rows, floored at s_floor (the floor itself when all points coincide).
// The maximiser is checked against a float64 oracle of f (explicit H and L = YY^T, exact distances)
// maximised on a fine log grid and refined by golden section.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/random.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"
#include "train/kme/sigma_search.hpp"

namespace lwnet::test {
namespace {

using kme::candidate_grid;
using kme::opt_sigma;

// ---- candidate_grid ---------------------------------------------------------------------------

// Consecutive log10 steps of a log-spaced grid are equal: |step_i - step| <= a few ulps of the logs.
constexpr double kLogStepTolerance = 1e-12;

void expect_log_spaced(const std::vector<double>& grid, double start, double smallest) {
  const double step = (std::log10(smallest) - std::log10(start)) / static_cast<double>(grid.size() - 1);
  for (std::size_t i = 0; i + 1 < grid.size(); ++i)
    EXPECT_NEAR(std::log10(grid[i + 1]) - std::log10(grid[i]), step, kLogStepTolerance) << "step " << i;
}

TEST(CpuKmeCandidateGrid, DescendingBothEndsExactAndLogSpaced) {
  // 7.3 and 0.05 are not powers of ten: pow(10, log10(x)) would not give them back exactly.
  const std::vector<double> g = candidate_grid(7.3, 0.05, 20);
  ASSERT_EQ(g.size(), 20u);
  EXPECT_EQ(g.front(), 7.3);
  EXPECT_EQ(g.back(), 0.05);
  for (std::size_t i = 0; i + 1 < g.size(); ++i) EXPECT_GT(g[i], g[i + 1]) << "descending at " << i;
  expect_log_spaced(g, 7.3, 0.05);
  // The geometric middle of a 3-point grid is sqrt(start * smallest).
  const std::vector<double> three = candidate_grid(8.0, 0.02, 3);
  EXPECT_TRUE(expect_close(three[1], std::sqrt(8.0 * 0.02), 0.0, 4e-16));
}

TEST(CpuKmeCandidateGrid, AscendingWhenStartIsBelowTheSmallest) {
  // The reference scans upwards in this case (spec 1.2): reproduce that order.
  const std::vector<double> g = candidate_grid(0.013, 0.05, 40);
  ASSERT_EQ(g.size(), 40u);
  EXPECT_EQ(g.front(), 0.013);
  EXPECT_EQ(g.back(), 0.05);
  for (std::size_t i = 0; i + 1 < g.size(); ++i) EXPECT_LT(g[i], g[i + 1]) << "ascending at " << i;
  expect_log_spaced(g, 0.013, 0.05);
}

TEST(CpuKmeCandidateGrid, SmallCountsAndEqualEnds) {
  EXPECT_EQ(candidate_grid(3.7, 0.05, 1), std::vector<double>{3.7});
  EXPECT_EQ(candidate_grid(3.7, 0.05, 2), (std::vector<double>{3.7, 0.05}));
  // Equal ends: the ends are exact, the inner points pow(10, log10(0.05)) within a few ulps.
  const std::vector<double> flat = candidate_grid(0.05, 0.05, 4);
  ASSERT_EQ(flat.size(), 4u);
  EXPECT_EQ(flat.front(), 0.05);
  EXPECT_EQ(flat.back(), 0.05);
  EXPECT_TRUE(expect_close(flat, std::vector<double>(4, 0.05), 0.0, 8.0 * kU64));
  EXPECT_THROW(candidate_grid(1.0, 0.05, 0), InvalidArgument);
  EXPECT_THROW(candidate_grid(0.0, 0.05, 5), InvalidArgument);
  EXPECT_THROW(candidate_grid(1.0, -0.05, 5), InvalidArgument);
  EXPECT_THROW(candidate_grid(NAN, 0.05, 5), InvalidArgument);
}

// ---- opt_sigma --------------------------------------------------------------------------------

// f(s) in float64 for the rows `rows` of X, with H and L = YY^T built as matrices.
struct HsicOfWidthOracle {
  test::DMat d2;   // exact squared distances
  test::DMat hlh;  // H L H

  HsicOfWidthOracle(MatrixView<const float> X, const Labels& labels) {
    d2 = oracle::squared_distances(X, X);
    const DMat H = oracle::centering(X.rows());
    hlh = oracle::matmul(oracle::matmul(H, oracle::label_gram(labels)), H);
  }
  double operator()(double log_s) const {
    const double s = std::exp(log_s);
    double f = 0.0;
    for (std::size_t e = 0; e < d2.v.size(); ++e) f += std::exp(-d2.v[e] / (2.0 * s * s)) * hlh.v[e];
    return f;
  }
  double abs_weight_sum() const {
    double s = 0.0;
    for (double w : hlh.v) s += std::fabs(w);
    return s;
  }
};

// argmax of f on [lo, hi] (log s): a grid of `points`, then golden section around the best point.
double oracle_argmax(const HsicOfWidthOracle& f, double lo, double hi, int points) {
  const double step = (hi - lo) / (points - 1);
  int best = 0;
  double f_best = -INFINITY;
  for (int p = 0; p < points; ++p) {
    const double v = f(lo + step * p);
    if (v > f_best) best = p, f_best = v;
  }
  double a = lo + step * std::max(best - 1, 0);
  double b = lo + step * std::min(best + 1, points - 1);
  const double r = (std::sqrt(5.0) - 1.0) / 2.0;
  while (b - a > 1e-12) {
    const double c = b - r * (b - a);
    const double d = a + r * (b - a);
    if (f(c) > f(d))
      b = d;
    else
      a = c;
  }
  return 0.5 * (a + b);
}

// Two Gaussian clusters 4 apart (spread 0.5) in d = 2, classes = clusters.
struct TwoClusters {
  Matrix<float> X;
  Labels labels;
};

TwoClusters two_clusters(TestRandom& rng, std::int64_t n) {
  TwoClusters t;
  t.labels.num_classes = 2;
  t.X = Matrix<float>::host(n, 2);
  for (std::int64_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(i % 2);
    t.labels.y.push_back(y);
    t.X(i, 0) = static_cast<float>((y == 0 ? -2.0 : 2.0) + 0.5 * rng.normal());
    t.X(i, 1) = static_cast<float>(0.5 * rng.normal());
  }
  return t;
}

// The implementation's f differs from the oracle's by at most delta (each float32 kernel value is
// off by kernel_entry_error at the width in question; the float64 sum adds nothing comparable).
// Near the maximum f(t) ~ f* - kappa (t - t*)^2 / 2 (t = log s), so a point that maximises the
// perturbed f is within 2 sqrt(delta / kappa) of t*; twice that covers the quadratic model's error.
double maximiser_log_tolerance(const HsicOfWidthOracle& f, MatrixView<const float> X, double t_star) {
  const double h = 1e-2;
  const double kappa = -(f(t_star + h) - 2.0 * f(t_star) + f(t_star - h)) / (h * h);
  EXPECT_GT(kappa, 0.0) << "the oracle's maximiser is not a strict maximum";
  const double norm = max_sq_norm(X);
  const double delta =
      kernel_entry_error(GramParams::gaussian(std::exp(t_star)), X.cols(), norm, norm) * f.abs_weight_sum();
  return 2.0 * 2.0 * std::sqrt(delta / kappa) + 1e-6;  // + the golden-section tolerances
}

TEST(CpuKmeOptSigma, MaximisesTheUnnormalisedHsicOnTwoClusters) {
  LWNET_SEEDED_RANDOM(rng);
  const TwoClusters data = two_clusters(rng, 60);
  auto backend = make_cpu_backend();
  Rng lwnet_rng(11);
  // sample >= n: every row is used (in a random order, which f does not depend on).
  const double s = opt_sigma(*backend, data.X.cview(), data.labels, 1e-6, lwnet_rng, 200);

  const HsicOfWidthOracle f(data.X.cview(), data.labels);
  const double s0 = oracle::median_pairwise_distance(data.X.cview()).median;
  const double t_star = oracle_argmax(f, std::log(s0 / 1000.0), std::log(s0 * 100.0), 4001);
  const double tol = maximiser_log_tolerance(f, data.X.cview(), t_star);
  ASSERT_LT(tol, 0.05) << "the derived tolerance is too loose to test anything";
  EXPECT_TRUE(expect_close(std::log(s), t_star, tol, 0.0))
      << "opt_sigma " << s << ", oracle argmax " << std::exp(t_star) << " (s0 " << s0 << ")";
  // And it is a maximum worth the name: f there is within the perturbation of the best value.
  EXPECT_GT(f(std::log(s)), f(t_star) - 1e-3 * std::fabs(f(t_star)));
}

TEST(CpuKmeOptSigma, UsesTheSubsampleRowsAndTheirLabels) {
  // White box: the subsample is rng.sample_without_replacement(n, min(n, sample)). The oracle on
  // exactly those rows (and THEIR labels) must agree; the first rows' labels would not.
  LWNET_SEEDED_RANDOM(rng);
  const TwoClusters data = two_clusters(rng, 300);
  const std::int64_t sample = 40;
  auto backend = make_cpu_backend();
  Rng draws(23);
  const std::vector<std::int64_t> rows = draws.sample_without_replacement(300, sample);
  Matrix<float> sub = Matrix<float>::host(sample, 2);
  Labels sub_labels{{}, 2};
  for (std::int64_t i = 0; i < sample; ++i) {
    const auto r = rows[static_cast<std::size_t>(i)];
    sub(i, 0) = data.X(r, 0);
    sub(i, 1) = data.X(r, 1);
    sub_labels.y.push_back(data.labels.y[static_cast<std::size_t>(r)]);
  }
  Rng lwnet_rng(23);
  const double s = opt_sigma(*backend, data.X.cview(), data.labels, 1e-6, lwnet_rng, sample);
  const HsicOfWidthOracle f(sub.cview(), sub_labels);
  const double s0 = oracle::median_pairwise_distance(sub.cview()).median;
  const double t_star = oracle_argmax(f, std::log(s0 / 1000.0), std::log(s0 * 100.0), 4001);
  EXPECT_TRUE(expect_close(std::log(s), t_star, maximiser_log_tolerance(f, sub.cview(), t_star), 0.0))
      << "opt_sigma " << s << ", oracle argmax on the subsample " << std::exp(t_star);
}

TEST(CpuKmeOptSigma, DeterministicForASeedAndAdvancesTheGenerator) {
  LWNET_SEEDED_RANDOM(rng);
  const TwoClusters data = two_clusters(rng, 400);
  auto backend = make_cpu_backend();
  Rng a(5);
  Rng b(5);
  const double first = opt_sigma(*backend, data.X.cview(), data.labels, 0.01, a, 50);
  const double again = opt_sigma(*backend, data.X.cview(), data.labels, 0.01, b, 50);
  EXPECT_EQ(std::memcmp(&first, &again, sizeof(double)), 0) << first << " vs " << again << ": same seed, same bits";
  // The generator moved on: the next call draws another subsample (another width), and the
  // generator's state differs from a fresh one with the same seed.
  const double second = opt_sigma(*backend, data.X.cview(), data.labels, 0.01, a, 50);
  EXPECT_NE(first, second) << "two calls on one generator drew the same subsample";
  Rng fresh(5);
  Rng used(5);
  opt_sigma(*backend, data.X.cview(), data.labels, 0.01, used, 50);
  EXPECT_NE(used.next_u64(), fresh.next_u64());
  // Another seed, another subsample.
  Rng other(6);
  EXPECT_NE(opt_sigma(*backend, data.X.cview(), data.labels, 0.01, other, 50), first);
}

TEST(CpuKmeOptSigma, FloorWhenPointsCoincideOrTheOptimumIsSmaller) {
  auto backend = make_cpu_backend();
  Matrix<float> same = Matrix<float>::host(30, 3);
  for (std::int64_t e = 0; e < same.size(); ++e) same.data()[e] = 2.5f;
  Labels labels{{}, 2};
  for (int i = 0; i < 30; ++i) labels.y.push_back(i % 2);
  Rng rng(1);
  EXPECT_EQ(opt_sigma(*backend, same.cview(), labels, 0.37, rng, 200), 0.37);
  EXPECT_EQ(opt_sigma(*backend, same.cview(), labels, 0.01, rng, 7), 0.01);

  // Two clusters 1e-3 apart: the optimum is ~1e-3, below a floor of 0.01, which wins.
  LWNET_SEEDED_RANDOM(trng);
  TwoClusters tiny = two_clusters(trng, 40);
  for (std::int64_t e = 0; e < tiny.X.size(); ++e) tiny.X.data()[e] *= 5e-4f;
  const double unfloored = opt_sigma(*backend, tiny.X.cview(), tiny.labels, 1e-9, rng, 200);
  EXPECT_GT(unfloored, 1e-5);
  EXPECT_LT(unfloored, 5e-3);
  EXPECT_EQ(opt_sigma(*backend, tiny.X.cview(), tiny.labels, 0.01, rng, 200), 0.01);
}

}  // namespace
}  // namespace lwnet::test
