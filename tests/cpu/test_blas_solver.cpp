// The CPU Blas and Solver families (lwnet/blas.hpp, solver.hpp) against a float64 oracle written
// here: gemm in float and double in all four transpose combinations, on views with ld > cols
// (padding that must stay untouched), beta = 0 ignoring a NaN-filled C, shapes with few rows
// (C split by columns) and many rows (split by rows), results bitwise the same on 1 and 3
// threads; strided batched gemm with a stride-0 (broadcast) input; axpy and scal; potrf (L L^T =
// A, upper triangle exactly 0, NumericalError naming the minor), potrs and trsm in every side and
// transpose, syevd (A V = V diag(w), w ascending and equal to a Jacobi oracle's, V orthonormal),
// log_det; and the front ends' validation.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "dense_algebra.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/blas.hpp"
#include "lwnet/error.hpp"
#include "lwnet/solver.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

// ---- helpers and the float64 oracle (more in dense_algebra.hpp) ------------------------------------

// op(L)^{-1} (alpha B) by substitution, L lower (the oracle of trsm side left).
DMat solve_lower_left(const DMat& L, bool trans, double alpha, const DMat& B) {
  const std::int64_t n = L.rows;
  DMat X(B.rows, B.cols);
  for (std::int64_t c = 0; c < B.cols; ++c) {
    if (!trans) {
      for (std::int64_t i = 0; i < n; ++i) {  // forward: L x = b
        double s = alpha * B(i, c);
        for (std::int64_t j = 0; j < i; ++j) s -= L(i, j) * X(j, c);
        X(i, c) = s / L(i, i);
      }
    } else {
      for (std::int64_t i = n - 1; i >= 0; --i) {  // backward: L^T x = b
        double s = alpha * B(i, c);
        for (std::int64_t j = i + 1; j < n; ++j) s -= L(j, i) * X(j, c);
        X(i, c) = s / L(i, i);
      }
    }
  }
  return X;
}

// The oracle's own Cholesky (lower), for log det.
DMat cholesky(const DMat& A) {
  const std::int64_t n = A.rows;
  DMat L(n, n);
  for (std::int64_t j = 0; j < n; ++j) {
    double d = A(j, j);
    for (std::int64_t k = 0; k < j; ++k) d -= L(j, k) * L(j, k);
    L(j, j) = std::sqrt(d);
    for (std::int64_t i = j + 1; i < n; ++i) {
      double s = A(i, j);
      for (std::int64_t k = 0; k < j; ++k) s -= L(i, k) * L(j, k);
      L(i, j) = s / L(j, j);
    }
  }
  return L;
}

template <class T>
bool bitwise_equal(MatrixView<const T> a, MatrixView<const T> b) {
  for (std::int64_t i = 0; i < a.rows(); ++i)
    if (std::memcmp(a.data() + i * a.ld(), b.data() + i * b.ld(), static_cast<std::size_t>(a.cols()) * sizeof(T)) != 0)
      return false;
  return true;
}

Transpose op(bool t) { return t ? Transpose::yes : Transpose::no; }

// ---- Blas, float and double ----------------------------------------------------------------------

template <class T>
class CpuBlas : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> backend_ = make_cpu_backend(2);
  Blas& blas() { return backend_->blas(); }
};

struct TypeNames {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, float> ? "float" : "double";
  }
};

using Precisions = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CpuBlas, Precisions, TypeNames);

struct GemmShape {
  std::int64_t m, n, k;
};

// 1x1x1; odd small; a training batch (few rows: split by columns); a transposed weight gradient
// (784 rows: 4 row tiles, column tiles too); many rows (split by rows only).
const GemmShape kGemmShapes[] = {{1, 1, 1}, {3, 7, 5}, {100, 256, 784}, {784, 130, 100}, {1100, 33, 17}};

