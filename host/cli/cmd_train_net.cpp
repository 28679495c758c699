// `lwnet train --method backprop`: a dense or convolutional network trained by SGD or Adam on the
// same data options as the closed-form fit, with one progress line per epoch, the accuracies of
// the trained network, and the model saved for `lwnet predict` / `eval`.
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/interrupt.hpp"
#include "cli/net_fit.hpp"
#include "cli/net_options.hpp"
#include "cli/net_report.hpp"
#include "cli/train_command.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cli {

void run_train_net(const TrainCommand& opt, net::Method method) {
  check_train_command(opt);
  net::NetOptions options = make_net_options(opt.train, method);
  const NetTrainData input = load_net_train_data(opt, options);
  const TrainData& d = input.d;
  const LabeledData& data = d.data;
  const std::optional<LabeledData>& test = d.test;
  const LabelEncoding& encoding = d.encoding;
  const std::optional<Truth>& test_truth = input.test_truth;
  BackendChoice choice = select_backend(Device::parse(opt.train.device));
  Backend& backend = *choice.backend;
  const bool text = !opt.train.json;
  if (text) {
    print_data_and_device(d, choice);
    print_net_plan(options);
  }

  stop_if_interrupted("before training: no model was written");
  const NetRun run = fit_network(backend, data, encoding, test ? &*test : nullptr, test ? &*test_truth : nullptr,
                                 options, epoch_printer(text, net::reported_epochs(options)));
  NetFitResult result;
  result.run = &run;
  result.device = backend.device().str();
  result.n_train = data.X.rows();
  if (test) {
    result.n_test = test->X.rows();
    result.unknown_test_labels = test_truth->unknown;
  }
  save_and_report(
      opt.out, opt.train.json, [&](const std::string& path) { net::save_model(run.model, path); },
      [&] { return net_fit_json(result); }, [&] { print_net_fit_summary(result); });
}

}  // namespace lwnet::cli
