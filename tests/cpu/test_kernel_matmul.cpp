// The fused primitive out = K(Z, X) B on the CPU (float and double outputs) and the streamed pair
// sum sum_ij kx(x_i, x_j) ky(y_i, y_j), against the float64 oracle for all four kernels, on shapes
// straddling the tiles, both dot-product paths, c from 1 to 70 and single-row queries (m = 1, where
// the X range is split across tasks). Self-pairs through the fused path (B = identity) are exactly 1.
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
