// `lwnet align-score`: the alignment score of spec 2.4 (lwnet/alignment.hpp). Trains a backprop
// network on the data options of `lwnet train` while accumulating the Align-zero update driven by
// its error, then prints, per hidden layer, how well the two weight changes align (and the same
// for shuffled trained weights, the control). Defaults follow the spec where they differ from
// `lwnet train`: --loss mse and plain SGD (--momentum 0). The paper's setting is
// --arch conv:C:1,2,2:bn --lr 5 --epochs 100 on KMNIST-shaped images.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/net_fit.hpp"
#include "cli/net_options.hpp"
#include "cli/net_report.hpp"
#include "cli/options.hpp"
#include "cli/parse.hpp"
#include "cli/train_command.hpp"
#include "lwnet/alignment.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cli {

namespace {

struct AlignScoreCommand {
  TrainCommand command;
  net::AlignmentOptions alignment;
  std::uint64_t noise_seed = 0;
};

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

void run_align_score(AlignScoreCommand& a, CLI::App* cmd) {
  TrainCommand& opt = a.command;
  if (option_given(cmd, "--method") && opt.train.net.method != "backprop")
    throw InvalidArgument("--method: align-score trains a backprop network (spec 2.4), not --method " +
                          opt.train.net.method);
  check_method_options(cmd, net::Method::backprop, opt.train, {});
  check_train_command(opt);
  net::NetOptions options = make_net_options(opt.train, net::Method::backprop);
  net::check_alignment_options(options, a.alignment);
  const NetTrainData input = load_net_train_data(opt, options);
  const TrainData& d = input.d;
  const std::optional<Truth>& test_truth = input.test_truth;
  BackendChoice choice = select_backend(Device::parse(opt.train.device));
  Backend& backend = *choice.backend;
  const bool text = !opt.train.json;
  if (text) {
    print_data_and_device(d, choice);
    print_net_plan(options);
    std::printf("score   %d noise draws of %lld samples per hidden layer, against shuffled trained weights\n",
                a.alignment.draws, static_cast<long long>(a.alignment.noise_batch));
    std::fflush(stdout);
  }
  stop_if_interrupted("before training");
  std::vector<net::LayerAlignment> layers;
  const NetRun run = fit_network_with(
      backend, d.data, d.encoding, d.test ? &*d.test : nullptr, d.test ? &*test_truth : nullptr, options,
      epoch_printer(text, options.epochs),
      [&](const net::EvalSet& eval, const net::EpochCallback& each_epoch, const net::BatchCallback& each_batch) {
        net::AlignmentResult r = net::alignment_scores(backend, d.data.X.cview(), d.encoding.labels, d.encoding.classes,
                                                       options, a.alignment, eval, each_epoch, each_batch);
        layers = std::move(r.layers);
        return std::move(r.model);
      });
  stop_if_interrupted("after scoring");
  if (!text) {
    NetFitResult fit;
    fit.run = &run;
    fit.device = backend.device().str();
    fit.n_train = d.data.X.rows();
    if (d.test) fit.n_test = d.test->X.rows();
    nlohmann::json j = net_fit_json(fit);
    nlohmann::json rows = nlohmann::json::array();
    for (const net::LayerAlignment& l : layers)
      rows.push_back({{"layer", l.layer},
                      {"score", number_or_null(l.score)},
                      {"shuffled_score", number_or_null(l.shuffled_score)},
                      {"draws", l.draws},
                      {"shuffled_draws", l.shuffled_draws}});
    j["alignment"] = rows;
    j["noise_draws"] = a.alignment.draws;
    j["noise_batch"] = a.alignment.noise_batch;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("%-10s %10s %16s %8s\n", "layer", "alignment", "shuffled (ctrl)", "draws");
  for (const net::LayerAlignment& l : layers)
    std::printf("%-10s %10.4f %16.4f %8d\n", l.layer.c_str(), l.score, l.shuffled_score, l.draws);
  std::printf("train   accuracy %.4f", run.train_accuracy);
  if (run.test_accuracy) std::printf(", test accuracy %.4f", *run.test_accuracy);
  std::printf("\n");
}

}  // namespace

void add_align_score_command(CLI::App& app) {
  auto a = std::make_shared<AlignScoreCommand>();
  CLI::App* cmd = app.add_subcommand(
      "align-score", "Train a backprop network and score, per hidden layer, how its weight change aligns with the "
                     "Align-zero update along the same run (spec 2.4), against a shuffled-weights control");
  add_data_options(cmd, a->command.data, true);
  cmd->add_option("--test", a->command.test, "Test features (same format as --data)")->check(non_empty());
  cmd->add_option("--test-labels", a->command.test_labels, "Test labels (or the same --label-column as --data)")
      ->check(non_empty());
  add_integer_option(cmd, "--draws", a->alignment.draws, 1, net::AlignmentOptions::kMaxDraws,
                     "Noise draws per layer (the reference: 100)");
  add_integer_option(cmd, "--noise-batch", a->alignment.noise_batch, 1, net::NetOptions::kMaxBatchSize,
                     "Noise samples per draw (the reference: 100)");
  // align-score's own defaults, set before the options so that --help shows them.
  a->command.train.net.method = "backprop";
  a->command.train.net.loss = "mse";
  a->command.train.net.numbers.momentum = 0.0;
  add_train_options(cmd, a->command.train);
  cmd->callback([a, cmd] {
    a->alignment.seed = a->command.train.seed;
    run_align_score(*a, cmd);
  });
}

}  // namespace lwnet::cli
