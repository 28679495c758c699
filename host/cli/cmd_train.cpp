// `lwnet train`: fit the closed-form network on a labelled dataset (default: the embedded UCI
// Wine data), report per-layer progress and the accuracies, and save the model.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/checks.hpp"
#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/memory_budget.hpp"
#include "cli/options.hpp"
#include "cli/parse.hpp"
#include "cli/report.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/random.hpp"

namespace lwnet::cli {

namespace {

struct TrainCommand {
  DataOptions data;
  std::string test;
  std::string test_labels;
  double test_fraction = 0.0;
  std::string out;
  std::string memory_budget = "auto";
  TrainOptions train;
};

constexpr std::uint64_t kSplitSeedSalt = 0x53504c4954303031ULL;

// --test-fraction: the open interval; 0 (no split) is refused rather than silently ignored.
const RealRange kTestFraction{0.0, 1.0, true, true};

// Moves a seeded random fraction of `data`'s rows into the returned test set (both keep order).
LabeledData split_off(LabeledData& data, double fraction, std::uint64_t seed) {
  const std::int64_t n = data.X.rows();
  const auto n_test = static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(n)));
  if (n_test < 1 || n_test >= n)
    throw InvalidArgument("--test-fraction " + format_real(fraction) + " of " + std::to_string(n) +
                          " samples leaves no test or no training sample");
  Rng rng(seed ^ kSplitSeedSalt);
  std::vector<char> is_test(static_cast<std::size_t>(n), 0);
  for (std::int64_t i : rng.sample_without_replacement(n, n_test)) is_test[static_cast<std::size_t>(i)] = 1;
  LabeledData test{data.name + " (test split)", Matrix<float>::host(n_test, data.X.cols()), {}};
  Matrix<float> train_X = Matrix<float>::host(n - n_test, data.X.cols());
  std::vector<std::string> train_labels;
  std::int64_t a = 0;
  std::int64_t b = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = data.X.data() + i * data.X.cols();
    if (is_test[static_cast<std::size_t>(i)]) {
      std::copy(row, row + data.X.cols(), test.X.data() + a++ * data.X.cols());
      test.labels.push_back(data.labels[static_cast<std::size_t>(i)]);
    } else {
      std::copy(row, row + data.X.cols(), train_X.data() + b++ * data.X.cols());
      train_labels.push_back(data.labels[static_cast<std::size_t>(i)]);
    }
  }
  data.X = std::move(train_X);
  data.labels = std::move(train_labels);
  return test;
}

