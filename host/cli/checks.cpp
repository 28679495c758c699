#include "cli/checks.hpp"

#include <cmath>

#include "cli/parse.hpp"
#include "cli/report.hpp"
#include "io/output_file.hpp"
#include "lwnet/error.hpp"
#include "lwnet/preprocess.hpp"

namespace lwnet::cli {

void check_output_file(const char* option, const std::string& out, std::initializer_list<NamedPath> inputs) {
  if (out.empty()) return;
  for (const NamedPath& input : inputs)
    if (!input.path.empty() && io::same_file(out, input.path))
      throw InvalidArgument(std::string(option) + " " + out + " is the same file as " + input.option + " " +
                            input.path + ": lwnet does not overwrite its input; choose another " + option);
  io::check_output_target(out);
}

namespace {

std::string model_name(const std::string& model_path) {
  return model_path.empty() ? "the model" : "the model " + model_path;
}

std::string own_statistics(const std::string& model_path) {
  return model_name(model_path) +
         " standardises each batch by the batch's own statistics (it was trained with --standardize separate)";
}

}  // namespace

void check_batch_rows(StandardizeMode mode, const std::string& model_path, std::int64_t rows, const std::string& source) {
  if (mode != StandardizeMode::separate || rows >= Standardizer::kMinRowsOwnStatistics) return;
  throw InvalidArgument(source + ": a single sample, but " + own_statistics(model_path) +
                        ", and one sample has none: every feature would become 0, whatever the data; predict at "
                        "least " + std::to_string(Standardizer::kMinRowsOwnStatistics) +
                        " samples at once, or train with --standardize train (the model then keeps the training "
                        "statistics and predicts one sample as it would inside a batch)");
}

void warn_if_few_rows(StandardizeMode mode, const std::string& model_path, std::int64_t rows, const std::string& source) {
  if (mode != StandardizeMode::separate || rows >= kFewRowsOwnStatistics) return;
  warn(source + ": only " + std::to_string(rows) + " samples, and " + own_statistics(model_path) +
       ": statistics of so few are rough, and each prediction depends on which samples come together");
}

namespace {

void check_width(std::int64_t input_dim, const std::string& model_path, MatrixView<const float> X,
                 const std::string& source) {
  if (X.cols() != input_dim)
    throw IoError(source + ": " + std::to_string(X.cols()) + " features, but " + model_name(model_path) +
                  " was trained on " + std::to_string(input_dim));
}

void check_standardizable(const Standardizer& statistics, MatrixView<const float> X, const std::string& source) {
  if (const auto bad = statistics.first_overflow(X)) {
    const auto j = static_cast<std::size_t>(bad->feature);
    throw IoError(source + ": sample " + std::to_string(bad->row + 1) + ", feature " +
                  std::to_string(bad->feature + 1) + ": the value " + format_real(bad->value) +
                  " lies so far from the training mean " + format_real(statistics.mean[j]) + " (std " +
                  format_real(statistics.std[j]) + ") that standardising it overflows float32");
  }
}

}  // namespace

void check_batch(const kme::KmeModel& model, const std::string& model_path, MatrixView<const float> X,
                 const std::string& source) {
  check_width(model.input_dim, model_path, X, source);
  check_batch_rows(model.standardize, model_path, X.rows(), source);
  if (model.standardize == StandardizeMode::train) check_standardizable(model.statistics, X, source);
}

void check_batch(const net::NetModel& model, const std::string& model_path, MatrixView<const float> X,
                 const std::string& source) {
  check_width(model.input_dim, model_path, X, source);
  if (model.options.standardize == StandardizeMode::train) check_standardizable(model.statistics, X, source);
}

void check_knn_k(const kme::TrainConfig& config, std::int64_t rows, const std::string& what_rows) {
  if (config.options.predictor == kme::Predictor::knn && config.options.knn_k > rows)
    throw InvalidArgument("--knn-k " + std::to_string(config.options.knn_k) + " exceeds the " + std::to_string(rows) +
                          " training samples" + what_rows + "; give a smaller --knn-k");
}

void check_data_scale(const kme::TrainConfig& config, MatrixView<const float> X, const std::string& source) {
  if (config.standardize != StandardizeMode::none) return;
  const double raw = Standardizer::fit(X).rms_pair_distance();
  // --noise adds noise^2 to every feature's variance before the fit.
  const double scale = std::sqrt(raw * raw + 2.0 * static_cast<double>(X.cols()) * config.noise * config.noise);
  const double floor = config.options.input_sigma_floor;
  const std::string what = source + ": with --standardize none the kernels see the raw features, whose scale (the RMS "
                                    "distance between samples, " + format_real(scale) + ") ";
  const std::string fix = "; standardise them (--standardize train, the default) or rescale the data";
  if (scale > 0.0 && scale < floor * kScaleBelowFloor)
    throw InvalidArgument(what + "is far below the smallest kernel width the fit tries on its input (" +
                          format_real(floor) + "): every kernel would be constant and no layer could be fitted" + fix);
  if (scale > kScaleAbove)
    throw InvalidArgument(what + "is beyond what float32 kernels can use (widths up to 1e18, squared distances "
                                 "below 3.4e38)" + fix);
}

}  // namespace lwnet::cli
