#include "cli/net_report.hpp"

#include <cmath>
#include <cstdio>

#include "cli/parse.hpp"

namespace lwnet::cli {

namespace {

// NaN (nothing measured) and infinities (a diverged loss) have no JSON number: null.
nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

int digits(int v) { return static_cast<int>(std::to_string(v).size()); }

std::string optimizer_text(const net::NetOptions& o) {
  std::string text = std::string(net::to_string(o.optimizer)) + " lr " + format_real(o.effective_learning_rate());
  if (o.optimizer == net::OptimizerKind::sgd) text += " momentum " + format_real(o.momentum);
  if (o.weight_decay > 0.0) text += " weight decay " + format_real(o.weight_decay);
  return text;
}

}  // namespace

net::EpochCallback epoch_printer(bool enabled, int epochs, const std::string& prefix) {
  if (!enabled) return {};
  const int width = digits(epochs);
  return [prefix, epochs, width](const net::EpochRecord& r) {
    char test[32] = "";
    if (!std::isnan(r.test_accuracy)) std::snprintf(test, sizeof test, "  test %.4f", r.test_accuracy);
    std::fprintf(stderr, "%sepoch %*d/%d  loss %.4f  train %.4f%s  %.3f s  %.0f samples/s\n", prefix.c_str(), width,
                 r.epoch, epochs, r.loss, r.train_accuracy, test, r.seconds, r.samples_per_second);
    std::fflush(stderr);
  };
}

nlohmann::json net_fit_json(const NetFitResult& r) {
  const net::NetModel& m = r.run->model;
  const std::vector<net::EpochRecord>& history = r.run->epochs;
  const net::NetOptions& o = m.options;
  nlohmann::json epochs = nlohmann::json::array();
  for (const net::EpochRecord& e : history)
    epochs.push_back({{"epoch", e.epoch},
                      {"loss", number_or_null(e.loss)},
                      {"train_accuracy", number_or_null(e.train_accuracy)},
                      {"test_accuracy", number_or_null(e.test_accuracy)},
                      {"seconds", e.seconds},
                      {"samples_per_second", e.samples_per_second}});
  nlohmann::json j = {{"method", net::to_string(o.method)},
                      {"arch", o.arch.str()},
                      {"epochs", epochs},
                      {"train_accuracy", r.run->train_accuracy},
                      {"final_loss", history.empty() ? nlohmann::json(nullptr) : number_or_null(history.back().loss)},
                      {"fit_seconds", m.fit_seconds},
                      {"device", r.device},
                      {"n_train", r.n_train},
                      {"d", m.input_dim},
                      {"classes", m.classes},
                      {"batch_size", o.batch_size},
                      {"optimizer", net::to_string(o.optimizer)},
                      {"learning_rate", o.effective_learning_rate()},
                      {"init", net::to_string(o.init)},
                      {"loss", net::to_string(o.loss)},
                      {"seed", o.seed}};
  if (o.optimizer == net::OptimizerKind::sgd) j["momentum"] = o.momentum;
  j["weight_decay"] = o.weight_decay;
  if (!o.image.empty()) j["image"] = o.image.str();
  if (r.run->test_accuracy) {
    j["test_accuracy"] = *r.run->test_accuracy;
    j["n_test"] = r.n_test;
    j["unknown_test_labels"] = r.unknown_test_labels;
  }
  return j;
}

void print_net_plan(const net::NetOptions& o) {
  std::printf("network %s %s%s, %d epoch%s of batches of %lld, %s, init %s, loss %s\n", net::to_string(o.method),
              o.arch.str().c_str(), o.image.empty() ? "" : (" on " + o.image.str() + " images").c_str(), o.epochs,
              o.epochs == 1 ? "" : "s", static_cast<long long>(o.batch_size), optimizer_text(o).c_str(),
              net::to_string(o.init), net::to_string(o.loss));
  std::fflush(stdout);
}

void print_net_fit_summary(const NetFitResult& r) {
  const NetRun& run = *r.run;
  const double loss = run.epochs.empty() ? std::nan("") : run.epochs.back().loss;
  std::printf("epochs %zu, final loss %.4f, fit %.3f s on %s\n", run.epochs.size(), loss, run.model.fit_seconds,
              r.device.c_str());
  std::printf("train accuracy %.4f (%lld samples)\n", run.train_accuracy, static_cast<long long>(r.n_train));
  if (run.test_accuracy)
    std::printf("test accuracy  %.4f (%lld samples)\n", *run.test_accuracy, static_cast<long long>(r.n_test));
}

}  // namespace lwnet::cli
