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
    char test[32] = "", train[32] = "", jitter[64] = "";
    if (!std::isnan(r.test_accuracy)) std::snprintf(test, sizeof test, "  test %.4f", r.test_accuracy);
    if (!std::isnan(r.train_accuracy)) std::snprintf(train, sizeof train, "  train %.4f", r.train_accuracy);
    if (r.jitter > 0.0) std::snprintf(jitter, sizeof jitter, "  (jitter up to %.3g added to a batch kernel)", r.jitter);
    std::string layers;
    if (!r.layer_losses.empty() && r.stage != "readout" && r.stage.rfind("layer ", 0) != 0) {
      layers = "  layer losses";
      for (double v : r.layer_losses) layers += " " + format_real(v);
    }
    const std::string stage = r.stage.empty() ? "" : " [" + r.stage + "]";
    std::fprintf(stderr, "%sepoch %*d/%d%s  loss %.4f%s%s  %.3f s  %.0f samples/s%s%s\n", prefix.c_str(), width,
                 r.epoch, epochs, stage.c_str(), r.loss, train, test, r.seconds, r.samples_per_second, layers.c_str(),
                 jitter);
    std::fflush(stderr);
  };
}

nlohmann::json net_fit_json(const NetFitResult& r) {
  const net::NetModel& m = r.run->model;
  const std::vector<net::EpochRecord>& history = r.run->epochs;
  const net::NetOptions& o = m.options;
  nlohmann::json epochs = nlohmann::json::array();
  for (const net::EpochRecord& e : history) {
    nlohmann::json epoch = {{"epoch", e.epoch},
                            {"loss", number_or_null(e.loss)},
                            {"train_accuracy", number_or_null(e.train_accuracy)},
                            {"test_accuracy", number_or_null(e.test_accuracy)},
                            {"seconds", e.seconds},
                            {"samples_per_second", e.samples_per_second}};
    if (!e.stage.empty()) epoch["stage"] = e.stage;
    if (!e.layer_losses.empty()) {
      nlohmann::json losses = nlohmann::json::array();
      for (double v : e.layer_losses) losses.push_back(number_or_null(v));
      epoch["layer_losses"] = losses;
    }
    if (e.jitter > 0.0) epoch["jitter"] = e.jitter;
    epochs.push_back(epoch);
  }
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
  if (o.method == net::Method::dgl || o.dgl.monitor)
    j["dgl"] = {{"sw2", o.dgl.sw2}, {"sb2", o.dgl.sb2}, {"noise", o.dgl.noise}, {"center_targets", o.dgl.center_targets},
                {"monitor", o.dgl.monitor}};
  if (o.method == net::Method::hsic_bottleneck)
    j["hsic_bottleneck"] = {{"sigma", o.hsic.sigma},
                            {"beta", o.hsic.beta},
                            {"output", o.hsic.unformatted ? "unformatted" : "format"},
                            {"epsilon", o.hsic.epsilon},
                            {"readout_epochs", o.hsic.readout_epochs},
                            {"readout_learning_rate", o.hsic.readout_learning_rate},
                            {"readout_weight_decay", o.hsic.readout_weight_decay},
                            {"readout_batch_size", o.hsic.readout_batch_size}};
  if (r.run->test_accuracy) {
    j["test_accuracy"] = *r.run->test_accuracy;
    j["n_test"] = r.n_test;
    j["unknown_test_labels"] = r.unknown_test_labels;
  }
  return j;
}

void print_net_plan(const net::NetOptions& o) {
  const bool layer_wise = o.method == net::Method::dgl || o.method == net::Method::hsic_bottleneck;
  std::printf("network %s %s%s, %d epoch%s%s of batches of %lld, %s, init %s%s\n", net::to_string(o.method),
              o.arch.str().c_str(), o.image.empty() ? "" : (" on " + o.image.str() + " images").c_str(), o.epochs,
              o.epochs == 1 ? "" : "s", o.method == net::Method::dgl ? " per layer" : "",
              static_cast<long long>(o.batch_size), optimizer_text(o).c_str(), net::to_string(o.init),
              layer_wise ? "" : (std::string(", loss ") + net::to_string(o.loss)).c_str());
  if (o.method == net::Method::dgl || o.dgl.monitor)
    std::printf("dgl: sw2 %s, sb2 %s, noise %s, targets %s%s\n", format_real(o.dgl.sw2).c_str(),
                format_real(o.dgl.sb2).c_str(), format_real(o.dgl.noise).c_str(),
                o.dgl.center_targets ? "centred one-hot" : "one-hot",
                o.method == net::Method::dgl ? ", least-squares readout after each epoch" : ", monitored after each epoch");
  if (o.method == net::Method::hsic_bottleneck && o.hsic.unformatted)
    std::printf("hsic-bottleneck: sigma %s, beta %s; unformatted: the last block's units are assigned to classes\n",
                format_real(o.hsic.sigma).c_str(), format_real(o.hsic.beta).c_str());
  else if (o.method == net::Method::hsic_bottleneck)
    std::printf("hsic-bottleneck: sigma %s, beta %s; readout: %d epochs of batches of %lld, sgd lr %s weight decay %s\n",
                format_real(o.hsic.sigma).c_str(), format_real(o.hsic.beta).c_str(), o.hsic.readout_epochs,
                static_cast<long long>(o.hsic.readout_batch_size), format_real(o.hsic.readout_learning_rate).c_str(),
                format_real(o.hsic.readout_weight_decay).c_str());
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
