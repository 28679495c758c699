// The fused primitive out = K(Z, X) B on the CPU (float and double outputs) and the streamed pair
// sum sum_ij kx(x_i, x_j) ky(y_i, y_j), against the float64 oracle for all four kernels, on shapes
// straddling the tiles, both dot-product paths, c from 1 to 70 and single-row queries (m = 1, where
// the X range is split across tasks). Self-pairs through the fused path (B = identity) are exactly 1.
// B with few distinct rows (class indicators) takes the grouped path: checked against the oracle,
// with its sum of squares, self-pairs, and a row's result independent of the batch around it.
#include <cmath>
#include <tuple>

#include <gtest/gtest.h>

#include "cases.hpp"
#include "cpu/cpu_tiles.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

static_assert(kTileSumTerms == static_cast<double>(cpu::kTileCols),
              "tolerance.hpp's float32 tile sum length must be the CPU tile's");

const Shape kMatmulShapes[] = {{1, 1, 1, 1},      {3, 7, 3, 2},     {7, 33, 5, 10},   {33, 257, 16, 33},
                               {65, 300, 32, 70}, {70, 257, 33, 3}, {100, 520, 40, 10}, {1, 1100, 3, 5},
                               {1031, 1100, 3, 2}};


class CpuKernelMatmul : public ::testing::TestWithParam<std::tuple<Shape, KernelKind>> {};

TEST_P(CpuKernelMatmul, MatchesOracle) {
  const auto [shape, kind] = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const auto Z = padded_copy(rng.uniform_matrix(shape.m, shape.d).cview());
  const auto X = padded_copy(rng.uniform_matrix(shape.n, shape.d).cview());
  const auto B = padded_copy(rng.uniform_matrix(shape.n, shape.c).cview());
  const GramParams params = scaled_kernel(kind, shape.d);
  auto backend = make_cpu_backend();
  Padded<float> out_f(shape.m, shape.c);
  Padded<double> out_d(shape.m, shape.c);
  backend->kernel_matmul(Z.cview(), X.cview(), B.cview(), params, out_f.view);
  backend->kernel_matmul(Z.cview(), X.cview(), B.cview(), params, out_d.view);

  const DMat expected = oracle::kernel_matmul(Z.cview(), X.cview(), B.cview(), params);
  const double tol =
      kernel_matmul_error(kernel_error_model(params, Z.cview(), X.cview()), max_abs_column_sum(B.cview()), shape.n);
  EXPECT_TRUE(expect_close(out_d.cview(), expected, tol, 0.0)) << "double output, " << to_string(params);
  EXPECT_TRUE(expect_close(out_f.cview(), expected, tol, kU32)) << "float output, " << to_string(params);
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuKernelMatmul,
                         ::testing::Combine(::testing::ValuesIn(kMatmulShapes), ::testing::ValuesIn(kAllKernels)),
                         ShapeKernelName());

// With B = I (c = n) every output is one kernel value times 1 plus exact zeros, so the fused
// path's own kernel values show: self-pairs must be exactly 1 when Z and X view the same rows.
class CpuKernelMatmulSelfPairs : public ::testing::TestWithParam<std::int64_t> {};  // d

TEST_P(CpuKernelMatmulSelfPairs, IdentityBShowsExactSelfPairs) {
  const std::int64_t d = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 300;
  const std::int64_t first = 37;
  const Matrix<float> X = rng.uniform_matrix(n, d, 99.0, 101.0);  // cancellation-prone (test_gram.cpp)
  Matrix<float> I = Matrix<float>::host(n, n);
  for (std::int64_t i = 0; i < n; ++i) I(i, i) = 1.0f;
  auto backend = make_cpu_backend();
  const GramParams params = GramParams::gaussian(1.0);

  Matrix<double> same = Matrix<double>::host(n, n);
  backend->kernel_matmul(X.cview(), X.cview(), I.cview(), params, same.view());
  for (std::int64_t i = 0; i < n; ++i) EXPECT_EQ(same(i, i), 1.0) << "Z == X, row " << i;

  const MatrixView<const float> Z = X.cview().row_range(first, 250);
  Matrix<float> shifted = Matrix<float>::host(Z.rows(), n);
  backend->kernel_matmul(Z, X.cview(), I.cview(), params, shifted.view());
  for (std::int64_t a = 0; a < Z.rows(); ++a) EXPECT_EQ(shifted(a, a + first), 1.0f) << "Z = X[37:], row " << a;
}

INSTANTIATE_TEST_SUITE_P(Features, CpuKernelMatmulSelfPairs, ::testing::Values(3, 40),
                         [](const ::testing::TestParamInfo<std::int64_t>& param_info) {
                           return "d" + std::to_string(param_info.param);
                         });

