// Reductions and data movement on the CPU: column_sums, column_dots (float and double inputs),
// count_nonfinite and gather_rows, against plain loops, on NaN-padded views (the padding must be
// neither read nor counted) and row counts crossing the 2048-row reduction chunks.
#include <cmath>
#include <limits>
#include <tuple>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

template <class T>
Matrix<T> random_matrix(TestRandom& rng, std::int64_t rows, std::int64_t cols);
template <>
Matrix<float> random_matrix<float>(TestRandom& rng, std::int64_t rows, std::int64_t cols) {
  return rng.uniform_matrix(rows, cols);
}
template <>
Matrix<double> random_matrix<double>(TestRandom& rng, std::int64_t rows, std::int64_t cols) {
  return rng.uniform_matrix_f64(rows, cols);
}

// Column sums of f(i, j) in long double, and of |f|: the reference and the error scale.
template <class F>
void reference_columns(std::int64_t rows, std::int64_t cols, F f, std::vector<double>& sums, double& abs_max) {
  sums.assign(static_cast<std::size_t>(cols), 0.0);
  abs_max = 0.0;
  for (std::int64_t j = 0; j < cols; ++j) {
    long double s = 0.0L, a = 0.0L;
    for (std::int64_t i = 0; i < rows; ++i) {
      s += static_cast<long double>(f(i, j));
      a += std::fabs(static_cast<long double>(f(i, j)));
    }
    sums[static_cast<std::size_t>(j)] = static_cast<double>(s);
    abs_max = std::max(abs_max, static_cast<double>(a));
  }
}

using ReduceShape = std::tuple<std::int64_t, std::int64_t>;  // rows, cols

template <class T>
class CpuReduce : public ::testing::Test {};
using ElementTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CpuReduce, ElementTypes);

const ReduceShape kReduceShapes[] = {{1, 1}, {3, 7}, {100, 70}, {2049, 3}, {5000, 2}};

TYPED_TEST(CpuReduce, ColumnSumsAndDots) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  auto backend = make_cpu_backend();
  for (const auto& [rows, cols] : kReduceShapes) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    const auto A = padded_copy(random_matrix<T>(rng, rows, cols).cview());
    const auto B = padded_copy(random_matrix<T>(rng, rows, cols).cview());
    const MatrixView<const T> a = A.cview();
    const MatrixView<const T> b = B.cview();
    // float64 sums of float64 terms (float products are exact in double): gamma64(rows) sum |terms|.
    std::vector<double> sums;
    double abs_max = 0.0;
    reference_columns(rows, cols, [&](std::int64_t i, std::int64_t j) { return static_cast<double>(a(i, j)); }, sums,
                      abs_max);
    EXPECT_TRUE(expect_close(backend->column_sums(a), sums, gamma64(static_cast<double>(rows)) * abs_max, 0.0)) << "sums";
    reference_columns(
        rows, cols, [&](std::int64_t i, std::int64_t j) { return static_cast<double>(a(i, j)) * static_cast<double>(b(i, j)); },
        sums, abs_max);
    const double product_rounding = std::is_same_v<T, double> ? kU64 : 0.0;  // double products round once
    EXPECT_TRUE(expect_close(backend->column_dots(a, b), sums,
                             (gamma64(static_cast<double>(rows)) + product_rounding) * abs_max, 0.0))
        << "dots";
  }
}

TYPED_TEST(CpuReduce, CountNonfiniteIgnoresPadding) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  auto backend = make_cpu_backend();
  for (const auto& [rows, cols] : kReduceShapes) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    auto A = padded_copy(random_matrix<T>(rng, rows, cols).cview());  // NaN all around the view
    EXPECT_EQ(backend->count_nonfinite(A.cview()), 0);
    const T bad[] = {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                     -std::numeric_limits<T>::infinity()};
    std::int64_t planted = 0;
    for (std::int64_t k = 0; k < std::min<std::int64_t>(rows * cols, 5); ++k) {
      const std::int64_t i = rng.below(rows);
      const std::int64_t j = rng.below(cols);
      if (std::isfinite(A.view(i, j))) ++planted;
      A.view(i, j) = bad[k % 3];
    }
    EXPECT_EQ(backend->count_nonfinite(A.cview()), planted);
    // Huge but finite values are finite.
    A.view(0, 0) = std::numeric_limits<T>::max();
    const std::int64_t after = backend->count_nonfinite(A.cview());
    EXPECT_TRUE(after == planted || after == planted - 1) << after;
  }
  // An empty view has nothing to count.
  EXPECT_EQ(backend->count_nonfinite(MatrixView<const T>()), 0);
}

TEST(CpuGatherRows, CopiesTheIndexedRows) {
  LWNET_SEEDED_RANDOM(rng);
  auto backend = make_cpu_backend();
  for (const auto& [n, d] : {std::make_pair(1, 1), std::make_pair(7, 3), std::make_pair(300, 40)}) {
    const auto X = padded_copy(rng.uniform_matrix(n, d).cview());
    std::vector<std::int64_t> indices;
    for (int k = 0; k < 2 * n + 1; ++k) indices.push_back(rng.below(n));  // repeats, any order
    indices.push_back(n - 1);
    indices.push_back(0);
    Padded<float> out(static_cast<std::int64_t>(indices.size()), d);
    backend->gather_rows(X.cview(), indices, out.view);
    for (std::size_t k = 0; k < indices.size(); ++k)
      for (std::int64_t j = 0; j < d; ++j)
        ASSERT_EQ(out.view(static_cast<std::int64_t>(k), j), X.view(indices[k], j)) << "output row " << k;
  }
}

}  // namespace
}  // namespace lwnet::test
