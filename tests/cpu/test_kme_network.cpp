// The closed-form layer-wise network (spec section 1) on the CPU backend:
//   - extra columns (kme::plan_extra_columns): argmax over ALL columns, first maximum wins, an
//     argmax on an extra column is a miss, classes ascending, only non-empty sets; none when
//     disabled or when the layer's input width equals d;
//   - the layer's weights B and its output (1/rho_j) sum_{i in S_j} k(z_i, z) | sum_{i in M_e} k(z_i, z)
//     against a float64 oracle;
//   - end to end on the committed reference folds (wine, spiral) against REFERENCE_RESULTS.md's
//     criteria;
//   - determinism, the zero-layer fallback, prediction (batch independence, the three predictors,
//     string labels) and bad input.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "kme_models.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/io.hpp"
#include "lwnet/kme.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"
#include "train/kme/layer.hpp"

namespace lwnet::test {
namespace {

Matrix<float> from_rows(const std::vector<std::vector<float>>& rows) {
  Matrix<float> m = Matrix<float>::host(static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(static_cast<std::int64_t>(i), static_cast<std::int64_t>(j)) = rows[i][j];
  return m;
}

std::vector<std::string> class_names(int c) {
  std::vector<std::string> names;
  for (int j = 0; j < c; ++j) names.push_back(std::to_string(j));
  return names;
}

// A labelled sample of well-separated classes: class j is centred at 3 e_j (c <= d), rows are
// centre + spread N(0, I); training and test rows come from the same clusters.
struct Clusters {
  Labels train_labels, test_labels;
  Matrix<float> train, test;
};

Clusters make_clusters(TestRandom& rng, std::int64_t n_train, std::int64_t n_test, std::int64_t d, int c, double spread) {
  EXPECT_LE(c, d);
  Clusters out;
  const Labels all = rng.labels(n_train + n_test, c);
  out.train_labels = {std::vector<int>(all.y.begin(), all.y.begin() + n_train), c};
  out.test_labels = {std::vector<int>(all.y.begin() + n_train, all.y.end()), c};
  out.train = Matrix<float>::host(n_train, d);
  out.test = Matrix<float>::host(n_test, d);
  for (std::int64_t i = 0; i < n_train + n_test; ++i) {
    const int y = all.y[static_cast<std::size_t>(i)];
    for (std::int64_t f = 0; f < d; ++f)
      (i < n_train ? out.train(i, f) : out.test(i - n_train, f)) =
          static_cast<float>((f == y ? 3.0 : 0.0) + spread * rng.normal());
  }
  return out;
}

// ---- extra columns ----------------------------------------------------------------------------

TEST(CpuKmeExtraColumns, NoneWhenDisabledOrWhenTheWidthEqualsTheInputWidth) {
  // Every row misclassified: only the two guards can make the plan empty.
  const Matrix<float> Z = from_rows({{0, 1, 0}, {1, 0, 0}, {1, 0, 0}});
  const Labels labels{{0, 1, 2}, 3};
  EXPECT_TRUE(kme::plan_extra_columns(Z.cview(), labels, 4, false).classes.empty()) << "disabled";
  const kme::ExtraColumns same_width = kme::plan_extra_columns(Z.cview(), labels, 3, true);
  EXPECT_TRUE(same_width.classes.empty()) << "m_prev == d (e.g. car: 3 + 3 = 6 = d)";
  EXPECT_TRUE(same_width.rows.empty());
  const kme::ExtraColumns planned = kme::plan_extra_columns(Z.cview(), labels, 4, true);
  EXPECT_EQ(planned.classes, (std::vector<int>{0, 1, 2})) << "the same input with m_prev != d";
}

TEST(CpuKmeExtraColumns, ArgmaxOverAllColumnsFirstMaximumWinsClassesAscending) {
  // c = 3 class columns and 2 earlier extra columns; the layer's input width is 5, d = 4.
  const Matrix<float> Z = from_rows({
      {0.9f, 0.1f, 0.2f, 0.0f, 0.0f},  // 0: y 0, argmax 0                          -> correct
      {0.5f, 0.3f, 0.5f, 0.1f, 0.1f},  // 1: y 2, tie 0/2, first wins -> 0           -> class 2 miss
      {0.5f, 0.1f, 0.2f, 0.0f, 0.5f},  // 2: y 0, tie 0/4, first wins -> 0           -> correct
      {0.1f, 0.2f, 0.9f, 0.1f, 0.0f},  // 3: y 2, argmax 2                           -> correct
      {0.1f, 0.6f, 0.2f, 0.7f, 0.0f},  // 4: y 1, class columns say 1, extra col 3 wins -> class 1 miss
      {0.1f, 0.6f, 0.2f, 0.0f, 0.0f},  // 5: y 1, argmax 1                           -> correct
      {0.1f, 0.3f, 0.3f, 0.0f, 0.0f},  // 6: y 2, tie 1/2, first wins -> 1           -> class 2 miss
      {0.2f, 0.2f, 0.2f, 0.2f, 0.2f},  // 7: y 1, all equal, first wins -> 0         -> class 1 miss
  });
  const Labels labels{{0, 2, 0, 2, 1, 1, 2, 1}, 3};
  const kme::ExtraColumns extra = kme::plan_extra_columns(Z.cview(), labels, 4, true);
  // Class 0 has no miss (no set), class 1's misses come after class 2's in row order but its
  // set comes first (ascending classes); rows ascending within a set.
  EXPECT_EQ(extra.classes, (std::vector<int>{1, 2}));
  EXPECT_EQ(extra.rows, (std::vector<std::vector<std::int64_t>>{{4, 7}, {1, 6}}));
}

TEST(CpuKmeExtraColumns, AlsoWhenTheWidthIsBelowTheInputWidth) {
  // Layer 2 of wine: input width c = 3 < d = 13; argmax over the class columns alone.
  const Matrix<float> Z = from_rows({{0.2f, 0.7f, 0.1f}, {0.2f, 0.7f, 0.1f}, {0.9f, 0.0f, 0.0f}});
  const Labels labels{{1, 0, 2}, 3};
  const kme::ExtraColumns extra = kme::plan_extra_columns(Z.cview(), labels, 13, true);
  EXPECT_EQ(extra.classes, (std::vector<int>{0, 2}));
  EXPECT_EQ(extra.rows, (std::vector<std::vector<std::int64_t>>{{1}, {2}}));
}

// ---- one layer ----------------------------------------------------------------------------------

TEST(CpuKmeLayerWeights, Layout) {
  // W(i, y_i) = 1, W(i, c + e) = 1 for the rows of extra set e, else 0.
  const Matrix<float> W = kme::indicator_weights({0, 1, 0, 2, 1}, 3, {{1}, {0, 2, 4}});
  const Matrix<float> expected = from_rows({{1, 0, 0, 0, 1},
                                            {0, 1, 0, 1, 0},
                                            {1, 0, 0, 0, 1},
                                            {0, 0, 1, 0, 0},
                                            {0, 1, 0, 0, 1}});
  EXPECT_TRUE(same_matrix(W, expected));
  const Matrix<float> none = kme::indicator_weights({1, 0}, 2, {});
  EXPECT_TRUE(same_matrix(none, from_rows({{0, 1}, {1, 0}})));
}

TEST(CpuKmeLayerWeights, ClassColumnsAreDividedByRhoExtraColumnsKept) {
  Matrix<double> U = Matrix<double>::host(2, 3);
  U(0, 0) = 3.0, U(0, 1) = 1.0, U(0, 2) = 7.0;
  U(1, 0) = 0.5, U(1, 1) = 1e-3, U(1, 2) = 0.25;
  const Matrix<float> Z = kme::normalise_class_columns(U, {2.0, 3.0});
  EXPECT_TRUE(same_matrix(Z, from_rows({{1.5f, static_cast<float>(1.0 / 3.0), 7.0f},
                                        {0.25f, static_cast<float>(1e-3 / 3.0), 0.25f}})));
  // rho_j^2 = sum over class j's rows of U(i, j): class 0 = rows {0}, class 1 = row {1}.
  const std::vector<double> rho = kme::exact_rho(U, Labels{{0, 1}, 2});
  EXPECT_EQ(rho, (std::vector<double>{std::sqrt(3.0), std::sqrt(1e-3)}));
}

// out(a, j) = (1 / rho_j) sum_{i in S_j} k(x_i, z_a) for j < c, sum_{i in M_e} k(x_i, z_a) after.
DMat layer_output_oracle(MatrixView<const float> Z, MatrixView<const float> X, const std::vector<int>& y,
                         const std::vector<double>& rho, const std::vector<std::vector<std::int64_t>>& extra,
                         double sigma) {
  const int c = static_cast<int>(rho.size());
  const GramParams p = GramParams::gaussian(sigma);
  DMat out(Z.rows(), c + static_cast<std::int64_t>(extra.size()));
  for (std::int64_t a = 0; a < Z.rows(); ++a) {
    for (std::int64_t i = 0; i < X.rows(); ++i) {
      const int j = y[static_cast<std::size_t>(i)];
      out(a, j) += oracle::kernel(p, oracle::row(Z, a), oracle::row(X, i), X.cols()) / rho[static_cast<std::size_t>(j)];
    }
    for (std::size_t e = 0; e < extra.size(); ++e)
      for (std::int64_t i : extra[e])
        out(a, c + static_cast<std::int64_t>(e)) += oracle::kernel(p, oracle::row(Z, a), oracle::row(X, i), X.cols());
  }
  return out;
}

// K(Z, X) B with B's entries float(1 / rho) or 1: kernel_matmul_error with b_abs_sum = max column
// sum of |B|, plus B's own rounding (u relative on each 1/rho: u b_abs_sum kmax); the float output
// adds u relative.
double layer_output_tolerance(MatrixView<const float> Z, MatrixView<const float> X, double sigma, double b_abs_sum) {
  const KernelErrorModel model = kernel_error_model(GramParams::gaussian(sigma), Z, X);
  return kernel_matmul_error(model, b_abs_sum, X.rows()) + kU32 * b_abs_sum * model.max_abs;
}

TEST(CpuKmeLayerOutput, OneLayerModelMatchesTheFormula) {
  LWNET_SEEDED_RANDOM(rng);
  const Clusters data = make_clusters(rng, 60, 17, 3, 3, 0.4);
  kme::TrainConfig config;
  config.standardize = StandardizeMode::none;  // Z^0 = X exactly
  config.options.max_layers = 1;
  auto backend = training_backend();
  const kme::KmeModel model = kme::train(*backend, data.train.cview(), data.train_labels, class_names(3), config);
  ASSERT_EQ(model.layers.size(), 1u) << "clustered data: the first layer beats the initial HSIC 0.1";
  const kme::KmeLayer& layer = model.layers[0];
  EXPECT_TRUE(same_matrix(layer.input, host_copy(data.train.cview()))) << "the stored input is Z^0 = X";
  EXPECT_TRUE(layer.extra_rows.empty()) << "layer 1's input width is d: no extra columns";
  EXPECT_EQ(model.train_outputs.cols(), 3);

  // rho_j = sqrt(sum_{i,i' in S_j} k(x_i, x_i')) (tolerance as in test_kme.cpp's class norms).
  const GramParams p = GramParams::gaussian(layer.sigma);
  const std::vector<double> rho = oracle::class_norms(data.train.cview(), data.train_labels, p);
  const KernelErrorModel km = kernel_error_model(p, data.train.cview(), data.train.cview());
  const auto counts = data.train_labels.class_counts();
  ASSERT_EQ(layer.rho.size(), 3u);
  for (std::size_t j = 0; j < 3; ++j) {
    const double nj = static_cast<double>(counts[j]);
    EXPECT_TRUE(expect_close(layer.rho[j], rho[j],
                             sqrt_error(rho[j] * rho[j], nj * kernel_matmul_error(km, nj, counts[j])), 0.0))
        << "rho of class " << j;
  }

  double b_abs_sum = 0.0;
  for (std::size_t j = 0; j < 3; ++j) b_abs_sum = std::max(b_abs_sum, static_cast<double>(counts[j]) / layer.rho[j]);
  const Matrix<float> out = kme::transform(*backend, model, data.test.cview());
  const double tol = layer_output_tolerance(data.test.cview(), data.train.cview(), layer.sigma, b_abs_sum);
  EXPECT_TRUE(expect_close(out.cview(),
                           layer_output_oracle(data.test.cview(), data.train.cview(), data.train_labels.y, layer.rho,
                                               {}, layer.sigma),
                           tol, kU32))
      << "test points";
  EXPECT_TRUE(expect_close(model.train_outputs.cview(),
                           layer_output_oracle(data.train.cview(), data.train.cview(), data.train_labels.y, layer.rho,
                                               {}, layer.sigma),
                           layer_output_tolerance(data.train.cview(), data.train.cview(), layer.sigma, b_abs_sum), kU32))
      << "training points (Z^1)";
}

// A hand-built one-layer model with extra columns (training puts them on layers >= 2; transform
// treats every layer alike).
kme::KmeModel hand_built_model(TestRandom& rng, kme::Predictor predictor) {
  kme::KmeModel model;
  const Labels labels = rng.labels(40, 3);
  model.options.predictor = predictor;
  model.standardize = StandardizeMode::none;
  model.input_dim = 4;
  model.classes = class_names(3);
  model.train_labels = labels.y;
  kme::KmeLayer layer;
  layer.sigma = 0.8;
  layer.sigma_beta = 0.5;
  layer.hsic = 0.5;
  layer.rho = {1.5, 2.5, 3.5};
  // Misclassified-style sets of classes 0 and 2 (the rows of those classes among the first 30).
  layer.extra_classes = {0, 2};
  layer.extra_rows.resize(2);
  for (std::int64_t i = 0; i < 30; ++i) {
    if (labels.y[static_cast<std::size_t>(i)] == 0) layer.extra_rows[0].push_back(i);
    if (labels.y[static_cast<std::size_t>(i)] == 2) layer.extra_rows[1].push_back(i);
  }
  layer.input = rng.uniform_matrix(40, 4);
  model.layers.push_back(std::move(layer));
  auto backend = training_backend();
  model.train_outputs = kme::transform(*backend, model, model.layers[0].input.cview());
  return model;
}

TEST(CpuKmeLayerOutput, ExtraColumnsAreUnnormalisedSumsOverTheirSets) {
  LWNET_SEEDED_RANDOM(rng);
  const kme::KmeModel model = hand_built_model(rng, kme::Predictor::knn);
  const kme::KmeLayer& layer = model.layers[0];
  const Matrix<float> Z = rng.uniform_matrix(23, 4);
  const Matrix<float> out = kme::transform(*training_backend(), model, Z.cview());
  ASSERT_EQ(out.cols(), 5);
  double b_abs_sum = 0.0;
  for (const auto& set : layer.extra_rows) b_abs_sum = std::max(b_abs_sum, static_cast<double>(set.size()));
  for (int j = 0; j < 3; ++j) {
    const auto nj = std::count(model.train_labels.begin(), model.train_labels.end(), j);
    b_abs_sum = std::max(b_abs_sum, static_cast<double>(nj) / layer.rho[static_cast<std::size_t>(j)]);
  }
  EXPECT_TRUE(expect_close(out.cview(),
                           layer_output_oracle(Z.cview(), layer.input.cview(), model.train_labels, layer.rho,
                                               layer.extra_rows, layer.sigma),
                           layer_output_tolerance(Z.cview(), layer.input.cview(), layer.sigma, b_abs_sum), kU32));
}

// ---- end to end on the reference folds -------------------------------------------------------

struct CvSummary {
  std::vector<double> test_accuracy;
  std::vector<double> layers;
  double mean(const std::vector<double>& v) const { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }
};

CvSummary cross_validate(const std::string& name, const kme::TrainConfig& config, int folds) {
  auto backend = training_backend();
  CvSummary s;
  for (int k = 1; k <= folds; ++k) {
    const Fold fold = read_fold(fold_stem(name), k);
    const LabelEncoding enc = encode_labels(fold.train.labels);
    const kme::KmeModel model = kme::train(*backend, fold.train.X.cview(), enc.labels, enc.classes, config);
    const double acc = accuracy(kme::predict(*backend, model, fold.test.X.cview()), encode_with(model.classes, fold.test.labels));
    s.test_accuracy.push_back(acc);
    s.layers.push_back(static_cast<double>(model.layers.size()));
    std::printf("%s fold %2d: layers %zu, test accuracy %.4f, H %.4f\n", name.c_str(), k, model.layers.size(), acc,
                model.final_hsic());
  }
  std::printf("%s mean: layers %.2f, test accuracy %.4f\n", name.c_str(), s.mean(s.layers), s.mean(s.test_accuracy));
  ::testing::Test::RecordProperty("mean_test_accuracy", std::to_string(s.mean(s.test_accuracy)));
  ::testing::Test::RecordProperty("mean_layers", std::to_string(s.mean(s.layers)));
  return s;
}

TEST(CpuKmeEndToEnd, WineTenFoldsMeetTheReferenceCriteria) {
  // REFERENCE_RESULTS.md, wine: L 2.00 +- 0.00, test accuracy 0.94 +- 0.05. "Reproduced" means
  //   mean test accuracy >= reference mean - one reference std = 0.94 - 0.05 = 0.89, and
  //   |mean L - 2.0| <= max(1, 2 x 0.00) = 1.
  // (This code gave 0.95 and L 2.3 when the test was written; the criteria, not those values, are asserted.)
  const CvSummary s = cross_validate("wine", reference_protocol(0.05, 20), 10);
  EXPECT_GE(s.mean(s.test_accuracy), 0.94 - 0.05);
  EXPECT_LE(std::fabs(s.mean(s.layers) - 2.0), 1.0);
}

TEST(CpuKmeEndToEnd, SpiralTenFoldsAreSolvedWithOneLayer) {
  // REFERENCE_RESULTS.md, spiral: L 1.00 +- 0.00, test accuracy 1.00 +- 0.00 (1.00 and L = 1 on
  // every fold). The criterion mean test accuracy >= 1.00 - 0.00 means 1.0 on every fold; the
  // layer criterion |mean L - 1| <= max(1, 0) = 1 is asserted, and L = 1 per fold as the
  // reference has it. (This code gave 1.00 and L 1.0 on all ten folds when written.)
  const CvSummary s = cross_validate("spiral", reference_protocol(0.05, 20), 10);
  for (std::size_t k = 0; k < s.test_accuracy.size(); ++k) {
    EXPECT_EQ(s.test_accuracy[k], 1.0) << "fold " << k + 1;
    EXPECT_EQ(s.layers[k], 1.0) << "fold " << k + 1;
  }
  EXPECT_LE(std::fabs(s.mean(s.layers) - 1.0), 1.0);
}

// ---- determinism --------------------------------------------------------------------------------

TEST(CpuKmeDeterminism, TheSameSeedGivesABitwiseIdenticalModel) {
  // Wine fold 8 grows several layers with extra columns under the reference protocol (noise on).
  const Fold fold = read_fold(fold_stem("wine"), 8);
  const LabelEncoding enc = encode_labels(fold.train.labels);
  auto backend = training_backend();
  const kme::KmeModel a = kme::train(*backend, fold.train.X.cview(), enc.labels, enc.classes, reference_protocol());
  const kme::KmeModel b = kme::train(*backend, fold.train.X.cview(), enc.labels, enc.classes, reference_protocol());
  ASSERT_GE(a.layers.size(), 2u) << "the comparison should cover a multi-layer model";
  EXPECT_TRUE(same_model(a, b, false));
  EXPECT_TRUE(same_matrix(kme::transform(*backend, a, fold.test.X.cview()), kme::transform(*backend, b, fold.test.X.cview())));
  // The thread count does not enter the arithmetic (partial sums are combined in a fixed order).
  auto two_threads = make_cpu_backend(2);
  EXPECT_TRUE(same_model(kme::train(*two_threads, fold.train.X.cview(), enc.labels, enc.classes, reference_protocol()), a, false))
      << "2 threads against 1";
  // Another seed draws other noise, so the preprocessed input (layer 1's stored input) differs.
  const kme::KmeModel c = kme::train(*backend, fold.train.X.cview(), enc.labels, enc.classes, reference_protocol(0.05, 20, 1));
  ASSERT_FALSE(c.layers.empty());
  EXPECT_FALSE(same_matrix(a.layers[0].input, c.layers[0].input)) << "seed 1's noise equals seed 0's";
  EXPECT_EQ(c.options.seed, 1u);
}

TEST(CpuKmeProgress, EveryWidthTriedIsReportedBeforeItsLayer) {
  // Wine fold 8 under the reference protocol grows several layers, some after rejected widths.
  const Fold fold = read_fold(fold_stem("wine"), 8);
  const LabelEncoding enc = encode_labels(fold.train.labels);
  auto backend = training_backend();
  std::vector<kme::LayerProgress> events;
  std::vector<double> accepted_hsic;  // read during the call: the pointer is only valid then
  const kme::ProgressCallback record = [&](const kme::LayerProgress& p) {
    events.push_back(p);
    if (p.event == kme::LayerProgress::Event::layer_accepted) accepted_hsic.push_back(p.accepted->hsic);
  };
  const kme::KmeModel model =
      kme::train(*backend, fold.train.X.cview(), enc.labels, enc.classes, reference_protocol(), record);
  ASSERT_GE(model.layers.size(), 2u);
  ASSERT_EQ(accepted_hsic.size(), model.layers.size());
  ASSERT_EQ(events.back().event, kme::LayerProgress::Event::stopped);
  EXPECT_EQ(events.back().layer, static_cast<int>(model.layers.size()));

  // Per layer: widths 1..k tried in order (k = its candidates_tried), the last one accepted.
  std::size_t e = 0;
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const kme::KmeLayer& layer = model.layers[l];
    double seconds = 0.0;
    for (int w = 1; w <= layer.candidates_tried; ++w, ++e) {
      ASSERT_LT(e, events.size());
      const kme::LayerProgress& p = events[e];
      ASSERT_EQ(p.event, kme::LayerProgress::Event::width_tried) << "layer " << l + 1 << " width " << w;
      EXPECT_EQ(p.layer, static_cast<int>(l) + 1);
      EXPECT_EQ(p.width, w);
      EXPECT_GE(p.widths, layer.candidates_tried);
      EXPECT_GE(p.layer_seconds, seconds);
      seconds = p.layer_seconds;
      if (w == layer.candidates_tried) {
        EXPECT_EQ(p.sigma, layer.sigma);
        EXPECT_EQ(p.hsic, layer.hsic);
      } else {
        EXPECT_LE(p.hsic, l == 0 ? model.options.initial_hsic : model.layers[l - 1].hsic) << "a rejected width did not improve";
      }
    }
    ASSERT_LT(e, events.size());
    EXPECT_EQ(events[e].event, kme::LayerProgress::Event::layer_accepted);
    EXPECT_EQ(accepted_hsic[l], layer.hsic);
    ++e;
  }
  // After the last layer: the widths of the layer that was not accepted (if any), then the stop.
  for (; e + 1 < events.size(); ++e) EXPECT_EQ(events[e].event, kme::LayerProgress::Event::width_tried);
}

// ---- the zero-layer fallback ---------------------------------------------------------------------

// k-NN vote on Z^0 in float64: k nearest training rows by (distance, index), most votes, ties to
// the smallest label.
std::vector<int> knn_vote_oracle(MatrixView<const float> queries, MatrixView<const float> reference,
                                 const std::vector<int>& y, int c, int k) {
  std::vector<int> predicted;
  for (std::int64_t q = 0; q < queries.rows(); ++q) {
    std::vector<std::pair<double, std::int64_t>> d;
    for (std::int64_t i = 0; i < reference.rows(); ++i)
      d.emplace_back(oracle::sq_distance(oracle::row(queries, q), oracle::row(reference, i), queries.cols()), i);
    std::sort(d.begin(), d.end());
    std::vector<int> votes(static_cast<std::size_t>(c), 0);
    for (int j = 0; j < k; ++j) ++votes[static_cast<std::size_t>(y[static_cast<std::size_t>(d[static_cast<std::size_t>(j)].second)])];
    predicted.push_back(static_cast<int>(std::max_element(votes.begin(), votes.end()) - votes.begin()));
  }
  return predicted;
}

void expect_zero_layer_model(const kme::KmeOptions& options, TestRandom& rng) {
  const Clusters data = make_clusters(rng, 50, 20, 3, 3, 0.6);
  kme::TrainConfig config;
  config.options = options;
  config.standardize = StandardizeMode::train;
  auto backend = training_backend();
  std::string stop_reason;
  const kme::ProgressCallback note_stop = [&](const kme::LayerProgress& p) {
    if (p.event == kme::LayerProgress::Event::stopped) stop_reason = p.stop_reason;
  };
  const kme::KmeModel model =
      kme::train(*backend, data.train.cview(), data.train_labels, class_names(3), config, note_stop);
  EXPECT_TRUE(model.layers.empty());
  EXPECT_EQ(model.final_hsic(), 0.0);
  EXPECT_NE(stop_reason.find("no layer was accepted"), std::string::npos) << stop_reason;
  // Z^L = Z^0: the standardised training data, exactly as preprocess() gives it.
  EXPECT_TRUE(same_matrix(model.train_outputs, kme::preprocess(model, data.train.cview())));
  const Matrix<float> z_test = kme::preprocess(model, data.test.cview());
  EXPECT_TRUE(same_matrix(kme::transform(*backend, model, data.test.cview()), z_test));
  const std::vector<int> predicted = kme::predict(*backend, model, data.test.cview());
  EXPECT_EQ(predicted, knn_vote_oracle(z_test.cview(), model.train_outputs.cview(), model.train_labels, 3, 5));
  EXPECT_GE(accuracy(predicted, data.test_labels.y), 0.8) << "k-NN on well-separated clusters";
  // argmax needs a layer's class columns; the mean predictor works on Z^0.
  kme::KmeModel argmax_model = kme::train(*backend, data.train.cview(), data.train_labels, class_names(3), config);
  argmax_model.options.predictor = kme::Predictor::argmax;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::predict(*backend, argmax_model, data.test.cview()); },
                                           {"argmax", "at least one layer"}));
  argmax_model.options.predictor = kme::Predictor::mean;
  EXPECT_GE(accuracy(kme::predict(*backend, argmax_model, data.test.cview()), data.test_labels.y), 0.8);
  // Asked for from the start, argmax refuses the fit itself rather than return a model that
  // cannot predict (nor be saved and loaded).
  kme::TrainConfig argmax_config = config;
  argmax_config.options.predictor = kme::Predictor::argmax;
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { kme::train(*backend, data.train.cview(), data.train_labels, class_names(3), argmax_config); },
      {"--predict argmax", options.max_layers == 0 ? "--max-layers 0 grows none" : "the fit accepted no layer"}));
  argmax_config.options.max_layers = 0;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { argmax_config.options.validate(); }, {"--max-layers 0 grows none"}));
}