// B whose rows repeat a few patterns, as the trainer's indicator weights do: X's rows are grouped
// by their row of B. The patterns hold arbitrary values (negative too), so the grouped sums are
// checked as a general K.B product.
Matrix<float> patterned_b(TestRandom& rng, std::int64_t n, std::int64_t c, std::int64_t patterns) {
  const Matrix<float> values = rng.uniform_matrix(patterns, c, -2.0, 2.0);
  Matrix<float> B = Matrix<float>::host(n, c);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t g = rng.below(patterns);
    for (std::int64_t j = 0; j < c; ++j) B(i, j) = values(g, j);
  }
  return B;
}

class CpuKernelMatmulGrouped : public ::testing::TestWithParam<std::tuple<Shape, KernelKind>> {};

TEST_P(CpuKernelMatmulGrouped, MatchesOracleWithSquares) {
  const auto [shape, kind] = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const auto Z = padded_copy(rng.uniform_matrix(shape.m, shape.d).cview());
  const auto X = padded_copy(rng.uniform_matrix(shape.n, shape.d).cview());
  const auto B = padded_copy(patterned_b(rng, shape.n, shape.c, 1 + rng.below(12)).cview());
  const GramParams params = scaled_kernel(kind, shape.d);
  auto backend = make_cpu_backend();
  Padded<float> out_f(shape.m, shape.c);
  Padded<double> out_d(shape.m, shape.c);
  Padded<double> squares(shape.m, 1);
  backend->kernel_matmul(Z.cview(), X.cview(), B.cview(), params, out_f.view);
  backend->kernel_matmul_with_squares(Z.cview(), X.cview(), B.cview(), params, out_d.view, squares.view);

  const DMat expected = oracle::kernel_matmul(Z.cview(), X.cview(), B.cview(), params);
  const KernelErrorModel model = kernel_error_model(params, Z.cview(), X.cview());
  const double tol = kernel_matmul_error(model, max_abs_column_sum(B.cview()), shape.n);
  EXPECT_TRUE(expect_close(out_d.cview(), expected, tol, 0.0)) << "double output, " << to_string(params);
  EXPECT_TRUE(expect_close(out_f.cview(), expected, tol, kU32)) << "float output, " << to_string(params);

  // sum_b k^2: each term's error is at most twice k's (relative), the sum as a K.B with B = K.
  DMat expected_sq(shape.m, 1);
  for (std::int64_t a = 0; a < shape.m; ++a)
    for (std::int64_t b = 0; b < shape.n; ++b) {
      const double k = oracle::kernel(params, oracle::row(Z.cview(), a), oracle::row(X.cview(), b), shape.d);
      expected_sq(a, 0) += k * k;
    }
  const double sq_tol = 2.0 * model.max_abs * kernel_matmul_error(model, static_cast<double>(shape.n), shape.n);
  EXPECT_TRUE(expect_close(squares.cview(), expected_sq, sq_tol, 0.0)) << "squares, " << to_string(params);
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuKernelMatmulGrouped,
                         ::testing::Combine(::testing::ValuesIn(kMatmulShapes), ::testing::ValuesIn(kAllKernels)),
                         ShapeKernelName());

// K(X, X) B with grouped B: each pair of tiles is evaluated once and serves both of its rows
// (cpu_symmetric_sums.hpp); n from one row to five blocks, ragged ends included.
class CpuKernelMatmulSymmetric : public ::testing::TestWithParam<std::tuple<std::int64_t, KernelKind>> {};

TEST_P(CpuKernelMatmulSymmetric, SelfProductMatchesOracleWithSquares) {
  const auto [n, kind] = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t d = 6;
  const std::int64_t c = 3;
  const auto X = padded_copy(rng.uniform_matrix(n, d).cview());
  const auto B = padded_copy(patterned_b(rng, n, c, 1 + rng.below(6)).cview());
  const GramParams params = scaled_kernel(kind, d);
  auto backend = make_cpu_backend();
  Padded<double> out(n, c);
  Padded<double> squares(n, 1);
  backend->kernel_matmul_with_squares(X.cview(), X.cview(), B.cview(), params, out.view, squares.view);
  Padded<float> out_f(n, c);
  backend->kernel_matmul(X.cview(), X.cview(), B.cview(), params, out_f.view);

  const DMat expected = oracle::kernel_matmul(X.cview(), X.cview(), B.cview(), params);
  const KernelErrorModel model = kernel_error_model(params, X.cview(), X.cview());
  const double tol = kernel_matmul_error(model, max_abs_column_sum(B.cview()), n);
  EXPECT_TRUE(expect_close(out.cview(), expected, tol, 0.0)) << to_string(params);
  EXPECT_TRUE(expect_close(out_f.cview(), expected, tol, kU32)) << "float output, " << to_string(params);
  DMat expected_sq(n, 1);
  for (std::int64_t a = 0; a < n; ++a)
    for (std::int64_t b = 0; b < n; ++b) {
      const double k = oracle::kernel(params, oracle::row(X.cview(), a), oracle::row(X.cview(), b), d);
      expected_sq(a, 0) += k * k;
    }
  const double sq_tol = 2.0 * model.max_abs * kernel_matmul_error(model, static_cast<double>(n), n);
  EXPECT_TRUE(expect_close(squares.cview(), expected_sq, sq_tol, 0.0)) << "squares, " << to_string(params);
}

