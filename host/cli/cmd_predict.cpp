// `lwnet predict` and `lwnet eval`: use a saved model on new data.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/file.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cli {

namespace {

struct ModelCommand {
  std::string model;
  DataOptions data;
  std::string out;
  std::string device = "auto";
  bool json = false;
};

void add_model_options(CLI::App* cmd, ModelCommand& opt) {
  cmd->add_option("--model", opt.model, "A model saved by lwnet train --out")->required();
  cmd->add_option("--device", opt.device, "auto | cpu | cuda | cuda:N")->capture_default_str();
}

// Named here, not by predict(), so that the message names the data file and the model.
void check_features(const ModelCommand& opt, const KmeModel& model, const LabeledData& data) {
  if (data.X.cols() != model.input_dim)
    throw IoError(opt.data.data + ": " + std::to_string(data.X.cols()) + " features, but the model " + opt.model +
                  " was trained on " + std::to_string(model.input_dim));
}

void run_predict(const ModelCommand& opt) {
  if (opt.data.data.empty()) throw InvalidArgument("--data is required");
  const KmeModel model = load_model(opt.model);
  const LabeledData data = load_data(opt.data, false);
  check_features(opt, model, data);
  BackendChoice choice = select_backend(Device::parse(opt.device));
  const std::vector<int> predicted = predict(*choice.backend, model, data.X.cview());
  std::string text;
  for (int y : predicted) text += model.classes[static_cast<std::size_t>(y)] + "\n";
  if (opt.out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    io::write_file_atomic(opt.out, [&](std::ostream& out) { out << text; });
  }
}

void run_eval(const ModelCommand& opt) {
  if (opt.data.data.empty()) throw InvalidArgument("--data is required");
  const KmeModel model = load_model(opt.model);
  const LabeledData data = load_data(opt.data, true);
  check_features(opt, model, data);
  BackendChoice choice = select_backend(Device::parse(opt.device));
  const double acc = accuracy(predict(*choice.backend, model, data.X.cview()), encode_with(model.classes, data.labels));
  if (opt.json) {
    std::cout << nlohmann::json{{"accuracy", acc}, {"n", data.X.rows()}, {"device", choice.backend->device().str()}}.dump(2)
              << "\n";
    return;
  }
  std::printf("accuracy %.4f on %lld samples (%s)\n", acc, static_cast<long long>(data.X.rows()),
              choice.backend->description().c_str());
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto opt = std::make_shared<ModelCommand>();
  CLI::App* cmd = app.add_subcommand("predict", "Predict labels of new data with a saved model");
  add_model_options(cmd, *opt);
  cmd->add_option("--data", opt->data.data, "Features (CSV or IDX)")->required();
  cmd->add_option("--label-column", opt->data.label_column, "A label column of --data to ignore: first, last or N");
  cmd->add_option("--out", opt->out, "Write one predicted label per line here (atomically) instead of stdout");
  cmd->callback([opt] { run_predict(*opt); });
}

void add_eval_command(CLI::App& app) {
  auto opt = std::make_shared<ModelCommand>();
  CLI::App* cmd = app.add_subcommand("eval", "Accuracy of a saved model on labelled data");
  add_model_options(cmd, *opt);
  add_data_options(cmd, opt->data, true);
  cmd->add_flag("--json", opt->json, "Print one JSON object");
  cmd->callback([opt] { run_eval(*opt); });
}

}  // namespace lwnet::cli
