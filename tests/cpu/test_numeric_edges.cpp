// Degenerate data have defined, documented behaviour (docs/ROBUSTNESS.md, "Numerics"): constant
// features, duplicate points, a class with a single sample, kernel widths at the ends of the
// accepted range, fewer samples than k-NN neighbours. Each case trains or fails cleanly, and the
// values that come out are the closed-form ones.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/ops.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

struct Sample {
  Matrix<float> X;
  Labels labels;
  std::vector<std::string> classes;
};

Sample make_sample(std::int64_t rows, std::int64_t cols, std::vector<int> y, int num_classes) {
  Sample s;
  s.X = Matrix<float>::host(rows, cols);
  s.labels.y = std::move(y);
  s.labels.num_classes = num_classes;
  for (int j = 0; j < num_classes; ++j) s.classes.push_back(std::string(1, static_cast<char>('a' + j)));
  return s;
}

// Two noisy clusters along feature 0 (class = i % 2), with feature 1 held at `constant`.
Sample clusters_with_constant_feature(TestRandom& rng, std::int64_t n, float constant) {
  Sample s = make_sample(n, 2, {}, 2);
  for (std::int64_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(i % 2);
    s.labels.y.push_back(y);
    s.X(i, 0) = static_cast<float>(3.0 * y + 0.5 * rng.normal());
    s.X(i, 1) = constant;
  }
  return s;
}

kme::TrainConfig small_config(int knn_k = 3) {
  kme::TrainConfig config;
  config.options.max_layers = 3;
  config.options.knn_k = knn_k;
  return config;
}

TEST(NumericEdges, ConstantFeatureIsStandardisedToZeroAndIgnored) {
  LWNET_SEEDED_RANDOM(rng);
  const Sample s = clusters_with_constant_feature(rng, 40, 7.0f);
  auto cpu = make_cpu_backend();
  const kme::KmeModel model = kme::train(*cpu, s.X.cview(), s.labels, s.classes, small_config());
  ASSERT_EQ(model.statistics.std.size(), 2u);
  EXPECT_EQ(model.statistics.std[1], 0.0);
  EXPECT_EQ(model.statistics.mean[1], 7.0);
  EXPECT_GE(model.layers.size(), 1u);
  // Test rows that differ only in the constant feature predict the same classes.
  Matrix<float> probe = Matrix<float>::host(6, 2);
  Matrix<float> moved = Matrix<float>::host(6, 2);
  for (std::int64_t i = 0; i < 6; ++i) {
    probe(i, 0) = moved(i, 0) = static_cast<float>(i) - 1.0f;
    probe(i, 1) = 7.0f;
    moved(i, 1) = -1000.0f;
  }
  EXPECT_EQ(kme::predict(*cpu, model, probe.cview()), kme::predict(*cpu, model, moved.cview()));
  EXPECT_EQ(kme::preprocess(model, moved.cview())(3, 1), 0.0f);
}

TEST(NumericEdges, AllFeaturesConstantGiveTheZeroLayerModel) {
  Sample s = make_sample(8, 3, {0, 1, 0, 1, 0, 1, 0, 1}, 2);
  for (std::int64_t i = 0; i < 8; ++i)
    for (std::int64_t j = 0; j < 3; ++j) s.X(i, j) = 2.5f;
  auto cpu = make_cpu_backend();
  const kme::KmeModel model = kme::train(*cpu, s.X.cview(), s.labels, s.classes, small_config(1));
  EXPECT_TRUE(model.layers.empty()) << "no width can separate identical points";
  // Every point is every other point's twin: k-NN ties go to the lowest index, row 0 (class 0).
  const auto predicted = kme::predict(*cpu, model, s.X.cview());
  for (int y : predicted) EXPECT_EQ(y, 0);
}

