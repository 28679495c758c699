// Thread-count independence on the CPU: make_cpu_backend(1) and make_cpu_backend(4) must give
// bitwise identical kernel_matmul results (both outputs, dense and grouped B, with squares, the
// split-X path for few Z rows and the unsplit one for many), and likewise gram, squared_distances,
// kernel_pair_sum, the column reductions and hsic_labels, whose partial sums are combined in a
// fixed order.
#include <cstring>
#include <tuple>

#include <gtest/gtest.h>

#include "cases.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/ops.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

constexpr int kManyThreads = 4;

template <class T>
::testing::AssertionResult bitwise_equal(const Matrix<T>& a, const Matrix<T>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return ::testing::AssertionFailure() << "shapes differ";
  for (std::int64_t k = 0; k < a.size(); ++k)
    if (std::memcmp(a.data() + k, b.data() + k, sizeof(T)) != 0)
      return ::testing::AssertionFailure() << "first difference at (" << k / a.cols() << ", " << k % a.cols()
                                           << "): " << a.data()[k] << " vs " << b.data()[k];
  return ::testing::AssertionSuccess();
}

// m = 1 and 70: few Z blocks, the X range is split across tasks; m = 8200: 129 blocks of 64 rows,
// no split. d = 3 and 40 (d = 40 once went through BLAS, whose split of a GEMM depended on the
// thread count under OPENBLAS_CORETYPE=Haswell).
const Shape kDeterminismShapes[] = {{1, 1100, 3, 5}, {70, 1100, 40, 3}, {8200, 300, 3, 3}, {8200, 300, 40, 2}};

class CpuDeterminism : public ::testing::TestWithParam<Shape> {};

