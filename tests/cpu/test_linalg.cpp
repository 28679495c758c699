// Dense algebra on the CPU: gemm in all four transpose combinations with alpha and beta (and
// beta = 0 ignoring a NaN-filled C) against the oracle; cholesky (lower L, exact zeros above,
// L L^T = A), cholesky_solve (A x = b) and symmetric_eigen (A V = V diag(w), w ascending and equal
// to a Jacobi oracle's, V orthonormal, A untouched), with residuals held to LAPACK's own test
// threshold.
#include <cmath>
#include <cstring>
#include <tuple>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

struct GemmCase {
  std::int64_t m, n, k;  // C (m x n) = op(A) (m x k) op(B) (k x n)
};

struct GemmName {
  std::string operator()(const ::testing::TestParamInfo<std::tuple<GemmCase, bool, bool, float>>& param_info) const {
    const GemmCase g = std::get<0>(param_info.param);
    return "m" + std::to_string(g.m) + "_n" + std::to_string(g.n) + "_k" + std::to_string(g.k) +
           (std::get<1>(param_info.param) ? "_At" : "_A") + (std::get<2>(param_info.param) ? "_Bt" : "_B") +
           (std::get<3>(param_info.param) == 0.0f ? "_beta0" : "_beta");
  }
};

class CpuGemm : public ::testing::TestWithParam<std::tuple<GemmCase, bool, bool, float>> {};

TEST_P(CpuGemm, MatchesOracle) {
  const auto [gc, ta, tb, beta] = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const float alpha = 1.5f;
  const auto A = padded_copy((ta ? rng.uniform_matrix(gc.k, gc.m) : rng.uniform_matrix(gc.m, gc.k)).cview());
  const auto B = padded_copy((tb ? rng.uniform_matrix(gc.n, gc.k) : rng.uniform_matrix(gc.k, gc.n)).cview());
  const Matrix<float> C0 = rng.uniform_matrix(gc.m, gc.n);
  Padded<float> C = padded_copy(C0.cview());
  if (beta == 0.0f)  // C's old contents must be ignored, NaN included
    for (std::int64_t i = 0; i < gc.m; ++i)
      for (std::int64_t j = 0; j < gc.n; ++j) C.view(i, j) = NAN;
  make_cpu_backend()->gemm(ta ? Transpose::yes : Transpose::no, tb ? Transpose::yes : Transpose::no, alpha,
                           A.cview(), B.cview(), beta, C.view);

  const DMat a = oracle::from_view(A.cview());
  const DMat b = oracle::from_view(B.cview());
  const DMat c0 = oracle::from_view(C0.cview());
  const DMat expected = oracle::gemm(ta, tb, alpha, a, b, beta, c0);
  // alpha sum_l a b: gamma_k on sum |a||b| (the dot), u each for alpha's product and for beta C's
  // product and the final addition; the float result adds u relative.
  const double abs_ab = oracle::max_abs(oracle::gemm(ta, tb, 1.0, oracle::abs_of(a), oracle::abs_of(b), 0.0, c0));
  const double tol = std::fabs(alpha) * (gamma32(static_cast<double>(gc.k)) + 2.0 * kU32) * abs_ab +
                     2.0 * kU32 * std::fabs(beta) * oracle::max_abs(c0);
  EXPECT_TRUE(expect_close(C.cview(), expected, tol, kU32));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CpuGemm,
    ::testing::Combine(::testing::Values(GemmCase{1, 1, 1}, GemmCase{3, 7, 5}, GemmCase{33, 65, 257},
                                         GemmCase{100, 70, 40}),
                       ::testing::Bool(), ::testing::Bool(), ::testing::Values(0.0f, 0.5f)),
    GemmName());


class CpuLinalg : public ::testing::TestWithParam<std::int64_t> {};  // n

