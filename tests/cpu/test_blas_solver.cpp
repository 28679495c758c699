// The CPU Blas and Solver families (lwnet/blas.hpp, solver.hpp) against a float64 oracle written
// here: gemm in float and double in all four transpose combinations, on views with ld > cols
// (padding that must stay untouched), beta = 0 ignoring a NaN-filled C, shapes with few rows
// (C split by columns) and many rows (split by rows), results bitwise the same on 1 and 3
// threads; strided batched gemm (batched views with gaps, inputs per entry, stride 0 or plain and
// broadcast); axpy and scal; potrf (L L^T =
// A, upper triangle exactly 0, NumericalError naming the minor), potrs and trsm in every side and
// transpose, syevd (A V = V diag(w), w ascending and equal to a Jacobi oracle's, V orthonormal),
// log_det; and the front ends' validation (batched views refused by every operation but
// gemm_strided_batched).
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
// (784 rows: 4 row tiles, column tiles too); many rows (split by rows only); whole vectors of
// columns (the register-blocked kernel: narrower last column panel and row tile, several k blocks).
const GemmShape kGemmShapes[] = {{1, 1, 1},     {3, 7, 5},     {100, 256, 784}, {784, 130, 100},
                                 {1100, 33, 17}, {203, 80, 300}, {37, 48, 9}};

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
  const MatrixView<const T> a = A.cview().row_range(0, 40).batched(count, 40 * 50);
  one->blas().gemm_strided_batched(Transpose::no, Transpose::no, T(1), a, B.cview(), T(0),
                                   C1.view().row_range(0, 40).batched(count, 40 * 60));
  three->blas().gemm_strided_batched(Transpose::no, Transpose::no, T(1), a, B.cview(), T(0),
                                     C3.view().row_range(0, 40).batched(count, 40 * 60));
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

// The batch fields of a view: defaults, batch(b), and what keeps them (const conversion, blocks:
// the same block of every entry) and what does not (Matrix::view, batch(b)).
TEST(BatchedView, FieldsSurviveConversionAndBlocks) {
  Matrix<float> M = Matrix<float>::host(6, 5);
  const MatrixView<float> plain = M.view();
  EXPECT_EQ(plain.batch_count(), 1);
  EXPECT_EQ(plain.batch_stride(), 0);
  const MatrixView<float> batch = M.view().row_range(0, 2).batched(3, 10);
  EXPECT_EQ(batch.batch_count(), 3);
  EXPECT_EQ(batch.batch_stride(), 10);
  const MatrixView<const float> as_const = batch;
  EXPECT_EQ(as_const.batch_count(), 3);
  EXPECT_EQ(as_const.batch_stride(), 10);
  const MatrixView<float> block = batch.block(1, 2, 1, 3);
  EXPECT_EQ(block.batch_count(), 3);
  EXPECT_EQ(block.batch_stride(), 10);
  EXPECT_EQ(block.batch(2).data(), M.data() + 2 * 10 + 1 * 5 + 2);
  EXPECT_EQ(batch.col_range(1, 2).batch_count(), 3);
  const MatrixView<float> entry = batch.batch(1);
  EXPECT_EQ(entry.data(), M.data() + 10);
  EXPECT_EQ(entry.rows(), 2);
  EXPECT_EQ(entry.cols(), 5);
  EXPECT_EQ(entry.ld(), 5);
  EXPECT_EQ(entry.batch_count(), 1);
  EXPECT_EQ(describe(batch), "2x5 batch 3 stride 10");
  EXPECT_EQ(describe(entry), "2x5");
}

// A batch in one NaN-filled buffer: `stored` matrices of rows x cols with ld = cols + 2 and a gap
// of 3 elements between entries (stride = rows * ld + 3), random values inside the entries.
template <class T>
struct PaddedBatch {
  std::int64_t rows, cols, ld, stride, stored;
  std::vector<T> buf;