TYPED_TEST(CpuBlas, GemmMatchesOracleInAllTransposes) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  for (const GemmShape& s : kGemmShapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (double beta : {0.0, 0.5}) {
          SCOPED_TRACE(::testing::Message() << s.m << "x" << s.n << "x" << s.k << (ta ? " A^T" : " A")
                                            << (tb ? " B^T" : " B") << " beta " << beta);
          const double alpha = -0.75;
          const auto A = padded_copy((ta ? random_matrix<T>(rng, s.k, s.m) : random_matrix<T>(rng, s.m, s.k)).cview());
          const auto B = padded_copy((tb ? random_matrix<T>(rng, s.n, s.k) : random_matrix<T>(rng, s.k, s.n)).cview());
          auto C = padded_copy(random_matrix<T>(rng, s.m, s.n).cview());
          const DMat expected = oracle::gemm(ta, tb, alpha, to_dmat(A.cview()), to_dmat(B.cview()), beta,
                                             to_dmat(C.cview()));
          this->blas().gemm(op(ta), op(tb), static_cast<T>(alpha), A.cview(), B.cview(), static_cast<T>(beta), C.view);
          EXPECT_TRUE(expect_close(C.cview(), expected, gemm_tolerance<T>(alpha, beta, s.k), unit_roundoff<T>()));
          EXPECT_TRUE(padding_untouched(C));
        }
}

TYPED_TEST(CpuBlas, GemmBetaZeroIgnoresNanInC) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  for (const GemmShape& s : {GemmShape{5, 3, 4}, GemmShape{100, 256, 64}, GemmShape{1100, 9, 8}}) {
    SCOPED_TRACE(::testing::Message() << s.m << "x" << s.n << "x" << s.k);
    const Matrix<T> A = random_matrix<T>(rng, s.m, s.k);
    const Matrix<T> B = random_matrix<T>(rng, s.k, s.n);
    Matrix<T> C = Matrix<T>::host(s.m, s.n);
    std::fill(C.data(), C.data() + C.size(), std::numeric_limits<T>::quiet_NaN());
    const DMat expected = oracle::gemm(false, false, 2.0, to_dmat(A.cview()), to_dmat(B.cview()), 0.0, DMat(s.m, s.n));
    this->blas().gemm(Transpose::no, Transpose::no, T(2), A.cview(), B.cview(), T(0), C.view());
    EXPECT_TRUE(expect_close(C.cview(), expected, gemm_tolerance<T>(2.0, 0.0, s.k), unit_roundoff<T>()));
  }
}

// The split is fixed by the shape: 1 and 3 threads run the same BLAS calls on the same blocks.
TYPED_TEST(CpuBlas, GemmIsBitwiseIndependentOfThreadCount) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  auto one = make_cpu_backend(1);
  auto three = make_cpu_backend(3);
  struct Case {
    GemmShape s;
    bool ta, tb;
  };
  // Forward (100 x 784 times 784 x 256), weight gradient X^T G (784 x 100^T times 100 x 256), input
  // gradient G W^T, many rows, a wide product split in both directions.
  for (const Case& c : {Case{{100, 256, 784}, false, false}, Case{{784, 256, 100}, true, false},
                        Case{{100, 784, 256}, false, true}, Case{{2000, 64, 300}, false, false},
                        Case{{300, 1000, 50}, true, true}}) {
    SCOPED_TRACE(::testing::Message() << c.s.m << "x" << c.s.n << "x" << c.s.k);
    const Matrix<T> A = c.ta ? random_matrix<T>(rng, c.s.k, c.s.m) : random_matrix<T>(rng, c.s.m, c.s.k);
    const Matrix<T> B = c.tb ? random_matrix<T>(rng, c.s.n, c.s.k) : random_matrix<T>(rng, c.s.k, c.s.n);
    const Matrix<T> C0 = random_matrix<T>(rng, c.s.m, c.s.n);
    Matrix<T> C1 = host_copy(C0.cview());
    Matrix<T> C3 = host_copy(C0.cview());
    one->blas().gemm(op(c.ta), op(c.tb), T(0.5), A.cview(), B.cview(), T(1), C1.view());
    three->blas().gemm(op(c.ta), op(c.tb), T(0.5), A.cview(), B.cview(), T(1), C3.view());
    EXPECT_TRUE(bitwise_equal(C1.cview(), C3.cview()));
  }
  const std::int64_t count = 6;
  const Matrix<T> A = random_matrix<T>(rng, count * 40, 50);
  const Matrix<T> B = random_matrix<T>(rng, 50, 60);
  Matrix<T> C1 = Matrix<T>::host(count * 40, 60);
  Matrix<T> C3 = Matrix<T>::host(count * 40, 60);
  const StridedBatch<const T> a{A.cview().row_range(0, 40), 40 * 50, count};
  const StridedBatch<const T> b{B.cview(), 0, count};
  one->blas().gemm_strided_batched(Transpose::no, Transpose::no, T(1), a, b, T(0),
                                   StridedBatch<T>{C1.view().row_range(0, 40), 40 * 60, count});
  three->blas().gemm_strided_batched(Transpose::no, Transpose::no, T(1), a, b, T(0),
                                     StridedBatch<T>{C3.view().row_range(0, 40), 40 * 60, count});
  EXPECT_TRUE(bitwise_equal(C1.cview(), C3.cview())) << "strided batched";
}

