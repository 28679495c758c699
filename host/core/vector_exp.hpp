// exp(x) for x <= 0, written so the compiler vectorises it (std::exp does not vectorise without
// -ffast-math). Every lwnet kernel exponentiates a non-positive argument.
// Range reduction x = n ln2 + r, |r| <= ln2/2, then a degree-7 Taylor polynomial for e^r
// (truncation error r^8/8! < 6e-9 relative) and 2^n built in the exponent bits.
// Max error about 2 ulp; arguments below -87 (results < 1.7e-38) return 0; exp(0) is exactly 1.
// One body serves float and 8-lane vectors (cpu/simd.hpp), so both give the same bits.
#pragma once

#include <cstdint>
#include <cstring>

namespace lwnet::detail {

// F: float, or a GCC vector of floats; I: the matching std::int32_t type.
template <class F, class I, class ToInt, class Select>
inline F exp_nonpositive_generic(F x, ToInt to_int, Select select) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // ln 2 split so n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kMinArg = -87.0f;
  const auto below = x < kMinArg;
  const F xc = select(below, F{} + kMinArg, x);
  // Round to nearest by adding and removing 1.5 * 2^23 (std::floor does not vectorise here).
  constexpr float kRoundMagic = 12582912.0f;
  const F n = (xc * kLog2e + kRoundMagic) - kRoundMagic;
  const F r = (xc - n * kLn2Hi) - n * kLn2Lo;
  F p = F{} + 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const I bits = (to_int(n) + 127) << 23;
  F scale;
  static_assert(sizeof scale == sizeof bits, "float and int lanes must match");
  std::memcpy(&scale, &bits, sizeof scale);
  return select(below, F{}, p * scale);
}

inline float exp_nonpositive(float x) {
  return exp_nonpositive_generic<float, std::int32_t>(
      x, [](float n) { return static_cast<std::int32_t>(n); },
      [](bool c, float a, float b) { return c ? a : b; });
}

}  // namespace lwnet::detail