TEST(CpuKmeZeroLayers, InitialHsicOfOneCannotBeBeaten) {
  // The normalised HSIC is <= 1 and acceptance is strict: no layer can be accepted.
  LWNET_SEEDED_RANDOM(rng);
  kme::KmeOptions options;
  options.initial_hsic = 1.0;
  expect_zero_layer_model(options, rng);
}

TEST(CpuKmeZeroLayers, MaxLayersZero) {
  LWNET_SEEDED_RANDOM(rng);
  kme::KmeOptions options;
  options.max_layers = 0;
  expect_zero_layer_model(options, rng);
}

// ---- prediction --------------------------------------------------------------------------------

// The reference protocol on wine fold 8 with the given standardisation.
kme::KmeModel wine_fold8_model(Backend& backend, const Fold& fold, StandardizeMode standardize) {
  const LabelEncoding enc = encode_labels(fold.train.labels);
  kme::TrainConfig config = reference_protocol();
  config.standardize = standardize;
  return kme::train(backend, fold.train.X.cview(), enc.labels, enc.classes, config);
}

TEST(CpuKmePredict, AOneRowBatchPredictsAsInsideALargerBatch) {
  // StandardizeMode::train (the product default): every row is preprocessed with the stored
  // training statistics, so a row's outputs cannot depend on the batch around it.
  const Fold fold = read_fold(fold_stem("wine"), 8);
  auto backend = training_backend();
  const kme::KmeModel model = wine_fold8_model(*backend, fold, StandardizeMode::train);
  ASSERT_GE(model.layers.size(), 1u);
  const Matrix<float> all = kme::transform(*backend, model, fold.test.X.cview());
  const std::vector<int> predicted = kme::predict(*backend, model, fold.test.X.cview());
  for (std::int64_t i = 0; i < fold.test.X.rows(); ++i) {
    const MatrixView<const float> row = fold.test.X.cview().row_range(i, 1);
    const Matrix<float> one = kme::transform(*backend, model, row);
    ASSERT_EQ(one.cols(), all.cols());
    for (std::int64_t j = 0; j < all.cols(); ++j)
      EXPECT_TRUE(same_bits(one(0, j), all(i, j))) << "row " << i << ", column " << j << ": " << one(0, j) << " vs " << all(i, j);
    EXPECT_EQ(kme::predict(*backend, model, row), std::vector<int>{predicted[static_cast<std::size_t>(i)]}) << "row " << i;
  }
  EXPECT_GE(accuracy(predicted, encode_with(model.classes, fold.test.labels)), 0.8);
}