// Tiles of one product run at the same time on several fresh threads, over and over: every
// repetition gives the same bits as one thread (the tile kernel must be reentrant; the serial
// OpenBLAS's sgemm, called from 4 new threads at once 800 times, returned 3 wrong products).
TYPED_TEST(CpuBlas, ConcurrentTilesNeverInterfere) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  auto one = make_cpu_backend(1);
  const Matrix<T> A = random_matrix<T>(rng, 1200, 784);
  const Matrix<T> B = random_matrix<T>(rng, 784, 256);
  Matrix<T> reference = Matrix<T>::host(1200, 256);
  one->blas().gemm(Transpose::no, Transpose::no, T(1), A.cview(), B.cview(), T(0), reference.view());
  Matrix<T> C = Matrix<T>::host(1200, 256);
  for (int repetition = 0; repetition < 30; ++repetition) {
    auto four = make_cpu_backend(4);  // fresh threads each time, as a new process has
    four->blas().gemm(Transpose::no, Transpose::no, T(1), A.cview(), B.cview(), T(0), C.view());
    ASSERT_TRUE(bitwise_equal(reference.cview(), C.cview())) << "repetition " << repetition;
  }
}

// Entries of a batch laid out in one NaN-filled buffer with ld = cols + 2 and a gap between
// entries: every entry must match the oracle and the gaps stay NaN.
TYPED_TEST(CpuBlas, GemmStridedBatchedMatchesOracleWithBroadcast) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const T nan = std::numeric_limits<T>::quiet_NaN();
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (std::int64_t count : {1, 5}) {
        SCOPED_TRACE(::testing::Message() << (ta ? "A^T" : "A") << (tb ? " B^T" : " B") << " count " << count);
        const std::int64_t m = 7, n = 9, k = 11;
        const std::int64_t a_rows = ta ? k : m, a_cols = ta ? m : k;
        const std::int64_t b_rows = tb ? n : k, b_cols = tb ? k : n;
        // A: one matrix per entry; B: one matrix broadcast (stride 0); C: ld n + 2, stride with a gap.
        const std::int64_t a_ld = a_cols + 2, a_stride = a_rows * a_ld + 3;
        std::vector<T> a_buf(static_cast<std::size_t>(count * a_stride), nan);
        for (std::int64_t e = 0; e < count; ++e)
          for (std::int64_t i = 0; i < a_rows; ++i)
            for (std::int64_t j = 0; j < a_cols; ++j)
              a_buf[static_cast<std::size_t>(e * a_stride + i * a_ld + j)] = static_cast<T>(rng.uniform(-1.0, 1.0));
        const Matrix<T> B = random_matrix<T>(rng, b_rows, b_cols);
        const std::int64_t c_ld = n + 2, c_stride = m * c_ld + 5;
        std::vector<T> c_buf(static_cast<std::size_t>(count * c_stride), nan);
        std::vector<DMat> c0;
        for (std::int64_t b = 0; b < count; ++b) {
          const MatrixView<T> cb(c_buf.data() + b * c_stride, m, n, c_ld);
          for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t j = 0; j < n; ++j) cb(i, j) = static_cast<T>(rng.uniform(-1.0, 1.0));
          c0.push_back(to_dmat(MatrixView<const T>(cb)));
        }
        const StridedBatch<const T> a{MatrixView<const T>(a_buf.data(), a_rows, a_cols, a_ld), a_stride, count};
        const StridedBatch<const T> b{B.cview(), 0, count};
        const StridedBatch<T> c{MatrixView<T>(c_buf.data(), m, n, c_ld), c_stride, count};
        const double alpha = 1.25, beta = -0.5;
        this->blas().gemm_strided_batched(op(ta), op(tb), static_cast<T>(alpha), a, b, static_cast<T>(beta), c);
        for (std::int64_t e = 0; e < count; ++e) {
          const MatrixView<const T> ae(a_buf.data() + e * a_stride, a_rows, a_cols, a_ld);
          const MatrixView<const T> ce(c_buf.data() + e * c_stride, m, n, c_ld);
          const DMat expected = oracle::gemm(ta, tb, alpha, to_dmat(ae), to_dmat(B.cview()), beta, c0[e]);
          EXPECT_TRUE(expect_close(ce, expected, gemm_tolerance<T>(alpha, beta, k), unit_roundoff<T>())) << "entry " << e;
        }
        std::size_t touched = 0;
        for (std::int64_t idx = 0; idx < count * c_stride; ++idx) {
          const std::int64_t off = idx % c_stride;
          const bool inside = off / c_ld < m && off % c_ld < n;
          if (!inside && !std::isnan(c_buf[static_cast<std::size_t>(idx)])) ++touched;
        }
        EXPECT_EQ(touched, 0u) << "elements outside C's entries were written";
      }
}

