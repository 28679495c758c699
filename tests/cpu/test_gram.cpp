// Materialised kernels on the CPU: squared_distances and gram (all four kinds) against the float64
// oracle, on shapes that straddle the 64 x 256 tiles and both dot-product paths (d <= 32: the
// transposed loop; d > 32: BLAS), with every input and output inside a NaN-padded buffer
// (ld > cols) so ignoring ld or writing outside the view shows. Closed forms: distances are never
// negative, self-pairs give exactly 0 and 1 (same pointer, or Z a row_range of X), the Gaussian
// Gram is symmetric with exactly 1.0f on its diagonal, identical rows give exactly 1 in the
// Laplacian kernel, and Gaussian values never exceed 1.
#include <cmath>
#include <tuple>

#include <gtest/gtest.h>

#include "cases.hpp"
#include "cpu/cpu_tiles.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

// Shapes: 1 and tiny; 65, 257, 300 rows straddle kTileRows = 64 and kTileCols = 256; d from 1 to
// 100 (the register-blocked feature loop serves every width); 1031 x 1100 is the large case.
const Shape kGramShapes[] = {{1, 1, 1, 1},    {3, 7, 3, 1},      {7, 33, 5, 1},   {33, 257, 16, 1},
                             {65, 300, 32, 1}, {70, 257, 33, 1}, {100, 129, 40, 1}, {257, 300, 100, 1},
                             {1031, 1100, 3, 1}};
static_assert(257 % cpu::kTileCols != 0 && 300 % cpu::kTileCols != 0 && 65 % cpu::kTileRows != 0,
              "test shapes must straddle the CPU tiles");

class CpuGram : public ::testing::TestWithParam<std::tuple<Shape, KernelKind>> {};

TEST_P(CpuGram, MatchesOracle) {
  const auto [shape, kind] = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const auto Z = padded_copy(rng.uniform_matrix(shape.m, shape.d).cview());
  const auto X = padded_copy(rng.uniform_matrix(shape.n, shape.d).cview());
  const GramParams params = scaled_kernel(kind, shape.d);
  Padded<float> out(shape.m, shape.n);
  auto backend = make_cpu_backend();
  backend->gram(Z.cview(), X.cview(), params, out.view);

  const DMat expected = oracle::gram(Z.cview(), X.cview(), params);
  const double tol = kernel_error_model(params, Z.cview(), X.cview()).entry;
  EXPECT_TRUE(expect_close(out.cview(), expected, tol, 0.0)) << to_string(params);
  EXPECT_TRUE(padding_untouched(out));
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuGram,
                         ::testing::Combine(::testing::ValuesIn(kGramShapes), ::testing::ValuesIn(kAllKernels)),
                         ShapeKernelName());

class CpuSquaredDistances : public ::testing::TestWithParam<Shape> {};

TEST_P(CpuSquaredDistances, MatchOracle) {
  const Shape shape = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const auto Z = padded_copy(rng.uniform_matrix(shape.m, shape.d).cview());
  const auto X = padded_copy(rng.uniform_matrix(shape.n, shape.d).cview());
  Padded<float> out(shape.m, shape.n);
  make_cpu_backend()->squared_distances(Z.cview(), X.cview(), out.view);

  const double tol = sq_distance_error(shape.d, max_sq_norm(Z.cview()), max_sq_norm(X.cview()));
  EXPECT_TRUE(expect_close(out.cview(), oracle::squared_distances(Z.cview(), X.cview()), tol, 0.0));
  EXPECT_TRUE(padding_untouched(out));
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuSquaredDistances, ::testing::ValuesIn(kGramShapes), ShapeName());

// Rows far from the origin (x = 100 + U[-1, 1]) make the norms identity cancel badly: ||x||^2 ~ 1e4 d,
// so a self-pair computed as ||x||^2 + ||x||^2 - 2 x.x leaves a residue of order 1e-3 d instead of 0.
Matrix<float> offset_data(TestRandom& rng, std::int64_t n, std::int64_t d) {
  return rng.uniform_matrix(n, d, 99.0, 101.0);
}

class CpuGramClosedForm : public ::testing::TestWithParam<std::int64_t> {};  // d

