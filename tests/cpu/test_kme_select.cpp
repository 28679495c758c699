// Selection::validation (train/kme/select_validation.cpp): the stratified split, the choice of
// each layer's width by the held-out score and the stop rule (checked step by step against the
// library's own tested pieces: kernel sums, rho, the predictors), the refit on all rows, the
// model file, determinism across seeds and thread counts, end to end on the wine folds, and bad
// input.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kme_models.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/io.hpp"
#include "lwnet/kme.hpp"
#include "test_data.hpp"
#include "train/kme/growth.hpp"
#include "train/kme/layer.hpp"
#include "train/kme/select_validation.hpp"
#include "train/kme/sigma_search.hpp"

namespace lwnet::test {
namespace {

std::vector<std::string> names(int c) {
  std::vector<std::string> out;
  for (int j = 0; j < c; ++j) out.push_back("class" + std::to_string(j));
  return out;
}

// Overlapping clusters (class j around 1.5 e_j, unit spread): neither trivial nor hopeless, so
// widths score differently on held-out rows.
Matrix<float> overlapping_clusters(TestRandom& rng, const Labels& labels, std::int64_t d) {
  Matrix<float> X = Matrix<float>::host(static_cast<std::int64_t>(labels.y.size()), d);
  for (std::int64_t i = 0; i < X.rows(); ++i)
    for (std::int64_t f = 0; f < d; ++f)
      X(i, f) = static_cast<float>((f == labels.y[static_cast<std::size_t>(i)] ? 1.5 : 0.0) + rng.normal());
  return X;
}

kme::KmeOptions validation_options(int max_layers = 29) {
  kme::KmeOptions o;
  o.selection = kme::Selection::validation;
  o.max_layers = max_layers;
  o.seed = 11;
  return o;
}

TEST(CpuKmeSelect, StratifiedSplitHoldsOutRoundedFractionsOfEveryClass) {
  LWNET_SEEDED_RANDOM(rng);
  Labels labels = rng.labels(500, 4);
  labels.y.push_back(4);                       // a class of one sample: it stays in the fit part
  labels.y.push_back(5), labels.y.push_back(5);  // a class of two: round(0.2 * 2) = 0 held out
  labels.num_classes = 6;
  const kme::HeldOutSplit split = kme::stratified_split(labels, 0.2, 7);
  EXPECT_TRUE(std::is_sorted(split.fit.begin(), split.fit.end()));
  EXPECT_TRUE(std::is_sorted(split.held_out.begin(), split.held_out.end()));
  std::vector<std::int64_t> all = split.fit;
  all.insert(all.end(), split.held_out.begin(), split.held_out.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), labels.y.size());
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<std::int64_t>(i)) << "a partition";
  const auto counts = labels.class_counts();
  std::vector<std::int64_t> held(6, 0);
  for (std::int64_t i : split.held_out) ++held[static_cast<std::size_t>(labels.y[static_cast<std::size_t>(i)])];
  for (std::size_t j = 0; j < 6; ++j)
    EXPECT_EQ(held[j], std::min<std::int64_t>(std::llround(0.2 * static_cast<double>(counts[j])), counts[j] - 1))
        << "class " << j;
  EXPECT_EQ(kme::stratified_split(labels, 0.2, 7).held_out, split.held_out) << "seeded";
  EXPECT_NE(kme::stratified_split(labels, 0.2, 8).held_out, split.held_out) << "another seed, another split";
}