TYPED_TEST(CpuBlas, AxpyAndScalOnStridedViews) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [rows, cols] : {std::make_tuple(1, 1), std::make_tuple(3, 5), std::make_tuple(300, 70)}) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    const auto X = padded_copy(random_matrix<T>(rng, rows, cols).cview());
    auto Y = padded_copy(random_matrix<T>(rng, rows, cols).cview(), 5);
    const DMat x = to_dmat(X.cview());
    DMat expected = to_dmat(Y.cview());
    for (std::size_t e = 0; e < expected.v.size(); ++e) expected.v[e] += -1.5 * x.v[e];
    this->blas().axpy(T(-1.5), X.cview(), Y.view);
    // y + alpha x rounds at most twice on values <= 2.5 (|y| <= 1, |alpha x| <= 1.5): 2u 2.5 for
    // lwnet, and as much again for the oracle when T is double.
    EXPECT_TRUE(expect_close(Y.cview(), expected, 2.0 * 2.0 * unit_roundoff<T>() * 2.5, 0.0));
    EXPECT_TRUE(padding_untouched(Y));

    const DMat before = to_dmat(Y.cview());
    this->blas().scal(T(0.25), Y.view);  // a power of two: exact
    for (std::size_t e = 0; e < expected.v.size(); ++e) expected.v[e] = 0.25 * before.v[e];
    EXPECT_TRUE(expect_close(Y.cview(), expected, 0.0, 0.0));
    EXPECT_TRUE(padding_untouched(Y));
  }
}

