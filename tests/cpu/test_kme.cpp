// Class-wise kernel mean embeddings mu_j(z) = (1/n_j) sum_{i in S_j} k(x_i, z) and within-class
// norms rho_j = sqrt(sum_{i,i' in S_j} k(x_i, x_i')) on the CPU, against the oracle for all four
// kernels and c up to 70; closed forms for a one-point class: its embedding is k(x_i, .) and its
// Gaussian norm is exactly 1.
#include <cmath>
#include <tuple>

#include <gtest/gtest.h>

#include "cases.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

const Shape kKmeShapes[] = {{1, 7, 3, 2},      {33, 257, 5, 3}, {65, 300, 40, 10},
                            {1, 1100, 3, 33}, {100, 520, 16, 70}, {3, 70, 1, 1}};

class CpuClassMeanEmbeddings : public ::testing::TestWithParam<std::tuple<Shape, KernelKind>> {};

TEST_P(CpuClassMeanEmbeddings, MatchOracle) {
  const auto [shape, kind] = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const Labels labels = rng.labels(shape.n, static_cast<int>(shape.c));
  const auto Z = padded_copy(rng.uniform_matrix(shape.m, shape.d).cview());
  const auto X = padded_copy(rng.uniform_matrix(shape.n, shape.d).cview());
  const GramParams p = scaled_kernel(kind, shape.d);
  Padded<float> out(shape.m, shape.c);
  class_mean_embeddings(*make_cpu_backend(), Z.cview(), X.cview(), labels, p, out.view);

  // B_ij = fl(1/n_j): sum_i |B_ij| = 1 (1 + u), and B's own rounding adds u sum |k B| <= u kmax.
  const KernelErrorModel model = kernel_error_model(p, Z.cview(), X.cview());
  const double tol = kernel_matmul_error(model, 1.0 + kU32, shape.n) + kU32 * model.max_abs;
  EXPECT_TRUE(expect_close(out.cview(), oracle::class_mean_embeddings(Z.cview(), X.cview(), labels, p), tol, kU32))
      << to_string(p);
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuClassMeanEmbeddings,
                         ::testing::Combine(::testing::ValuesIn(kKmeShapes), ::testing::ValuesIn(kAllKernels)),
                         ShapeKernelName());

class CpuClassNorms : public ::testing::TestWithParam<std::tuple<Shape, KernelKind>> {};

TEST_P(CpuClassNorms, MatchOracle) {
  const auto [shape, kind] = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const Labels labels = rng.labels(shape.n, static_cast<int>(shape.c));
  const auto X = padded_copy(rng.uniform_matrix(shape.n, shape.d).cview());
  const GramParams p = scaled_kernel(kind, shape.d);
  const std::vector<double> rho = class_norms(*make_cpu_backend(), X.cview(), labels, p);
  const std::vector<double> expected = oracle::class_norms(X.cview(), labels, p);
  ASSERT_EQ(rho.size(), expected.size());
  // rho_j^2 = 1' K_j 1 over n_j^2 kernel values: kernel_matmul_error with B = 1 (sum n_j), times n_j rows.
  const KernelErrorModel model = kernel_error_model(p, X.cview(), X.cview());
  const auto counts = labels.class_counts();
  for (std::size_t j = 0; j < rho.size(); ++j) {
    const auto nj = counts[j];
    const double sq_error = static_cast<double>(nj) * kernel_matmul_error(model, static_cast<double>(nj), nj);
    EXPECT_TRUE(expect_close(rho[j], expected[j], sqrt_error(expected[j] * expected[j], sq_error), 0.0))
        << "class " << j << " (" << nj << " samples), " << to_string(p);
  }
}

// class_norms is sum_j n_j^2 work: keep the shapes where that stays small.
INSTANTIATE_TEST_SUITE_P(Shapes, CpuClassNorms,
                         ::testing::Combine(::testing::Values(Shape{1, 7, 3, 2}, Shape{1, 257, 5, 3},
                                                              Shape{1, 300, 40, 10}, Shape{1, 1100, 3, 2},
                                                              Shape{1, 520, 16, 70}, Shape{1, 1, 2, 1}),
                                            ::testing::ValuesIn(kAllKernels)),
                         ShapeKernelName());

TEST(CpuLabelsStruct, ClassCountsAndValidate) {
  const Labels labels{{0, 2, 2, 1, 2, 4}, 5};
  EXPECT_EQ(labels.class_counts(), (std::vector<std::int64_t>{1, 1, 3, 0, 1}));
  EXPECT_NO_THROW(labels.validate(6, "test"));
  EXPECT_THROW(labels.validate(5, "test"), InvalidArgument);
}

TEST(CpuKmeClosedForm, OnePointClass) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 300;
  Labels labels = rng.labels(n, 3);
  for (auto& y : labels.y) y = y == 2 ? 1 : y;  // classes 0 and 1 only ...
  const std::int64_t lone = 123;
  labels.y[static_cast<std::size_t>(lone)] = 2;  // ... and class 2 is the single sample 123
  // Far from the origin, so that the norms identity leaves a residue unless self-pairs are
  // recognised (test_gram.cpp).
  const Matrix<float> X = rng.uniform_matrix(n, 40, 99.0, 101.0);
  const GramParams p = GramParams::gaussian(6.0);
  auto backend = make_cpu_backend();

  // mu_2(z) = k(x_123, z): with Z = X, the embedding's column 2 is row 123 of K(X, X) ...
  Matrix<float> M = Matrix<float>::host(n, 3);
  class_mean_embeddings(*backend, X.cview(), X.cview(), labels, p, M.view());
  Matrix<float> K = Matrix<float>::host(n, n);
  backend->gram(X.cview(), X.cview(), p, K.view());
  const double tol = 2.0 * kernel_error_model(p, X.cview(), X.cview()).entry;
  for (std::int64_t a = 0; a < n; ++a) EXPECT_NEAR(M(a, 2), K(a, lone), tol) << "z = x_" << a;
  // ... and at z = x_123 itself (a self-pair) exactly 1.
  EXPECT_EQ(M(lone, 2), 1.0f);

  // rho_2 = sqrt(k(x_123, x_123)) = 1 exactly for the Gaussian and Laplacian kernels.
  EXPECT_EQ(class_norms(*backend, X.cview(), labels, p)[2], 1.0);
  EXPECT_EQ(class_norms(*backend, X.cview(), labels, GramParams::laplacian(0.5))[2], 1.0);
}

}  // namespace
}  // namespace lwnet::test