TEST(CpuKmePredict, SeparateStandardisationRefusesAOneRowBatch) {
  // --standardize separate: a batch uses its own statistics, and a single row would map to all
  // zeros whatever its values (one class for every row predicted alone): refused, not guessed.
  const Fold fold = read_fold(fold_stem("wine"), 8);
  auto backend = training_backend();
  const kme::KmeModel model = wine_fold8_model(*backend, fold, StandardizeMode::separate);
  const MatrixView<const float> row = fold.test.X.cview().row_range(0, 1);
  try {
    kme::predict(*backend, model, row);
    FAIL() << "a one-row batch was standardised by its own statistics";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("at least 2 rows; got 1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(kme::predict(*backend, model, fold.test.X.cview().row_range(0, 2)).size(), 2u);
}

TEST(CpuKmePredict, MeanAndArgmaxPredictors) {
  LWNET_SEEDED_RANDOM(rng);
  const Clusters data = make_clusters(rng, 90, 30, 4, 3, 0.5);
  kme::TrainConfig config;
  config.options.predictor = kme::Predictor::mean;
  auto backend = training_backend();
  kme::KmeModel model = kme::train(*backend, data.train.cview(), data.train_labels, class_names(3), config);
  ASSERT_GE(model.layers.size(), 1u);
  const Matrix<float> out = kme::transform(*backend, model, data.test.cview());
  const int c = 3;

  // Nearest class mean of the training outputs, in float64.
  const std::int64_t width = model.train_outputs.cols();
  std::vector<double> mean(static_cast<std::size_t>(c * width), 0.0);
  const auto counts = data.train_labels.class_counts();
  for (std::int64_t i = 0; i < model.num_train(); ++i) {
    const int y = model.train_labels[static_cast<std::size_t>(i)];
    for (std::int64_t f = 0; f < width; ++f)
      mean[static_cast<std::size_t>(y * width + f)] += model.train_outputs(i, f) / static_cast<double>(counts[static_cast<std::size_t>(y)]);
  }
  std::vector<int> nearest_mean, argmax;
  for (std::int64_t q = 0; q < out.rows(); ++q) {
    double best = INFINITY;
    int best_j = -1;
    for (int j = 0; j < c; ++j) {
      double d2 = 0.0;
      for (std::int64_t f = 0; f < width; ++f) {
        const double diff = out(q, f) - mean[static_cast<std::size_t>(j * width + f)];
        d2 += diff * diff;
      }
      if (d2 < best) best = d2, best_j = j;
    }
    nearest_mean.push_back(best_j);
    int a = 0;
    for (int j = 1; j < c; ++j)
      if (out(q, j) > out(q, a)) a = j;
    argmax.push_back(a);
  }
  const std::vector<int> by_mean = kme::predict(*backend, model, data.test.cview());
  EXPECT_EQ(by_mean, nearest_mean);
  EXPECT_GE(accuracy(by_mean, data.test_labels.y), 0.9);
  model.options.predictor = kme::Predictor::argmax;
  const std::vector<int> by_argmax = kme::predict(*backend, model, data.test.cview());
  EXPECT_EQ(by_argmax, argmax);
  EXPECT_GE(accuracy(by_argmax, data.test_labels.y), 0.9);
}

TEST(CpuKmePredict, ArgmaxLooksAtTheClassColumnsOnly) {
  LWNET_SEEDED_RANDOM(rng);
  const kme::KmeModel model = hand_built_model(rng, kme::Predictor::argmax);
  const Matrix<float> Z = rng.uniform_matrix(50, 4);
  auto backend = training_backend();
  const Matrix<float> out = kme::transform(*backend, model, Z.cview());
  std::vector<int> expected;
  int overall_on_extra = 0;
  for (std::int64_t q = 0; q < out.rows(); ++q) {
    int a = 0;
    for (int j = 1; j < 3; ++j)
      if (out(q, j) > out(q, a)) a = j;
    expected.push_back(a);
    for (int j = 3; j < 5; ++j) overall_on_extra += out(q, j) > out(q, a) ? 1 : 0;
  }
  ASSERT_GT(overall_on_extra, 0) << "no row's overall argmax is an extra column: the test would not discriminate";
  EXPECT_EQ(kme::predict(*backend, model, Z.cview()), expected);
  EXPECT_EQ(kme::predict_from_outputs(*backend, model, out.cview()), expected);
}

// A model without layers whose k-NN reference is `outputs` (so Z^L = Z^0 = the given points).
kme::KmeModel knn_only_model(const std::vector<std::vector<float>>& outputs, const std::vector<int>& y, int k) {
  kme::KmeModel model;
  model.options.knn_k = k;
  model.standardize = StandardizeMode::none;
  model.input_dim = static_cast<std::int64_t>(outputs[0].size());
  model.classes = class_names(1 + *std::max_element(y.begin(), y.end()));
  model.train_labels = y;
  model.train_outputs = from_rows(outputs);
  return model;
}

TEST(CpuKmePredict, KnnTieRules) {
  // Spec 1.4: equal distances -> the lower training index first; tied votes -> the smallest label.
  auto backend = training_backend();
  // Rows 0 (class 1) and 1 (class 0) are equally far from the query (0.5, 0).
  const Matrix<float> q = from_rows({{0.5f, 0.0f}});
  EXPECT_EQ(kme::predict(*backend, knn_only_model({{0, 0}, {1, 0}, {5, 5}}, {1, 0, 0}, 1), q.cview()), std::vector<int>{1})
      << "k = 1: the lower index (row 0, class 1) wins the distance tie";
  EXPECT_EQ(kme::predict(*backend, knn_only_model({{1, 0}, {0, 0}, {5, 5}}, {0, 1, 1}, 1), q.cview()), std::vector<int>{0})
      << "k = 1, rows swapped: row 0 is class 0 now";
  EXPECT_EQ(kme::predict(*backend, knn_only_model({{0, 0}, {1, 0}, {5, 5}}, {1, 0, 1}, 2), q.cview()), std::vector<int>{0})
      << "k = 2: one vote each, the smallest label wins";
  // k = 3 over classes 0..2, one vote each, the smallest label (0) sitting farthest away.
  EXPECT_EQ(kme::predict(*backend, knn_only_model({{0.4f, 0}, {0.7f, 0}, {2, 0}, {9, 9}}, {2, 1, 0, 2}, 3), q.cview()),
            std::vector<int>{0});
  // The k-th place tied between a class-0 row (index 3) and a class-1 row (index 2): index 2 is
  // taken, so class 1 has two votes against one.
  EXPECT_EQ(kme::predict(*backend, knn_only_model({{0.5f, 0}, {9, 9}, {0.5f, 1}, {0.5f, -1}}, {0, 1, 1, 0}, 2), q.cview()),
            std::vector<int>{0})
      << "k = 2: row 0 (distance 0) then row 2 (lower index than row 3): one vote each, smallest label";
  EXPECT_EQ(kme::predict(*backend, knn_only_model({{0.5f, 0.1f}, {9, 9}, {0.5f, 1}, {0.5f, -1}, {0.5f, 0.2f}}, {1, 1, 1, 0, 0}, 3),
                         q.cview()),
            std::vector<int>{1})
      << "k = 3: rows 0, 4, then row 2 of the tied pair 2/3: class 1 two votes";
  // A finite test value so large that every squared distance overflows to +inf: all distances
  // tie, so the first k rows vote (k = 1: row 0's class 1; k = 3: rows 0-2, classes 1, 0, 0).
  const Matrix<float> far = from_rows({{1e30f, 0.0f}});
  EXPECT_EQ(kme::predict(*backend, knn_only_model({{0, 0}, {1, 0}, {5, 5}, {2, 2}}, {1, 0, 0, 1}, 1), far.cview()),
            std::vector<int>{1});
  EXPECT_EQ(kme::predict(*backend, knn_only_model({{0, 0}, {1, 0}, {5, 5}, {2, 2}}, {1, 0, 0, 1}, 3), far.cview()),
            std::vector<int>{0});
}

TEST(CpuKmePredict, StringLabelsRoundTripThroughTheClasses) {
  LWNET_SEEDED_RANDOM(rng);
  const Clusters data = make_clusters(rng, 60, 1, 3, 3, 0.3);
  const char* names[] = {"b", "a", "c"};  // cluster 0 is "b", 1 is "a", 2 is "c"
  std::vector<std::string> raw;
  for (int y : data.train_labels.y) raw.push_back(names[y]);
  const LabelEncoding enc = encode_labels(raw);
  EXPECT_EQ(enc.classes, (std::vector<std::string>{"a", "b", "c"}));
  auto backend = training_backend();
  const kme::KmeModel model = kme::train(*backend, data.train.cview(), enc.labels, enc.classes, kme::TrainConfig{});
  EXPECT_EQ(model.classes, (std::vector<std::string>{"a", "b", "c"}));
  const std::vector<int> predicted = kme::predict(*backend, model, data.train.cview());
  std::size_t correct = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) correct += model.classes[static_cast<std::size_t>(predicted[i])] == raw[i] ? 1 : 0;
  EXPECT_GE(static_cast<double>(correct) / static_cast<double>(raw.size()), 0.95);
}

TEST(CpuKmePredict, AModelFromFitKmePredictsItsOwnInputSpace) {
  // fit_kme takes already-preprocessed data: its model must predict (and save) without any
  // preprocessing of its own, i.e. transform(X) of the training data reproduces Z^L.
  LWNET_SEEDED_RANDOM(rng);
  const Clusters data = make_clusters(rng, 40, 10, 3, 3, 0.4);
  auto backend = training_backend();
  const kme::KmeModel model = kme::fit_kme(*backend, data.train.cview(), data.train_labels, class_names(3), kme::KmeOptions{});
  ASSERT_FALSE(model.layers.empty());
  EXPECT_STREQ(to_string(model.standardize), "none");
  EXPECT_TRUE(same_matrix(kme::preprocess(model, data.test.cview()), host_copy(data.test.cview())));
  std::vector<int> predicted;
  ASSERT_NO_THROW(predicted = kme::predict(*backend, model, data.test.cview()));
  EXPECT_GE(accuracy(predicted, data.test_labels.y), 0.9);
  const std::string path = ::testing::TempDir() + "lwnet_test_fit_kme_model.lwnet";
  kme::save_model(model, path);
  kme::KmeModel loaded;
  EXPECT_NO_THROW(loaded = kme::load_model(path));
  std::remove(path.c_str());
  EXPECT_TRUE(same_model(loaded, model, false));
}

// ---- bad input -----------------------------------------------------------------------------------

TEST(CpuKmeBadInput, TrainingData) {
  LWNET_SEEDED_RANDOM(rng);
  const Clusters data = make_clusters(rng, 30, 5, 3, 3, 0.3);
  auto backend = training_backend();
  Backend& be = *backend;
  const kme::TrainConfig config;
  const Matrix<float>& X = data.train;

  const Labels one_class{std::vector<int>(30, 0), 1};
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::train(be, X.cview(), one_class, {"x"}, config); }, {"single class"}));
  const Labels empty_class{std::vector<int>(30, 0), 2};
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::train(be, X.cview(), empty_class, {"x", "y"}, config); },
                                           {"'y'", "no training samples"}));
  const Labels short_labels{std::vector<int>(data.train_labels.y.begin(), data.train_labels.y.end() - 1), 3};
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::train(be, X.cview(), short_labels, class_names(3), config); },
                                           {"29 labels for 30 samples"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::train(be, X.cview(), data.train_labels, class_names(2), config); },
                                           {"class names"}));
  for (const float bad : {NAN, INFINITY}) {
    Matrix<float> Xbad = host_copy(X.cview());
    Xbad(7, 2) = bad;
    EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::train(be, Xbad.cview(), data.train_labels, class_names(3), config); },
                                             {"X(7, 2)", "not finite"}));
    EXPECT_TRUE(throws_with<InvalidArgument>(
        [&] { kme::fit_kme(be, Xbad.cview(), data.train_labels, class_names(3), config.options); }, {"X(7, 2)"}));
  }
  // k-NN needs k training samples: 4 rows, k = 5.
  const Labels four{{0, 1, 0, 1}, 2};
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::train(be, X.cview().row_range(0, 4), four, {"a", "b"}, config); },
                                           {"k = 5", "got 4"}));
  kme::TrainConfig k4 = config;
  k4.options.knn_k = 4;
  EXPECT_NO_THROW(kme::train(be, X.cview().row_range(0, 4), four, {"a", "b"}, k4));
  kme::TrainConfig noisy = config;
  noisy.noise = -0.1;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::train(be, X.cview(), data.train_labels, class_names(3), noisy); }, {"noise"}));
}

