// Seeded random test data, independent of lwnet::Rng (which is itself under test): std::mt19937_64
// with the floating-point mapping written out here, so a printed seed reproduces the same data on
// every platform. Each test's seed is derived from its full name (and LWNET_TEST_SEED, when set,
// to vary the data); LWNET_SEEDED_RANDOM prints it on failure and records it in the XML output.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "lwnet/matrix.hpp"
#include "lwnet/ops.hpp"

namespace lwnet::test {

// FNV-1a of the current test's full name, mixed with LWNET_TEST_SEED (default 0).
inline std::uint64_t test_seed() {
  std::uint64_t h = 1469598103934665603ULL;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info != nullptr ? std::string(info->test_suite_name()) + "." + info->name() : "none";
  for (unsigned char ch : name) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  if (const char* env = std::getenv("LWNET_TEST_SEED")) h ^= std::strtoull(env, nullptr, 10) * 0x9e3779b97f4a7c15ULL;
  return h;
}

class TestRandom {
 public:
  explicit TestRandom(std::uint64_t seed) : engine_(seed) {}

  // Uniform on [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
  // Standard normal (Box-Muller, no caching).
  double normal() {
    double u1 = unit();
    while (u1 <= 0.0) u1 = unit();
    const double u2 = unit();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  std::int64_t below(std::int64_t bound) { return static_cast<std::int64_t>(unit() * static_cast<double>(bound)); }

  Matrix<float> uniform_matrix(std::int64_t rows, std::int64_t cols, double lo = -1.0, double hi = 1.0) {
    Matrix<float> m = Matrix<float>::host(rows, cols);
    for (std::int64_t k = 0; k < rows * cols; ++k) m.data()[k] = static_cast<float>(uniform(lo, hi));
    return m;
  }
  Matrix<double> uniform_matrix_f64(std::int64_t rows, std::int64_t cols, double lo = -1.0, double hi = 1.0) {
    Matrix<double> m = Matrix<double>::host(rows, cols);
    for (std::int64_t k = 0; k < rows * cols; ++k) m.data()[k] = uniform(lo, hi);
    return m;
  }
  Matrix<float> normal_matrix(std::int64_t rows, std::int64_t cols, double scale = 1.0) {
    Matrix<float> m = Matrix<float>::host(rows, cols);
    for (std::int64_t k = 0; k < rows * cols; ++k) m.data()[k] = static_cast<float>(scale * normal());
    return m;
  }

  // n labels in [0, c); every class occurs when n >= c (classes 0..c-1 placed first, then shuffled).
  Labels labels(std::int64_t n, int c) {
    Labels l;
    l.num_classes = c;
    l.y.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
      l.y[static_cast<std::size_t>(i)] = i < c ? static_cast<int>(i) : static_cast<int>(below(c));
    for (std::int64_t i = n - 1; i > 0; --i) std::swap(l.y[static_cast<std::size_t>(i)], l.y[static_cast<std::size_t>(below(i + 1))]);
    return l;
  }

  // Rows x_i = centre(y_i) + spread * N(0, I) with class centres drawn uniformly from [-1, 1]^d:
  // data whose kernel depends on the labels, so HSIC is far from 0.
  Matrix<float> clustered(const Labels& labels, std::int64_t d, double spread) {
    std::vector<double> centres(static_cast<std::size_t>(labels.num_classes * d));
    for (auto& v : centres) v = uniform(-1.0, 1.0);
    const auto n = static_cast<std::int64_t>(labels.y.size());
    Matrix<float> m = Matrix<float>::host(n, d);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < d; ++k)
        m(i, k) = static_cast<float>(centres[static_cast<std::size_t>(labels.y[static_cast<std::size_t>(i)] * d + k)] +
                                     spread * normal());
    return m;
  }

 private:
  std::mt19937_64 engine_;
};

// A matrix stored inside a larger buffer: ld = cols + pad, the block starting at (1, pad_left),
// every element outside the block set to `fill` (NaN by default), so code that ignores ld or
// reads outside the view produces NaN or the wrong values.
template <class T>
struct Padded {
  std::vector<T> buffer;
  MatrixView<T> view;

