// `lwnet predict` and `lwnet eval`: use a saved model, of either method, on new data.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/checks.hpp"
#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/options.hpp"
#include "cli/parse.hpp"
#include "io/file.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/net.hpp"

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
  cmd->add_option("--model", opt.model, "A model saved by lwnet train --out (any --method)")->required()->check(non_empty());
  cmd->add_option("--device", opt.device, "auto | cpu | cuda | cuda:N")->capture_default_str()->check(non_empty());
}

// The model (either method's, by the file's `format`) and the data, checked against each other
// before anything is computed.
struct Inputs {
  std::optional<kme::KmeModel> kme_model;
  std::optional<net::NetModel> net_model;
  LabeledData data;

  const std::vector<std::string>& classes() const { return kme_model ? kme_model->classes : net_model->classes; }
  // --standardize separate exists for the closed-form model only.
  StandardizeMode standardize() const { return kme_model ? kme_model->standardize : net_model->options.standardize; }
  std::vector<int> predict(Backend& backend) const {
    return kme_model ? kme::predict(backend, *kme_model, data.X.cview())
                     : net::predict(backend, *net_model, data.X.cview());
  }
};

// A file whose header names the trained-network format goes to that loader; every other file,
// one that is no model at all included, to the closed-form loader, whose messages for damaged
// and foreign files are the ones users (and tests/cli) know.
bool is_net_model(const std::string& path) {
  try {
    return model_format(path) == "lwnet.net";
  } catch (const IoError&) {
    return false;
  }
}

Inputs load_inputs(const ModelCommand& opt, bool need_labels) {
  if (opt.data.data.empty()) throw InvalidArgument("--data is required");
  Inputs in;
  if (is_net_model(opt.model)) {
    in.net_model = net::load_model(opt.model);
  } else {
    in.kme_model = kme::load_model(opt.model);
  }
  in.data = load_data(opt.data, need_labels);
  if (in.kme_model) {
    check_batch(*in.kme_model, opt.model, in.data.X.cview(), opt.data.data);
  } else {
    check_batch(*in.net_model, opt.model, in.data.X.cview(), opt.data.data);
  }
  return in;
}

void run_predict(const ModelCommand& opt) {
  check_output_file("--out", opt.out, {{"--model", opt.model}, {"--data", opt.data.data}});
  const Inputs in = load_inputs(opt, false);
  warn_if_few_rows(in.standardize(), opt.model, in.data.X.rows(), opt.data.data);
  BackendChoice choice = select_backend(Device::parse(opt.device));
  const std::vector<int> predicted = in.predict(*choice.backend);
  std::vector<std::string> labels;
  labels.reserve(predicted.size());
  for (int y : predicted) labels.push_back(in.classes()[static_cast<std::size_t>(y)]);
  if (!opt.out.empty()) {
    stop_if_interrupted("before the predictions were written: nothing was written");
    io::write_file_atomic(opt.out, [&](std::ostream& out) {
      for (const std::string& label : labels) out << label << '\n';
    });
    stop_if_interrupted("while the predictions were written: " + opt.out + " holds all of them");
  }
  if (opt.json) {
    nlohmann::json j = {{"model", opt.model},
                        {"data", opt.data.data},
                        {"n", in.data.X.rows()},
                        {"device", choice.backend->device().str()}};
    if (opt.out.empty()) {
      j["predictions"] = labels;
    } else {
      j["out"] = opt.out;
    }
    std::cout << j.dump(2) << "\n";
  } else if (opt.out.empty()) {
    std::string text;
    for (const std::string& label : labels) text += label + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
}

void run_eval(const ModelCommand& opt) {
  const Inputs in = load_inputs(opt, true);
  const std::string label_source = !opt.data.labels.empty() ? opt.data.labels : opt.data.data;
  const Truth truth = encode_truth(in.classes(), in.data.labels, label_source);
  warn_if_few_rows(in.standardize(), opt.model, in.data.X.rows(), opt.data.data);
  BackendChoice choice = select_backend(Device::parse(opt.device));
  const double acc = accuracy(in.predict(*choice.backend), truth.y);
  if (opt.json) {
    std::cout << nlohmann::json{{"accuracy", acc},
                                {"n", in.data.X.rows()},
                                {"unknown_labels", truth.unknown},
                                {"device", choice.backend->device().str()}}
                     .dump(2)
              << "\n";
    return;
  }
  std::printf("accuracy %.4f on %lld samples (%s)%s\n", acc, static_cast<long long>(in.data.X.rows()),
              choice.backend->description().c_str(),
              truth.unknown ? (", " + std::to_string(truth.unknown) + " with labels the model does not know").c_str()
                            : "");
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto opt = std::make_shared<ModelCommand>();
  CLI::App* cmd = app.add_subcommand("predict", "Predict labels of new data with a saved model");
  add_model_options(cmd, *opt);
  cmd->add_option("--data", opt->data.data, "Features (CSV or IDX)")->required()->check(non_empty());
  cmd->add_option("--label-column", opt->data.label_column, "A label column of --data to ignore: first, last or N")
      ->check(non_empty());
  cmd->add_option("--out", opt->out,
                  "Write one predicted label per line here (atomically; never over an input) instead of stdout")
      ->check(non_empty());
  cmd->add_flag("--json", opt->json,
                "Print one JSON object: the predictions (or, with --out, where they went), n and the device");
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