TEST_P(CpuLinalg, CholeskyFactorsAsLowerTriangle) {
  const std::int64_t n = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const Matrix<float> A = spd_matrix(rng, n);
  Padded<float> L = padded_copy(A.cview());
  make_cpu_backend()->cholesky(L.view);
  DMat l = oracle::from_view(L.cview());
  for (std::int64_t i = 0; i < n; ++i) {
    EXPECT_GT(L.view(i, i), 0.0f) << "diagonal " << i;
    for (std::int64_t j = i + 1; j < n; ++j) ASSERT_EQ(L.view(i, j), 0.0f) << "upper (" << i << ", " << j << ")";
  }
  const DMat a = oracle::from_view(A.cview());
  EXPECT_TRUE(expect_close(oracle::matmul(l, oracle::transpose(l)).v, a.v, lapack_tolerance(n, oracle::frobenius(a)), 0.0,
                           n))
      << "L L^T = A";
}

TEST_P(CpuLinalg, CholeskySolveSolves) {
  const std::int64_t n = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const Matrix<float> A = spd_matrix(rng, n);
  Matrix<float> L = host_copy(A.cview());
  const std::int64_t k = 3;
  const Matrix<float> b = rng.uniform_matrix(n, k);
  Padded<float> x = padded_copy(b.cview());
  auto backend = make_cpu_backend();
  backend->cholesky(L.view());
  backend->cholesky_solve(L.cview(), x.view);
  // Scaled residual ||A x - b|| / (n ||A|| ||x|| ulp) < 30, per column (LAPACK's test).
  const DMat a = oracle::from_view(A.cview());
  const DMat ax = oracle::matmul(a, oracle::from_view(x.cview()));
  for (std::int64_t j = 0; j < k; ++j) {
    double x_norm = 0.0;
    std::vector<double> residual, zero;
    for (std::int64_t i = 0; i < n; ++i) {
      x_norm += static_cast<double>(x.view(i, j)) * x.view(i, j);
      residual.push_back(ax(i, j) - b(i, j));
      zero.push_back(0.0);
    }
    EXPECT_TRUE(expect_close(residual, zero, lapack_tolerance(n, oracle::frobenius(a)) * std::sqrt(x_norm), 0.0))
        << "A x - b, column " << j;
  }
}

TEST_P(CpuLinalg, SymmetricEigenDecomposes) {
  const std::int64_t n = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  Matrix<float> A0 = rng.uniform_matrix(n, n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < i; ++j) A0(i, j) = A0(j, i);
  const Padded<float> A = padded_copy(A0.cview());
  const std::vector<float> before(A.buffer);
  Padded<float> w(n, 1);
  Padded<float> V(n, n);
  make_cpu_backend()->symmetric_eigen(A.cview(), w.view, V.view);
  EXPECT_EQ(std::memcmp(before.data(), A.buffer.data(), before.size() * sizeof(float)), 0) << "A was modified";

  const DMat a = oracle::from_view(A.cview());
  const DMat v = oracle::from_view(V.cview());
  const double tol = lapack_tolerance(n, oracle::frobenius(a));
  for (std::int64_t k = 1; k < n; ++k) EXPECT_LE(w.view(k - 1, 0), w.view(k, 0)) << "eigenvalues ascending at " << k;
  // A V = V diag(w).
  DMat vw = v;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < n; ++k) vw(i, k) *= w.view(k, 0);
  EXPECT_TRUE(expect_close(oracle::matmul(a, v).v, vw.v, tol, 0.0, n)) << "A V = V diag(w)";
  // V^T V = I.
  DMat eye(n, n);
  for (std::int64_t i = 0; i < n; ++i) eye(i, i) = 1.0;
  EXPECT_TRUE(expect_close(oracle::matmul(oracle::transpose(v), v).v, eye.v, lapack_tolerance(n, 1.0), 0.0, n))
      << "V^T V = I";
  // The eigenvalues themselves (Weyl: a backward error E moves each by at most ||E||_2).
  EXPECT_TRUE(expect_close(to_doubles(w.cview()), oracle::symmetric_eigenvalues(a), tol, 0.0)) << "w vs Jacobi";
}

INSTANTIATE_TEST_SUITE_P(Sizes, CpuLinalg, ::testing::Values(1, 3, 7, 33, 100),
                         [](const ::testing::TestParamInfo<std::int64_t>& param_info) {
                           return "n" + std::to_string(param_info.param);
                         });

}  // namespace
}  // namespace lwnet::test