TEST_P(CpuGramClosedForm, GaussianGramIsSymmetricWithUnitDiagonal) {
  const std::int64_t d = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 300;
  const Matrix<float> X = offset_data(rng, n, d);
  const GramParams params = GramParams::gaussian(std::sqrt(static_cast<double>(d)));
  Matrix<float> K = Matrix<float>::host(n, n);
  make_cpu_backend()->gram(X.cview(), X.cview(), params, K.view());
  // Symmetry holds up to the rounding of each entry (the BLAS path may order z.x and x.z apart).
  const double tol = 2.0 * kernel_error_model(params, X.cview(), X.cview()).entry;
  double worst = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(K(i, i), 1.0f) << "diagonal entry " << i;
    for (std::int64_t j = 0; j < i; ++j) worst = std::max(worst, std::fabs(static_cast<double>(K(i, j)) - K(j, i)));
  }
  EXPECT_LE(worst, tol) << "largest |K_ij - K_ji|";
}

TEST_P(CpuGramClosedForm, RowRangeSelfPairsAreExact) {
  const std::int64_t d = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 300;
  const std::int64_t first = 37;  // Z = X[37 : 37 + 250): Z row a is X row a + 37, across tile edges
  const Matrix<float> X = offset_data(rng, n, d);
  const MatrixView<const float> Z = X.cview().row_range(first, 250);
  auto backend = make_cpu_backend();
  Matrix<float> d2 = Matrix<float>::host(Z.rows(), n);
  Matrix<float> K = Matrix<float>::host(Z.rows(), n);
  backend->squared_distances(Z, X.cview(), d2.view());
  backend->gram(Z, X.cview(), GramParams::gaussian(1.0), K.view());
  for (std::int64_t a = 0; a < Z.rows(); ++a) {
    EXPECT_EQ(d2(a, a + first), 0.0f) << "row " << a;
    EXPECT_EQ(K(a, a + first), 1.0f) << "row " << a;
  }

  // The same rows in a different buffer are not recognised as self-pairs: the norms identity then
  // leaves a residue on this data (which is what makes the exactness above a real check), clamped
  // so that it is never negative.
  const Matrix<float> Zcopy = host_copy(Z);
  backend->squared_distances(Zcopy.cview(), X.cview(), d2.view());
  int residues = 0;
  for (std::int64_t a = 0; a < Z.rows(); ++a) {
    EXPECT_GE(d2(a, a + first), 0.0f);
    residues += d2(a, a + first) > 0.0f ? 1 : 0;
  }
  // (With d = 1, fl(x^2) + fl(x^2) - 2 fl(x x) is exactly 0: no residue to show.)
  if (d > 1) {
    EXPECT_GT(residues, 0) << "the data no longer exercises the cancellation in ||z||^2 + ||x||^2 - 2 z.x";
  }
}

TEST_P(CpuGramClosedForm, DistancesNeverNegativeAndGaussianNeverAboveOne) {
  const std::int64_t d = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  // Duplicated rows in two different buffers: exact distance 0, computed through cancellation.
  const std::int64_t n = 200;
  Matrix<float> X = offset_data(rng, n, d);
  for (std::int64_t i = 1; i < n; i += 2)
    for (std::int64_t k = 0; k < d; ++k) X(i, k) = X(i - 1, k);
  const Matrix<float> Z = host_copy(X.cview());
  auto backend = make_cpu_backend();
  Matrix<float> d2 = Matrix<float>::host(n, n);
  Matrix<float> K = Matrix<float>::host(n, n);
  backend->squared_distances(Z.cview(), X.cview(), d2.view());
  backend->gram(Z.cview(), X.cview(), GramParams::gaussian(0.5), K.view());
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      ASSERT_GE(d2(i, j), 0.0f) << "(" << i << ", " << j << ")";
      ASSERT_LE(K(i, j), 1.0f) << "(" << i << ", " << j << ")";
      ASSERT_GE(K(i, j), 0.0f) << "(" << i << ", " << j << ")";
    }
}

TEST_P(CpuGramClosedForm, LaplacianOfIdenticalRowsIsExactlyOne) {
  const std::int64_t d = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 70;
  const Matrix<float> X = offset_data(rng, n, d);
  const Matrix<float> Z = host_copy(X.cview());  // different memory, same values
  Matrix<float> K = Matrix<float>::host(n, n);
  make_cpu_backend()->gram(Z.cview(), X.cview(), GramParams::laplacian(0.01), K.view());
  for (std::int64_t i = 0; i < n; ++i) EXPECT_EQ(K(i, i), 1.0f) << "row " << i;  // |z - x| = 0 exactly
}

INSTANTIATE_TEST_SUITE_P(Features, CpuGramClosedForm, ::testing::Values(1, 7, 32, 33, 100),
                         [](const ::testing::TestParamInfo<std::int64_t>& param_info) {
                           return "d" + std::to_string(param_info.param);
                         });

}  // namespace
}  // namespace lwnet::test
