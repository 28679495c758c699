// Preprocessing, training entry point and prediction for the closed-form network (spec 1.4-1.5).
#include <algorithm>
#include <cmath>
#include <string>

#include "core/host_copy.hpp"
#include "lwnet/error.hpp"
#include "lwnet/kme.hpp"
#include "train/kme/layer.hpp"

namespace lwnet::kme {

namespace {

// Noise gets its own stream so that turning it on does not move the sigma search's draws.
constexpr std::uint64_t kNoiseSeedSalt = 0x4e4f495345303031ULL;

// Index of the smallest label among the most frequent ones.
int vote(const std::vector<int>& counts) {
  return static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin());
}

std::vector<int> predict_knn(Backend& backend, int k, int num_classes, MatrixView<const float> outputs,
                             MatrixView<const float> reference_outputs, const std::vector<int>& reference_labels) {
  const std::int64_t m = outputs.rows();
  const Matrix<float> queries = backend.upload(outputs);
  const Matrix<float> reference = backend.upload(reference_outputs);
  Matrix<std::int64_t> idx_dev = backend.allocate<std::int64_t>(m, k);
  Matrix<float> dist_dev = backend.allocate<float>(m, k);
  backend.knn(queries.cview(), reference.cview(), k, idx_dev.view(), dist_dev.view());
  const Matrix<std::int64_t> idx = backend.download(idx_dev.cview());
  std::vector<int> predicted(static_cast<std::size_t>(m));
  std::vector<int> counts(static_cast<std::size_t>(num_classes));
  for (std::int64_t q = 0; q < m; ++q) {
    std::fill(counts.begin(), counts.end(), 0);
    for (int j = 0; j < k; ++j) ++counts[static_cast<std::size_t>(reference_labels[static_cast<std::size_t>(idx(q, j))])];
    predicted[static_cast<std::size_t>(q)] = vote(counts);
  }
  return predicted;
}

// Nearest class mean of the reference outputs (float64 means and distances; ties: smallest label).
std::vector<int> predict_mean(int num_classes, MatrixView<const float> outputs, MatrixView<const float> reference,
                              const std::vector<int>& reference_labels) {
  const int c = num_classes;
  const std::int64_t width = reference.cols();
  std::vector<double> mean(static_cast<std::size_t>(c * width), 0.0);
  std::vector<double> count(static_cast<std::size_t>(c), 0.0);
  for (std::int64_t i = 0; i < reference.rows(); ++i) {
    const int y = reference_labels[static_cast<std::size_t>(i)];
    count[static_cast<std::size_t>(y)] += 1.0;
    for (std::int64_t f = 0; f < width; ++f) mean[static_cast<std::size_t>(y * width + f)] += reference(i, f);
  }
  for (int j = 0; j < c; ++j)
    for (std::int64_t f = 0; f < width; ++f) mean[static_cast<std::size_t>(j * width + f)] /= count[static_cast<std::size_t>(j)];
  std::vector<int> predicted(static_cast<std::size_t>(outputs.rows()));
  for (std::int64_t q = 0; q < outputs.rows(); ++q) {
    double best = INFINITY;
    for (int j = 0; j < c; ++j) {
      double d2 = 0.0;
      for (std::int64_t f = 0; f < width; ++f) {
        const double diff = outputs(q, f) - mean[static_cast<std::size_t>(j * width + f)];
        d2 += diff * diff;
      }
      if (d2 < best) best = d2, predicted[static_cast<std::size_t>(q)] = j;
    }
  }
  return predicted;
}

// argmax over the class columns (first maximum wins).
std::vector<int> predict_argmax(int num_classes, MatrixView<const float> outputs) {
  std::vector<int> predicted(static_cast<std::size_t>(outputs.rows()));
  for (std::int64_t q = 0; q < outputs.rows(); ++q) {
    const float* row = outputs.data() + q * outputs.ld();
    predicted[static_cast<std::size_t>(q)] = static_cast<int>(std::max_element(row, row + num_classes) - row);
  }
  return predicted;
}

}  // namespace

