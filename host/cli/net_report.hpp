// What `lwnet train --method backprop` and `lwnet cv` print for a trained network: one progress
// line per epoch (stderr) and the result as text or JSON (stdout), with report.hpp's conventions:
// results on stdout, progress on stderr, `device` the backend's device string, and missing values
// (no test set, a NaN) absent or null in the JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/net_fit.hpp"
#include "lwnet/net.hpp"

namespace lwnet::cli {

// "epoch  3/10  loss 0.4123  train 0.8810  test 0.8500  0.210 s  8476 samples/s" per epoch on
// stderr (the test figure only when there is a test set); nothing when !enabled.
net::EpochCallback epoch_printer(bool enabled, int epochs, const std::string& prefix = "");

struct NetFitResult {
  const NetRun* run = nullptr;
  std::string device;
  std::int64_t n_train = 0;
  std::int64_t n_test = 0;
  std::int64_t unknown_test_labels = 0;
};

// {"method", "arch", "epochs": [{"epoch", "loss", "train_accuracy", "test_accuracy", "seconds",
// "samples_per_second"}, ...], "train_accuracy", "test_accuracy" (with a test set), "final_loss",
// "fit_seconds", "device", the data's shape and the training options}.
nlohmann::json net_fit_json(const NetFitResult& r);
// The line saying what is trained, before the fit (text mode).
void print_net_plan(const net::NetOptions& o);
// The closing lines of a text-mode fit.
void print_net_fit_summary(const NetFitResult& r);

}  // namespace lwnet::cli
