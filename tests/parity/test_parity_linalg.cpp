// CPU-vs-CUDA parity of the dense algebra and the random-feature primitive: gemm in all four
// transpose combinations with alpha and beta (no TF32: the float32 bound must hold), cholesky and
// cholesky_solve (the GPU's factor and solution held to LAPACK's residual threshold, upper triangle
// exactly 0, NumericalError when not positive definite), symmetric_eigen (eigenvalues within the
// threshold of the CPU's, residual and orthonormality), and random_fourier_features.
#include <cmath>
#include <tuple>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"
#include "oracle.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

class CudaLinalgParity : public CudaParityTest {};

TEST_P(CudaLinalgParity, GemmAllTransposes) {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [m, n, k] : {std::make_tuple(1, 1, 1), std::make_tuple(3, 7, 5), std::make_tuple(65, 130, 257),
                                std::make_tuple(300, 200, 784)})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (float beta : {0.0f, 0.5f}) {
          SCOPED_TRACE(::testing::Message() << m << "x" << n << "x" << k << (ta ? " A^T" : " A") << (tb ? " B^T" : " B")
                                            << " beta " << beta);
          const float alpha = -0.75f;
          const Matrix<float> A = ta ? rng.uniform_matrix(k, m) : rng.uniform_matrix(m, k);
          const Matrix<float> B = tb ? rng.uniform_matrix(n, k) : rng.uniform_matrix(k, n);
          Matrix<float> C = rng.uniform_matrix(m, n);
          Matrix<float> Cg = to_gpu(C.cview());
          const Transpose opa = ta ? Transpose::yes : Transpose::no;
          const Transpose opb = tb ? Transpose::yes : Transpose::no;
          gpu().gemm(opa, opb, alpha, strided_on(gpu(), A.cview()).view, strided_on(gpu(), B.cview()).view, beta,
                     Cg.view());
          cpu().gemm(opa, opb, alpha, A.cview(), B.cview(), beta, C.view());
          // Per side (test_linalg.cpp): |alpha| (gamma_k + 2u) max(|A||B|) + 2u |beta| max|C0|, plus u
          // relative; |A||B| <= k for entries in [-1, 1], |C0| <= 1.
          const double tol = kParityFactor * (std::fabs(alpha) * (gamma32(k) + 2.0 * kU32) * k + 2.0 * kU32 * std::fabs(beta));
          EXPECT_TRUE(expect_close(to_host(Cg).cview(), C.cview(), tol, kParityFactor * kU32));
        }
}


TEST_P(CudaLinalgParity, CholeskyAndSolve) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t n : {1, 3, 33, 100, 513}) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    const Matrix<float> S = spd_matrix(rng, n);
    Matrix<float> Lg = to_gpu(S.cview());
    gpu().cholesky(Lg.view());
    const Matrix<float> L = to_host(Lg);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = i + 1; j < n; ++j) ASSERT_EQ(L(i, j), 0.0f) << "upper (" << i << ", " << j << ")";
    const DMat s = oracle::from_view(S.cview());
    const DMat l = oracle::from_view(L.cview());
    const double tol = lapack_tolerance(n, oracle::frobenius(s));
    EXPECT_TRUE(expect_close(oracle::matmul(l, oracle::transpose(l)).v, s.v, tol, 0.0, n)) << "GPU L L^T = A";

    const Matrix<float> b = rng.uniform_matrix(n, 2);
    Matrix<float> xg = to_gpu(b.cview());
    gpu().cholesky_solve(Lg.cview(), xg.view());
    const Matrix<float> x = to_host(xg);
    const DMat ax = oracle::matmul(s, oracle::from_view(x.cview()));
    double x_norm = 0.0;
    for (std::int64_t k = 0; k < x.size(); ++k) x_norm = std::max(x_norm, std::fabs(static_cast<double>(x.data()[k])));
    DMat residual = ax;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < 2; ++j) residual(i, j) -= b(i, j);
    EXPECT_LE(oracle::max_abs(residual), tol * x_norm * std::sqrt(static_cast<double>(n))) << "GPU A x - b";
  }
  Matrix<float> indefinite = Matrix<float>::host(3, 3);
  indefinite(0, 0) = 1.0f;
  indefinite(1, 1) = -1.0f;
  indefinite(2, 2) = 1.0f;
  Matrix<float> ig = to_gpu(indefinite.cview());
  EXPECT_TRUE(throws_with<NumericalError>([&] { gpu().cholesky(ig.view()); }, {"cholesky", "not positive definite"}));
}