INSTANTIATE_TEST_SUITE_P(Sizes, CpuKernelMatmulSymmetric,
                         ::testing::Combine(::testing::Values(1, 7, 256, 257, 600, 1281), ::testing::ValuesIn(kAllKernels)),
                         [](const ::testing::TestParamInfo<std::tuple<std::int64_t, KernelKind>>& param_info) {
                           return "n" + std::to_string(std::get<0>(param_info.param)) + "_" + to_string(std::get<1>(param_info.param));
                         });

TEST(CpuKernelMatmulGroupedSelfPairs, AreExactlyOneAfterGrouping) {
  // Distinct, cancellation-prone rows and a tiny width: every kernel value between distinct rows
  // underflows to 0, and a self-pair computed through the norms identity would too. With one-hot
  // B, out(i, y_i) is then exactly k(x_i, x_i), which must be 1 though X's rows were reordered.
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 700;
  const Matrix<float> X = rng.uniform_matrix(n, 5, 99.0, 101.0);
  const Labels labels = rng.labels(n, 3);
  Matrix<float> Y = Matrix<float>::host(n, 3);
  for (std::int64_t i = 0; i < n; ++i) Y(i, labels.y[static_cast<std::size_t>(i)]) = 1.0f;
  Matrix<double> out = Matrix<double>::host(n, 3);
  make_cpu_backend()->kernel_matmul(X.cview(), X.cview(), Y.cview(), GramParams::gaussian(1e-4), out.view());
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < 3; ++j)
      ASSERT_EQ(out(i, j), j == labels.y[static_cast<std::size_t>(i)] ? 1.0 : 0.0) << "row " << i << ", class " << j;
}

TEST(CpuKernelMatmulGroupedBatches, ARowGivesTheSameBitsAloneAsInABatch) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 5000;  // two splits of X
  const Matrix<float> X = rng.uniform_matrix(n, 12);
  const Matrix<float> Z = rng.uniform_matrix(150, 12);
  const Matrix<float> B = patterned_b(rng, n, 4, 5);
  auto backend = make_cpu_backend();
  Matrix<double> batch = Matrix<double>::host(Z.rows(), 4);
  backend->kernel_matmul(Z.cview(), X.cview(), B.cview(), GramParams::gaussian(0.7), batch.view());
  for (std::int64_t a : {0, 63, 64, 149}) {
    Matrix<double> alone = Matrix<double>::host(1, 4);
    backend->kernel_matmul(Z.cview().row_range(a, 1), X.cview(), B.cview(), GramParams::gaussian(0.7), alone.view());
    for (std::int64_t j = 0; j < 4; ++j) EXPECT_EQ(alone(0, j), batch(a, j)) << "row " << a << ", column " << j;
  }
}

