// CPU-vs-CUDA parity of the Blas and Solver families (lwnet/blas.hpp, solver.hpp): gemm in float
// and double in all four transpose combinations on device views with ld > cols (float32 held to
// the float32 bound: no TF32), beta = 0 ignoring a NaN-filled C, strided batched gemm with a
// broadcast input, axpy and scal; potrf (factor within LAPACK's threshold of the CPU's, upper
// triangle exactly 0, NumericalError naming the minor), potrs and trsm in every side and
// transpose, syevd (eigenvalues, A V = V diag(w), V orthonormal) and log_det; and the check that
// host memory is refused. Each backend is within its bound of the exact value, so their
// difference is within kParityFactor times it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "dense_algebra.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/blas.hpp"
#include "lwnet/error.hpp"
#include "lwnet/solver.hpp"
#include "oracle.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

// A device copy of `host` inside a larger NaN-padded buffer (ld = cols + 5), as a view: a kernel
// that ignores ld or reads outside its view produces NaN.
template <class T>
struct DeviceView {
  Matrix<T> storage;
  MatrixView<T> view;
  MatrixView<const T> cview() const { return view; }
};

template <class T>
DeviceView<T> padded_on(Backend& gpu, MatrixView<const T> host) {
  const Padded<T> padded = padded_copy(host, 5);
  const std::int64_t ld = padded.view.ld();
  DeviceView<T> d{gpu.allocate<T>(host.rows() + 2, ld), {}};
  gpu.copy(MatrixView<const T>::host(padded.buffer.data(), host.rows() + 2, ld), d.storage.view());
  d.view = MatrixView<T>(d.storage.data() + ld + 1, host.rows(), host.cols(), ld, d.storage.space(), d.storage.device());
  return d;
}

// The device view's values, and whether the padding around it is still all NaN.
template <class T>
Matrix<T> values_of(Backend& gpu, const DeviceView<T>& d) {
  return gpu.download(d.cview());
}

template <class T>
::testing::AssertionResult padding_intact(Backend& gpu, const DeviceView<T>& d) {
  const Matrix<T> all = gpu.download(d.storage.cview());
  const std::int64_t start = d.view.data() - d.storage.data();
  std::int64_t touched = 0;
  for (std::int64_t k = 0; k < all.size(); ++k) {
    const std::int64_t off = k - start;
    const bool inside = off >= 0 && off / d.view.ld() < d.view.rows() && off % d.view.ld() < d.view.cols();
    if (!inside && !std::isnan(all.data()[k])) ++touched;
  }
  if (touched == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << touched << " elements outside the view were written";
}

Transpose op(bool t) { return t ? Transpose::yes : Transpose::no; }

template <class T>
class CudaBlasParity : public CudaParityTest {
 protected:
  void gemm_all_transposes();
  void strided_batched_broadcast();
  void axpy_and_scal();
};

class CudaBlasParityFloat : public CudaBlasParity<float> {};
class CudaBlasParityDouble : public CudaBlasParity<double> {};

template <class T>
void CudaBlasParity<T>::gemm_all_transposes() {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [m, n, k] : {std::make_tuple(1, 1, 1), std::make_tuple(3, 7, 5), std::make_tuple(100, 256, 784),
                                std::make_tuple(300, 200, 65)})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (double beta : {0.0, 0.5}) {
          SCOPED_TRACE(::testing::Message() << m << "x" << n << "x" << k << (ta ? " A^T" : " A") << (tb ? " B^T" : " B")
                                            << " beta " << beta);
          const double alpha = -0.75;
          const Matrix<T> A = ta ? random_matrix<T>(rng, k, m) : random_matrix<T>(rng, m, k);
          const Matrix<T> B = tb ? random_matrix<T>(rng, n, k) : random_matrix<T>(rng, k, n);
          Matrix<T> C = random_matrix<T>(rng, m, n);
          if (beta == 0.0) std::fill(C.data(), C.data() + C.size(), std::numeric_limits<T>::quiet_NaN());
          const auto Ag = padded_on(gpu(), A.cview());
          const auto Bg = padded_on(gpu(), B.cview());
          auto Cg = padded_on(gpu(), C.cview());
          gpu().blas().gemm(op(ta), op(tb), static_cast<T>(alpha), Ag.cview(), Bg.cview(), static_cast<T>(beta), Cg.view);
          cpu().blas().gemm(op(ta), op(tb), static_cast<T>(alpha), A.cview(), B.cview(), static_cast<T>(beta), C.view());
          EXPECT_TRUE(expect_close(values_of(gpu(), Cg).cview(), C.cview(),
                                   kParityFactor * gemm_tolerance<T>(alpha, beta, k), kParityFactor * unit_roundoff<T>()));
          EXPECT_TRUE(padding_intact(gpu(), Cg));
        }
}