TEST_P(CpuDeterminism, KernelMatmulIsBitwiseIdenticalAcrossThreadCounts) {
  const Shape s = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const Matrix<float> Z = rng.uniform_matrix(s.m, s.d);
  const Matrix<float> X = rng.uniform_matrix(s.n, s.d);
  const Matrix<float> dense = rng.uniform_matrix(s.n, s.c);
  // One-hot rows (class indicators): the grouped path.
  const Labels labels = rng.labels(s.n, static_cast<int>(s.c));
  Matrix<float> one_hot = Matrix<float>::host(s.n, s.c);
  for (std::int64_t i = 0; i < s.n; ++i) one_hot(i, labels.y[static_cast<std::size_t>(i)]) = 1.0f;
  auto one = make_cpu_backend(1);
  auto many = make_cpu_backend(kManyThreads);
  for (const Matrix<float>* B : std::initializer_list<const Matrix<float>*>{&dense, &one_hot}) {
    SCOPED_TRACE(B == &dense ? "dense B" : "one-hot B");
    for (KernelKind kind : kAllKernels) {
      SCOPED_TRACE(to_string(kind));
      const GramParams p = scaled_kernel(kind, s.d);
      Matrix<float> f1 = Matrix<float>::host(s.m, s.c), f4 = Matrix<float>::host(s.m, s.c);
      Matrix<double> d1 = Matrix<double>::host(s.m, s.c), d4 = Matrix<double>::host(s.m, s.c);
      Matrix<double> q1 = Matrix<double>::host(s.m, 1), q4 = Matrix<double>::host(s.m, 1);
      one->kernel_matmul(Z.cview(), X.cview(), B->cview(), p, f1.view());
      many->kernel_matmul(Z.cview(), X.cview(), B->cview(), p, f4.view());
      one->kernel_matmul_with_squares(Z.cview(), X.cview(), B->cview(), p, d1.view(), q1.view());
      many->kernel_matmul_with_squares(Z.cview(), X.cview(), B->cview(), p, d4.view(), q4.view());
      EXPECT_TRUE(bitwise_equal(f1, f4)) << "float output";
      EXPECT_TRUE(bitwise_equal(d1, d4)) << "double output";
      EXPECT_TRUE(bitwise_equal(q1, q4)) << "sums of squares";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuDeterminism, ::testing::ValuesIn(kDeterminismShapes), ShapeName());

TEST(CpuDeterminismSymmetric, SelfProductWithGroupedBIsBitwiseIdenticalAcrossThreadCounts) {
  // K(X, X) B with one-hot B: the symmetric path, its column sums combined in a fixed order.
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 3000;
  const Matrix<float> X = rng.uniform_matrix(n, 7);
  const Labels labels = rng.labels(n, 4);
  Matrix<float> Y = Matrix<float>::host(n, 4);
  for (std::int64_t i = 0; i < n; ++i) Y(i, labels.y[static_cast<std::size_t>(i)]) = 1.0f;
  auto one = make_cpu_backend(1);
  auto many = make_cpu_backend(kManyThreads);
  Matrix<double> d1 = Matrix<double>::host(n, 4), d4 = Matrix<double>::host(n, 4);
  Matrix<double> q1 = Matrix<double>::host(n, 1), q4 = Matrix<double>::host(n, 1);
  one->kernel_matmul_with_squares(X.cview(), X.cview(), Y.cview(), GramParams::gaussian(0.8), d1.view(), q1.view());
  many->kernel_matmul_with_squares(X.cview(), X.cview(), Y.cview(), GramParams::gaussian(0.8), d4.view(), q4.view());
  EXPECT_TRUE(bitwise_equal(d1, d4));
  EXPECT_TRUE(bitwise_equal(q1, q4));
}

TEST(CpuDeterminismOthers, SameResultsWithOneAndManyThreads) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 700;
  const std::int64_t d = 40;
  const Labels labels = rng.labels(n, 3);
  const Matrix<float> X = rng.clustered(labels, d, 0.5);
  const Matrix<float> Y = rng.uniform_matrix(n, 2);
  auto one = make_cpu_backend(1);
  auto many = make_cpu_backend(kManyThreads);
  const GramParams p = scaled_kernel(KernelKind::gaussian, d);

  Matrix<float> g1 = Matrix<float>::host(n, n), g4 = Matrix<float>::host(n, n);
  one->gram(X.cview(), X.cview(), p, g1.view());
  many->gram(X.cview(), X.cview(), p, g4.view());
  EXPECT_TRUE(bitwise_equal(g1, g4)) << "gram";
  one->squared_distances(X.cview(), X.cview(), g1.view());
  many->squared_distances(X.cview(), X.cview(), g4.view());
  EXPECT_TRUE(bitwise_equal(g1, g4)) << "squared_distances";

  EXPECT_EQ(one->kernel_pair_sum(X.cview(), p, Y.cview(), GramParams::linear()),
            many->kernel_pair_sum(X.cview(), p, Y.cview(), GramParams::linear()));
  const Matrix<float> tall = rng.uniform_matrix(5000, 3);  // 3 reduction chunks
  EXPECT_EQ(one->column_sums(tall.cview()), many->column_sums(tall.cview()));
  EXPECT_EQ(one->column_dots(tall.cview(), tall.cview()), many->column_dots(tall.cview(), tall.cview()));

  // Random Fourier features (once a BLAS sgemm) and the k-NN search.
  const Matrix<float> omega = rng.uniform_matrix(d, 300);
  const Matrix<float> phase = rng.uniform_matrix(1, 300, 0.0, 6.28);
  Matrix<float> f1 = Matrix<float>::host(n, 300), f4 = Matrix<float>::host(n, 300);
  one->random_fourier_features(X.cview(), omega.cview(), phase.cview(), 2.5, f1.view());
  many->random_fourier_features(X.cview(), omega.cview(), phase.cview(), 2.5, f4.view());
  EXPECT_TRUE(bitwise_equal(f1, f4)) << "random_fourier_features";
  Matrix<std::int64_t> i1 = Matrix<std::int64_t>::host(n, 7), i4 = Matrix<std::int64_t>::host(n, 7);
  Matrix<float> k1 = Matrix<float>::host(n, 7), k4 = Matrix<float>::host(n, 7);
  one->knn(X.cview(), X.cview(), 7, i1.view(), k1.view());
  many->knn(X.cview(), X.cview(), 7, i4.view(), k4.view());
  EXPECT_TRUE(bitwise_equal(i1, i4)) << "knn indices";
  EXPECT_TRUE(bitwise_equal(k1, k4)) << "knn distances";

  for (HsicNormalization norm : {HsicNormalization::code, HsicNormalization::textbook}) {
    const HsicResult r1 = hsic_labels(*one, X.cview(), labels, p, norm);
    const HsicResult r4 = hsic_labels(*many, X.cview(), labels, p, norm);
    EXPECT_EQ(r1.hsic, r4.hsic);
    EXPECT_EQ(r1.normalized, r4.normalized);
  }
}

}  // namespace
}  // namespace lwnet::test