TEST(NumericEdges, DuplicatePointsTrainAndStayFinite) {
  LWNET_SEEDED_RANDOM(rng);
  Sample s = clusters_with_constant_feature(rng, 30, 1.0f);
  // Every row twice, same labels: the fit is defined and the outputs finite.
  Sample twice = make_sample(60, 2, {}, 2);
  for (std::int64_t i = 0; i < 60; ++i) {
    twice.X(i, 0) = s.X(i / 2, 0);
    twice.X(i, 1) = static_cast<float>(i % 3);  // not constant, so both features count
    twice.labels.y.push_back(s.labels.y[static_cast<std::size_t>(i / 2)]);
  }
  auto cpu = make_cpu_backend();
  const kme::KmeModel model = kme::train(*cpu, twice.X.cview(), twice.labels, twice.classes, small_config());
  for (std::int64_t e = 0; e < model.train_outputs.size(); ++e) ASSERT_TRUE(std::isfinite(model.train_outputs.data()[e]));
  // The same points with conflicting labels: no width can raise HSIC above chance, no NaN.
  Sample conflict = make_sample(4, 2, {0, 1, 0, 1}, 2);
  const float rows[4][2] = {{0, 0}, {0, 0}, {1, 1}, {1, 1}};
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t j = 0; j < 2; ++j) conflict.X(i, j) = rows[i][j];
  const kme::KmeModel none = kme::train(*cpu, conflict.X.cview(), conflict.labels, conflict.classes, small_config(1));
  EXPECT_TRUE(none.layers.empty());
}

TEST(NumericEdges, AClassWithOneSampleHasNormOne) {
  LWNET_SEEDED_RANDOM(rng);
  Sample s = clusters_with_constant_feature(rng, 21, 0.0f);
  s.labels.num_classes = 3;
  s.classes.push_back("c");
  s.labels.y[20] = 2;
  s.X(20, 0) = 10.0f;
  s.X(20, 1) = 1.0f;
  auto cpu = make_cpu_backend();
  const kme::KmeModel model = kme::train(*cpu, s.X.cview(), s.labels, s.classes, small_config(1));
  ASSERT_GE(model.layers.size(), 1u);
  // Exact rho of a one-sample class: sqrt(k(x, x)) = 1 exactly.
  EXPECT_EQ(model.layers[0].rho[2], 1.0);
}

TEST(NumericEdges, FewerSamplesThanKnnNeighboursIsAClearError) {
  Sample s = make_sample(3, 1, {0, 1, 2}, 3);
  for (std::int64_t i = 0; i < 3; ++i) s.X(i, 0) = static_cast<float>(i);
  auto cpu = make_cpu_backend();
  try {
    kme::train(*cpu, s.X.cview(), s.labels, s.classes, small_config(5));
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("k = 5 needs at least 5 training samples, got 3"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(kme::train(*cpu, s.X.cview(), s.labels, s.classes, small_config(1)));
}

TEST(NumericEdges, KernelWidthsAtTheEndsOfTheAcceptedRange) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 50;
  const Matrix<float> X = rng.uniform_matrix(n, 3);
  const Labels labels = rng.labels(n, 3);
  auto cpu = make_cpu_backend();
  // sigma = 1e-18: K = I exactly, so tr(K H L H) = tr(L H) = sum_j n_j - sum_j n_j^2 / n.
  const HsicResult narrow = hsic_labels(*cpu, X.cview(), labels, GramParams::gaussian(1e-18), HsicNormalization::none);
  double expected = 0.0;
  for (auto nj : labels.class_counts())
    expected += static_cast<double>(nj) - static_cast<double>(nj) * static_cast<double>(nj) / static_cast<double>(n);
  EXPECT_NEAR(narrow.hsic, expected, 1e-9 * expected);
  // sigma = 1e18: K = 1 1^T is constant: reported as such, normalised HSIC 0.
  const HsicResult wide = hsic_labels(*cpu, X.cview(), labels, GramParams::gaussian(1e18));
  EXPECT_TRUE(wide.constant_kernel);
  EXPECT_EQ(wide.normalized, 0.0);
  // Beyond the range: a clear error, not a kernel of NaN or all zeros.
  EXPECT_THROW(hsic_labels(*cpu, X.cview(), labels, GramParams::gaussian(1e-30)), InvalidArgument);
  EXPECT_THROW(hsic_labels(*cpu, X.cview(), labels, GramParams::gaussian(1e30)), InvalidArgument);
}

TEST(NumericEdges, TestValuesThatOverflowTheStatisticsAreNamed) {
  LWNET_SEEDED_RANDOM(rng);
  Sample s = clusters_with_constant_feature(rng, 20, 0.0f);
  for (std::int64_t i = 0; i < 20; ++i) s.X(i, 1) = 1e-30f * static_cast<float>(i % 2);  // tiny spread
  auto cpu = make_cpu_backend();
  const kme::KmeModel model = kme::train(*cpu, s.X.cview(), s.labels, s.classes, small_config());
  Matrix<float> far = Matrix<float>::host(1, 2);
  far(0, 1) = 1e30f;  // (1e30 - mean) / 5e-31 overflows float32
  try {
    kme::predict(*cpu, model, far.cview());
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("row 0, feature 1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lwnet::test
