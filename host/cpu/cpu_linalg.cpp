// Dense algebra on the CPU through BLAS/LAPACK, and random Fourier features (one sgemm + cos).
// Row-major matrices are passed to the column-major routines as their transposes (see
// blas_lapack.hpp); for symmetric inputs the two views coincide.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpu/blas_lapack.hpp"
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_tiles.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cpu {

void CpuBackend::gemm_impl(Transpose trans_a, Transpose trans_b, float alpha,
                           MatrixView<const float> A, MatrixView<const float> B, float beta,
                           MatrixView<float> C) {
  const bool ta = trans_a == Transpose::yes;
  const bool tb = trans_b == Transpose::yes;
  const std::int64_t k = ta ? A.rows() : A.cols();
  row_major_sgemm(ta, tb, C.rows(), C.cols(), k, alpha, A.data(), A.ld(), B.data(), B.ld(), beta,
                  C.data(), C.ld());
}

// Row-major lower L with A = L L^T is the column-major upper U = L^T with A = U^T U.
void CpuBackend::cholesky_impl(MatrixView<float> A) {
  const int n = blas_int(A.rows(), "cholesky n");
  const int lda = blas_int(A.ld(), "cholesky ld");
  int info = 0;
  spotrf_("U", &n, A.data(), &lda, &info, 1);
  if (info > 0)
    throw NumericalError("cholesky: A (" + std::to_string(n) + "x" + std::to_string(n) +
                         ") is not positive definite (leading minor " + std::to_string(info) +
                         " is not positive); add a ridge to the diagonal");
  if (info < 0) throw Error("cholesky: spotrf rejected argument " + std::to_string(-info));
  for (std::int64_t i = 0; i < A.rows(); ++i)
    std::fill(A.data() + i * A.ld() + i + 1, A.data() + i * A.ld() + A.cols(), 0.0f);
}

// X = A^{-1} B. Column-major, B is stored as C = B^T (k x n) and X^T = C A^{-1} = C U^{-1} U^{-T}:
// two right-sided triangular solves.
void CpuBackend::cholesky_solve_impl(MatrixView<const float> L, MatrixView<float> B) {
  const int n = blas_int(L.rows(), "cholesky_solve n");
  const int lda = blas_int(L.ld(), "cholesky_solve ld(L)");
  const int k = blas_int(B.cols(), "cholesky_solve k");
  const int ldb = blas_int(B.ld(), "cholesky_solve ld(B)");
  const float one = 1.0f;
  strsm_("R", "U", "N", "N", &k, &n, &one, L.data(), &lda, B.data(), &ldb, 1, 1, 1, 1);
  strsm_("R", "U", "T", "N", &k, &n, &one, L.data(), &lda, B.data(), &ldb, 1, 1, 1, 1);
}

void CpuBackend::symmetric_eigen_impl(MatrixView<const float> A, MatrixView<float> eigenvalues,
                                      MatrixView<float> eigenvectors) {
  const std::int64_t n64 = A.rows();
  const int n = blas_int(n64, "symmetric_eigen n");
  const int ld = blas_int(eigenvectors.ld(), "symmetric_eigen ld");
  for (std::int64_t i = 0; i < n64; ++i)
    std::copy(A.data() + i * A.ld(), A.data() + i * A.ld() + n64, eigenvectors.data() + i * eigenvectors.ld());
  std::vector<float> w(static_cast<std::size_t>(n64));
  int info = 0;
  int lwork = -1;
  int liwork = -1;
  float work_query = 0.0f;
  int iwork_query = 0;
  ssyevd_("V", "U", &n, eigenvectors.data(), &ld, w.data(), &work_query, &lwork, &iwork_query,
          &liwork, &info, 1, 1);
  lwork = static_cast<int>(work_query) + 1;
  liwork = iwork_query;
  std::vector<float> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(std::max(liwork, 1)));
  ssyevd_("V", "U", &n, eigenvectors.data(), &ld, w.data(), work.data(), &lwork, iwork.data(),
          &liwork, &info, 1, 1);
  if (info > 0)
    throw NumericalError("symmetric_eigen: the eigensolver did not converge (info " + std::to_string(info) + ")");
  if (info < 0) throw Error("symmetric_eigen: ssyevd rejected argument " + std::to_string(-info));
  // Column-major eigenvector k is row k of the row-major view: transpose to put it in column k.
  for (std::int64_t i = 0; i < n64; ++i)
    for (std::int64_t j = i + 1; j < n64; ++j) std::swap(eigenvectors(i, j), eigenvectors(j, i));
  for (std::int64_t i = 0; i < n64; ++i) eigenvalues(i, 0) = w[static_cast<std::size_t>(i)];
}

void CpuBackend::random_fourier_features_impl(MatrixView<const float> X, MatrixView<const float> omega,
                                              MatrixView<const float> phase, double sigma,
                                              MatrixView<float> out) {
  const std::int64_t D = omega.cols();
  row_major_sgemm(false, false, X.rows(), D, X.cols(), static_cast<float>(1.0 / sigma), X.data(),
                  X.ld(), omega.data(), omega.ld(), 0.0f, out.data(), out.ld());
  const float scale = static_cast<float>(std::sqrt(2.0 / static_cast<double>(D)));
  const float* b = phase.data();
#pragma omp parallel for num_threads(threads_) schedule(static) if (worth_parallel(out.rows() * D * 16))
  for (std::int64_t i = 0; i < out.rows(); ++i) {
    float* row = out.data() + i * out.ld();
    for (std::int64_t j = 0; j < D; ++j) row[j] = scale * std::cos(row[j] + b[j]);
  }
}

}  // namespace lwnet::cpu
