// Shared pieces of the closed-form network's tests: the committed reference folds (read through
// the LWNET_DATA_DIR the build passes in), the reference protocol's training configuration, test
// labels encoded with a model's classes, and a field-by-field model comparison that reports the
// first difference (bitwise for every float, so "equal" means what a saved file must preserve).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <memory>

#include <gtest/gtest.h>

#include "lwnet/backend.hpp"
#include "lwnet/io.hpp"
#include "lwnet/kme.hpp"

#ifndef LWNET_DATA_DIR
#error "LWNET_DATA_DIR must name the repository's data/ folder (tests/CMakeLists.txt defines it)"
#endif

namespace lwnet::test {

// The CPU backend of the training tests: one thread. ctest runs several test processes at once
// (the presets' "jobs": 4), and OpenMP threads spinning at the barriers of training's many small
// parallel regions slow a fit down tens of times when the cores are oversubscribed; one thread
// keeps each test's time what it is alone (wine's ten folds ~1 s, spiral's ~2 s).
inline std::unique_ptr<Backend> training_backend() { return make_cpu_backend(1); }

// DIR/NAME for data/nik/NAME/NAME_K*.csv.
inline std::string fold_stem(const std::string& name) {
  return std::string(LWNET_DATA_DIR) + "/nik/" + name + "/" + name;
}

// The published protocol (spec 1.5, `lwnet cv --preset wine`): 0.02 N(0,1) noise on the raw
// training data, each batch standardised with its own statistics, widths (s_smallest, N_s).
inline kme::TrainConfig reference_protocol(double sigma_smallest = 0.05, int sigma_count = 20, std::uint64_t seed = 0) {
  kme::TrainConfig config;
  config.noise = 0.02;
  config.standardize = StandardizeMode::separate;
  config.options.sigma_smallest = sigma_smallest;
  config.options.sigma_count = sigma_count;
  config.options.seed = seed;
  return config;
}

// Class indices of raw label text in `classes` (a model's); an unknown label fails the test.
inline std::vector<int> encode_with(const std::vector<std::string>& classes, const std::vector<std::string>& raw) {
  std::vector<int> y;
  for (const auto& label : raw) {
    const auto it = std::find(classes.begin(), classes.end(), label);
    if (it == classes.end()) {
      ADD_FAILURE() << "label '" << label << "' is not one of the model's classes";
      y.push_back(-1);
    } else {
      y.push_back(static_cast<int>(it - classes.begin()));
    }
  }
  return y;
}

template <class T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

inline ::testing::AssertionResult same_matrix(const Matrix<float>& a, const Matrix<float>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols())
    return ::testing::AssertionFailure() << "shapes " << a.rows() << "x" << a.cols() << " and " << b.rows() << "x"
                                         << b.cols();
  for (std::int64_t i = 0; i < a.rows(); ++i)
    for (std::int64_t j = 0; j < a.cols(); ++j)
      if (!same_bits(a(i, j), b(i, j)))
        return ::testing::AssertionFailure() << "first difference at (" << i << ", " << j << "): " << a(i, j)
                                             << " vs " << b(i, j);
  return ::testing::AssertionSuccess();
}

inline bool same_options(const kme::KmeOptions& a, const kme::KmeOptions& b) {
  return a.max_layers == b.max_layers && same_bits(a.sigma_smallest, b.sigma_smallest) &&
         a.sigma_count == b.sigma_count && same_bits(a.hsic_threshold, b.hsic_threshold) &&
         same_bits(a.initial_hsic, b.initial_hsic) && a.rho == b.rho && a.rff_features == b.rff_features &&
         a.extra_columns == b.extra_columns && a.predictor == b.predictor && a.knn_k == b.knn_k &&
         a.sigma_sample == b.sigma_sample && same_bits(a.input_sigma_floor, b.input_sigma_floor) &&
         same_bits(a.layer_sigma_floor, b.layer_sigma_floor) && a.seed == b.seed && a.selection == b.selection &&
         same_bits(a.validation_fraction, b.validation_fraction);
}

// Every field of two models, bitwise. Timings (fit_seconds, each layer's seconds) only when
// `timings` is set: two fits take different times.
inline ::testing::AssertionResult same_model(const kme::KmeModel& a, const kme::KmeModel& b, bool timings) {
  auto fail = [](const std::string& what) { return ::testing::AssertionFailure() << what << " differs"; };
  if (!same_options(a.options, b.options)) return fail("options");
  if (a.standardize != b.standardize) return fail("standardize");
  if (!same_bits(a.noise, b.noise)) return fail("noise");
  if (!same_bits(a.statistics.mean, b.statistics.mean)) return fail("statistics.mean");
  if (!same_bits(a.statistics.std, b.statistics.std)) return fail("statistics.std");
  if (a.input_dim != b.input_dim) return fail("input_dim");
  if (a.classes != b.classes) return fail("classes");
  if (a.train_labels != b.train_labels) return fail("train_labels");
  if (timings && !same_bits(a.fit_seconds, b.fit_seconds)) return fail("fit_seconds");
  if (a.layers.size() != b.layers.size())
    return ::testing::AssertionFailure() << "layer counts " << a.layers.size() << " and " << b.layers.size();
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    const kme::KmeLayer& x = a.layers[l];
    const kme::KmeLayer& y = b.layers[l];
    const std::string at = "layer " + std::to_string(l + 1) + " ";
    if (!same_bits(x.sigma, y.sigma)) return fail(at + "sigma");
    if (!same_bits(x.sigma_beta, y.sigma_beta)) return fail(at + "sigma_beta");
    if (!same_bits(x.hsic, y.hsic)) return fail(at + "hsic");
    if (timings && !same_bits(x.seconds, y.seconds)) return fail(at + "seconds");
    if (x.candidates_tried != y.candidates_tried) return fail(at + "candidates_tried");
    if (!same_bits(x.rho, y.rho)) return fail(at + "rho");
    if (x.extra_classes != y.extra_classes) return fail(at + "extra_classes");
    if (x.extra_rows != y.extra_rows) return fail(at + "extra_rows");
    const auto input = same_matrix(x.input, y.input);
    if (!input) return ::testing::AssertionFailure() << at << "input: " << input.message();
  }
  const auto outputs = same_matrix(a.train_outputs, b.train_outputs);
  if (!outputs) return ::testing::AssertionFailure() << "train_outputs: " << outputs.message();
  return ::testing::AssertionSuccess();
}

}  // namespace lwnet::test