  PaddedBatch(TestRandom& rng, std::int64_t r, std::int64_t c, std::int64_t entries)
      : rows(r), cols(c), ld(c + 2), stride(r * (c + 2) + 3), stored(entries),
        buf(static_cast<std::size_t>(entries * stride), std::numeric_limits<T>::quiet_NaN()) {
    for (std::int64_t e = 0; e < stored; ++e)
      for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t j = 0; j < cols; ++j) at(e, i, j) = static_cast<T>(rng.uniform(-1.0, 1.0));
  }
  T& at(std::int64_t e, std::int64_t i, std::int64_t j) {
    return buf[static_cast<std::size_t>(e * stride + i * ld + j)];
  }
  // Entry e as a plain view, addressed here rather than through MatrixView::batch.
  MatrixView<T> entry(std::int64_t e) { return MatrixView<T>(buf.data() + e * stride, rows, cols, ld); }
  MatrixView<T> first() { return entry(0); }
  // Whether every element outside the entries is still NaN.
  bool gaps_untouched() const {
    for (std::size_t idx = 0; idx < buf.size(); ++idx) {
      const auto off = static_cast<std::int64_t>(idx) % stride;
      const bool inside = off / ld < rows && off % ld < cols;
      if (!inside && !std::isnan(buf[idx])) return false;
    }
    return true;
  }
};

// How an input of gemm_strided_batched is given: one matrix per entry, one matrix repeated with
// stride 0 (count = C's), or a plain view (count 1) that the front end broadcasts.
enum class InputBatch { per_entry, stride_zero, plain };

const char* to_string(InputBatch b) {
  return b == InputBatch::per_entry ? "per entry" : b == InputBatch::stride_zero ? "stride 0" : "plain view";
}