TYPED_TEST(CpuBlas, RejectsBadArguments) {
  using T = TypeParam;
  Blas& blas = this->blas();
  Matrix<T> A = Matrix<T>::host(4, 3);
  Matrix<T> B = Matrix<T>::host(3, 5);
  Matrix<T> C = Matrix<T>::host(4, 5);
  const T inf = std::numeric_limits<T>::infinity();
  const auto gemm = [&](Transpose ta, MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> c, T alpha = T(1)) {
    return [&blas, ta, a, b, c, alpha] { blas.gemm(ta, Transpose::no, alpha, a, b, T(0), c); };
  };
  EXPECT_TRUE(throws_with<InvalidArgument>(gemm(Transpose::yes, A.cview(), B.cview(), C.view()),
                                           {"gemm", "shapes do not chain: C = A^T * B", "A 4x3"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(gemm(Transpose::no, A.cview(), B.cview(), C.view(), inf),
                                           {"gemm", "alpha must be finite"}));
  const MatrixView<const T> on_gpu(A.data(), 4, 3, 3, MemorySpace::cuda, 0);
  EXPECT_TRUE(throws_with<InvalidArgument>(gemm(Transpose::no, on_gpu, B.cview(), C.view()),
                                           {"gemm", "A is in memory on cuda:0", "host memory"}));
  // C aliasing A's storage (same buffer, a 4x5 view over it).
  Matrix<T> big = Matrix<T>::host(4, 8);
  const MatrixView<T> c_over_a = big.view().col_range(0, 5);
  EXPECT_TRUE(throws_with<InvalidArgument>(gemm(Transpose::no, big.cview().col_range(5, 3), B.cview(), c_over_a),
                                           {"gemm", "C overlaps A"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      gemm(Transpose::no, MatrixView<const T>(A.data(), 4, 0, 0), B.cview(), C.view()), {"gemm", "A is empty"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      gemm(Transpose::no, MatrixView<const T>(A.data(), 4, 3, 2), B.cview(), C.view()),
      {"gemm", "leading dimension 2 < cols 3"}));

  // Strided batches.
  Matrix<T> Cs = Matrix<T>::host(8, 5);
  const auto batched = [&](StridedBatch<const T> a, StridedBatch<const T> b, StridedBatch<T> c) {
    return [&blas, a, b, c] { blas.gemm_strided_batched(Transpose::no, Transpose::no, T(1), a, b, T(0), c); };
  };
  const StridedBatch<const T> a2{A.cview(), 0, 2};
  const StridedBatch<const T> b2{B.cview(), 0, 2};
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(a2, b2, StridedBatch<T>{Cs.view().row_range(0, 4), 0, 2}),
                                           {"gemm_strided_batched", "C's batch entries overlap: stride 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(a2, b2, StridedBatch<T>{Cs.view().row_range(0, 4), 19, 2}),
                                           {"C's batch entries overlap: stride 19 < the 20 elements"}));
  EXPECT_NO_THROW(batched(a2, b2, StridedBatch<T>{Cs.view().row_range(0, 4), 20, 2})());
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(StridedBatch<const T>{A.cview(), 0, 0}, b2,
                                                   StridedBatch<T>{Cs.view().row_range(0, 4), 20, 0}),
                                           {"A.count must be at least 1, got 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(StridedBatch<const T>{A.cview(), -1, 2}, b2,
                                                   StridedBatch<T>{Cs.view().row_range(0, 4), 20, 2}),
                                           {"A.stride must not be negative"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(a2, StridedBatch<const T>{B.cview(), 0, 3},
                                                   StridedBatch<T>{Cs.view().row_range(0, 4), 20, 2}),
                                           {"same count, got 2, 3 and 2"}));
  // The second entry of C reaches A's storage.
  Matrix<T> shared = Matrix<T>::host(8, 5);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      batched(StridedBatch<const T>{MatrixView<const T>(shared.data() + 20, 4, 3, 3), 0, 2}, b2,
              StridedBatch<T>{shared.view().row_range(0, 4), 20, 2}),
      {"C overlaps A"}));

  // axpy / scal.
  Matrix<T> Y = Matrix<T>::host(4, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { blas.axpy(T(1), A.cview(), C.view()); },
                                           {"axpy", "X and Y differ in shape", "X 4x3", "Y 4x5"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { blas.axpy(T(1), A.cview(), A.view()); }, {"axpy", "Y overlaps X"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { blas.axpy(std::numeric_limits<T>::quiet_NaN(), A.cview(), Y.view()); },
                                           {"axpy", "alpha must be finite"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { blas.scal(-inf, Y.view()); }, {"scal", "alpha must be finite"}));
}

// ---- Solver (float64) ------------------------------------------------------------------------------

class CpuSolver : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> backend_ = make_cpu_backend(2);
  Solver& solver() { return backend_->solver(); }
};

TEST_F(CpuSolver, PotrfFactorsAnSpdMatrixReadingOnlyItsLowerTriangle) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t n : {1, 3, 33, 200}) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    const DMat a = spd(rng, n);
    auto A = padded_of(a);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = i + 1; j < n; ++j) A.view(i, j) = std::numeric_limits<double>::quiet_NaN();
    solver().potrf(A.view);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = i + 1; j < n; ++j) ASSERT_EQ(A.view(i, j), 0.0) << "upper (" << i << ", " << j << ")";
    const DMat l = to_dmat(A.cview());
    EXPECT_TRUE(expect_close(oracle::matmul(l, oracle::transpose(l)).v, a.v, lapack_tolerance64(n, oracle::frobenius(a)),
                             0.0, n))
        << "L L^T = A";
    EXPECT_TRUE(padding_untouched(A));
  }
}

