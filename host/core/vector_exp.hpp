// exp(x) for x <= 0, written so the compiler vectorises it (std::exp does not vectorise without
// -ffast-math). Every lwnet kernel exponentiates a non-positive argument.
// Range reduction x = n ln2 + r, |r| <= ln2/2, then a degree-7 Taylor polynomial for e^r
// (truncation error r^8/8! < 6e-9 relative) and 2^n built in the exponent bits.
// Max error about 2 ulp; arguments below -87 (results < 1.7e-38) return 0; exp(0) is exactly 1.
#pragma once

#include <cstdint>
#include <cstring>

namespace lwnet::detail {

inline float exp_nonpositive(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;    // ln 2 split so n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kMinArg = -87.0f;
  const float xc = x < kMinArg ? kMinArg : x;
  // Round to nearest by adding and removing 1.5 * 2^23 (std::floor does not vectorise here).
  constexpr float kRoundMagic = 12582912.0f;
  const float n = (xc * kLog2e + kRoundMagic) - kRoundMagic;
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return x < kMinArg ? 0.0f : p * scale;
}

}  // namespace lwnet::detail