TEST(CpuKmeSelect, TheFirstLayerTakesTheBestHeldOutWidthOrNone) {
  // max_layers 1: select_by_validation against the decision rebuilt from the library's pieces
  // (each tested on its own): the raw input's held-out k-NN accuracy, then every width of the
  // grid fitted on the fit rows and scored on the held-out ones; the first best (accuracy, then
  // held-out HSIC) is kept only if it beats the input strictly.
  LWNET_SEEDED_RANDOM(rng);
  const Labels labels = rng.labels(240, 3);
  const Matrix<float> X = overlapping_clusters(rng, labels, 6);
  const kme::KmeOptions options = validation_options(1);
  auto backend = training_backend();
  const kme::ValidationChoice choice = kme::select_by_validation(*backend, X.cview(), labels, options, {});

  const kme::HeldOutSplit split = kme::stratified_split(labels, options.validation_fraction, options.seed);
  Labels fit_labels{{}, 3}, held_labels{{}, 3};
  Matrix<float> fit = Matrix<float>::host(static_cast<std::int64_t>(split.fit.size()), 6);
  Matrix<float> held = Matrix<float>::host(static_cast<std::int64_t>(split.held_out.size()), 6);
  for (std::size_t r = 0; r < split.fit.size(); ++r) {
    fit_labels.y.push_back(labels.y[static_cast<std::size_t>(split.fit[r])]);
    for (std::int64_t f = 0; f < 6; ++f) fit(static_cast<std::int64_t>(r), f) = X(split.fit[r], f);
  }
  for (std::size_t r = 0; r < split.held_out.size(); ++r) {
    held_labels.y.push_back(labels.y[static_cast<std::size_t>(split.held_out[r])]);
    for (std::int64_t f = 0; f < 6; ++f) held(static_cast<std::int64_t>(r), f) = X(split.held_out[r], f);
  }
  const auto accuracy_of = [&](const Matrix<float>& fit_out, const Matrix<float>& held_out) {
    const std::vector<int> predicted =
        kme::predict_outputs(*backend, kme::Predictor::knn, 5, 3, held_out.cview(), fit_out.cview(), fit_labels.y);
    return accuracy(predicted, held_labels.y);
  };
  const double input_accuracy = accuracy_of(fit, held);
  ASSERT_FALSE(choice.held_out_accuracy.empty());
  EXPECT_EQ(choice.held_out_accuracy[0], input_accuracy) << "layer 0: k-NN on the input";

  Rng rng_lib(options.seed);
  const Matrix<float> fit_dev = backend->upload(fit.cview());
  const Matrix<float> held_dev = backend->upload(held.cview());
  const double s_start = kme::opt_sigma(*backend, fit_dev.cview(), fit_labels, options.input_sigma_floor, rng_lib,
                                        options.sigma_sample);
  const double input_hsic =
      hsic_labels(*backend, held_dev.cview(), held_labels, GramParams::gaussian(s_start), HsicNormalization::code).normalized;
  const std::vector<double> grid = kme::candidate_grid(s_start, options.sigma_smallest, options.sigma_count);
  const Matrix<float> W = backend->upload(kme::indicator_weights(fit_labels.y, 3, {}).cview());
  double best_accuracy = -1.0, best_hsic = -1.0, best_sigma = 0.0;
  for (double sigma : grid) {
    const Matrix<double> U_fit = kme::kernel_sums(*backend, fit_dev.cview(), fit_dev.cview(), W.cview(), sigma);
    const Matrix<double> U_held = kme::kernel_sums(*backend, held_dev.cview(), fit_dev.cview(), W.cview(), sigma);
    const std::vector<double> rho = kme::exact_rho(U_fit, fit_labels);
    const Matrix<float> fit_out = kme::normalise_class_columns(U_fit, rho);
    const Matrix<float> held_out = kme::normalise_class_columns(U_held, rho);
    const Matrix<float> fit_out_dev = backend->upload(fit_out.cview());
    const Matrix<float> held_out_dev = backend->upload(held_out.cview());
    const double sigma_beta = kme::opt_sigma(*backend, fit_out_dev.cview(), fit_labels, options.layer_sigma_floor,
                                             rng_lib, options.sigma_sample);
    const double acc = accuracy_of(fit_out, held_out);
    const double h = hsic_labels(*backend, held_out_dev.cview(), held_labels, GramParams::gaussian(sigma_beta),
                                 HsicNormalization::code)
                         .normalized;
    if (acc > best_accuracy || (acc == best_accuracy && h > best_hsic)) best_accuracy = acc, best_hsic = h, best_sigma = sigma;
  }
  const bool beats_input = best_accuracy > input_accuracy || (best_accuracy == input_accuracy && best_hsic > input_hsic);
  if (beats_input) {
    ASSERT_EQ(choice.sigmas, std::vector<double>{best_sigma});
    EXPECT_EQ(choice.held_out_accuracy, (std::vector<double>{input_accuracy, best_accuracy}));
    EXPECT_EQ(choice.widths_tried, std::vector<int>{static_cast<int>(grid.size())});
  } else {
    EXPECT_TRUE(choice.sigmas.empty()) << "no width beat the input: no layer";
  }
  std::printf("input accuracy %.4f, best width %.4g with %.4f: %s\n", input_accuracy, best_sigma, best_accuracy,
              beats_input ? "one layer" : "no layer");
}

