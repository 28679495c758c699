// What `lwnet train` and `lwnet cv` print: progress lines per accepted layer (stderr), and the
// result of a fit as text or JSON (stdout); warnings (stderr). Results go to stdout and progress
// to stderr, so `lwnet train > result.txt` keeps the result and still shows the progress.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lwnet/kme.hpp"

namespace lwnet::cli {

// Prints one line per accepted layer and the reason growing stopped on stderr (text mode only);
// in a layer that runs longer than 2 s, the widths tried too, with the rate and the time left: a
// progress bar redrawn in place when stderr is a terminal, a plain line each otherwise.
kme::ProgressCallback progress_printer(bool enabled, const std::string& prefix = "");

struct FitResult {
  const kme::KmeModel* model = nullptr;
  std::string device;
  double train_accuracy = 0.0;
  std::optional<double> test_accuracy;
  std::int64_t n_train = 0;
  std::int64_t n_test = 0;
  std::int64_t unknown_test_labels = 0;  // test labels that are not classes of the model
};

// The train JSON object: method ("kme"), layers, sigmas, sigmas_beta, layer_hsic, hsic, train_accuracy,
// test_accuracy (with a test set), fit_seconds, device, and the data's shape.
nlohmann::json fit_json(const FitResult& r);
// The closing lines of a text-mode fit.
void print_fit_summary(const FitResult& r);

// "lwnet: warning: TEXT" on stderr: something the user should know that does not stop the command.
void warn(const std::string& text);

}  // namespace lwnet::cli
