// `lwnet train --arch rnn:WIDTH --method M`: the recurrent Add task (spec 2.3), generated from the
// seed, trained by backprop through time, Align-zero, Align-ada or the readout alone, with one
// progress line per epoch and the spec's metric (the minimum test loss over epochs) next to the
// predict-the-mean and readout-only baselines. The task's defaults are the reference code's:
// 200 epochs, batch 50, plain SGD with lr 0.001 (each applies unless given).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/interrupt.hpp"
#include "cli/net_options.hpp"
#include "cli/parse.hpp"
#include "cli/train_command.hpp"
#include "lwnet/add_task.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cli {

namespace {

// Options of `lwnet train` that name data, a loss or a model file: the Add task generates its own
// sequences, has one loss and saves no model.
const char* const kNotForTheAddTask[] = {"--data",          "--labels", "--label-column", "--test",
                                         "--test-labels",   "--test-fraction", "--loss", "--image",
                                         "--out",           "--memory-budget", "--standardize"};

std::int64_t parse_rnn_width(const std::string& arch) {
  const std::string digits = arch.substr(4);
  std::int64_t width = 0;
  bool ok = !digits.empty() && digits.size() <= 6;
  for (char c : digits) ok = ok && c >= '0' && c <= '9';
  if (ok) width = std::stoll(digits);
  if (!ok || width < 1 || width > net::AddTaskOptions::kMaxWidth)
    throw InvalidArgument("--arch '" + arch + "': expected rnn:WIDTH with WIDTH in [1, " +
                          std::to_string(net::AddTaskOptions::kMaxWidth) + "]");
  return width;
}

net::AddTaskOptions add_task_options(const TrainCommand& opt, CLI::App* cmd, net::Method method) {
  for (const char* name : kNotForTheAddTask)
    if (option_given(cmd, name))
      throw InvalidArgument(std::string(name) + " does not apply to --arch " + opt.train.net.arch +
                            ": the recurrent net trains on the generated Add task (spec 2.3) and saves no model");
  const NetCliOptions& cli = opt.train.net;
  net::AddTaskOptions o;
  o.method = method;
  o.width = parse_rnn_width(cli.arch);
  o.init = net::parse_init(cli.init);
  o.optimizer = net::parse_optimizer(cli.optimizer);
  if (option_given(cmd, "--epochs")) o.epochs = cli.numbers.epochs;
  if (option_given(cmd, "--batch-size")) o.batch_size = cli.numbers.batch_size;
  if (option_given(cmd, "--lr")) o.learning_rate = cli.numbers.learning_rate;
  if (option_given(cmd, "--momentum")) o.momentum = cli.numbers.momentum;
  if (option_given(cmd, "--weight-decay")) o.weight_decay = cli.numbers.weight_decay;
  o.seed = opt.train.seed;
  o.align_ada = net::parse_align_ada_variant(cli.align_ada_variant);
  if (option_given(cmd, "--align-ada-variant") && method != net::Method::align_ada)
    throw InvalidArgument("--align-ada-variant applies to --method align-ada, not --method " +
                          std::string(net::to_string(method)));
  o.validate();
  return o;
}

nlohmann::json add_task_json(const net::AddTaskOptions& o, const net::AddTaskSpec& spec, const net::AddTaskResult& r,
                             const std::string& device) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const net::AddTaskRecord& e : r.history)
    epochs.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"test_loss", e.test_loss}, {"seconds", e.seconds}});
  nlohmann::json j = {{"task", "add"},
                      {"method", net::to_string(o.method)},
                      {"arch", "rnn:" + std::to_string(o.width)},
                      {"init", net::to_string(o.init)},
                      {"optimizer", net::to_string(o.optimizer)},
                      {"learning_rate", o.learning_rate},
                      {"batch_size", o.batch_size},
                      {"seed", o.seed},
                      {"steps", spec.steps},
                      {"train_sequences", spec.train_sequences},
                      {"test_sequences", spec.test_sequences},
                      {"epochs", epochs},
                      {"min_test_loss", std::isfinite(r.min_test_loss) ? nlohmann::json(r.min_test_loss) : nlohmann::json()},
                      {"diverged_epoch", r.diverged_epoch > 0 ? nlohmann::json(r.diverged_epoch) : nlohmann::json()},
                      {"best_epoch", r.best_epoch},
                      {"initial_test_loss", r.initial_test_loss},
                      {"mean_prediction_test_loss", r.mean_prediction_test_loss},
                      {"half_prediction_test_loss", r.half_prediction_test_loss},
                      {"fit_seconds", r.fit_seconds},
                      {"device", device}};
  if (o.method == net::Method::align_ada) j["align_ada_variant"] = net::to_string(o.align_ada);
  return j;
}

}  // namespace

