// The held-out score of a width is the model's own predictor (k-NN by default) on held-out
// rows: what a user of the network gets, and what the paper's training HSIC misses when a
// narrow width memorises the training set (its held-out outputs collapse towards 0). A few
// hundred held-out rows tie often on accuracy, so the held-out normalised HSIC (code variant, at
// the width opt_sigma picks on the fit rows) breaks ties; a tie on both keeps the wider width,
// and a layer that does not strictly improve the score is not added.
#include "train/kme/select_validation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "lwnet/error.hpp"
#include "lwnet/random.hpp"
#include "train/kme/growth.hpp"
#include "train/kme/layer.hpp"
#include "train/kme/sigma_search.hpp"

namespace lwnet::kme {

namespace {

// The split gets its own stream, so the sigma searches draw as they would without it.
constexpr std::uint64_t kSplitSeedSalt = 0x56414c4944415445ULL;

using Clock = std::chrono::steady_clock;

struct Score {
  double accuracy = -std::numeric_limits<double>::infinity();
  double hsic = -std::numeric_limits<double>::infinity();

  bool beats(const Score& other) const {
    return accuracy > other.accuracy || (accuracy == other.accuracy && hsic > other.hsic);
  }
};

Labels subset_labels(const Labels& labels, const std::vector<std::int64_t>& rows) {
  Labels out;
  out.num_classes = labels.num_classes;
  for (std::int64_t i : rows) out.y.push_back(labels.y[static_cast<std::size_t>(i)]);
  return out;
}

Matrix<float> subset_rows(MatrixView<const float> X, const std::vector<std::int64_t>& rows) {
  Matrix<float> out = Matrix<float>::host(static_cast<std::int64_t>(rows.size()), X.cols());
  for (std::size_t r = 0; r < rows.size(); ++r)
    std::copy(X.data() + rows[r] * X.ld(), X.data() + rows[r] * X.ld() + X.cols(), out.data() + static_cast<std::int64_t>(r) * X.cols());
  return out;
}

class HeldOutScorer {
 public:
  HeldOutScorer(Backend& backend, const KmeOptions& options, const Labels& fit, const Labels& held_out)
      : backend_(backend), options_(options), fit_(fit), held_out_(held_out) {
    const auto counts = held_out.class_counts();
    held_out_classes_ = std::count_if(counts.begin(), counts.end(), [](std::int64_t n) { return n > 0; });
  }

