// Preprocessing on host data: per-feature standardisation, and the modes a model applies it in.
#pragma once

#include "lwnet/export.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lwnet/matrix.hpp"

namespace lwnet {

// How test and predicted data are standardised (spec 1.5).
enum class StandardizeMode {
  train,     // with the training statistics stored in the model (product default)
  separate,  // each batch with its own statistics (the reference protocol; batch-dependent)
  none,
};

// "train", "separate", "none"; parse throws InvalidArgument listing them.
LWNET_API const char* to_string(StandardizeMode mode);
LWNET_API StandardizeMode parse_standardize_mode(const std::string& text);

// z = (x - mean) / std with the population std (ddof 0), per column. A column with std 0 maps
// to 0 (the reference implementation's behaviour), so constant features carry no signal.
// A batch standardised by its own statistics needs at least kMinRowsOwnStatistics rows: a single
// row has std 0 in every feature, so it would standardise to all zeros whatever its values.
struct LWNET_API Standardizer {
  static constexpr std::int64_t kMinRowsOwnStatistics = 2;

  std::vector<double> mean;
  std::vector<double> std;  // 0 marks a constant column

  // Statistics of a non-empty, finite host matrix (float64 accumulation).
  static Standardizer fit(MatrixView<const float> X);
  // In place; X must have as many columns as the data fit() saw. InvalidArgument naming the row
  // and feature when a standardised value overflows float32 (see first_overflow()).
  void apply(MatrixView<float> X) const;
  // A value whose standardised value overflows float32 (indices 0-based).
  struct Overflow {
    std::int64_t row = 0;
    std::int64_t feature = 0;
    float value = 0.0f;
  };
  // The first value of X (row-major order) that apply() cannot standardise, if any: lets a
  // caller name the file and sample at fault before applying.
  std::optional<Overflow> first_overflow(MatrixView<const float> X) const;
  // sqrt(2 sum_j std_j^2): the root-mean-square distance between two rows of the data the
  // statistics came from (each pair counted once per order, self-pairs included), their scale.
  double rms_pair_distance() const;
};

}  // namespace lwnet