TEST(CpuKmeBadInput, Options) {
  LWNET_SEEDED_RANDOM(rng);
  const Clusters data = make_clusters(rng, 30, 5, 3, 3, 0.3);
  auto backend = training_backend();
  struct Case {
    const char* name;
    void (*set)(kme::KmeOptions&);
  };
  const Case cases[] = {
      {"sigma_count", [](kme::KmeOptions& o) { o.sigma_count = 0; }},
      {"knn_k", [](kme::KmeOptions& o) { o.knn_k = 65; }},
      {"knn_k", [](kme::KmeOptions& o) { o.knn_k = 0; }},
      {"sigma_smallest", [](kme::KmeOptions& o) { o.sigma_smallest = 0.0; }},
      {"sigma_smallest", [](kme::KmeOptions& o) { o.sigma_smallest = -0.05; }},
      {"sigma_smallest", [](kme::KmeOptions& o) { o.sigma_smallest = NAN; }},
      {"max_layers", [](kme::KmeOptions& o) { o.max_layers = -1; }},
  };
  for (const Case& c : cases) {
    kme::TrainConfig config;
    c.set(config.options);
    EXPECT_TRUE(throws_with<InvalidArgument>([&] { config.options.validate(); }, {c.name})) << c.name;
    EXPECT_TRUE(throws_with<InvalidArgument>(
        [&] { kme::train(*backend, data.train.cview(), data.train_labels, class_names(3), config); }, {c.name}))
        << c.name;
  }
  kme::KmeOptions ok;
  ok.knn_k = 64;
  ok.sigma_count = 1;
  EXPECT_NO_THROW(ok.validate());
}

TEST(CpuKmeBadInput, PredictionData) {
  LWNET_SEEDED_RANDOM(rng);
  const Clusters data = make_clusters(rng, 30, 5, 3, 3, 0.3);
  auto backend = training_backend();
  const kme::KmeModel model = kme::train(*backend, data.train.cview(), data.train_labels, class_names(3), kme::TrainConfig{});
  const Matrix<float> wide = rng.uniform_matrix(5, 4);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::predict(*backend, model, wide.cview()); },
                                           {"4 features", "trained on 3"}));
  EXPECT_THROW(kme::transform(*backend, model, wide.cview()), InvalidArgument);
  Matrix<float> nan = host_copy(data.test.cview());
  nan(1, 1) = NAN;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::predict(*backend, model, nan.cview()); }, {"not finite"}));
  const Matrix<float> outputs = Matrix<float>::host(2, model.train_outputs.cols() + 1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { kme::predict_from_outputs(*backend, model, outputs.cview()); }, {"columns"}));
}

}  // namespace
}  // namespace lwnet::test
