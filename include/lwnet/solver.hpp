// Solver: float64 dense factorisations for the kernel losses (GP marginal likelihoods, HSIC
// bottleneck solves): LAPACK on the CPU, cuSOLVER on the GPU, one validating front end
// (Backend::supports(OpFamily::solver)). Square matrices are n x n row-major views; the
// factor is lower triangular.
#pragma once

#include "lwnet/export.h"

#include <cstdint>

#include "lwnet/blas.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet {

enum class Side { left, right };

class LWNET_API Solver {
 public:
  Solver() = default;
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;
  virtual ~Solver() = default;

  // In place: A (symmetric positive definite; its lower triangle is read) becomes L with
  // A = L L^T, the strict upper triangle set to 0. Throws NumericalError naming the order of the
  // first minor that is not positive definite (a host value: this call waits for the device).
  void potrf(MatrixView<double> A);
  // In place: B (n x k) becomes A^{-1} B given L from potrf.
  void potrs(MatrixView<const double> L, MatrixView<double> B);
  // In place: B becomes alpha op(L)^{-1} B (side left) or alpha B op(L)^{-1} (side right), L lower
  // triangular with a non-unit diagonal.
  void trsm(Side side, Transpose trans, double alpha, MatrixView<const double> L, MatrixView<double> B);
  // Eigen-decomposition of a symmetric A (n x n, lower triangle read): eigenvalues (n x 1)
  // ascending, eigenvectors (n x n) column k for eigenvalue k. A is not modified. When the
  // iteration does not converge the CPU throws NumericalError; the CUDA backend (which does not
  // wait for the device here) fills both outputs with NaN.
  void syevd(MatrixView<const double> A, MatrixView<double> eigenvalues, MatrixView<double> eigenvectors);
  // out(0, 0) = log det A = 2 sum_i log L_ii, given L from potrf (stays in backend memory).
  void log_det(MatrixView<const double> L, MatrixView<double> out);

 protected:
  virtual void potrf_impl(MatrixView<double> A) = 0;
  virtual void potrs_impl(MatrixView<const double> L, MatrixView<double> B) = 0;
  virtual void trsm_impl(Side side, Transpose trans, double alpha, MatrixView<const double> L,
                         MatrixView<double> B) = 0;
  virtual void syevd_impl(MatrixView<const double> A, MatrixView<double> eigenvalues,
                          MatrixView<double> eigenvectors) = 0;
  virtual void log_det_impl(MatrixView<const double> L, MatrixView<double> out) = 0;

  virtual MemorySpace space() const = 0;
  virtual int device_index() const { return 0; }
};

}  // namespace lwnet