// count entries: A one matrix each, B broadcast, C with a gap between entries.
template <class T>
void CudaBlasParity<T>::strided_batched_broadcast() {
  LWNET_SEEDED_RANDOM(rng);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      SCOPED_TRACE(::testing::Message() << (ta ? "A^T" : "A") << (tb ? " B^T" : " B"));
      const std::int64_t m = 33, n = 17, k = 65, count = 4;
      const std::int64_t a_rows = ta ? k : m, a_cols = ta ? m : k;
      const Matrix<T> A = random_matrix<T>(rng, count * a_rows, a_cols);  // entries stacked by rows
      const Matrix<T> B = tb ? random_matrix<T>(rng, n, k) : random_matrix<T>(rng, k, n);
      const std::int64_t c_stride = m * n + 7;
      Matrix<T> C = random_matrix<T>(rng, 1, count * c_stride);
      const Matrix<T> Ag = gpu().upload(A.cview()), Bg = gpu().upload(B.cview());
      Matrix<T> Cg = gpu().upload(C.cview());
      const double alpha = 0.5, beta = 2.0;
      const auto batch_a = [&](const Matrix<T>& a) {
        return a.cview().row_range(0, a_rows).batched(count, a_rows * a_cols);
      };
      const auto batch_c = [&](Matrix<T>& c) {
        return MatrixView<T>(c.data(), m, n, n, c.space(), c.device()).batched(count, c_stride);
      };
      // B broadcast as a plain view on the GPU and as stride 0 on the CPU: both mean one matrix.
      gpu().blas().gemm_strided_batched(op(ta), op(tb), static_cast<T>(alpha), batch_a(Ag), Bg.cview(),
                                        static_cast<T>(beta), batch_c(Cg));
      cpu().blas().gemm_strided_batched(op(ta), op(tb), static_cast<T>(alpha), batch_a(A), B.cview().batched(count, 0),
                                        static_cast<T>(beta), batch_c(C));
      // The gaps between entries keep their values on both sides, so the whole buffer compares.
      EXPECT_TRUE(expect_close(to_host(Cg).cview(), C.cview(), kParityFactor * gemm_tolerance<T>(alpha, beta, k),
                               kParityFactor * unit_roundoff<T>()));
    }
}

template <class T>
void CudaBlasParity<T>::axpy_and_scal() {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [rows, cols] : {std::make_tuple(1, 1), std::make_tuple(7, 3), std::make_tuple(1000, 257)}) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    const Matrix<T> X = random_matrix<T>(rng, rows, cols);
    Matrix<T> Y = random_matrix<T>(rng, rows, cols);
    const auto Xg = padded_on(gpu(), X.cview());
    auto Yg = padded_on(gpu(), Y.cview());
    gpu().blas().axpy(T(-1.5), Xg.cview(), Yg.view);
    cpu().blas().axpy(T(-1.5), X.cview(), Y.view());
    // Each side rounds y + alpha x at most twice on values <= 2.5 (with or without a fused multiply-add).
    EXPECT_TRUE(expect_close(values_of(gpu(), Yg).cview(), Y.cview(), kParityFactor * 2.0 * unit_roundoff<T>() * 2.5, 0.0));
    gpu().blas().scal(T(0.25), Yg.view);
    cpu().blas().scal(T(0.25), Y.view());
    EXPECT_TRUE(expect_close(values_of(gpu(), Yg).cview(), Y.cview(), kParityFactor * 2.0 * unit_roundoff<T>() * 2.5, 0.0));
    EXPECT_TRUE(padding_intact(gpu(), Yg));
  }
}

