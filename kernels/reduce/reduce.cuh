// Column reductions in float64 and the median of pairwise distances.
#pragma once

#include <cstdint>
#include <vector>

#include "common/cuda_context.cuh"
#include "lwnet/matrix.hpp"

namespace lwnet::cuda {

enum class ColumnOp { sum, dot, nonfinite };

// result[j] = sum_i A_ij (sum), A_ij B_ij (dot) or [A_ij not finite] (nonfinite); waits for it.
// Deterministic: fixed row chunks, added in chunk order. B is ignored unless op == dot.
template <class T>
std::vector<double> column_reduce(const CudaContext& ctx, ColumnOp op, const MatrixView<const T>& A,
                                  const MatrixView<const T>& B);

// Median of the m^2 pairwise Euclidean distances of X's rows (numpy's median for even counts).
double median_pairwise_distance(const CudaContext& ctx, const MatrixView<const float>& X);

}  // namespace lwnet::cuda
