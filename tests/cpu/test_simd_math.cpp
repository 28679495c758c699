// The CPU backend's vectorised elementary functions (cpu/simd.hpp, core/vector_exp.hpp) against
// float64 std::exp / std::cos on dense sweeps of float32 arguments. Each vector lane must also
// give the same bits as the scalar path where one exists, whatever lane it sits in.
#include <cmath>
#include <cstdint>

#include <gtest/gtest.h>

#include "core/vector_exp.hpp"
#include "cpu/simd.hpp"

namespace lwnet::test {
namespace {

using cpu::simd::kLanes;
using cpu::simd::Vec;

constexpr double kFloatEpsilon = 1.1920928955078125e-7;  // 2^-23, one ulp at 1

TEST(CpuSimdMath, ExpOfNonPositiveArgumentsIsWithinThreeUlpAndLaneIndependent) {
  // exp(x) on [-87, 0] (below -87 the result is 0 by contract): relative error <= 3 ulp (the
  // header promises about 2), and vector lanes equal the scalar function bit for bit.
  double worst = 0.0;
  for (int i = 0; i <= 870000; i += kLanes) {
    Vec x;
    for (int l = 0; l < kLanes; ++l) x[l] = -static_cast<float>(i + l) * 1e-4f;
    const Vec e = cpu::simd::exp_nonpositive(x);
    for (int l = 0; l < kLanes; ++l) {
      if (!(x[l] >= -87.0f)) continue;
      const float scalar = detail::exp_nonpositive(x[l]);
      ASSERT_EQ(e[l], scalar) << "lane " << l << " at " << x[l];
      const double exact = std::exp(static_cast<double>(x[l]));
      worst = std::max(worst, std::fabs(e[l] - exact) / exact);
    }
  }
  EXPECT_LE(worst, 3.0 * kFloatEpsilon) << "worst relative error";
  EXPECT_EQ(detail::exp_nonpositive(0.0f), 1.0f);
  EXPECT_EQ(detail::exp_nonpositive(-88.0f), 0.0f);
}

TEST(CpuSimdMath, CosIsWithinTwoUlpOfOneOverTheRandomFeatureRange) {
  // RFF arguments x omega / sigma + b reach thousands for small widths: the reduction holds to
  // |x| <= kCosMaxArg; beyond, lanes take std::cos. Absolute error <= 2^-22 against float64.
  double worst = 0.0;
  for (double start : {0.0, 1e3, 9.9e3, 1.5e4}) {
    for (int i = 0; i < 200000; i += kLanes) {
      Vec x;
      for (int l = 0; l < kLanes; ++l) x[l] = static_cast<float>((l % 2 == 0 ? 1.0 : -1.0) * (start + (i + l) * 3.7e-3));
      const Vec c = cpu::simd::cos(x);
      for (int l = 0; l < kLanes; ++l) {
        worst = std::max(worst, std::fabs(c[l] - std::cos(static_cast<double>(x[l]))));
        Vec alone = Vec{} + x[l];  // the same value in every lane: every lane gives the same bits
        ASSERT_EQ(cpu::simd::cos(alone)[kLanes - 1], c[l]) << x[l];
      }
    }
  }
  EXPECT_LE(worst, 2.0 * kFloatEpsilon) << "worst absolute error";
}

}  // namespace
}  // namespace lwnet::test
