#include "cli/report.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <memory>

namespace lwnet::cli {

namespace {

// A layer counts as long, and gets width-by-width progress, once it has run this long.
constexpr double kLongLayerSeconds = 2.0;

std::string progress_bar(int done, int total) {
  constexpr int kWidth = 20;
  const int filled = total > 0 ? done * kWidth / total : 0;
  return "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(kWidth - filled), '.') + "]";
}

// Widths tried in a long layer: a bar redrawn in place on a terminal, plain lines otherwise.
// The time left is an upper bound: the layer ends at the first width that improves HSIC.
void print_width_progress(const kme::LayerProgress& p, const std::string& prefix, bool tty, bool& bar_shown) {
  const double per_width = p.layer_seconds / p.width;
  const double left = per_width * (p.widths - p.width);
  char text[256];
  char score[96];
  if (std::isnan(p.held_out_accuracy))
    std::snprintf(score, sizeof score, "HSIC %.4f", p.hsic);
  else
    std::snprintf(score, sizeof score, "held-out accuracy %.4f, HSIC %.4f", p.held_out_accuracy, p.hsic);
  std::snprintf(text, sizeof text, "%slayer %2d  %s width %d/%d (sigma %.4g, %s)  %.2f s/width, at most %.0f s left",
                prefix.c_str(), p.layer, progress_bar(p.width, p.widths).c_str(), p.width, p.widths, p.sigma, score,
                per_width, left);
  if (tty) {
    std::fprintf(stderr, "\r\033[K%s", text);
    bar_shown = true;
  } else {
    std::fprintf(stderr, "%s\n", text);
  }
}

}  // namespace

kme::ProgressCallback progress_printer(bool enabled, const std::string& prefix) {
  if (!enabled) return {};
  const bool tty = isatty(fileno(stderr)) != 0;
  auto bar_shown = std::make_shared<bool>(false);
  return [prefix, tty, bar_shown](const kme::LayerProgress& p) {
    if (p.event == kme::LayerProgress::Event::width_tried) {
      if (p.layer_seconds >= kLongLayerSeconds) print_width_progress(p, prefix, tty, *bar_shown);
      std::fflush(stderr);
      return;
    }
    if (*bar_shown) {
      std::fprintf(stderr, "\r\033[K");  // the bar gives way to the layer's line
      *bar_shown = false;
    }
    if (p.event == kme::LayerProgress::Event::layer_accepted) {
      const kme::KmeLayer& l = *p.accepted;
      std::fprintf(stderr, "%slayer %2d  sigma %-10.4g sigma_beta %-10.4g HSIC %.4f  extra columns %zu  widths tried %d  %.2f s\n",
                  prefix.c_str(), p.layer, l.sigma, l.sigma_beta, l.hsic, l.extra_rows.size(), l.candidates_tried,
                  l.seconds);
    } else {
      std::fprintf(stderr, "%sstopped after %d layer%s: %s\n", prefix.c_str(), p.layer, p.layer == 1 ? "" : "s",
                   p.stop_reason.c_str());
    }
    std::fflush(stderr);
  };
}

nlohmann::json fit_json(const FitResult& r) {
  const kme::KmeModel& m = *r.model;
  nlohmann::json sigmas = nlohmann::json::array();
  nlohmann::json sigmas_beta = nlohmann::json::array();
  nlohmann::json layer_hsic = nlohmann::json::array();
  nlohmann::json extra = nlohmann::json::array();
  for (const kme::KmeLayer& l : m.layers) {
    sigmas.push_back(l.sigma);
    sigmas_beta.push_back(l.sigma_beta);
    layer_hsic.push_back(l.hsic);
    extra.push_back(l.extra_rows.size());
  }
  nlohmann::json j = {{"method", "kme"},
                      {"layers", m.layers.size()},
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
                      {"classes", m.classes},
                      {"selection", to_string(m.options.selection)}};
  if (!m.held_out_accuracy.empty()) j["held_out_accuracy"] = m.held_out_accuracy;
  if (r.test_accuracy) {
    j["test_accuracy"] = *r.test_accuracy;
    j["n_test"] = r.n_test;
    j["unknown_test_labels"] = r.unknown_test_labels;
  }
  if (m.layers.empty()) j["warning"] = "no layer was accepted: predictions use the preprocessed input";
  return j;
}

void print_fit_summary(const FitResult& r) {
  const kme::KmeModel& m = *r.model;
  std::printf("layers %zu, normalised HSIC %.4f, fit %.3f s on %s\n", m.layers.size(), m.final_hsic(), m.fit_seconds,
              r.device.c_str());
  if (m.layers.empty())
    std::printf("warning: no layer was accepted: predictions use the preprocessed input\n");
  if (!m.held_out_accuracy.empty()) {
    std::printf("held-out accuracy by depth (--select validation):");
    for (std::size_t l = 0; l < m.held_out_accuracy.size(); ++l)
      std::printf(" %zu: %.4f", l, m.held_out_accuracy[l]);
    std::printf("\n");
  }
  std::printf("train accuracy %.4f (%lld samples)\n", r.train_accuracy, static_cast<long long>(r.n_train));
  if (r.test_accuracy)
    std::printf("test accuracy  %.4f (%lld samples)\n", *r.test_accuracy, static_cast<long long>(r.n_test));
}

void warn(const std::string& text) {
  std::fflush(stdout);  // keeps the order of the two streams on one terminal
  std::fprintf(stderr, "lwnet: warning: %s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace lwnet::cli