TEST_F(CpuSolver, PotrfNamesTheFirstMinorThatIsNotPositive) {
  DMat a(3, 3);
  a(0, 0) = 1.0;
  a(1, 0) = a(0, 1) = 2.0;  // minor 2: 1 - 4 < 0
  a(1, 1) = 1.0;
  a(2, 2) = 1.0;
  auto A = padded_of(a);
  EXPECT_TRUE(throws_with<NumericalError>([&] { solver().potrf(A.view); },
                                          {"potrf", "not positive definite", "leading minor 2"}));
}

TEST_F(CpuSolver, PotrsSolvesWithTheFactor) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t n : {1, 5, 120})
    for (std::int64_t k : {1, 3}) {
      SCOPED_TRACE(::testing::Message() << "n " << n << " k " << k);
      const DMat a = spd(rng, n);
      auto L = padded_of(a);
      solver().potrf(L.view);
      DMat b(n, k);
      for (double& v : b.v) v = rng.uniform(-1.0, 1.0);
      auto X = padded_of(b, 4);
      solver().potrs(L.cview(), X.view);
      const DMat x = to_dmat(X.cview());
      DMat residual = oracle::matmul(a, x);
      for (std::size_t e = 0; e < residual.v.size(); ++e) residual.v[e] -= b.v[e];
      // Backward stable: ||A x - b|| <= threshold n ulp ||A|| ||x||.
      EXPECT_LE(oracle::max_abs(residual), lapack_tolerance64(n, oracle::frobenius(a)) * oracle::max_abs(x) *
                                               std::sqrt(static_cast<double>(n)));
      EXPECT_TRUE(padding_untouched(X));
    }
}

TEST_F(CpuSolver, TrsmMatchesSubstitutionInEverySideAndTranspose) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t n : {1, 4, 90})
    for (Side side : {Side::left, Side::right})
      for (bool trans : {false, true}) {
        SCOPED_TRACE(::testing::Message() << "n " << n << (side == Side::left ? " left" : " right")
                                          << (trans ? " L^T" : " L"));
        const std::int64_t k = 3;
        DMat l = well_conditioned_lower(rng, n);
        auto L = padded_of(l);
        for (std::int64_t i = 0; i < n; ++i)  // the strict upper triangle is not read
          for (std::int64_t j = i + 1; j < n; ++j) L.view(i, j) = std::numeric_limits<double>::quiet_NaN();
        DMat b = side == Side::left ? DMat(n, k) : DMat(k, n);
        for (double& v : b.v) v = rng.uniform(-1.0, 1.0);
        const double alpha = -1.5;
        // Right: X op(L) = alpha B is op(L)^T X^T = alpha B^T, a left solve with the flag flipped.
        const DMat expected = side == Side::left
                                  ? solve_lower_left(l, trans, alpha, b)
                                  : oracle::transpose(solve_lower_left(l, !trans, alpha, oracle::transpose(b)));
        auto X = padded_of(b, 2);
        solver().trsm(side, op(trans), alpha, L.cview(), X.view);
        // cond(L) is a small constant (well_conditioned_lower): the forward error is a modest multiple
        // of n u |alpha| max|B|; 100 n u leaves room and still catches any wrong side or transpose.
        EXPECT_TRUE(expect_close(X.cview(), expected, 100.0 * static_cast<double>(n) * kU64 * 1.5, 0.0));
        EXPECT_TRUE(padding_untouched(X));
      }
}

