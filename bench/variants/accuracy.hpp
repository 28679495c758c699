// Validation of a variant against the CPU backend: per (Z row, class) error bounds derived from
// the data (README.md, "Accuracy bound"), and the comparison that uses them.
#pragma once

#include <string>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet::bench {

// How a path rounds, for the bound. Float32 paths round no operand (0); TF32 keeps 10 explicit
// mantissa bits, and truncation is assumed (hardware may drop the low bits), so 2^-10 rather
// than round-to-nearest's 2^-11. `sum_length`: the most K B products summed in float32 before
// the float64 add (the production GPU tile: 64; the CPU: 256; a cuBLAS GEMM: its inner size).
struct RoundingModel {
  double operand_rounding = 0.0;
  double sum_length = 64.0;
};

inline constexpr double kTf32OperandRounding = 0x1p-10;
// The CPU backend's float32 tile: 64 Z rows x 256 X rows (docs/DESIGN.md).
inline constexpr double kCpuSumLength = 256.0;

// For each model: a (Z_sample.rows, c) matrix bounding |variant - CPU reference| entrywise, the
// sum of the variant's own bound and the reference's (both are float32 computations). Uses the
// CPU backend's squared distances to bound each K_ij from above; O(rows n d) on the CPU.
std::vector<Matrix<double>> error_bounds(Backend& cpu, MatrixView<const float> Z_sample,
                                         MatrixView<const float> X, MatrixView<const float> B, double sigma,
                                         const std::vector<RoundingModel>& models);

struct Comparison {
  bool passed = false;
  double max_abs_error = 0.0;   // over all checked entries
  double max_bound = 0.0;       // the largest bound
  double worst_ratio = 0.0;     // max |error| / bound
  std::string detail;           // the worst entry, e.g. "row 12 class 3: got ..., reference ..."
};

// got, reference and bound: (rows, c); row k of each is Z row rows[k]. Fails on any non-finite
// value or any error above its bound.
Comparison compare(MatrixView<const double> got, MatrixView<const double> reference,
                   MatrixView<const double> bound, const std::vector<std::int64_t>& rows);

}  // namespace lwnet::bench
