// Shared by the Blas/Solver tests (tests/cpu/test_blas_solver.cpp, tests/parity/
// test_parity_blas_solver.cpp): random data in float or double, float64 views of it, the error
// bound of a GEMM entry, well-conditioned test matrices and LAPACK's residual threshold in float64.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "expect_close.hpp"
#include "lwnet/matrix.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {

template <class T>
constexpr double unit_roundoff() {
  return std::is_same_v<T, float> ? kU32 : kU64;
}

template <class T>
double gamma_of(double k) {
  return k * unit_roundoff<T>() / (1.0 - k * unit_roundoff<T>());
}

template <class T>
Matrix<T> random_matrix(TestRandom& rng, std::int64_t rows, std::int64_t cols) {
  Matrix<T> m = Matrix<T>::host(rows, cols);
  for (std::int64_t k = 0; k < rows * cols; ++k) m.data()[k] = static_cast<T>(rng.uniform(-1.0, 1.0));
  return m;
}

template <class T>
DMat to_dmat(MatrixView<const T> m) {
  DMat out(m.rows(), m.cols());
  for (std::int64_t i = 0; i < m.rows(); ++i)
    for (std::int64_t j = 0; j < m.cols(); ++j) out(i, j) = static_cast<double>(m(i, j));
  return out;
}

// Error bound of one entry of alpha op(A) op(B) + beta C0 with |entries| <= 1 (Higham 3.5): the
// dot product gamma_k sum |a b| <= gamma_k k, times alpha and the addition (2u), beta C0 (2u);
// the caller adds u relative for the final rounding.
template <class T>
double gemm_tolerance(double alpha, double beta, std::int64_t k) {
  const double u = unit_roundoff<T>();
  return std::fabs(alpha) * (gamma_of<T>(static_cast<double>(k)) + 2.0 * u) * static_cast<double>(k) +
         2.0 * u * std::fabs(beta);
}

// A symmetric positive definite M M^T + n I, M uniform on [-1, 1] (condition a few).
inline DMat spd(TestRandom& rng, std::int64_t n) {
  DMat m(n, n);
  for (double& v : m.v) v = rng.uniform(-1.0, 1.0);
  DMat a = oracle::matmul(m, oracle::transpose(m));
  for (std::int64_t i = 0; i < n; ++i) a(i, i) += static_cast<double>(n);
  return a;
}

// A lower-triangular L with diagonal in [1, 2] and off-diagonal entries in [-1/n, 1/n]: its
// condition number is a small constant, so solves lose only a few digits.
inline DMat well_conditioned_lower(TestRandom& rng, std::int64_t n) {
  DMat l(n, n);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < i; ++j) l(i, j) = rng.uniform(-1.0, 1.0) / static_cast<double>(n);
    l(i, i) = rng.uniform(1.0, 2.0);
  }
  return l;
}

// Writes `m` into a Padded view (padding NaN, so ld > cols and stray reads show).
inline Padded<double> padded_of(const DMat& m, std::int64_t pad = 3) {
  Padded<double> p(m.rows, m.cols, pad);
  for (std::int64_t i = 0; i < m.rows; ++i)
    for (std::int64_t j = 0; j < m.cols; ++j) p.view(i, j) = m(i, j);
  return p;
}

// LAPACK's acceptance threshold (tolerance.hpp) for float64: ||residual|| <= 30 n ulp ||A||.
inline double lapack_tolerance64(std::int64_t n, double norm_a) {
  return kLapackThreshold * static_cast<double>(std::max<std::int64_t>(n, 1)) * 2.0 * kU64 * norm_a;
}

}  // namespace lwnet::test
