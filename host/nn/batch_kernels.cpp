#include "nn/batch_kernels.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "lwnet/error.hpp"

namespace lwnet::nn {

void BatchConstants::resize(std::int64_t m) {
  if (m == m_) return;
  Matrix<double> identity = Matrix<double>::host(m, m);
  Matrix<double> ones = Matrix<double>::host(m, m);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < m; ++j) {
      identity(i, j) = i == j ? 1.0 : 0.0;
      ones(i, j) = 1.0;
    }
  identity_ = backend_->upload(identity.cview());
  ones_ = backend_->upload(ones.cview());
  m_ = m;
}

namespace {

// potrf of L (holding A + jitter) in place; false when it fails or, as a LAPACK may let NaN
// through, when a diagonal entry of the factor is not a positive finite number.
bool factorised(Backend& backend, const BatchConstants& constants, MatrixView<double> L) {
  try {
    backend.solver().potrf(L);
  } catch (const NumericalError&) {
    return false;
  }
  for (double d : backend.column_dots(MatrixView<const double>(L), constants.identity()))
    if (!(std::isfinite(d) && d > 0.0)) return false;
  return true;
}

}  // namespace

JitteredCholesky cholesky_with_jitter(Backend& backend, const BatchConstants& constants, MatrixView<const double> A,
                                      MatrixView<double> L, const char* what) {
  backend.copy(A, L);
  if (factorised(backend, constants, L)) return {};
  // The scale of the jitter: the mean of A's diagonal (column_dots with I picks it out).
  double trace = 0.0;
  for (double v : backend.column_dots(A, constants.identity())) trace += v;
  const double mean_diagonal = trace / static_cast<double>(A.rows());
  const double scale = mean_diagonal > 0.0 ? mean_diagonal : 1.0;
  if (std::isfinite(mean_diagonal))
    for (double factor = 1e-10; factor <= 0.11; factor *= 10.0) {
      backend.copy(A, L);
      backend.blas().axpy(factor * scale, constants.identity(), L);
      if (factorised(backend, constants, L)) return {factor * scale};
    }
  throw NumericalError(std::string(what) + ": the batch's kernel matrix is not positive definite even with a jitter of " +
                       "0.1 times its mean diagonal (" + std::to_string(mean_diagonal) +
                       ") added: its entries are not finite, or the layer's outputs collapsed (lower the learning "
                       "rate, raise the noise)");
}

void center_rows(Backend& backend, const BatchConstants& constants, MatrixView<double> X, MatrixView<double> row_sums) {
  const auto m = static_cast<double>(X.cols());
  Blas& blas = backend.blas();
  blas.gemm(Transpose::no, Transpose::no, 1.0, MatrixView<const double>(X), constants.ones_column(), 0.0, row_sums);
  blas.gemm(Transpose::no, Transpose::no, -1.0 / m, MatrixView<const double>(row_sums), constants.ones_row(), 1.0, X);
}

}  // namespace lwnet::nn
