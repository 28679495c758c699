// Preprocessing on host data: per-feature standardisation.
#pragma once

#include <vector>

#include "lwnet/matrix.hpp"

namespace lwnet {

// z = (x - mean) / std with the population std (ddof 0), per column. A column with std 0 maps
// to 0 (the reference implementation's behaviour), so constant features carry no signal.
struct Standardizer {
  std::vector<double> mean;
  std::vector<double> std;  // 0 marks a constant column

  // Statistics of a non-empty, finite host matrix (float64 accumulation).
  static Standardizer fit(MatrixView<const float> X);
  // In place; X must have as many columns as the data fit() saw. InvalidArgument naming the row
  // and feature when a standardised value overflows float32.
  void apply(MatrixView<float> X) const;
};

}  // namespace lwnet