TEST_F(CpuSolver, SyevdReconstructsWithAscendingEigenvalues) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t n : {1, 4, 60}) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    DMat a(n, n);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j <= i; ++j) a(i, j) = a(j, i) = rng.uniform(-1.0, 1.0);
    auto A = padded_of(a);
    for (std::int64_t i = 0; i < n; ++i)  // only the lower triangle is read
      for (std::int64_t j = i + 1; j < n; ++j) A.view(i, j) = std::numeric_limits<double>::quiet_NaN();
    const std::vector<double> before(A.buffer.begin(), A.buffer.end());
    Padded<double> w(n, 1, 2);
    Padded<double> V(n, n, 3);
    solver().syevd(A.cview(), w.view, V.view);
    for (std::size_t e = 0; e < before.size(); ++e)
      ASSERT_TRUE(std::memcmp(&before[e], &A.buffer[e], sizeof(double)) == 0) << "A was modified";
    const DMat values = to_dmat(w.cview());
    for (std::int64_t i = 1; i < n; ++i) EXPECT_LE(values(i - 1, 0), values(i, 0)) << "ascending at " << i;
    const double tol = lapack_tolerance64(n, oracle::frobenius(a));
    EXPECT_TRUE(expect_close(values.v, oracle::symmetric_eigenvalues(a), tol, 0.0)) << "eigenvalues";
    const DMat v = to_dmat(V.cview());
    DMat vw = v;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) vw(i, j) *= values(j, 0);
    EXPECT_TRUE(expect_close(oracle::matmul(vw, oracle::transpose(v)).v, a.v, tol, 0.0, n)) << "V diag(w) V^T = A";
    DMat identity(n, n);
    for (std::int64_t i = 0; i < n; ++i) identity(i, i) = 1.0;
    EXPECT_TRUE(expect_close(oracle::matmul(oracle::transpose(v), v).v, identity.v, lapack_tolerance64(n, 1.0), 0.0, n))
        << "V^T V = I";
    EXPECT_TRUE(padding_untouched(V));
    EXPECT_TRUE(padding_untouched(w));
  }
}

TEST_F(CpuSolver, LogDetMatchesTheOracle) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t n : {1, 7, 150}) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    const DMat a = spd(rng, n);
    auto L = padded_of(a);
    solver().potrf(L.view);
    Padded<double> out(1, 1);
    solver().log_det(L.cview(), out.view);
    const DMat lo = cholesky(a);
    double expected = 0.0;
    for (std::int64_t i = 0; i < n; ++i) expected += 2.0 * std::log(lo(i, i));
    // Each log L_ii is off by ~ the factor's relative error (LAPACK threshold, n ulp cond) plus a
    // sum of n terms; 30 n ulp per term of magnitude <= |log L_ii| + 1 bounds both.
    double scale = 0.0;
    for (std::int64_t i = 0; i < n; ++i) scale += std::fabs(std::log(lo(i, i))) + 1.0;
    EXPECT_TRUE(expect_close(out.view(0, 0), expected, kLapackThreshold * static_cast<double>(n) * 2.0 * kU64 * scale, 0.0));
    EXPECT_TRUE(padding_untouched(out));
  }
}

TEST_F(CpuSolver, RejectsBadArguments) {
  Solver& s = solver();
  Matrix<double> rect = Matrix<double>::host(3, 4);
  Matrix<double> sq = Matrix<double>::host(3, 3);
  Matrix<double> b = Matrix<double>::host(4, 2);
  Matrix<double> one = Matrix<double>::host(1, 1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.potrf(rect.view()); }, {"potrf", "A must be square", "A 3x4"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.potrs(sq.cview(), b.view()); }, {"potrs", "L.rows rows"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.trsm(Side::left, Transpose::no, 1.0, sq.cview(), b.view()); },
                                           {"trsm", "side left needs B.rows == L.rows"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.trsm(Side::right, Transpose::no, 1.0, sq.cview(), b.view()); },
                                           {"trsm", "side right needs B.cols == L.rows"}));
  Matrix<double> b3 = Matrix<double>::host(3, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { s.trsm(Side::left, Transpose::no, std::numeric_limits<double>::infinity(), sq.cview(), b3.view()); },
      {"trsm", "alpha must be finite"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.potrs(sq.cview(), sq.view().col_range(0, 2)); },
                                           {"potrs", "B overlaps L"}));
  Matrix<double> w = Matrix<double>::host(3, 1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.syevd(sq.cview(), w.view(), rect.view()); },
                                           {"syevd", "shapes must be A (n x n)"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.syevd(sq.cview(), w.view(), sq.view()); },
                                           {"syevd", "eigenvectors overlaps A"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.log_det(sq.cview(), w.view()); }, {"log_det", "out must be 1 x 1"}));
  const MatrixView<double> on_gpu(one.data(), 1, 1, 1, MemorySpace::cuda, 0);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { s.log_det(sq.cview(), on_gpu); },
                                           {"log_det", "out is in memory on cuda:0", "host memory"}));
}

}  // namespace
}  // namespace lwnet::test