// Each entry of C (ld > cols, gaps between entries) must match the float64 oracle on its own
// entries of A and B (or the one broadcast matrix), and the padding and gaps stay NaN.
TYPED_TEST(CpuBlas, GemmStridedBatchedMatchesOracle) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t m = 7, n = 9, k = 11;
  struct Inputs {
    InputBatch a, b;
  };
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (std::int64_t count : {1, 3})
        for (const Inputs& in : {Inputs{InputBatch::per_entry, InputBatch::per_entry},
                                 Inputs{InputBatch::stride_zero, InputBatch::per_entry},
                                 Inputs{InputBatch::per_entry, InputBatch::plain},
                                 Inputs{InputBatch::plain, InputBatch::stride_zero}}) {
          SCOPED_TRACE(::testing::Message() << (ta ? "A^T" : "A") << (tb ? " B^T" : " B") << " count " << count
                                            << ", A " << to_string(in.a) << ", B " << to_string(in.b));
          const auto batch_of = [count](PaddedBatch<T>& p, InputBatch how) {
            const MatrixView<const T> first = p.first();
            if (how == InputBatch::per_entry) return first.batched(count, p.stride);
            if (how == InputBatch::stride_zero) return first.batched(count, 0);
            return first;
          };
          PaddedBatch<T> A(rng, ta ? k : m, ta ? m : k, in.a == InputBatch::per_entry ? count : 1);
          PaddedBatch<T> B(rng, tb ? n : k, tb ? k : n, in.b == InputBatch::per_entry ? count : 1);
          PaddedBatch<T> C(rng, m, n, count);
          std::vector<DMat> c0;
          for (std::int64_t e = 0; e < count; ++e) c0.push_back(to_dmat(MatrixView<const T>(C.entry(e))));
          const double alpha = 1.25, beta = -0.5;
          this->blas().gemm_strided_batched(op(ta), op(tb), static_cast<T>(alpha), batch_of(A, in.a), batch_of(B, in.b),
                                            static_cast<T>(beta), C.first().batched(count, C.stride));
          for (std::int64_t e = 0; e < count; ++e) {
            const DMat a = to_dmat(MatrixView<const T>(A.entry(in.a == InputBatch::per_entry ? e : 0)));
            const DMat b = to_dmat(MatrixView<const T>(B.entry(in.b == InputBatch::per_entry ? e : 0)));
            const DMat expected = oracle::gemm(ta, tb, alpha, a, b, beta, c0[static_cast<std::size_t>(e)]);
            EXPECT_TRUE(expect_close(MatrixView<const T>(C.entry(e)), expected, gemm_tolerance<T>(alpha, beta, k),
                                     unit_roundoff<T>()))
                << "entry " << e;
          }
          EXPECT_TRUE(C.gaps_untouched()) << "elements outside C's entries were written";
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
  Matrix<T> Cs = Matrix<T>::host(12, 5);
  const auto batched = [&](MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> c) {
    return [&blas, a, b, c] { blas.gemm_strided_batched(Transpose::no, Transpose::no, T(1), a, b, T(0), c); };
  };
  const MatrixView<const T> a3 = A.cview().batched(3, 0);
  const MatrixView<T> c3 = Cs.view().row_range(0, 4).batched(3, 20);
  EXPECT_NO_THROW(batched(a3, B.cview(), c3)());
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(a3, B.cview(), Cs.view().row_range(0, 4).batched(3, 0)),
                                           {"gemm_strided_batched", "C's batch entries overlap: stride 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(a3, B.cview(), Cs.view().row_range(0, 4).batched(3, 19)),
                                           {"C's batch entries overlap: stride 19 < the 20 elements", "C 4x5 batch 3 stride 19"}));
  // One entry's extent, not rows * ld: the last row of an entry ends at its cols.
  const MatrixView<const T> a2x3 = A.cview().row_range(0, 2).batched(3, 0);
  EXPECT_NO_THROW(batched(a2x3, B.cview().col_range(0, 3), MatrixView<T>(Cs.data(), 2, 3, 5).batched(3, 8))());
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(a2x3, B.cview().col_range(0, 3),
                                                   MatrixView<T>(Cs.data(), 2, 3, 5).batched(3, 7)),
                                           {"C's batch entries overlap: stride 7 < the 8 elements"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(A.cview().batched(0, 0), B.cview(), c3),
                                           {"A's batch_count must be at least 1, got 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(A.cview().batched(3, -1), B.cview(), c3),
                                           {"A's batch_stride must not be negative, got -1"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(a3, B.cview().batched(2, 0), c3),
                                           {"gemm_strided_batched", "B has batch_count 2 but C has 3"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(A.cview().batched(2, 12), B.cview(), c3),
                                           {"A has batch_count 2 but C has 3"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      batched(a3, B.cview(), MatrixView<T>(Cs.data(), 4, 5, 5).batched(std::numeric_limits<std::int64_t>::max(), 20)),
      {"C spans more elements than can be addressed"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(a3, B.cview().col_range(0, 4), c3),
                                           {"gemm_strided_batched", "shapes do not chain"}));
  const MatrixView<const T> a_on_gpu(A.data(), 4, 3, 3, MemorySpace::cuda, 0);
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(a_on_gpu.batched(3, 12), B.cview(), c3),
                                           {"gemm_strided_batched", "A is in memory on cuda:0"}));
  // Only C's third entry reaches A's storage: the whole batch's range counts.
  Matrix<T> shared = Matrix<T>::host(12, 5);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      batched(MatrixView<const T>(shared.data() + 40, 4, 3, 3), B.cview(), shared.view().row_range(0, 4).batched(3, 20)),
      {"C overlaps A"}));
  // Only A's third entry (1 x 3 at element 40) reaches C's storage (entries 1 x 5 from element 41).
  EXPECT_TRUE(throws_with<InvalidArgument>(batched(MatrixView<const T>(shared.data(), 1, 3, 3).batched(3, 20), B.cview(),
                                                   MatrixView<T>(shared.data() + 41, 1, 5, 5).batched(3, 5)),
                                           {"C overlaps A"}));
  EXPECT_NO_THROW(batched(MatrixView<const T>(shared.data(), 1, 3, 3).batched(3, 20), B.cview(),
                          MatrixView<T>(shared.data() + 43, 1, 5, 5).batched(3, 5))());

  // Every other Blas operation takes one matrix: a batch is refused, naming the argument.
  EXPECT_TRUE(throws_with<InvalidArgument>(gemm(Transpose::no, a3, B.cview(), C.view()),
                                           {"gemm", "A is a batch of 3 matrices", "A.batch(b)"}));
  Matrix<T> A2 = Matrix<T>::host(4, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { blas.axpy(T(1), A.cview().batched(2, 12), A2.view()); },
                                           {"axpy", "X is a batch of 2 matrices", "X 4x3 batch 2 stride 12"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { blas.axpy(T(1), A.cview(), A2.view().batched(2, 12)); },
                                           {"axpy", "Y is a batch of 2 matrices"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { blas.scal(T(2), A2.view().batched(3, 0)); },
                                           {"scal", "X is a batch of 3 matrices"}));
  // A batch of one is a plain matrix whatever its stride.
  EXPECT_NO_THROW(blas.axpy(T(1), A.cview().batched(1, 99), A2.view()));

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
