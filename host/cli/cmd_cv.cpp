// `lwnet cv`: the 10-fold protocol of the reference results on the fold layout
// DIR/NAME_K{,_label,_test,_label_test}.csv, with a per-fold and a summary table, for the
// closed-form network (--method kme, the default) or a trained one (--method backprop).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/checks.hpp"
#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/net_fit.hpp"
#include "cli/net_options.hpp"
#include "cli/net_report.hpp"
#include "cli/options.hpp"
#include "cli/parse.hpp"
#include "cli/report.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cli {

namespace {

constexpr int kFolds = 10;

struct CvCommand {
  std::string folds;
  std::string preset;
  int only_fold = 0;  // 0: all folds (--fold itself takes 1..10 only)
  TrainOptions train;
};

struct MeanStd {
  double mean = 0.0;
  double std = 0.0;  // population std, as the reference summaries report
};

MeanStd mean_std(const std::vector<double>& v) {
  MeanStd r;
  for (double x : v) r.mean += x;
  r.mean /= static_cast<double>(v.size());
  for (double x : v) r.std += (x - r.mean) * (x - r.mean);
  r.std = std::sqrt(r.std / static_cast<double>(v.size()));
  return r;
}

// A trained network per fold (the same options each time), scored on the fold's test set; no
// per-epoch lines, as the closed-form folds print no per-layer ones.
void run_cv_net(const CvCommand& opt, net::Method method) {
  const net::NetOptions base = make_net_options(opt.train, method);
  BackendChoice choice = select_backend(Device::parse(opt.train.device));
  Backend& backend = *choice.backend;
  const bool text = !opt.train.json;
  if (text) {
    std::printf("folds   %s_K (K = %s)\n", opt.folds.c_str(),
                opt.only_fold ? std::to_string(opt.only_fold).c_str() : "1..10");
    std::printf("device  %s\n        %s\n", backend.description().c_str(), choice.reason.c_str());
    print_net_plan(base);
    std::printf("%-5s %7s %9s %9s %9s %9s\n", "fold", "epochs", "train", "test", "loss", "fit (s)");
    std::fflush(stdout);
  }

  nlohmann::json folds = nlohmann::json::array();
  std::vector<double> test_acc, train_acc, final_loss, fit_seconds;
  for (int k = opt.only_fold ? opt.only_fold : 1; k <= (opt.only_fold ? opt.only_fold : kFolds); ++k) {
    stop_if_interrupted("before fold " + std::to_string(k) + ": cross-validation stopped");
    Fold fold = read_fold(opt.folds, k);
    const std::string prefix = opt.folds + "_" + std::to_string(k);
    const LabelEncoding encoding = encode_labels(fold.train.labels);
    if (encoding.labels.num_classes < 2)
      throw InvalidArgument(prefix + "_label.csv: the training labels hold a single class ('" +
                            encoding.classes.front() + "'); the network needs at least two");
    const Truth test_truth = encode_truth(encoding.classes, fold.test.labels, prefix + "_label_test.csv");
    net::NetOptions options = base;
    options.image = resolve_image(opt.train.net, options.arch, fold.train.X.cols(), fold.train.sample_shape,
                                  prefix + ".csv");
    options.validate();
    const LabeledData train{prefix + ".csv", std::move(fold.train.X), std::move(fold.train.labels), {}};
    const LabeledData test{prefix + "_test.csv", std::move(fold.test.X), std::move(fold.test.labels), {}};
    const NetRun run = fit_network(backend, train, encoding, &test, &test_truth, options, {});
    NetFitResult r;
    r.run = &run;
    r.device = backend.device().str();
    r.n_train = train.X.rows();
    r.n_test = test.X.rows();
    r.unknown_test_labels = test_truth.unknown;
    nlohmann::json j = net_fit_json(r);
    j["fold"] = k;
    folds.push_back(j);
    test_acc.push_back(*run.test_accuracy);
    train_acc.push_back(run.train_accuracy);
    const double loss = run.epochs.empty() ? std::nan("") : run.epochs.back().loss;
    final_loss.push_back(loss);
    fit_seconds.push_back(run.model.fit_seconds);
    if (text) {
      std::printf("%-5d %7zu %9.4f %9.4f %9.4f %9.3f\n", k, run.epochs.size(), run.train_accuracy, *run.test_accuracy,
                  loss, run.model.fit_seconds);
      std::fflush(stdout);
    }
  }
  const MeanStd t = mean_std(test_acc);
  const MeanStd tr = mean_std(train_acc);
  const MeanStd l = mean_std(final_loss);
  const MeanStd f = mean_std(fit_seconds);
  if (text) {
    std::printf("%-5s %7s %4.2f±%-4.2f %4.2f±%-4.2f %4.2f±%-4.2f %6.3f±%.3f\n", "mean", "", tr.mean, tr.std, t.mean, t.std,
                l.mean, l.std, f.mean, f.std);
    return;
  }
  // NaN (a diverged loss) has no JSON number: null, as in each fold's record.
  const auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json summary = {{"folds", test_acc.size()},
                            {"test_accuracy_mean", t.mean},
                            {"test_accuracy_std", t.std},
                            {"train_accuracy_mean", tr.mean},
                            {"train_accuracy_std", tr.std},
                            {"final_loss_mean", number(l.mean)},
                            {"final_loss_std", number(l.std)},
                            {"fit_seconds_mean", f.mean},
                            {"fit_seconds_std", f.std}};
  std::cout << nlohmann::json{{"folds", folds},
                              {"summary", summary},
                              {"method", net::to_string(method)},
                              {"device", backend.device().str()},
                              {"device_description", backend.description()}}
                   .dump(2)
            << "\n";
}

void run_cv_kme(const CvCommand& opt, CLI::App* cmd) {
  TrainOptions train_options = opt.train;
  apply_preset(opt.preset, cmd, train_options);
  const kme::TrainConfig config = make_train_config(train_options);
  BackendChoice choice = select_backend(Device::parse(train_options.device));
  Backend& backend = *choice.backend;
  const bool text = !train_options.json;
  if (text) {
    std::printf("folds   %s_K (K = %s)%s%s\n", opt.folds.c_str(),
                opt.only_fold ? std::to_string(opt.only_fold).c_str() : "1..10",
                opt.preset.empty() ? "" : ", preset ", opt.preset.c_str());
    std::printf("device  %s\n        %s\n", backend.description().c_str(), choice.reason.c_str());
    std::printf("%-5s %7s %9s %9s %8s %9s\n", "fold", "layers", "train", "test", "H", "fit (s)");
    std::fflush(stdout);
  }

  nlohmann::json folds = nlohmann::json::array();
  std::vector<double> test_acc, train_acc, layers, fit_seconds, hsic;
  for (int k = opt.only_fold ? opt.only_fold : 1; k <= (opt.only_fold ? opt.only_fold : kFolds); ++k) {
    stop_if_interrupted("before fold " + std::to_string(k) + ": cross-validation stopped");
    const Fold fold = read_fold(opt.folds, k);
    const std::string prefix = opt.folds + "_" + std::to_string(k);
    const LabelEncoding encoding = encode_labels(fold.train.labels);
    if (encoding.labels.num_classes < 2)
      throw InvalidArgument(prefix + "_label.csv: the training labels hold a single class ('" +
                            encoding.classes.front() + "'); the network needs at least two");
    check_knn_k(config, fold.train.X.rows(), " of " + prefix + ".csv");
    check_data_scale(config, fold.train.X.cview(), prefix + ".csv");
    check_batch_rows(config.standardize, "", fold.test.X.rows(), prefix + "_test.csv");
    const Truth test_truth = encode_truth(encoding.classes, fold.test.labels, prefix + "_label_test.csv");
    warn_if_few_rows(config.standardize, "", fold.test.X.rows(), prefix + "_test.csv");
    const kme::KmeModel model = kme::train(backend, fold.train.X.cview(), encoding.labels, encoding.classes, config,
                                           stop_on_interrupt(kme::ProgressCallback{}));
    check_batch(model, "", fold.test.X.cview(), prefix + "_test.csv");
    FitResult r;
    r.model = &model;
    r.device = backend.device().str();
    r.n_train = fold.train.X.rows();
    r.n_test = fold.test.X.rows();
    r.train_accuracy =
        accuracy(kme::predict_from_outputs(backend, model, model.train_outputs.cview()), encoding.labels.y);
    r.test_accuracy = accuracy(kme::predict(backend, model, fold.test.X.cview()), test_truth.y);
    r.unknown_test_labels = test_truth.unknown;
    nlohmann::json j = fit_json(r);
    j["fold"] = k;
    folds.push_back(j);
    test_acc.push_back(*r.test_accuracy);
    train_acc.push_back(r.train_accuracy);
    layers.push_back(static_cast<double>(model.layers.size()));
    fit_seconds.push_back(model.fit_seconds);
    hsic.push_back(model.final_hsic());
    if (text) {
      std::printf("%-5d %7zu %9.4f %9.4f %8.4f %9.3f\n", k, model.layers.size(), r.train_accuracy, *r.test_accuracy,
                  model.final_hsic(), model.fit_seconds);
      std::fflush(stdout);
    }
  }
  const MeanStd t = mean_std(test_acc);
  const MeanStd tr = mean_std(train_acc);
  const MeanStd l = mean_std(layers);
  const MeanStd f = mean_std(fit_seconds);
  const MeanStd h = mean_std(hsic);
  if (text) {
    std::printf("%-5s %4.2f±%-4.2f %4.2f±%-4.2f %4.2f±%-4.2f %4.2f±%-4.2f %6.3f±%.3f\n", "mean", l.mean, l.std, tr.mean,
                tr.std, t.mean, t.std, h.mean, h.std, f.mean, f.std);
    return;
  }
  nlohmann::json summary = {{"folds", test_acc.size()},
                            {"test_accuracy_mean", t.mean},
                            {"test_accuracy_std", t.std},
                            {"train_accuracy_mean", tr.mean},
                            {"train_accuracy_std", tr.std},
                            {"layers_mean", l.mean},
                            {"layers_std", l.std},
                            {"hsic_mean", h.mean},
                            {"hsic_std", h.std},
                            {"fit_seconds_mean", f.mean},
                            {"fit_seconds_std", f.std}};
  std::cout << nlohmann::json{{"folds", folds},
                              {"summary", summary},
                              {"preset", opt.preset},
                              {"device", backend.device().str()},
                              {"device_description", backend.description()}}
                   .dump(2)
            << "\n";
}

void run_cv(const CvCommand& given, CLI::App* cmd) {
  CvCommand opt = given;
  const net::Method method = parse_method_option(opt.train.net);
  check_method_options(cmd, method, opt.train, {"--preset"});
  apply_method_defaults(cmd, method, opt.train.net);
  if (method == net::Method::kme) {
    run_cv_kme(opt, cmd);
  } else {
    run_cv_net(opt, method);
  }
}

}  // namespace

void add_cv_command(CLI::App& app) {
  auto opt = std::make_shared<CvCommand>();
  CLI::App* cmd = app.add_subcommand("cv", "10-fold cross-validation on the reference fold layout");
  cmd->add_option("--folds", opt->folds, "DIR/NAME: files NAME_K.csv, NAME_K_label.csv, NAME_K_test.csv, NAME_K_label_test.csv")
      ->required()
      ->check(non_empty());
  cmd->add_option("--preset", opt->preset, "--method kme: the reference protocol for a shipped dataset (noise 0.02, separate "
                                           "standardisation, published widths, the reference's RFF estimate of rho): "
                                           "adversarial, cancer, car, cifar10, divorce, random, spiral, wine")
      ->check(non_empty());
  add_integer_option(cmd, "--fold", opt->only_fold, 1, kFolds, "Run only fold K")->default_str("all");
  add_train_options(cmd, opt->train);
  cmd->callback([opt, cmd] { run_cv(*opt, cmd); });
}

}  // namespace lwnet::cli
