// CPU-vs-CUDA parity of the reductions and data movement: column_sums and column_dots (float and
// double), count_nonfinite (padding not counted), gather_rows (exact), the median of pairwise
// distances, and copies between host and device views of different leading dimensions.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "oracle.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

class CudaReduceParity : public CudaParityTest {};

// Sums of |a| (or |a b|) per column, maximised: the scale of the float64 sums' rounding.
template <class T>
double abs_column_scale(MatrixView<const T> A, MatrixView<const T> B) {
  double best = 0.0;
  for (std::int64_t j = 0; j < A.cols(); ++j) {
    double s = 0.0;
    for (std::int64_t i = 0; i < A.rows(); ++i) s += std::fabs(static_cast<double>(A(i, j)) * B(i, j)) + std::fabs(A(i, j));
    best = std::max(best, s);
  }
  return best;
}

TEST_P(CudaReduceParity, ColumnSumsAndDots) {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [rows, cols] : {std::make_pair(1, 1), std::make_pair(3, 7), std::make_pair(1000, 70),
                                   std::make_pair(100000, 3)}) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    const Matrix<float> A = rng.uniform_matrix(rows, cols);
    const Matrix<float> B = rng.uniform_matrix(rows, cols);
    const Matrix<double> Ad = rng.uniform_matrix_f64(rows, cols);
    const Matrix<double> Bd = rng.uniform_matrix_f64(rows, cols);
    const Matrix<float> Ag = to_gpu(A.cview()), Bg = to_gpu(B.cview());
    const Matrix<double> Adg = to_gpu(Ad.cview()), Bdg = to_gpu(Bd.cview());
    // float64 accumulation on both sides in any order: 2 gamma64(rows) sum |terms| (+ a double
    // product's rounding).
    const double tol_f = kParityFactor * gamma64(static_cast<double>(rows) + 1.0) * abs_column_scale(A.cview(), B.cview());
    const double tol_d = kParityFactor * gamma64(static_cast<double>(rows) + 1.0) * abs_column_scale(Ad.cview(), Bd.cview());
    EXPECT_TRUE(expect_close(gpu().column_sums(Ag.cview()), cpu().column_sums(A.cview()), tol_f, 0.0)) << "float sums";
    EXPECT_TRUE(expect_close(gpu().column_dots(Ag.cview(), Bg.cview()), cpu().column_dots(A.cview(), B.cview()), tol_f, 0.0))
        << "float dots";
    EXPECT_TRUE(expect_close(gpu().column_sums(Adg.cview()), cpu().column_sums(Ad.cview()), tol_d, 0.0)) << "double sums";
    EXPECT_TRUE(
        expect_close(gpu().column_dots(Adg.cview(), Bdg.cview()), cpu().column_dots(Ad.cview(), Bd.cview()), tol_d, 0.0))
        << "double dots";
  }
}

TEST_P(CudaReduceParity, CountNonfinite) {
  LWNET_SEEDED_RANDOM(rng);
  Matrix<float> A = rng.uniform_matrix(1000, 33);
  Matrix<double> Ad = rng.uniform_matrix_f64(77, 5);
  A(3, 4) = NAN;
  A(999, 32) = INFINITY;
  A(500, 0) = -INFINITY;
  Ad(76, 4) = std::numeric_limits<double>::quiet_NaN();
  const DeviceStrided Ag = strided_on(gpu(), A.cview());  // NaN padding must not be counted
  EXPECT_EQ(gpu().count_nonfinite(Ag.view), 3);
  EXPECT_EQ(gpu().count_nonfinite(to_gpu(Ad.cview()).cview()), 1);
  EXPECT_EQ(gpu().count_nonfinite(to_gpu(rng.uniform_matrix(1, 1).cview()).cview()), 0);
}

TEST_P(CudaReduceParity, GatherRowsAndCopies) {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [n, d] : {std::make_pair(1, 1), std::make_pair(7, 3), std::make_pair(1000, 784)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << d);
    const Matrix<float> X = rng.uniform_matrix(n, d);
    const DeviceStrided Xg = strided_on(gpu(), X.cview());
    std::vector<std::int64_t> indices;
    for (int k = 0; k < n + 3; ++k) indices.push_back(rng.below(n));
    Matrix<float> out = gpu().allocate<float>(static_cast<std::int64_t>(indices.size()), d);
    gpu().gather_rows(Xg.view, indices, out.view());
    const Matrix<float> got = to_host(out);
    for (std::size_t k = 0; k < indices.size(); ++k)
      for (std::int64_t j = 0; j < d; ++j) ASSERT_EQ(got(static_cast<std::int64_t>(k), j), X(indices[k], j));
    // Device strided view -> host strided view: exact, nothing written outside the destination.
    Padded<float> back(n, d, 2);
    gpu().copy(Xg.view, back.view);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < d; ++j) ASSERT_EQ(back.view(i, j), X(i, j));
    std::size_t outside = 0;
    for (float v : back.buffer) outside += std::isnan(v) ? 0 : 1;
    EXPECT_EQ(outside, static_cast<std::size_t>(n * d));
  }
}

TEST_P(CudaReduceParity, MedianPairwiseDistance) {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [m, d] : {std::make_pair(1, 3), std::make_pair(2, 1), std::make_pair(7, 16), std::make_pair(200, 40),
                             std::make_pair(257, 784), std::make_pair(1000, 3)}) {
    SCOPED_TRACE(::testing::Message() << m << "x" << d);
    const Matrix<float> X = rng.uniform_matrix(m, d);
    const double expected = cpu().median_pairwise_distance(X.cview());
    const double actual = gpu().median_pairwise_distance(strided_on(gpu(), X.cview()).view);
    const oracle::Median o = oracle::median_pairwise_distance(X.cview());
    const double tol = kParityFactor * median_distance_error(d, max_sq_norm(X.cview()), o.lower_middle_sq);
    EXPECT_TRUE(expect_close(actual, expected, tol, 0.0));
  }
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaReduceParity);

}  // namespace
}  // namespace lwnet::test
