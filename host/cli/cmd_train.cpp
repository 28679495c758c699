// `lwnet train`: fit the closed-form network on a labelled dataset (default: the embedded UCI
// Wine data), report per-layer progress and the accuracies, and save the model; --method
// backprop hands over to cmd_train_net.cpp.
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
#include "cli/train_command.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cli {

namespace {

// --test-fraction: the open interval; 0 (no split) is refused rather than silently ignored.
const RealRange kTestFraction{0.0, 1.0, true, true};

void run_train_kme(const TrainCommand& opt) {
  check_train_command(opt);
  const kme::TrainConfig config = make_train_config(opt.train);
  TrainData d = load_train_data(opt);
  const LabeledData& data = d.data;
  const std::optional<LabeledData>& test = d.test;
  const LabelEncoding& encoding = d.encoding;
  check_knn_k(config, data.X.rows(), d.split ? " left after the --test-fraction split" : "");
  check_data_scale(config, data.X.cview(), data.name);
  std::optional<Truth> test_truth;
  if (test) {
    check_batch_rows(config.standardize, "", test->X.rows(), test->name);
    test_truth = encode_truth(encoding.classes, test->labels, test_label_source(opt, d));
    warn_if_few_rows(config.standardize, "", test->X.rows(), test->name);
  }
  BackendChoice choice = select_backend(Device::parse(opt.train.device));
  stream_fit_when_needed(choice, opt.memory_budget, data.X.rows(), data.X.cols(), encoding.labels.num_classes);
  Backend& backend = *choice.backend;
  const bool text = !opt.train.json;
  if (text) {
    print_data_and_device(d, choice);
    std::fflush(stdout);
  }

  stop_if_interrupted("before training: no model was written");
  const kme::KmeModel model = kme::train(backend, data.X.cview(), encoding.labels, encoding.classes, config,
                                         stop_on_interrupt(progress_printer(text)));
  FitResult result;
  result.model = &model;
  result.device = backend.device().str();
  result.n_train = data.X.rows();
  result.train_accuracy = accuracy(kme::predict_from_outputs(backend, model, model.train_outputs.cview()), encoding.labels.y);
  if (test) {
    check_batch(model, "", test->X.cview(), test->name);
    result.n_test = test->X.rows();
    result.test_accuracy = accuracy(kme::predict(backend, model, test->X.cview()), test_truth->y);
    result.unknown_test_labels = test_truth->unknown;
  }
  save_and_report(
      opt.out, opt.train.json, [&](const std::string& path) { kme::save_model(model, path); },
      [&] { return fit_json(result); }, [&] { print_fit_summary(result); });
}

void run_train(const TrainCommand& given, CLI::App* cmd) {
  TrainCommand opt = given;
  const net::Method method = parse_method_option(opt.train.net);
  check_method_options(cmd, method, opt.train, {"--memory-budget"});
  apply_method_defaults(cmd, method, opt.train.net);
  if (method == net::Method::kme) {
    run_train_kme(opt);
  } else if (is_recurrent_arch(opt.train.net.arch)) {
    run_train_add(opt, cmd, method);
  } else {
    run_train_net(opt, method);
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto opt = std::make_shared<TrainCommand>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Fit the closed-form layer-wise network (--method kme, the default) or train a network "
               "(--method backprop); default data: the embedded UCI Wine");
  add_data_options(cmd, opt->data, true);
  cmd->add_option("--test", opt->test, "Test features (same format as --data)")->check(non_empty());
  cmd->add_option("--test-labels", opt->test_labels, "Test labels (or the same --label-column as --data)")
      ->check(non_empty());
  add_real_option(cmd, "--test-fraction", opt->test_fraction, kTestFraction,
                  "Hold out this seeded random fraction of --data as a test set")
      ->default_str("");
  cmd->add_option("--out", opt->out,
                  "Save the model here (safetensors layout, written atomically; through symbolic links; never over "
                  "an input or anything but a regular file); lwnet predict/eval read either method's models")
      ->check(non_empty());
  cmd->add_option("--memory-budget", opt->memory_budget,
                  "Device memory the fit may hold (auto: 80% of the free memory, or a size such as 2G); when the "
                  "data need more they stay in host memory and every K.B product streams through the device "
                  "(--method kme)")
      ->capture_default_str();
  add_train_options(cmd, opt->train);
  cmd->callback([opt, cmd] { run_train(*opt, cmd); });
}

}  // namespace lwnet::cli
