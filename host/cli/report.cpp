#include "cli/report.hpp"

#include <cstdio>

namespace lwnet::cli {

ProgressCallback progress_printer(bool enabled, const std::string& prefix) {
  if (!enabled) return {};
  return [prefix](const LayerProgress& p) {
    if (p.accepted != nullptr) {
      const KmeLayer& l = *p.accepted;
      std::printf("%slayer %2d  sigma %-10.4g sigma_beta %-10.4g HSIC %.4f  extra columns %zu  widths tried %d  %.2f s\n",
                  prefix.c_str(), p.layer, l.sigma, l.sigma_beta, l.hsic, l.extra_rows.size(), l.candidates_tried,
                  l.seconds);
    } else {
      std::printf("%sstopped after %d layer%s: %s\n", prefix.c_str(), p.layer, p.layer == 1 ? "" : "s",
                  p.stop_reason.c_str());
    }
    std::fflush(stdout);
  };
}

nlohmann::json fit_json(const FitResult& r) {
  const KmeModel& m = *r.model;
  nlohmann::json sigmas = nlohmann::json::array();
  nlohmann::json sigmas_beta = nlohmann::json::array();
  nlohmann::json layer_hsic = nlohmann::json::array();
  nlohmann::json extra = nlohmann::json::array();
  for (const KmeLayer& l : m.layers) {
    sigmas.push_back(l.sigma);
    sigmas_beta.push_back(l.sigma_beta);
    layer_hsic.push_back(l.hsic);
    extra.push_back(l.extra_rows.size());
  }
  nlohmann::json j = {{"layers", m.layers.size()},
                      {"sigmas", sigmas},
                      {"sigmas_beta", sigmas_beta},
                      {"layer_hsic", layer_hsic},
                      {"extra_columns", extra},
                      {"hsic", m.final_hsic()},
                      {"train_accuracy", r.train_accuracy},
                      {"fit_seconds", m.fit_seconds},
                      {"device", r.device},
                      {"n_train", r.n_train},
                      {"d", m.input_dim},
                      {"classes", m.classes}};
  if (r.test_accuracy) {
    j["test_accuracy"] = *r.test_accuracy;
    j["n_test"] = r.n_test;
  }
  if (m.layers.empty()) j["warning"] = "no layer was accepted: predictions use the preprocessed input";
  return j;
}

void print_fit_summary(const FitResult& r) {
  const KmeModel& m = *r.model;
  std::printf("layers %zu, normalised HSIC %.4f, fit %.3f s on %s\n", m.layers.size(), m.final_hsic(), m.fit_seconds,
              r.device.c_str());
  if (m.layers.empty())
    std::printf("warning: no layer was accepted: predictions use the preprocessed input\n");
  std::printf("train accuracy %.4f (%lld samples)\n", r.train_accuracy, static_cast<long long>(r.n_train));
  if (r.test_accuracy)
    std::printf("test accuracy  %.4f (%lld samples)\n", *r.test_accuracy, static_cast<long long>(r.n_test));
}

}  // namespace lwnet::cli
