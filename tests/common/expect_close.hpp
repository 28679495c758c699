// Comparison helpers for the tests: expect_close (element-wise |actual - expected| <= abs_tol +
// rel_tol |expected|, reporting the worst element as cuVS's devArrMatchHost does) and
// throws_with (an exception of a given type whose message names the given things).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <gtest/gtest.h>

#include "lwnet/matrix.hpp"

namespace lwnet::test {

// A dense row-major float64 matrix: what the oracle returns.
struct DMat {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<double> v;

  DMat() = default;
  DMat(std::int64_t r, std::int64_t c) : rows(r), cols(c), v(static_cast<std::size_t>(r * c), 0.0) {}
  double& operator()(std::int64_t i, std::int64_t j) { return v[static_cast<std::size_t>(i * cols + j)]; }
  double operator()(std::int64_t i, std::int64_t j) const { return v[static_cast<std::size_t>(i * cols + j)]; }
};

// The entries of a host view, row by row, as float64.
template <class T>
std::vector<double> to_doubles(MatrixView<const T> m) {
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(m.rows() * m.cols()));
  for (std::int64_t i = 0; i < m.rows(); ++i)
    for (std::int64_t j = 0; j < m.cols(); ++j) out.push_back(static_cast<double>(m(i, j)));
  return out;
}

// Element-wise closeness. `cols` (> 0) only formats the worst index as (row, col).
// A NaN actual value always fails. The worst element is the one nearest to (or furthest past) its
// tolerance.
template <class A, class E>
::testing::AssertionResult expect_close(const std::vector<A>& actual, const std::vector<E>& expected,
                                        double abs_tol, double rel_tol, std::int64_t cols = 0) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "size mismatch: actual has " << actual.size() << " elements, expected " << expected.size();
  std::size_t worst = 0;
  double worst_ratio = -1.0;
  std::size_t failures = 0;
  for (std::size_t k = 0; k < actual.size(); ++k) {
    const double a = static_cast<double>(actual[k]);
    const double e = static_cast<double>(expected[k]);
    const double tol = abs_tol + rel_tol * std::fabs(e);
    const double err = std::fabs(a - e);
    const bool ok = err <= tol;  // false for NaN
    const double ratio = std::isnan(err) ? INFINITY : (tol > 0.0 ? err / tol : (err > 0.0 ? INFINITY : 0.0));
    if (!ok) ++failures;
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      worst = k;
    }
  }
  std::ostringstream os;
  os.precision(10);
  if (!actual.empty()) {
    const double a = static_cast<double>(actual[worst]);
    const double e = static_cast<double>(expected[worst]);
    os << "worst element ";
    if (cols > 0)
      os << "(" << static_cast<std::int64_t>(worst) / cols << ", " << static_cast<std::int64_t>(worst) % cols << ")";
    else
      os << "[" << worst << "]";
    os << ": actual " << a << ", expected " << e << ", |error| " << std::fabs(a - e) << " vs tolerance "
       << abs_tol + rel_tol * std::fabs(e) << " (abs " << abs_tol << " + rel " << rel_tol << "); " << failures
       << " of " << actual.size() << " elements outside tolerance";
  }
  // LWNET_TEST_REPORT=1 prints every comparison's worst element (to see how tight a bound is).
  if (std::getenv("LWNET_TEST_REPORT") != nullptr) std::printf("expect_close: %s\n", os.str().c_str());
  if (failures == 0) return ::testing::AssertionSuccess() << os.str();
  return ::testing::AssertionFailure() << os.str();
}

template <class T>
::testing::AssertionResult expect_close(MatrixView<const T> actual, const DMat& expected, double abs_tol,
                                        double rel_tol) {
  if (actual.rows() != expected.rows || actual.cols() != expected.cols)
    return ::testing::AssertionFailure() << "shape mismatch: actual " << actual.rows() << "x" << actual.cols()
                                         << ", expected " << expected.rows << "x" << expected.cols;
  return expect_close(to_doubles(actual), expected.v, abs_tol, rel_tol, expected.cols);
}

// Two host matrices of the same shape (e.g. CUDA's result against the CPU's).
template <class A, class E>
::testing::AssertionResult expect_close(MatrixView<const A> actual, MatrixView<const E> expected, double abs_tol,
                                        double rel_tol) {
  if (actual.rows() != expected.rows() || actual.cols() != expected.cols())
    return ::testing::AssertionFailure() << "shape mismatch: actual " << describe(actual) << ", expected "
                                         << describe(expected);
  return expect_close(to_doubles(actual), to_doubles(expected), abs_tol, rel_tol, expected.cols());
}

inline ::testing::AssertionResult expect_close(double actual, double expected, double abs_tol, double rel_tol) {
  return expect_close(std::vector<double>{actual}, std::vector<double>{expected}, abs_tol, rel_tol);
}

// Bit-for-bit equality of two host matrices (the first difference named).
template <class T>
::testing::AssertionResult same_bits(const Matrix<T>& a, const Matrix<T>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return ::testing::AssertionFailure() << "shapes differ";
  for (std::int64_t i = 0; i < a.rows(); ++i)
    for (std::int64_t j = 0; j < a.cols(); ++j)
      if (std::memcmp(&a(i, j), &b(i, j), sizeof(T)) != 0)
        return ::testing::AssertionFailure() << "first difference at (" << i << ", " << j << "): " << a(i, j)
                                             << " vs " << b(i, j);
  return ::testing::AssertionSuccess();
}

// Runs f and checks that it throws exactly an E (or a subclass) whose what() contains every needle.
template <class E, class F>
::testing::AssertionResult throws_with(F&& f, std::initializer_list<std::string_view> needles) {
  try {
    f();
  } catch (const E& e) {
    const std::string msg = e.what();
    for (auto needle : needles)
      if (msg.find(needle) == std::string::npos)
        return ::testing::AssertionFailure() << "message \"" << msg << "\" does not contain \"" << needle << "\"";
    return ::testing::AssertionSuccess() << "threw: " << msg;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw the wrong type " << typeid(e).name() << ": " << e.what();
  } catch (...) {
    return ::testing::AssertionFailure() << "threw a non-std exception";
  }
  return ::testing::AssertionFailure() << "did not throw";
}

}  // namespace lwnet::test