TEST(CpuKmeSelect, TheModelRefitsTheChosenWidthsOnAllRows) {
  LWNET_SEEDED_RANDOM(rng);
  const Labels labels = rng.labels(300, 3);
  const Matrix<float> X = overlapping_clusters(rng, labels, 5);
  const kme::KmeOptions options = validation_options();
  auto backend = training_backend();
  const kme::ValidationChoice choice = kme::select_by_validation(*backend, X.cview(), labels, options, {});
  const kme::KmeModel model = kme::fit_kme(*backend, X.cview(), labels, names(3), options);
  ASSERT_EQ(model.layers.size(), choice.sigmas.size());
  EXPECT_EQ(model.held_out_accuracy, choice.held_out_accuracy);
  for (std::size_t l = 1; l < choice.held_out_accuracy.size(); ++l)
    EXPECT_GE(choice.held_out_accuracy[l], choice.held_out_accuracy[l - 1]) << "a layer is kept only if it does not lose";
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    EXPECT_EQ(model.layers[l].sigma, choice.sigmas[l]);
    EXPECT_EQ(model.layers[l].candidates_tried, choice.widths_tried[l]);
    EXPECT_EQ(model.layers[l].input.rows(), 300) << "refitted on all training rows";
  }
  // Layer 1 is the paper's layer of that width on all rows: its rho from the kernel sums of X.
  if (!model.layers.empty()) {
    const Matrix<float> Xd = backend->upload(X.cview());
    const Matrix<float> W = backend->upload(kme::indicator_weights(labels.y, 3, {}).cview());
    const Matrix<double> U = kme::kernel_sums(*backend, Xd.cview(), Xd.cview(), W.cview(), model.layers[0].sigma);
    EXPECT_EQ(model.layers[0].rho, kme::exact_rho(U, labels));
  }
  EXPECT_EQ(model.train_outputs.rows(), 300);
}

TEST(CpuKmeSelect, DeterministicForASeedAndTheThreadCount) {
  LWNET_SEEDED_RANDOM(rng);
  const Labels labels = rng.labels(400, 4);
  const Matrix<float> X = overlapping_clusters(rng, labels, 40);  // d >= 32: the shared-distance path
  const kme::KmeOptions options = validation_options(3);
  const kme::KmeModel one = kme::fit_kme(*make_cpu_backend(1), X.cview(), labels, names(4), options);
  const kme::KmeModel many = kme::fit_kme(*make_cpu_backend(4), X.cview(), labels, names(4), options);
  EXPECT_TRUE(same_model(one, many, false));
  EXPECT_EQ(one.held_out_accuracy, many.held_out_accuracy);
}

