// Shared test cases: problem shapes and kernels whose parameters suit the generated data, with
// readable names for parameterised tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "lwnet/kernels.hpp"

namespace lwnet {
// Readable kernel kinds in gtest's parameter output.
inline void PrintTo(KernelKind kind, std::ostream* os) { *os << to_string(kind); }
}  // namespace lwnet

namespace lwnet::test {

// Z (m x d), X (n x d), B (n x c).
struct Shape {
  std::int64_t m = 1;
  std::int64_t n = 1;
  std::int64_t d = 1;
  std::int64_t c = 1;
};

inline std::string name_of(const Shape& s) {
  return "m" + std::to_string(s.m) + "_n" + std::to_string(s.n) + "_d" + std::to_string(s.d) + "_c" +
         std::to_string(s.c);
}

inline void PrintTo(const Shape& s, std::ostream* os) { *os << name_of(s); }

// Kernel parameters for data uniform on [-1, 1]^d (E|a_k - b_k| = 2/3, E (a_k - b_k)^2 = 2/3), so
// typical values are near e^-1 rather than all 0 or all 1:
//   gaussian sigma^2 = d/3 (d2 / (2 sigma^2) ~ 1), laplacian sigma = 2d/3 (L1 / sigma ~ 1),
//   polynomial degree 3 with gamma = 1/d (base 1 + O(1/sqrt d)), linear.
inline GramParams scaled_kernel(KernelKind kind, std::int64_t d) {
  const double dd = static_cast<double>(d);
  switch (kind) {
    case KernelKind::gaussian: return GramParams::gaussian(std::sqrt(dd / 3.0));
    case KernelKind::laplacian: return GramParams::laplacian(2.0 * dd / 3.0);
    case KernelKind::linear: return GramParams::linear();
    case KernelKind::polynomial: return GramParams::polynomial(3, 1.0 / dd, 1.0);
  }
  return {};
}

inline const KernelKind kAllKernels[] = {KernelKind::gaussian, KernelKind::linear, KernelKind::polynomial,
                                         KernelKind::laplacian};

struct ShapeKernelName {
  std::string operator()(const ::testing::TestParamInfo<std::tuple<Shape, KernelKind>>& info) const {
    return name_of(std::get<0>(info.param)) + "_" + to_string(std::get<1>(info.param));
  }
};

struct ShapeName {
  std::string operator()(const ::testing::TestParamInfo<Shape>& info) const { return name_of(info.param); }
};

}  // namespace lwnet::test