  // The held-out accuracy of the network whose fit-row outputs are `fit` and held-out outputs
  // `held_out`, and the held-out normalised HSIC at width sigma_beta. `layers` is 0 for the input.
  Score score(const Representation& fit, const Representation& held_out, double sigma_beta, int layers) const {
    Score s;
    if (options_.predictor != Predictor::argmax || layers > 0) {  // argmax needs class columns
      const std::vector<int> predicted = predict_outputs(backend_, options_.predictor, options_.knn_k, fit_.num_classes,
                                                         held_out.host.cview(), fit.host.cview(), fit_.y);
      std::int64_t correct = 0;
      for (std::size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == held_out_.y[i] ? 1 : 0;
      s.accuracy = static_cast<double>(correct) / static_cast<double>(predicted.size());
    }
    s.hsic = held_out_classes_ < 2 ? 0.0
                                   : hsic_labels(backend_, held_out.device.cview(), held_out_,
                                                 GramParams::gaussian(sigma_beta), HsicNormalization::code)
                                         .normalized;
    return s;
  }

 private:
  Backend& backend_;
  const KmeOptions& options_;
  const Labels& fit_;
  const Labels& held_out_;
  std::int64_t held_out_classes_ = 0;
};

std::string describe(const Score& s) {
  char text[128];
  std::snprintf(text, sizeof text, "held-out accuracy %.4f (normalised HSIC %.4f)", s.accuracy, s.hsic);
  return text;
}

}  // namespace

HeldOutSplit stratified_split(const Labels& labels, double fraction, std::uint64_t seed) {
  Rng rng(seed ^ kSplitSeedSalt);
  HeldOutSplit split;
  for (std::vector<std::int64_t> rows : labels.class_members()) {
    for (std::size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[rng.below(i)]);  // Fisher-Yates
    const auto n = static_cast<std::int64_t>(rows.size());
    const std::int64_t held = std::min<std::int64_t>(std::llround(fraction * static_cast<double>(n)), n - 1);
    for (std::int64_t r = 0; r < n; ++r) (r < held ? split.held_out : split.fit).push_back(rows[static_cast<std::size_t>(r)]);
  }
  std::sort(split.fit.begin(), split.fit.end());
  std::sort(split.held_out.begin(), split.held_out.end());
  return split;
}

ValidationChoice select_by_validation(Backend& backend, MatrixView<const float> X, const Labels& labels,
                                      const KmeOptions& options, const ProgressCallback& progress) {
  const HeldOutSplit split = stratified_split(labels, options.validation_fraction, options.seed);
  const auto n_fit = static_cast<std::int64_t>(split.fit.size());
  if (split.held_out.empty())
    throw InvalidArgument("--select validation: holding out " + std::to_string(options.validation_fraction) +
                          " of each class leaves no held-out sample (" + std::to_string(X.rows()) +
                          " training samples); use more data, a larger --validation-fraction or --select hsic");
  if (options.predictor == Predictor::knn && options.knn_k > n_fit)
    throw InvalidArgument("--select validation: k-NN with k = " + std::to_string(options.knn_k) + " needs " +
                          std::to_string(options.knn_k) + " samples left after holding out, got " +
                          std::to_string(n_fit));
  const Labels fit_labels = subset_labels(labels, split.fit);
  const Labels held_labels = subset_labels(labels, split.held_out);
  const HeldOutScorer scorer(backend, options, fit_labels, held_labels);
  const int c = labels.num_classes;

  Rng rng(options.seed);
  Representation fit = Representation::of(backend, subset_rows(X, split.fit));
  Representation held = Representation::of(backend, subset_rows(X, split.held_out));
  double s_start =
      opt_sigma(backend, fit.device.cview(), fit_labels, options.input_sigma_floor, rng, options.sigma_sample);
  Score current = scorer.score(fit, held, s_start, 0);

  ValidationChoice choice;
  choice.held_out_accuracy.push_back(current.accuracy);
  choice.stop_reason = "reached --max-layers " + std::to_string(options.max_layers);
  for (int l = 1; l <= options.max_layers; ++l) {
    const auto layer_start = Clock::now();
    const ExtraColumns extra = plan_extra_columns(fit.host.cview(), fit_labels, X.cols(), options.extra_columns);
    const Matrix<float> weights = backend.upload(indicator_weights(fit_labels.y, c, extra.rows).cview());
    const std::vector<double> grid = candidate_grid(s_start, options.sigma_smallest, options.sigma_count);
    const std::vector<Matrix<double>> fit_sums =
        kernel_sums_for_widths(backend, fit.device.cview(), fit.device.cview(), weights.cview(), grid);
    const std::vector<Matrix<double>> held_sums =
        kernel_sums_for_widths(backend, held.device.cview(), fit.device.cview(), weights.cview(), grid);

    struct Best {
      std::size_t width;
      Score score;
      double sigma_beta;
      Representation fit, held;
    };
    std::optional<Best> best;
    for (std::size_t g = 0; g < grid.size(); ++g) {
      const std::vector<double> rho = options.rho == RhoMethod::exact
                                          ? exact_rho(fit_sums[g], fit_labels)
                                          : rff_rho(backend, fit.device.cview(), fit_labels, grid[g], options);
      check_rho(rho, grid[g], options.rho);
      Representation fit_out = Representation::of(backend, normalise_class_columns(fit_sums[g], rho));
      Representation held_out = Representation::of(backend, normalise_class_columns(held_sums[g], rho));
      const double sigma_beta = opt_sigma(backend, fit_out.device.cview(), fit_labels, options.layer_sigma_floor, rng,
                                          options.sigma_sample);
      const Score s = scorer.score(fit_out, held_out, sigma_beta, l);
      report_width_tried(progress, l, g, grid.size(), grid[g], s.hsic, s.accuracy,
                         std::chrono::duration<double>(Clock::now() - layer_start).count());
      if (!best || s.beats(best->score)) best = Best{g, s, sigma_beta, std::move(fit_out), std::move(held_out)};
    }
    if (!best->score.beats(current)) {
      choice.stop_reason = "no width of layer " + std::to_string(l) + " beat the " + describe(current) + " (best: " +
                           describe(best->score) + " at sigma " + std::to_string(grid[best->width]) + ")";
      break;
    }
    choice.sigmas.push_back(grid[best->width]);
    choice.widths_tried.push_back(static_cast<int>(grid.size()));
    choice.held_out_accuracy.push_back(best->score.accuracy);
    current = best->score;
    s_start = best->sigma_beta;
    fit = std::move(best->fit);
    held = std::move(best->held);
  }
  return choice;
}

}  // namespace lwnet::kme