TEST(CpuKmeSelect, ModelFilesKeepTheRuleAndOlderFilesReadAsThePapersRule) {
  LWNET_SEEDED_RANDOM(rng);
  const Labels labels = rng.labels(120, 3);
  const Matrix<float> X = overlapping_clusters(rng, labels, 4);
  kme::KmeOptions options = validation_options(2);
  options.validation_fraction = 0.3;
  auto backend = training_backend();
  kme::TrainConfig config;
  config.options = options;
  const kme::KmeModel model = kme::train(*backend, X.cview(), labels, names(3), config);
  const std::string path = ::testing::TempDir() + "lwnet_select_model.safetensors";
  kme::save_model(model, path);
  const kme::KmeModel loaded = kme::load_model(path);
  EXPECT_EQ(loaded.options.selection, kme::Selection::validation);
  EXPECT_EQ(loaded.options.validation_fraction, 0.3);
  EXPECT_TRUE(same_model(model, loaded, false));

  // The same file without the two hyperparameters, as lwnet wrote them before the rule existed.
  std::ifstream in(path, std::ios::binary);
  const std::string blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::uint64_t length = 0;
  for (int b = 7; b >= 0; --b) length = (length << 8) | static_cast<unsigned char>(blob[static_cast<std::size_t>(b)]);
  nlohmann::json header = nlohmann::json::parse(blob.substr(8, length));
  nlohmann::json hyper = nlohmann::json::parse(header["__metadata__"]["hyperparameters"].get<std::string>());
  hyper.erase("selection");
  hyper.erase("validation_fraction");
  header["__metadata__"]["hyperparameters"] = hyper.dump();
  const std::string text = header.dump();
  std::string old_file;
  for (int b = 0; b < 8; ++b) old_file.push_back(static_cast<char>((text.size() >> (8 * b)) & 0xff));
  old_file += text + blob.substr(8 + length);
  const std::string old_path = ::testing::TempDir() + "lwnet_select_model_old.safetensors";
  std::ofstream(old_path, std::ios::binary) << old_file;
  const kme::KmeModel old = kme::load_model(old_path);
  EXPECT_EQ(old.options.selection, kme::Selection::hsic);
  EXPECT_EQ(old.options.validation_fraction, kme::KmeOptions().validation_fraction);
  EXPECT_EQ(kme::predict(*backend, old, X.cview()), kme::predict(*backend, model, X.cview())) << "the network itself is unchanged";
}

TEST(CpuKmeSelect, WineFoldsGeneraliseAsWellAsThePapersRule) {
  // The committed wine folds with the product defaults (train statistics, exact rho): the
  // validation rule must stay within the reference's criterion (0.94 - 0.05).
  auto backend = training_backend();
  double sum = 0.0;
  for (int k = 1; k <= 10; ++k) {
    const Fold fold = read_fold(fold_stem("wine"), k);
    const LabelEncoding enc = encode_labels(fold.train.labels);
    kme::TrainConfig config;
    config.options.selection = kme::Selection::validation;
    const kme::KmeModel model = kme::train(*backend, fold.train.X.cview(), enc.labels, enc.classes, config);
    sum += accuracy(kme::predict(*backend, model, fold.test.X.cview()), encode_with(model.classes, fold.test.labels));
  }
  EXPECT_GE(sum / 10.0, 0.94 - 0.05);
}

TEST(CpuKmeSelect, BadInputIsNamed) {
  auto backend = training_backend();
  // Two samples a class: round(0.2 * 2) = 0 held out of each.
  const Labels labels{{0, 0, 1, 1, 2, 2}, 3};
  const Matrix<float> X = Matrix<float>::host(6, 2);
  kme::KmeOptions options = validation_options();
  options.knn_k = 1;
  try {
    kme::fit_kme(*backend, X.cview(), labels, names(3), options);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("leaves no held-out sample"), std::string::npos) << e.what();
  }
  options.validation_fraction = 0.7;
  try {
    options.validate();
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("--validation-fraction"), std::string::npos) << e.what();
  }
  EXPECT_THROW(kme::parse_selection("holdout"), InvalidArgument);
  EXPECT_EQ(kme::parse_selection("validation"), kme::Selection::validation);
}

}  // namespace
}  // namespace lwnet::test