// Several Gaussian widths from one pass over the pairs: each output has the bits kernel_matmul
// gives for its width (the same clamped distances and exponentials, the same summation order),
// for dense and grouped B and for a self-product.
TEST(CpuGaussianWidths, EachOutputIsItsOwnKernelMatmul) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 1100;
  const std::int64_t d = 37;
  const Matrix<float> X = rng.uniform_matrix(n, d);
  const Matrix<float> Z = rng.uniform_matrix(70, d);
  const std::vector<double> sigmas = {3.0, 1.1, 0.4, 0.05};
  auto backend = make_cpu_backend();
  const Matrix<float> dense = rng.uniform_matrix(n, 3);
  const Matrix<float> grouped = patterned_b(rng, n, 3, 4);
  for (const Matrix<float>* B : std::initializer_list<const Matrix<float>*>{&dense, &grouped}) {
    SCOPED_TRACE(B == &dense ? "dense B" : "grouped B");
    std::vector<Matrix<double>> outs;
    std::vector<MatrixView<double>> views;
    for (std::size_t w = 0; w < sigmas.size(); ++w) outs.push_back(Matrix<double>::host(Z.rows(), 3));
    for (auto& out : outs) views.push_back(out.view());
    backend->gaussian_matmul_widths(Z.cview(), X.cview(), B->cview(), sigmas, views);
    for (std::size_t w = 0; w < sigmas.size(); ++w) {
      Matrix<double> single = Matrix<double>::host(Z.rows(), 3);
      backend->kernel_matmul(Z.cview(), X.cview(), B->cview(), GramParams::gaussian(sigmas[w]), single.view());
      for (std::int64_t e = 0; e < single.size(); ++e)
        ASSERT_EQ(outs[w].data()[e], single.data()[e]) << "sigma " << sigmas[w] << ", entry " << e;
    }
  }
  // K(X, X) B: self-pairs exactly 1 in every width; against the oracle (the single-width
  // self-product sums in another order).
  std::vector<Matrix<double>> outs;
  std::vector<MatrixView<double>> views;
  for (std::size_t w = 0; w < sigmas.size(); ++w) outs.push_back(Matrix<double>::host(n, 3));
  for (auto& out : outs) views.push_back(out.view());
  backend->gaussian_matmul_widths(X.cview(), X.cview(), grouped.cview(), sigmas, views);
  for (std::size_t w = 0; w < sigmas.size(); ++w) {
    const GramParams p = GramParams::gaussian(sigmas[w]);
    const DMat expected = oracle::kernel_matmul(X.cview(), X.cview(), grouped.cview(), p);
    const double tol = kernel_matmul_error(kernel_error_model(p, X.cview(), X.cview()), max_abs_column_sum(grouped.cview()), n);
    EXPECT_TRUE(expect_close(outs[w].cview(), expected, tol, 0.0)) << "self-product, sigma " << sigmas[w];
  }
}

TEST(CpuGaussianWidths, RejectsMismatchedOutputs) {
  auto backend = make_cpu_backend();
  const Matrix<float> X = Matrix<float>::host(4, 2);
  const Matrix<float> B = Matrix<float>::host(4, 1);
  Matrix<double> a = Matrix<double>::host(4, 1);
  EXPECT_THROW(backend->gaussian_matmul_widths(X.cview(), X.cview(), B.cview(), {1.0, 2.0}, {a.view()}), InvalidArgument);
  EXPECT_THROW(backend->gaussian_matmul_widths(X.cview(), X.cview(), B.cview(), {}, {}), InvalidArgument);
  EXPECT_THROW(backend->gaussian_matmul_widths(X.cview(), X.cview(), B.cview(), {1.0, 2.0}, {a.view(), a.view()}),
               InvalidArgument);
  EXPECT_THROW(backend->gaussian_matmul_widths(X.cview(), X.cview(), B.cview(), {-1.0}, {a.view()}), InvalidArgument);
}

// kernel_pair_sum: (n, dx, dy) and a pair of kernels.
struct PairCase {
  std::int64_t n, dx, dy;
  KernelKind kx, ky;
};

class CpuKernelPairSum : public ::testing::TestWithParam<PairCase> {};

TEST_P(CpuKernelPairSum, MatchesOracle) {
  const PairCase pc = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const auto X = padded_copy(rng.uniform_matrix(pc.n, pc.dx).cview());
  const auto Y = padded_copy(rng.uniform_matrix(pc.n, pc.dy).cview());
  const GramParams px = scaled_kernel(pc.kx, pc.dx);
  const GramParams py = scaled_kernel(pc.ky, pc.dy);
  const double actual = make_cpu_backend()->kernel_pair_sum(X.cview(), px, Y.cview(), py);
  const double expected = oracle::pair_sum(X.cview(), px, Y.cview(), py);
  const double tol = pair_sum_error(kernel_error_model(px, X.cview(), X.cview()),
                                    kernel_error_model(py, Y.cview(), Y.cview()), pc.n);
  EXPECT_TRUE(expect_close(actual, expected, tol, 0.0)) << to_string(px) << " x " << to_string(py);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CpuKernelPairSum,
    ::testing::Values(PairCase{1, 1, 1, KernelKind::gaussian, KernelKind::gaussian},
                      PairCase{7, 3, 2, KernelKind::gaussian, KernelKind::linear},
                      PairCase{33, 5, 40, KernelKind::laplacian, KernelKind::polynomial},
                      PairCase{257, 40, 3, KernelKind::polynomial, KernelKind::gaussian},
                      PairCase{300, 7, 7, KernelKind::linear, KernelKind::laplacian},
                      PairCase{1030, 3, 2, KernelKind::gaussian, KernelKind::gaussian}),
    [](const ::testing::TestParamInfo<PairCase>& param_info) {
      const PairCase& p = param_info.param;
      return "n" + std::to_string(p.n) + "_dx" + std::to_string(p.dx) + "_dy" + std::to_string(p.dy) + "_" +
             to_string(p.kx) + "_" + to_string(p.ky);
    });

}  // namespace
}  // namespace lwnet::test