  Padded(std::int64_t rows, std::int64_t cols, std::int64_t pad = 3,
         T fill = std::numeric_limits<T>::quiet_NaN()) {
    const std::int64_t ld = cols + pad;
    buffer.assign(static_cast<std::size_t>((rows + 2) * ld), fill);
    view = MatrixView<T>(buffer.data() + ld + 1, rows, cols, ld);
  }
  // Moving a vector keeps its buffer, so the view stays valid; a copy would not.
  Padded(const Padded&) = delete;
  Padded& operator=(const Padded&) = delete;
  Padded(Padded&&) noexcept = default;
  Padded& operator=(Padded&&) noexcept = default;
  MatrixView<const T> cview() const { return view; }
};

// True when every element of the buffer outside the view is still NaN: nothing was written there.
template <class T>
::testing::AssertionResult padding_untouched(const Padded<T>& p) {
  std::size_t touched = 0;
  const std::int64_t start = p.view.data() - p.buffer.data();
  for (std::size_t k = 0; k < p.buffer.size(); ++k) {
    const std::int64_t offset = static_cast<std::int64_t>(k) - start;
    const bool inside = offset >= 0 && offset / p.view.ld() < p.view.rows() && offset % p.view.ld() < p.view.cols();
    if (!inside && !std::isnan(p.buffer[k])) ++touched;
  }
  if (touched == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << touched << " elements outside the view were written";
}

template <class T>
Padded<T> padded_copy(MatrixView<const T> m, std::int64_t pad = 3) {
  Padded<T> p(m.rows(), m.cols(), pad);
  for (std::int64_t i = 0; i < m.rows(); ++i)
    for (std::int64_t j = 0; j < m.cols(); ++j) p.view(i, j) = m(i, j);
  return p;
}

// A dense host copy in new memory (same values, different address: not a self-pair).
template <class T>
Matrix<T> host_copy(MatrixView<const T> m) {
  Matrix<T> out = Matrix<T>::host(m.rows(), m.cols());
  for (std::int64_t i = 0; i < m.rows(); ++i)
    for (std::int64_t j = 0; j < m.cols(); ++j) out(i, j) = m(i, j);
  return out;
}

// One-hot Y (n x c) as floats.
inline Matrix<float> one_hot(const Labels& labels) {
  const auto n = static_cast<std::int64_t>(labels.y.size());
  Matrix<float> y = Matrix<float>::host(n, labels.num_classes);
  for (std::int64_t i = 0; i < n; ++i) y(i, labels.y[static_cast<std::size_t>(i)]) = 1.0f;
  return y;
}

// The Neural Indicator Kernel Y Y^T (n x n): 1 where the labels agree, else 0.
inline Matrix<float> indicator_gram(const Labels& labels) {
  const auto n = static_cast<std::int64_t>(labels.y.size());
  Matrix<float> k = Matrix<float>::host(n, n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      k(i, j) = labels.y[static_cast<std::size_t>(i)] == labels.y[static_cast<std::size_t>(j)] ? 1.0f : 0.0f;
  return k;
}

// A = M M^T + n I with M uniform on [-1, 1]: symmetric positive definite, condition ~ a few.
inline Matrix<float> spd_matrix(TestRandom& rng, std::int64_t n) {
  const Matrix<float> M = rng.uniform_matrix(n, n);
  Matrix<float> A = Matrix<float>::host(n, n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j <= i; ++j) {
      double s = i == j ? static_cast<double>(n) : 0.0;
      for (std::int64_t k = 0; k < n; ++k) s += static_cast<double>(M(i, k)) * M(j, k);
      A(i, j) = A(j, i) = static_cast<float>(s);
    }
  return A;
}

// max_j sum_i |B_ij|: scales the error bound of K B.
inline double max_abs_column_sum(MatrixView<const float> B) {
  double best = 0.0;
  for (std::int64_t j = 0; j < B.cols(); ++j) {
    double s = 0.0;
    for (std::int64_t i = 0; i < B.rows(); ++i) s += std::fabs(B(i, j));
    best = std::max(best, s);
  }
  return best;
}

}  // namespace lwnet::test

// Declares `TestRandom name` seeded for this test, prints the seed on failure and records it.
#define LWNET_SEEDED_RANDOM(name)                                                              \
  const std::uint64_t name##_seed = ::lwnet::test::test_seed();                                \
  SCOPED_TRACE(::testing::Message() << "seed " << name##_seed << " (vary with LWNET_TEST_SEED)"); \
  ::testing::Test::RecordProperty("seed", std::to_string(name##_seed));                        \
  ::lwnet::test::TestRandom name(name##_seed)
