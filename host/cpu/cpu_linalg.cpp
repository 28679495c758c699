// Dense algebra on the CPU through the serial BLAS/LAPACK: GEMM spread over the backend's
// threads in fixed blocks of rows of C (each block one BLAS call, whichever thread runs it, so
// the result does not depend on the thread count); Cholesky and the eigensolver on the calling
// thread. Random Fourier features: lwnet's own tile loop and a vectorised cos. Row-major matrices are passed to the column-major routines as their transposes
// (see blas_lapack.hpp); for symmetric inputs the two views coincide.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpu/blas_lapack.hpp"
#include "cpu/cpu_gemm.hpp"
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_tiles.hpp"
#include "cpu/simd.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cpu {

namespace {

// Rows of C per GEMM task: fixed, so each row's BLAS call has the same shape at any thread count.
constexpr std::int64_t kGemmBlockRows = 256;

}  // namespace

void CpuBackend::gemm_impl(Transpose trans_a, Transpose trans_b, float alpha,
                           MatrixView<const float> A, MatrixView<const float> B, float beta,
                           MatrixView<float> C) {
  const bool ta = trans_a == Transpose::yes;
  const bool tb = trans_b == Transpose::yes;
  const std::int64_t k = ta ? A.rows() : A.cols();
  // Rows [r0, r1) of C need rows [r0, r1) of op(A): rows of A, or columns of A when transposed.
  parallel_for(pool(), C.rows(), kGemmBlockRows, C.cols() * k, [&](std::int64_t r0, std::int64_t r1) {
    const float* a = ta ? A.data() + r0 : A.data() + r0 * A.ld();
    row_major_gemm(ta, tb, r1 - r0, C.cols(), k, alpha, a, A.ld(), B.data(), B.ld(), beta, C.data() + r0 * C.ld(),
                    C.ld());
  });
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
  // x . omega_f for every column f of omega: the linear kernel between X and the rows of omega^T.
  const std::int64_t D = omega.cols();
  const std::int64_t d = X.cols();
  Matrix<float> omega_t = Matrix<float>::host(D, d);
  for (std::int64_t k = 0; k < d; ++k)
    for (std::int64_t f = 0; f < D; ++f) omega_t(f, k) = omega(k, f);
  const auto kc = detail::make_kernel_constants(GramParams::linear());
  const TileOperand x_op(X, kc, pool());
  const TileOperand w_op(omega_t.cview(), kc, pool(), TileOperand::Side::x);
  const auto inv_sigma = static_cast<float>(1.0 / sigma);
  const float scale = static_cast<float>(std::sqrt(2.0 / static_cast<double>(D)));
  const float* b = phase.data();
  const std::int64_t blocks = ceil_div(X.rows(), kTileRows);
  const std::int64_t tiles = ceil_div(D, kTileCols);
  const std::int64_t tasks = blocks * tiles;
  pool().run(tasks, pool().threads_for(X.rows() * D * (d + 24), tasks), [&](std::int64_t task, int) {
    const std::int64_t z0 = task / tiles * kTileRows;
    const std::int64_t f0 = task % tiles * kTileCols;
    const std::int64_t tm = std::min(kTileRows, X.rows() - z0);
    const std::int64_t tn = std::min(kTileCols, D - f0);
    float* tile = out.data() + z0 * out.ld() + f0;
    compute_tile(kc, x_op, z0, tm, w_op, f0, tn, SelfPairs::none(), tile, out.ld());
    for (std::int64_t a = 0; a < tm; ++a) {
      float* row = tile + a * out.ld();
      for (std::int64_t f = 0; f < tn; f += simd::kLanes) {
        // A short last vector goes through a padded copy, so every value takes the same path.
        const std::int64_t lanes = std::min<std::int64_t>(simd::kLanes, tn - f);
        float arg[simd::kLanes] = {};
        for (std::int64_t l = 0; l < lanes; ++l) arg[l] = row[f + l] * inv_sigma + b[f0 + f + l];
        float value[simd::kLanes];
        simd::store(value, simd::splat(scale) * simd::cos(simd::load(arg)));
        std::copy(value, value + lanes, row + f);
      }
    }
  });
}

}  // namespace lwnet::cpu