void run_train(const TrainCommand& opt) {
  const bool split = opt.test_fraction > 0.0;  // given: the parser refuses anything outside (0, 1)
  if (!opt.test.empty() && split) throw InvalidArgument("give either --test or --test-fraction, not both");
  if (opt.test.empty() && !opt.test_labels.empty()) throw InvalidArgument("--test-labels needs --test");
  check_output_file("--out", opt.out,
                    {{"--data", opt.data.data}, {"--labels", opt.data.labels}, {"--test", opt.test},
                     {"--test-labels", opt.test_labels}});
  const TrainConfig config = make_train_config(opt.train);
  LabeledData data = load_data(opt.data, true);
  std::optional<LabeledData> test;
  if (!opt.test.empty()) {
    test = load_data(DataOptions{opt.test, opt.test_labels, opt.data.label_column}, true);
    if (test->X.cols() != data.X.cols())
      throw IoError(opt.test + ": " + std::to_string(test->X.cols()) + " features, but the training data have " +
                    std::to_string(data.X.cols()));
  } else if (split) {
    test = split_off(data, opt.test_fraction, opt.train.seed);
  }
  const LabelEncoding encoding = encode_labels(data.labels);
  const std::string label_source = !opt.data.labels.empty() ? opt.data.labels
                                   : !opt.data.data.empty() ? opt.data.data + " (label column " + opt.data.label_column + ")"
                                                            : data.name;
  if (encoding.labels.num_classes < 2) {
    // Caught here rather than by fit() so that the message names the file holding the labels.
    throw InvalidArgument(label_source + ": the training labels hold a single class ('" + encoding.classes.front() + "')" +
                          (split ? " after the --test-fraction split" : "") + "; the network needs at least two");
  }
  check_knn_k(config, data.X.rows(), split ? " left after the --test-fraction split" : "");
  check_data_scale(config, data.X.cview(), data.name);
  std::optional<Truth> test_truth;
  if (test) {
    check_batch_rows(config.standardize, "", test->X.rows(), test->name);
    const std::string test_source = !opt.test_labels.empty() ? opt.test_labels
                                    : !opt.test.empty()       ? opt.test
                                                              : label_source + " (the --test-fraction split)";
    test_truth = encode_truth(encoding.classes, test->labels, test_source);
    warn_if_few_rows(config.standardize, "", test->X.rows(), test->name);
  }
  BackendChoice choice = select_backend(Device::parse(opt.train.device));
  stream_fit_when_needed(choice, opt.memory_budget, data.X.rows(), data.X.cols(), encoding.labels.num_classes);
  Backend& backend = *choice.backend;
  const bool text = !opt.train.json;
  if (text) {
    std::printf("data    %s: %lld samples x %lld features, %d classes%s\n", data.name.c_str(),
                static_cast<long long>(data.X.rows()), static_cast<long long>(data.X.cols()),
                encoding.labels.num_classes,
                test ? (", test " + std::to_string(test->X.rows()) + " samples").c_str() : "");
    std::printf("device  %s\n        %s\n", backend.description().c_str(), choice.reason.c_str());
    std::fflush(stdout);
  }

  stop_if_interrupted("before training: no model was written");
  const KmeModel model = train(backend, data.X.cview(), encoding.labels, encoding.classes, config,
                               stop_on_interrupt(progress_printer(text)));
  FitResult result;
  result.model = &model;
  result.device = backend.device().str();
  result.n_train = data.X.rows();
  result.train_accuracy = accuracy(predict_from_outputs(backend, model, model.train_outputs.cview()), encoding.labels.y);
  if (test) {
    check_batch(model, "", test->X.cview(), test->name);
    result.n_test = test->X.rows();
    result.test_accuracy = accuracy(predict(backend, model, test->X.cview()), test_truth->y);
    result.unknown_test_labels = test_truth->unknown;
  }
  if (!opt.out.empty()) {
    stop_if_interrupted("after training, before the model was saved: no model was written");
    save_model(model, opt.out);
    stop_if_interrupted("while the model was saved: " + opt.out + " holds the complete model");
  }

  if (opt.train.json) {
    nlohmann::json j = fit_json(result);
    if (!opt.out.empty()) j["model"] = opt.out;
    std::cout << j.dump(2) << "\n";
    return;
  }
  print_fit_summary(result);
  if (!opt.out.empty()) std::printf("model   saved to %s\n", opt.out.c_str());
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto opt = std::make_shared<TrainCommand>();
  CLI::App* cmd = app.add_subcommand("train", "Fit the closed-form layer-wise network (default data: embedded UCI Wine)");
  add_data_options(cmd, opt->data, true);
  cmd->add_option("--test", opt->test, "Test features (same format as --data)")->check(non_empty());
  cmd->add_option("--test-labels", opt->test_labels, "Test labels (or the same --label-column as --data)")
      ->check(non_empty());
  add_real_option(cmd, "--test-fraction", opt->test_fraction, kTestFraction,
                  "Hold out this seeded random fraction of --data as a test set")
      ->default_str("");
  cmd->add_option("--out", opt->out,
                  "Save the model here (safetensors layout, written atomically; through symbolic links; never over "
                  "an input or anything but a regular file)")
      ->check(non_empty());
  cmd->add_option("--memory-budget", opt->memory_budget,
                  "Device memory the fit may hold (auto: 80% of the free memory, or a size such as 2G); when the "
                  "data need more they stay in host memory and every K.B product streams through the device")
      ->capture_default_str();
  add_train_options(cmd, opt->train);
  cmd->callback([opt] { run_train(*opt); });
}

}  // namespace lwnet::cli