TEST_P(CudaLinalgParity, SymmetricEigen) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t n : {1, 3, 33, 100}) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    Matrix<float> A = rng.uniform_matrix(n, n);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < i; ++j) A(i, j) = A(j, i);
    Matrix<float> w_cpu = Matrix<float>::host(n, 1), v_cpu = Matrix<float>::host(n, n);
    cpu().symmetric_eigen(A.cview(), w_cpu.view(), v_cpu.view());
    const Matrix<float> Ag = to_gpu(A.cview());
    Matrix<float> wg = gpu().allocate<float>(n, 1), vg = gpu().allocate<float>(n, n);
    gpu().symmetric_eigen(Ag.cview(), wg.view(), vg.view());
    const Matrix<float> w = to_host(wg), V = to_host(vg);
    const DMat a = oracle::from_view(A.cview());
    const double tol = lapack_tolerance(n, oracle::frobenius(a));
    EXPECT_TRUE(expect_close(w.cview(), w_cpu.cview(), kParityFactor * tol, 0.0)) << "eigenvalues";
    for (std::int64_t k = 1; k < n; ++k) EXPECT_LE(w(k - 1, 0), w(k, 0));
    DMat vw = oracle::from_view(V.cview());
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < n; ++k) vw(i, k) *= w(k, 0);
    const DMat v = oracle::from_view(V.cview());
    EXPECT_TRUE(expect_close(oracle::matmul(a, v).v, vw.v, tol, 0.0, n)) << "GPU A V = V diag(w)";
    DMat eye(n, n);
    for (std::int64_t i = 0; i < n; ++i) eye(i, i) = 1.0;
    EXPECT_TRUE(expect_close(oracle::matmul(oracle::transpose(v), v).v, eye.v, lapack_tolerance(n, 1.0), 0.0, n))
        << "GPU V^T V = I";
  }
}

TEST_P(CudaLinalgParity, RandomFourierFeatures) {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [n, d, features] : {std::make_tuple(1, 1, 1), std::make_tuple(7, 3, 16), std::make_tuple(1000, 40, 200),
                                       std::make_tuple(65, 784, 130)}) {
    SCOPED_TRACE(::testing::Message() << "n " << n << " d " << d << " D " << features);
    const Matrix<float> X = rng.uniform_matrix(n, d);
    Rng map_rng(rng_seed + static_cast<std::uint64_t>(n));
    const RffMap map = make_rff_map(d, features, map_rng);
    const double sigma = std::sqrt(static_cast<double>(d));
    Matrix<float> expected = Matrix<float>::host(n, features);
    cpu().random_fourier_features(X.cview(), map.omega.cview(), map.phase.cview(), sigma, expected.view());
    Matrix<float> out = gpu().allocate<float>(n, features);
    const Matrix<float> omega = to_gpu(map.omega.cview()), phase = to_gpu(map.phase.cview());
    gpu().random_fourier_features(strided_on(gpu(), X.cview()).view, omega.cview(), phase.cview(), sigma, out.view());
    // max_j sum_k |x_k omega_kj| <= d max|omega| for |x| <= 1.
    double omega_max = 0.0;
    for (std::int64_t k = 0; k < map.omega.size(); ++k) omega_max = std::max(omega_max, std::fabs(static_cast<double>(map.omega.data()[k])));
    const double tol = kParityFactor * rff_error(d, features, static_cast<double>(d) * omega_max, sigma);
    EXPECT_TRUE(expect_close(to_host(out).cview(), expected.cview(), tol, 0.0));
  }
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaLinalgParity);

}  // namespace
}  // namespace lwnet::test