bool is_recurrent_arch(const std::string& arch) { return arch.rfind("rnn:", 0) == 0; }

void run_train_add(const TrainCommand& opt, CLI::App* cmd, net::Method method) {
  const net::AddTaskOptions options = add_task_options(opt, cmd, method);
  const net::AddTaskSpec spec;
  const net::AddTaskData data = net::make_add_task(spec);
  BackendChoice choice = select_backend(Device::parse(opt.train.device));
  Backend& backend = *choice.backend;
  const bool text = !opt.train.json;
  if (text) {
    std::printf("data    the Add task (spec 2.3): %lld training / %lld test sequences of %lld steps, seed %llu\n",
                static_cast<long long>(spec.train_sequences), static_cast<long long>(spec.test_sequences),
                static_cast<long long>(spec.steps), static_cast<unsigned long long>(spec.seed));
    std::printf("device  %s\n        %s\n", backend.description().c_str(), choice.reason.c_str());
    std::printf("net     rnn:%lld, %s%s, init %s, %s lr %s, batch %lld, %d epochs\n",
                static_cast<long long>(options.width), net::to_string(method),
                method == net::Method::align_ada ? (std::string(" (") + net::to_string(options.align_ada) + ")").c_str()
                                                 : "",
                net::to_string(options.init), net::to_string(options.optimizer), format_real(options.learning_rate).c_str(),
                static_cast<long long>(options.batch_size), options.epochs);
    std::fflush(stdout);
  }
  stop_if_interrupted("before training");
  const int width = static_cast<int>(std::to_string(options.epochs).size());
  const net::AddTaskResult r = net::train_add_task(backend, data, options, [&](const net::AddTaskRecord& e) {
    if (text) {
      std::fprintf(stderr, "epoch %*d/%d  train loss %.4f  test loss %.4f  %.3f s\n", width, e.epoch, options.epochs,
                   e.train_loss, e.test_loss, e.seconds);
      std::fflush(stderr);
    }
    stop_if_interrupted("after epoch " + std::to_string(e.epoch) + " of " + std::to_string(options.epochs));
  });
  stop_if_interrupted("after training");
  if (r.diverged_epoch > 0)
    std::fprintf(stderr, "lwnet: warning: the loss stopped being finite in epoch %d: training stopped there%s\n",
                 r.diverged_epoch, r.best_epoch > 0 ? "; the minimum is over the epochs before it" : "");
  if (!text) {
    std::cout << add_task_json(options, spec, r, backend.device().str()).dump(2) << "\n";
    return;
  }
  if (r.best_epoch > 0)
    std::printf("result  min test loss %.4f (epoch %d); untrained %.4f\n", r.min_test_loss, r.best_epoch,
                r.initial_test_loss);
  else
    std::printf("result  no finite test loss (the first epoch diverged); untrained %.4f\n", r.initial_test_loss);
  std::printf("        predicting each step's training mean: %.4f; the code's constant 0.5: %.4f\n",
              r.mean_prediction_test_loss, r.half_prediction_test_loss);
  std::printf("time    %.2f s\n", r.fit_seconds);
}

}  // namespace lwnet::cli