TEST_P(CudaBlasParityFloat, GemmAllTransposes) { gemm_all_transposes(); }
TEST_P(CudaBlasParityDouble, GemmAllTransposes) { gemm_all_transposes(); }
TEST_P(CudaBlasParityFloat, StridedBatchedBroadcast) { strided_batched_broadcast(); }
TEST_P(CudaBlasParityDouble, StridedBatchedBroadcast) { strided_batched_broadcast(); }
TEST_P(CudaBlasParityFloat, AxpyAndScal) { axpy_and_scal(); }
TEST_P(CudaBlasParityDouble, AxpyAndScal) { axpy_and_scal(); }

TEST_P(CudaBlasParityFloat, RefusesHostMemory) {
  const Matrix<float> A = Matrix<float>::host(2, 2);
  Matrix<float> C = gpu().allocate<float>(2, 2);
  const Matrix<float> B = gpu().allocate<float>(2, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { gpu().blas().gemm(Transpose::no, Transpose::no, 1.0f, A.cview(), B.cview(), 0.0f, C.view()); },
      {"gemm", "A is in host memory", "memory on cuda:0"}));
}

class CudaSolverParity : public CudaParityTest {};

TEST_P(CudaSolverParity, PotrfPotrsAndLogDet) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t n : {1, 3, 33, 200}) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    const DMat a = spd(rng, n);
    auto A = padded_of(a);
    for (std::int64_t i = 0; i < n; ++i)  // only the lower triangle is read
      for (std::int64_t j = i + 1; j < n; ++j) A.view(i, j) = std::numeric_limits<double>::quiet_NaN();
    auto Lg = padded_on(gpu(), A.cview());
    gpu().solver().potrf(Lg.view);
    cpu().solver().potrf(A.view);
    const Matrix<double> L = values_of(gpu(), Lg);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = i + 1; j < n; ++j) ASSERT_EQ(L(i, j), 0.0) << "upper (" << i << ", " << j << ")";
    const double tol = lapack_tolerance64(n, oracle::frobenius(a));
    const DMat l = to_dmat(L.cview());
    EXPECT_TRUE(expect_close(oracle::matmul(l, oracle::transpose(l)).v, a.v, tol, 0.0, n)) << "GPU L L^T = A";
    // Both factors are backward stable and the factor is well conditioned (A = M M^T + n I).
    EXPECT_TRUE(expect_close(L.cview(), A.cview(), kParityFactor * tol, 0.0)) << "GPU L vs CPU L";

    DMat b(n, 3);
    for (double& v : b.v) v = rng.uniform(-1.0, 1.0);
    auto X = padded_of(b);
    auto Xg = padded_on(gpu(), X.cview());
    gpu().solver().potrs(Lg.cview(), Xg.view);
    cpu().solver().potrs(A.cview(), X.view);
    const Matrix<double> x = values_of(gpu(), Xg);
    DMat residual = oracle::matmul(a, to_dmat(x.cview()));
    for (std::size_t e = 0; e < residual.v.size(); ++e) residual.v[e] -= b.v[e];
    EXPECT_LE(oracle::max_abs(residual), tol * oracle::max_abs(to_dmat(x.cview())) * std::sqrt(static_cast<double>(n)))
        << "GPU A x - b";
    EXPECT_TRUE(padding_intact(gpu(), Xg));

    Matrix<double> out = gpu().allocate<double>(1, 1);
    Matrix<double> out_cpu = Matrix<double>::host(1, 1);
    gpu().solver().log_det(Lg.cview(), out.view());
    cpu().solver().log_det(A.cview(), out_cpu.view());
    double scale = 0.0;
    for (std::int64_t i = 0; i < n; ++i) scale += std::fabs(std::log(A.view(i, i))) + 1.0;
    // As in test_blas_solver.cpp: 30 n ulp per term, for each side.
    EXPECT_TRUE(expect_close(to_host(out)(0, 0), out_cpu(0, 0),
                             kParityFactor * kLapackThreshold * static_cast<double>(n) * 2.0 * kU64 * scale, 0.0));
  }
  DMat indefinite(3, 3);
  indefinite(0, 0) = 1.0;
  indefinite(1, 0) = indefinite(0, 1) = 2.0;
  indefinite(1, 1) = 1.0;
  indefinite(2, 2) = 1.0;
  const auto I = padded_of(indefinite);
  auto Ig = padded_on(gpu(), I.cview());
  EXPECT_TRUE(throws_with<NumericalError>([&] { gpu().solver().potrf(Ig.view); },
                                          {"potrf", "not positive definite", "leading minor 2"}));
}

