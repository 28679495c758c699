// Eigen's blocked GEMM kernels (header-only, vectorised for the build's ISA) with its own
// threading off: lwnet's pool decides the split, so results do not depend on the thread count.
// Measured speed in a whole training epoch: docs/PERFORMANCE.md, "Trained networks (backprop)".
#define EIGEN_DONT_PARALLELIZE
#include "cpu/cpu_gemm.hpp"

#include <Eigen/Core>

namespace lwnet::cpu {

namespace {

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ConstView = Eigen::Map<const RowMajor<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using View = Eigen::Map<RowMajor<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

// A stored matrix of `rows` x `cols` with leading dimension ld (any ld for a single row).
template <class T>
ConstView<T> stored(const T* data, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
  return ConstView<T>(data, rows, cols, Eigen::OuterStride<>(rows > 1 ? ld : cols));
}

template <class T, class OpA, class OpB>
void multiply(const OpA& a, const OpB& b, T alpha, T beta, View<T>& c) {
  if (beta == T(0)) {
    c.noalias() = alpha * (a * b);
  } else {
    if (beta != T(1)) c *= beta;
    c.noalias() += alpha * (a * b);
  }
}

template <class T>
void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* A, std::int64_t lda,
          const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  View<T> c(C, m, n, Eigen::OuterStride<>(m > 1 ? ldc : n));
  const ConstView<T> a = ta ? stored(A, k, m, lda) : stored(A, m, k, lda);
  const ConstView<T> b = tb ? stored(B, n, k, ldb) : stored(B, k, n, ldb);
  if (ta && tb)
    multiply(a.transpose(), b.transpose(), alpha, beta, c);
  else if (ta)
    multiply(a.transpose(), b, alpha, beta, c);
  else if (tb)
    multiply(a, b.transpose(), alpha, beta, c);
  else
    multiply(a, b, alpha, beta, c);
}

}  // namespace

void row_major_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                    const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                    std::int64_t ldc) {
  gemm(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void row_major_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
                    const double* A, std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C,
                    std::int64_t ldc) {
  gemm(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace lwnet::cpu
