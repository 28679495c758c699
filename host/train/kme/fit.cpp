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
// Selection::validation (select_validation.hpp) picks the widths on a held-out split instead;
// they are then refitted here on all training rows, layer by layer, as the paper's rule builds them.
#include <chrono>
#include <limits>
#include <string>

#include "core/host_copy.hpp"
#include "lwnet/error.hpp"
#include "lwnet/kme.hpp"
#include "train/kme/growth.hpp"
#include "train/kme/layer.hpp"
#include "train/kme/select_validation.hpp"
#include "train/kme/sigma_search.hpp"

namespace lwnet::kme {

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

// Appends the built layer to the model (its input: the representation it was built on) and
// reports it; returns the layer's output, the next layer's input.
kme::Representation append_layer(KmeModel& model, kme::Representation input, kme::BuiltLayer built,
                                 const kme::ExtraColumns& extra, int widths_tried, Clock::time_point layer_start,
                                 const ProgressCallback& progress) {
  KmeLayer layer;
  layer.sigma = built.sigma;
  layer.sigma_beta = built.sigma_beta;
  layer.hsic = built.hsic;
  layer.candidates_tried = widths_tried;
  layer.rho = std::move(built.rho);
  layer.extra_classes = extra.classes;
  layer.extra_rows = extra.rows;
  layer.input = std::move(input.host);
  layer.seconds = seconds_since(layer_start);
  model.layers.push_back(std::move(layer));
  if (progress) {
    LayerProgress done;
    done.event = LayerProgress::Event::layer_accepted;
    done.layer = static_cast<int>(model.layers.size());
    done.accepted = &model.layers.back();
    progress(done);
  }
  return std::move(built.output);
}

// The paper's rule (spec 1.3); returns why growing stopped.
std::string grow_by_hsic(Backend& backend, KmeModel& model, kme::Representation& z, const Labels& labels,
                         const KmeOptions& options, Rng& rng, const ProgressCallback& progress) {
  const int c = labels.num_classes;
  double h_prev = options.initial_hsic;
  std::vector<double> grid = kme::candidate_grid(
      kme::opt_sigma(backend, z.device.cview(), labels, options.input_sigma_floor, rng, options.sigma_sample),
      options.sigma_smallest, options.sigma_count);
  for (int l = 1; l <= options.max_layers; ++l) {
    const auto layer_start = Clock::now();
    const kme::ExtraColumns extra = kme::plan_extra_columns(z.host.cview(), labels, model.input_dim, options.extra_columns);
    const Matrix<float> weights = backend.upload(kme::indicator_weights(labels.y, c, extra.rows).cview());
    bool accepted = false;
    bool accepted_last = false;
    for (std::size_t g = 0; g < grid.size(); ++g) {
      kme::BuiltLayer built = kme::build_layer(backend, z, labels, weights.cview(), grid[g], options, rng);
      kme::report_width_tried(progress, l, g, grid.size(), built.sigma, built.hsic,
                              std::numeric_limits<double>::quiet_NaN(), seconds_since(layer_start));
      if (!(built.hsic > h_prev)) continue;
      h_prev = built.hsic;
      accepted_last = built.sigma == options.sigma_smallest;  // the grid ends exactly at s_smallest
      grid = kme::candidate_grid(built.sigma_beta, options.sigma_smallest, options.sigma_count);
      z = append_layer(model, std::move(z), std::move(built), extra, static_cast<int>(g) + 1, layer_start, progress);
      accepted = true;
      break;
    }
    if (!accepted) return "no width improved the normalised HSIC " + std::to_string(h_prev);
    if (accepted_last)
      return "the accepted width is the smallest candidate (" + std::to_string(options.sigma_smallest) + ")";
    if (h_prev > options.hsic_threshold)
      return "normalised HSIC " + std::to_string(h_prev) + " exceeds --hsic-threshold " +
             std::to_string(options.hsic_threshold);
  }
  return "reached --max-layers " + std::to_string(options.max_layers);
}

// Selection::validation: the widths chosen on the held-out split, refitted on all rows.
std::string grow_by_validation(Backend& backend, KmeModel& model, kme::Representation& z, const Labels& labels,
                               const KmeOptions& options, Rng& rng, const ProgressCallback& progress) {
  const kme::ValidationChoice choice =
      kme::select_by_validation(backend, z.host.cview(), labels, options, progress);
  model.held_out_accuracy = choice.held_out_accuracy;
  for (std::size_t l = 0; l < choice.sigmas.size(); ++l) {
    const auto layer_start = Clock::now();
    const kme::ExtraColumns extra =
        kme::plan_extra_columns(z.host.cview(), labels, model.input_dim, options.extra_columns);
    const Matrix<float> weights = backend.upload(kme::indicator_weights(labels.y, labels.num_classes, extra.rows).cview());
    kme::BuiltLayer built = kme::build_layer(backend, z, labels, weights.cview(), choice.sigmas[l], options, rng);
    z = append_layer(model, std::move(z), std::move(built), extra, choice.widths_tried[l], layer_start, progress);
  }
  return choice.stop_reason;
}

}  // namespace

KmeModel fit_kme(Backend& backend, MatrixView<const float> X, const Labels& labels,
                 const std::vector<std::string>& classes, const KmeOptions& options,
                 const ProgressCallback& progress) {
  Matrix<float> x_host = detail::checked_host_copy(X, "fit");
  check_training_data(X, labels, classes, options);
  const auto fit_start = Clock::now();
  KmeModel model;
  model.options = options;
  model.standardize = StandardizeMode::none;  // X is already preprocessed; train() records its own mode
  model.input_dim = X.cols();
  model.classes = classes;
  model.train_labels = labels.y;

  Rng rng(options.seed);
  kme::Representation z = kme::Representation::of(backend, std::move(x_host));  // Z^0, then each layer's output
  std::string stop_reason = options.selection == Selection::validation
                                ? grow_by_validation(backend, model, z, labels, options, rng, progress)
                                : grow_by_hsic(backend, model, z, labels, options, rng, progress);
  if (model.layers.empty() && options.predictor == Predictor::argmax)
    throw InvalidArgument("--predict argmax reads the last layer's class columns, but the fit accepted no layer "
                          "(" + stop_reason + "): use --predict knn or mean");
  if (model.layers.empty())
    stop_reason += "; no layer was accepted: the model predicts from the preprocessed input";
  model.train_outputs = std::move(z.host);
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

}  // namespace lwnet::kme
