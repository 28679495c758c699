// Growing the closed-form network (spec 1.3), written once against Backend.
//
//   H_prev = initial_hsic; Z = Z^0; G = grid(opt_sigma(Z^0, y, 0.1))
//   for l = 1 .. max_layers:
//     for s in G: Z_cand = K_s(Z, Z) B_s; s_beta = opt_sigma(Z_cand, y, 0.01);
//                 H = normalised HSIC (code) of K_{s_beta}(Z_cand) against Y Y^T
//                 accept the first s with H > H_prev: Z = Z_cand, H_prev = H, G = grid(s_beta)
//     stop if nothing was accepted, the accepted s is the grid's last (s_smallest), or H_prev > threshold
// All n training rows go through every candidate; the host only sees the scalars it decides on
// and the accepted layer's output (kept in the model).
#include <chrono>
#include <string>

#include "lwnet/error.hpp"
#include "lwnet/network.hpp"
#include "train/kme/layer.hpp"
#include "train/kme/sigma_search.hpp"

namespace lwnet {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void check_training_data(MatrixView<const float> X, const Labels& labels, const std::vector<std::string>& classes,
                         const KmeOptions& options) {
  const char* op = "fit";
  options.validate();
  labels.validate(X.rows(), op);
  if (static_cast<int>(classes.size()) != labels.num_classes)
    throw InvalidArgument(std::string(op) + ": " + std::to_string(classes.size()) + " class names for " +
                          std::to_string(labels.num_classes) + " classes");
  const auto counts = labels.class_counts();
  for (std::size_t j = 0; j < counts.size(); ++j)
    if (counts[j] == 0)
      throw InvalidArgument(std::string(op) + ": class '" + classes[j] + "' has no training samples");
  if (labels.num_classes < 2)
    throw InvalidArgument(std::string(op) + ": the training labels hold a single class ('" + classes.front() +
                          "'); the network needs at least two");
  if (options.predictor == Predictor::knn && options.knn_k > X.rows())
    throw InvalidArgument(std::string(op) + ": k-NN with k = " + std::to_string(options.knn_k) + " needs at least " +
                          std::to_string(options.knn_k) + " training samples, got " + std::to_string(X.rows()));
}

}  // namespace

KmeModel fit_kme(Backend& backend, MatrixView<const float> X, const Labels& labels,
                 const std::vector<std::string>& classes, const KmeOptions& options,
                 const ProgressCallback& progress) {
  Matrix<float> z_host = kme::checked_host_copy(X, "fit");  // Z^{l-1} on the host (stored in the model)
  check_training_data(X, labels, classes, options);
  const auto fit_start = Clock::now();
  KmeModel model;
  model.options = options;
  model.standardize = StandardizeMode::none;  // X is already preprocessed; train() records its own mode
  model.input_dim = X.cols();
  model.classes = classes;
  model.train_labels = labels.y;
  const int c = labels.num_classes;

  Rng rng(options.seed);
  Matrix<float> z_dev = backend.upload(z_host.cview());  // and on the backend
  double h_prev = options.initial_hsic;
  std::vector<double> grid =
      kme::candidate_grid(kme::opt_sigma(backend, z_dev.cview(), labels, options.input_sigma_floor, rng,
                                         options.sigma_sample),
                          options.sigma_smallest, options.sigma_count);

  std::string stop_reason = "reached --max-layers " + std::to_string(options.max_layers);
  for (int l = 1; l <= options.max_layers; ++l) {
    const auto layer_start = Clock::now();
    const kme::ExtraColumns extra = kme::plan_extra_columns(z_host.cview(), labels, X.cols(), options.extra_columns);
    bool accepted = false;
    bool accepted_last = false;
    for (std::size_t g = 0; g < grid.size(); ++g) {
      const double sigma = grid[g];
      const std::vector<double> rho = kme::layer_rho(backend, z_dev.cview(), labels, sigma, options);
      const Matrix<float> B = backend.upload(kme::layer_weights(labels.y, c, rho, extra.rows).cview());
      Matrix<float> z_cand = backend.allocate<float>(X.rows(), B.cols());
      backend.kernel_matmul(z_dev.cview(), z_dev.cview(), B.cview(), GramParams::gaussian(sigma), z_cand.view());
      const double sigma_beta =
          kme::opt_sigma(backend, z_cand.cview(), labels, options.layer_sigma_floor, rng, options.sigma_sample);
      const double h = hsic_labels(backend, z_cand.cview(), labels, GramParams::gaussian(sigma_beta),
                                   HsicNormalization::code).normalized;
      if (progress) {
        LayerProgress tried;
        tried.event = LayerProgress::Event::width_tried;
        tried.layer = l;
        tried.width = static_cast<int>(g) + 1;
        tried.widths = static_cast<int>(grid.size());
        tried.sigma = sigma;
        tried.hsic = h;
        tried.layer_seconds = seconds_since(layer_start);
        progress(tried);
      }
      if (!(h > h_prev)) continue;

      KmeLayer layer;
      layer.sigma = sigma;
      layer.sigma_beta = sigma_beta;
      layer.hsic = h;
      layer.candidates_tried = static_cast<int>(g) + 1;
      layer.rho = rho;
      layer.extra_classes = extra.classes;
      layer.extra_rows = extra.rows;
      layer.input = std::move(z_host);
      z_host = backend.download(z_cand.cview());
      z_dev = std::move(z_cand);
      layer.seconds = seconds_since(layer_start);
      model.layers.push_back(std::move(layer));
      if (progress) {
        LayerProgress done;
        done.event = LayerProgress::Event::layer_accepted;
        done.layer = l;
        done.accepted = &model.layers.back();
        progress(done);
      }

      h_prev = h;
      accepted = true;
      accepted_last = sigma == options.sigma_smallest;  // the grid ends exactly at s_smallest
      grid = kme::candidate_grid(sigma_beta, options.sigma_smallest, options.sigma_count);
      break;
    }
    if (!accepted) {
      stop_reason = "no width improved the normalised HSIC " + std::to_string(h_prev);
      break;
    }
    if (accepted_last) {
      stop_reason = "the accepted width is the smallest candidate (" + std::to_string(options.sigma_smallest) + ")";
      break;
    }
    if (h_prev > options.hsic_threshold) {
      stop_reason = "normalised HSIC " + std::to_string(h_prev) + " exceeds --hsic-threshold " +
                    std::to_string(options.hsic_threshold);
      break;
    }
  }
  if (model.layers.empty())
    stop_reason += "; no layer was accepted: the model predicts from the preprocessed input";
  model.train_outputs = std::move(z_host);
  model.fit_seconds = seconds_since(fit_start);
  if (progress) {
    LayerProgress stopped;
    stopped.event = LayerProgress::Event::stopped;
    stopped.layer = static_cast<int>(model.layers.size());
    stopped.stop_reason = stop_reason;
    progress(stopped);
  }
  return model;
}

}  // namespace lwnet
