// Float64 algebra on the m x m kernel matrices of a batch, shared by the local kernel losses
// (dgl_loss, hsic_bottleneck_loss): constant matrices kept on the backend, a Cholesky factor
// that raises a jitter on the diagonal until it exists, and centring by a rank-one update.
// Everything runs on the backend's Blas and Solver families; only the factorisation's success
// (and the jitter it needed) is a host value.
#pragma once

#include <cstdint>

#include "lwnet/backend.hpp"

namespace lwnet::nn {

// The identity and the all-ones matrices (and ones column) of order m on the backend, rebuilt
// only when m changes.
class BatchConstants {
 public:
  explicit BatchConstants(Backend& backend) : backend_(&backend) {}
  void resize(std::int64_t m);
  std::int64_t order() const { return m_; }
  MatrixView<const double> identity() const { return identity_.cview(); }
  MatrixView<const double> ones() const { return ones_.cview(); }         // m x m
  MatrixView<const double> ones_column() const { return ones_.cview().col_range(0, 1); }  // m x 1
  MatrixView<const double> ones_row() const { return ones_.cview().row_range(0, 1); }     // 1 x m

 private:
  Backend* backend_;
  std::int64_t m_ = 0;
  Matrix<double> identity_;
  Matrix<double> ones_;
};

// The Cholesky factor of a symmetric A: L = chol(A + j I) with j = 0 when A is positive definite,
// else the smallest of j = 1e-10, 1e-9, ..., 1e-1 times the mean diagonal that makes it so.
struct JitteredCholesky {
  double jitter = 0.0;  // the j used (0: none)
};
// Throws NumericalError starting with `what` when no jitter in the range works (a kernel with
// non-finite entries, or far from positive definite): the caller's weights are never updated
// from such a batch.
JitteredCholesky cholesky_with_jitter(Backend& backend, const BatchConstants& constants, MatrixView<const double> A,
                                      MatrixView<double> L, const char* what);

// X = X H (H = I - 1 1^T / m: every row minus its mean), in place; `row_sums` is m x 1 scratch.
void center_rows(Backend& backend, const BatchConstants& constants, MatrixView<double> X, MatrixView<double> row_sums);

}  // namespace lwnet::nn