KmeModel train(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
               const std::vector<std::string>& classes, const TrainConfig& config, const ProgressCallback& progress) {
  config.options.validate();
  if (!(config.noise >= 0.0) || !std::isfinite(config.noise))
    throw InvalidArgument("train: noise must be finite and >= 0, got " + std::to_string(config.noise));
  Matrix<float> X = detail::checked_host_copy(X_raw, "train");
  if (config.noise > 0.0) {  // on the RAW data, before standardising (the reference protocol)
    Rng rng(config.options.seed ^ kNoiseSeedSalt);
    for (std::int64_t e = 0; e < X.size(); ++e)
      X.data()[e] = static_cast<float>(X.data()[e] + config.noise * rng.normal());
  }
  Standardizer statistics;
  if (config.standardize != StandardizeMode::none) {
    statistics = Standardizer::fit(X.cview());
    statistics.apply(X.view());
  }
  KmeModel model = fit_kme(backend, X.cview(), labels, classes, config.options, progress);
  model.standardize = config.standardize;
  model.noise = config.noise;
  model.statistics = std::move(statistics);
  return model;
}

Matrix<float> preprocess(const KmeModel& model, MatrixView<const float> X_raw) {
  Matrix<float> X = detail::checked_host_copy(X_raw, "predict");
  if (X.cols() != model.input_dim)
    throw InvalidArgument("predict: the data have " + std::to_string(X.cols()) + " features but the model was trained on " +
                          std::to_string(model.input_dim));
  switch (model.standardize) {
    case StandardizeMode::train: model.statistics.apply(X.view()); break;
    case StandardizeMode::separate:
      // A batch's own statistics: a single row has std 0 in every feature and would map to zeros.
      if (X.rows() < Standardizer::kMinRowsOwnStatistics)
        throw InvalidArgument("predict: the model standardises each batch with its own statistics "
                              "(--standardize separate), which needs at least " +
                              std::to_string(Standardizer::kMinRowsOwnStatistics) + " rows; got " +
                              std::to_string(X.rows()) + " (predict the rows together, or train with "
                              "--standardize train)");
      Standardizer::fit(X.cview()).apply(X.view());
      break;
    case StandardizeMode::none: break;
  }
  return X;
}

Matrix<float> transform(Backend& backend, const KmeModel& model, MatrixView<const float> X_raw) {
  const Matrix<float> X = preprocess(model, X_raw);
  Matrix<float> z = backend.upload(X.cview());
  const int c = model.num_classes();
  Matrix<float> z_host;
  for (const KmeLayer& layer : model.layers) {
    const Matrix<float> reference = backend.upload(layer.input.cview());
    const Matrix<float> weights =
        backend.upload(kme::indicator_weights(model.train_labels, c, layer.extra_rows).cview());
    const Matrix<double> U = kme::kernel_sums(backend, z.cview(), reference.cview(), weights.cview(), layer.sigma);
    z_host = kme::normalise_class_columns(U, layer.rho);
    z = backend.upload(z_host.cview());
  }
  if (model.layers.empty()) return backend.download(z.cview());
  return z_host;
}

std::vector<int> predict_from_outputs(Backend& backend, const KmeModel& model, MatrixView<const float> outputs) {
  if (outputs.cols() != model.train_outputs.cols())
    throw InvalidArgument("predict: outputs have " + std::to_string(outputs.cols()) + " columns, the model's last layer " +
                          std::to_string(model.train_outputs.cols()));
  if (model.options.predictor == Predictor::argmax && model.layers.empty())
    throw InvalidArgument("predict: --predict argmax needs at least one layer (the model has none)");
  return kme::predict_outputs(backend, model.options.predictor, model.options.knn_k, model.num_classes(), outputs,
                              model.train_outputs.cview(), model.train_labels);
}

std::vector<int> predict(Backend& backend, const KmeModel& model, MatrixView<const float> X_raw) {
  const Matrix<float> outputs = transform(backend, model, X_raw);
  return predict_from_outputs(backend, model, outputs.cview());
}

std::vector<int> predict_outputs(Backend& backend, Predictor predictor, int knn_k, int num_classes,
                                 MatrixView<const float> outputs, MatrixView<const float> reference,
                                 const std::vector<int>& reference_labels) {
  switch (predictor) {
    case Predictor::knn: return predict_knn(backend, knn_k, num_classes, outputs, reference, reference_labels);
    case Predictor::mean: return predict_mean(num_classes, outputs, reference, reference_labels);
    case Predictor::argmax: return predict_argmax(num_classes, outputs);
  }
  return {};
}

}  // namespace lwnet::kme
