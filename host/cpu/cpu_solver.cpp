// CpuSolver: lwnet::Solver on the serial LAPACK, on the calling thread.
//
// Row-major vs column-major: the row-major n x n view at (data, ld) is, to LAPACK, the
// column-major matrix of its transpose. So the row-major lower triangle is LAPACK's upper one:
// the row-major lower factor L (A = L L^T) is LAPACK's upper U = L^T (A = U^T U), and a
// row-major B (n x k) is LAPACK's B^T (k x n), which turns every left-sided solve into a
// right-sided one and back.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu/blas_lapack.hpp"
#include "cpu/cpu_families.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

class CpuSolver final : public Solver {
 protected:
  void potrf_impl(MatrixView<double> A) override {
    const int n = blas_int(A.rows(), "potrf n");
    const int lda = blas_int(blas_ld(A), "potrf ld");
    int info = 0;
    dpotrf_("U", &n, A.data(), &lda, &info, 1);
    if (info > 0)
      throw NumericalError("potrf: A (" + std::to_string(n) + "x" + std::to_string(n) +
                           ") is not positive definite (leading minor " + std::to_string(info) +
                           " is not positive); add a ridge to the diagonal");
    if (info < 0) throw Error("potrf: dpotrf rejected argument " + std::to_string(-info));
    for (std::int64_t i = 0; i < A.rows(); ++i)
      std::fill(A.data() + i * A.ld() + i + 1, A.data() + i * A.ld() + A.cols(), 0.0);
  }

  // X = A^{-1} B. To LAPACK, B is C = B^T and X^T = C A^{-1} = C U^{-1} U^{-T}: two right-sided
  // triangular solves (dpotrs would need B column-major).
  void potrs_impl(MatrixView<const double> L, MatrixView<double> B) override {
    const int n = blas_int(L.rows(), "potrs n");
    const int k = blas_int(B.cols(), "potrs k");
    const int lda = blas_int(blas_ld(L), "potrs ld(L)");
    const int ldb = blas_int(blas_ld(B), "potrs ld(B)");
    const double one = 1.0;
    dtrsm_("R", "U", "N", "N", &k, &n, &one, L.data(), &lda, B.data(), &ldb, 1, 1, 1, 1);
    dtrsm_("R", "U", "T", "N", &k, &n, &one, L.data(), &lda, B.data(), &ldb, 1, 1, 1, 1);
  }

  // Transposing X = alpha op(L)^{-1} B gives X^T = alpha B^T op(L)^{-T}, and op(L)^T is U when
  // op(L) = L, U^T when op(L) = L^T: the column-major solve is on the other side with the same
  // transpose flag (and likewise for side right).
  void trsm_impl(Side side, Transpose trans, double alpha, MatrixView<const double> L,
                 MatrixView<double> B) override {
    const int m = blas_int(B.cols(), "trsm m");  // B^T is B.cols x B.rows to LAPACK
    const int n = blas_int(B.rows(), "trsm n");
    const int lda = blas_int(blas_ld(L), "trsm ld(L)");
    const int ldb = blas_int(blas_ld(B), "trsm ld(B)");
    const char* column_major_side = side == Side::left ? "R" : "L";
    const char* transa = trans == Transpose::yes ? "T" : "N";
    dtrsm_(column_major_side, "U", transa, "N", &m, &n, &alpha, L.data(), &lda, B.data(), &ldb, 1, 1, 1, 1);
  }

  // dsyevd on a copy in `eigenvectors`; it reads LAPACK's upper triangle, the row-major lower
  // one, and returns eigenvector k in LAPACK's column k, the row-major row k: transposed at the end.
  void syevd_impl(MatrixView<const double> A, MatrixView<double> eigenvalues,
                  MatrixView<double> eigenvectors) override {
    const std::int64_t n64 = A.rows();
    const int n = blas_int(n64, "syevd n");
    const int ld = blas_int(blas_ld(eigenvectors), "syevd ld");
    for (std::int64_t i = 0; i < n64; ++i)
      std::copy(A.data() + i * A.ld(), A.data() + i * A.ld() + n64, eigenvectors.data() + i * eigenvectors.ld());
    std::vector<double> w(static_cast<std::size_t>(n64));
    int info = 0;
    int lwork = -1;
    int liwork = -1;
    double work_query = 0.0;
    int iwork_query = 0;
    dsyevd_("V", "U", &n, eigenvectors.data(), &ld, w.data(), &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
    if (info != 0) throw Error("syevd: dsyevd's workspace query failed (info " + std::to_string(info) + ")");
    lwork = static_cast<int>(work_query) + 1;
    liwork = std::max(iwork_query, 1);
    std::vector<double> work(static_cast<std::size_t>(lwork));
    std::vector<int> iwork(static_cast<std::size_t>(liwork));
    dsyevd_("V", "U", &n, eigenvectors.data(), &ld, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1,
            1);
    if (info > 0)
      throw NumericalError("syevd: the eigensolver did not converge (info " + std::to_string(info) + ")");
    if (info < 0) throw Error("syevd: dsyevd rejected argument " + std::to_string(-info));
    for (std::int64_t i = 0; i < n64; ++i)
      for (std::int64_t j = i + 1; j < n64; ++j) std::swap(eigenvectors(i, j), eigenvectors(j, i));
    for (std::int64_t i = 0; i < n64; ++i) eigenvalues(i, 0) = w[static_cast<std::size_t>(i)];
  }

  void log_det_impl(MatrixView<const double> L, MatrixView<double> out) override {
    double sum = 0.0;
    for (std::int64_t i = 0; i < L.rows(); ++i) sum += std::log(L(i, i));
    out(0, 0) = 2.0 * sum;
  }

  MemorySpace space() const override { return MemorySpace::host; }
};

}  // namespace

std::unique_ptr<Solver> make_cpu_solver() { return std::make_unique<CpuSolver>(); }

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