TEST_P(CudaSolverParity, TrsmEverySideAndTranspose) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t n : {1, 4, 90})
    for (Side side : {Side::left, Side::right})
      for (bool trans : {false, true}) {
        SCOPED_TRACE(::testing::Message() << "n " << n << (side == Side::left ? " left" : " right")
                                          << (trans ? " L^T" : " L"));
        const auto L = padded_of(well_conditioned_lower(rng, n));
        DMat b = side == Side::left ? DMat(n, 3) : DMat(3, n);
        for (double& v : b.v) v = rng.uniform(-1.0, 1.0);
        auto X = padded_of(b);
        const auto Lg = padded_on(gpu(), L.cview());
        auto Xg = padded_on(gpu(), X.cview());
        gpu().solver().trsm(side, op(trans), -1.5, Lg.cview(), Xg.view);
        cpu().solver().trsm(side, op(trans), -1.5, L.cview(), X.view);
        // test_blas_solver.cpp's bound (100 n u |alpha| against exact), for each side.
        EXPECT_TRUE(expect_close(values_of(gpu(), Xg).cview(), X.cview(),
                                 kParityFactor * 100.0 * static_cast<double>(n) * kU64 * 1.5, 0.0));
        EXPECT_TRUE(padding_intact(gpu(), Xg));
      }
}

TEST_P(CudaSolverParity, Syevd) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t n : {1, 3, 33, 100}) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    DMat a(n, n);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j <= i; ++j) a(i, j) = a(j, i) = rng.uniform(-1.0, 1.0);
    const auto A = padded_of(a);
    Matrix<double> w_cpu = Matrix<double>::host(n, 1), v_cpu = Matrix<double>::host(n, n);
    cpu().solver().syevd(A.cview(), w_cpu.view(), v_cpu.view());
    const auto Ag = padded_on(gpu(), A.cview());
    // Outputs start as NaN: an entry the GPU does not write cannot pass.
    Matrix<double> unset_w = Matrix<double>::host(n, 1), unset_v = Matrix<double>::host(n, n);
    std::fill(unset_w.data(), unset_w.data() + n, std::numeric_limits<double>::quiet_NaN());
    std::fill(unset_v.data(), unset_v.data() + n * n, std::numeric_limits<double>::quiet_NaN());
    auto wg = padded_on(gpu(), unset_w.cview());
    auto vg = padded_on(gpu(), unset_v.cview());
    gpu().solver().syevd(Ag.cview(), wg.view, vg.view);
    const Matrix<double> w = values_of(gpu(), wg), V = values_of(gpu(), vg);
    const double tol = lapack_tolerance64(n, oracle::frobenius(a));
    EXPECT_TRUE(expect_close(w.cview(), w_cpu.cview(), kParityFactor * tol, 0.0)) << "eigenvalues";
    for (std::int64_t k = 1; k < n; ++k) EXPECT_LE(w(k - 1, 0), w(k, 0));
    const DMat v = to_dmat(V.cview());
    DMat vw = v;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < n; ++k) vw(i, k) *= w(k, 0);
    EXPECT_TRUE(expect_close(oracle::matmul(a, v).v, vw.v, tol, 0.0, n)) << "GPU A V = V diag(w)";
    DMat eye(n, n);
    for (std::int64_t i = 0; i < n; ++i) eye(i, i) = 1.0;
    EXPECT_TRUE(expect_close(oracle::matmul(oracle::transpose(v), v).v, eye.v, lapack_tolerance64(n, 1.0), 0.0, n))
        << "GPU V^T V = I";
    EXPECT_TRUE(padding_intact(gpu(), vg));
    EXPECT_TRUE(padding_intact(gpu(), wg));
  }
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaBlasParityFloat);
LWNET_INSTANTIATE_CUDA_SUITE(CudaBlasParityDouble);
LWNET_INSTANTIATE_CUDA_SUITE(CudaSolverParity);

}  // namespace
}  // namespace lwnet::test
