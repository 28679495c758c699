// Checks on a command's inputs made before the library is called, so that a refusal names the
// option or file the user gave (the library's own checks name its arguments) and comes before
// any time is spent: where --out may go, whether a batch suits a model, whether data unscaled by
// --standardize none suit the kernel widths.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "lwnet/matrix.hpp"
#include "lwnet/net.hpp"
#include "lwnet/kme.hpp"

namespace lwnet::cli {

struct NamedPath {
  const char* option;  // "--data"
  std::string path;    // empty: not given
};

// Refuses an output that would destroy an input (the same file through any path, hard or
// symbolic link: InvalidArgument) or that lwnet cannot write (a directory, a device, a missing or
// read-only folder: IoError), before any work. Nothing to check when `out` is empty.
void check_output_file(const char* option, const std::string& out, std::initializer_list<NamedPath> inputs);

// A batch of raw data (from `source`) that `model` (from `model_path`; empty: the model just
// trained) is about to predict: the model's width, enough rows for a model that standardises each
// batch by its own statistics (check_batch_rows), and no value the training statistics cannot
// standardise in float32. IoError / InvalidArgument naming the file and the sample.
void check_batch(const kme::KmeModel& model, const std::string& model_path, MatrixView<const float> X,
                 const std::string& source);
// The same for a trained network: its width, and values its training statistics can standardise.
void check_batch(const net::NetModel& model, const std::string& model_path, MatrixView<const float> X,
                 const std::string& source);
// With --standardize separate a batch needs Standardizer::kMinRowsOwnStatistics rows: one row
// standardises to all zeros, so every prediction would be the same whatever the data.
void check_batch_rows(StandardizeMode mode, const std::string& model_path, std::int64_t rows, const std::string& source);
// A warning (no error) for a separate-mode batch of fewer than kFewRowsOwnStatistics rows, whose
// statistics are rough. Called after the checks that can fail, so that a failure stays one line.
void warn_if_few_rows(StandardizeMode mode, const std::string& model_path, std::int64_t rows, const std::string& source);
constexpr std::int64_t kFewRowsOwnStatistics = 10;

// k-NN's k within the training samples of `source` (`what_rows` says where they come from), so the
// error names the option and the file before the fit.
void check_knn_k(const kme::TrainConfig& config, std::int64_t rows, const std::string& what_rows);

// With --standardize none the fit's kernels see the raw data: refuses (InvalidArgument naming
// `source`) data whose scale, the RMS distance between samples, is so far below the smallest
// width the fit tries on its input (options.input_sigma_floor) that every kernel is constant in
// float32, or so large that squared distances leave the usable widths. Other modes scale the data.
void check_data_scale(const kme::TrainConfig& config, MatrixView<const float> X, const std::string& source);
// Below floor * kScaleBelowFloor, exp(-D^2 / (2 floor^2)) rounds to 1 in float32.
constexpr double kScaleBelowFloor = 1e-4;
// Above this, widths near the data's scale exceed the kernel's limit of 1e18.
constexpr double kScaleAbove = 1e16;

}  // namespace lwnet::cli
