// Eight-lane float vectors (GCC/Clang vector extensions) for the register-blocked tile loops:
// one AVX/AVX2 register, half an AVX-512 one, two SSE ones when built without -march=native.
// Plain arrays indexed inside `omp simd` loops stay in memory; these stay in registers.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/vector_exp.hpp"

#include <cmath>

#if defined(__AVX__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace lwnet::cpu::simd {

constexpr int kLanes = 8;
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));
using IntVec = std::int32_t __attribute__((vector_size(kLanes * sizeof(std::int32_t))));

inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);  // unaligned load
  return v;
}

inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }

inline Vec splat(float x) { return Vec{} + x; }

inline Vec abs(Vec v) {
  IntVec b;
  std::memcpy(&b, &v, sizeof b);
  b &= 0x7fffffff;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

// a * b + c with one rounding per lane, whatever the compiler's contraction choices (the kNN
// distances must match the GPU's fmaf bit for bit).
inline Vec fma(Vec a, Vec b, Vec c) {
#if defined(__AVX__) && defined(__FMA__)
  static_assert(sizeof(Vec) == sizeof(__m256), "one AVX register");
  __m256 x, y, z;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  std::memcpy(&z, &c, sizeof z);
  const __m256 r = _mm256_fmadd_ps(x, y, z);
  Vec out;
  std::memcpy(&out, &r, sizeof out);
  return out;
#else
  Vec out;
  for (int i = 0; i < kLanes; ++i) out[i] = std::fma(a[i], b[i], c[i]);
  return out;
#endif
}

// Lane-wise detail::exp_nonpositive: the same operations, so the same bits as the scalar one.
inline Vec exp_nonpositive(Vec x) {
  return detail::exp_nonpositive_generic<Vec, IntVec>(
      x, [](Vec n) { return __builtin_convertvector(n, IntVec); },
      [](IntVec c, Vec a, Vec b) { return c ? a : b; });
}

// cos(x) lane by lane, about 1 ulp: x = n pi/2 + r by a three-part (Cody-Waite) reduction, then
// Cephes's sin/cos polynomials on |r| <= pi/4 by quadrant. Lanes with |x| > kCosMaxArg, where the
// reduction loses accuracy, go through std::cos. A lane's result depends on its value alone.
constexpr float kCosMaxArg = 1e4f;
inline Vec cos(Vec x) {
  constexpr float kTwoOverPi = 0.636619772367581343f;
  constexpr float kPiOver2Hi = 1.5703125f;                // 8 significant bits: n * hi is exact
  constexpr float kPiOver2Mid = 4.8351287841796875e-4f;  // the next 10 bits
  constexpr float kPiOver2Lo = 3.13916478e-7f;
  constexpr float kRoundMagic = 12582912.0f;  // 1.5 * 2^23: adding and removing it rounds to nearest
  const Vec n = (x * kTwoOverPi + kRoundMagic) - kRoundMagic;
  const Vec r = fma(n, splat(-kPiOver2Lo), fma(n, splat(-kPiOver2Mid), fma(n, splat(-kPiOver2Hi), x)));
  const Vec z = r * r;
  const Vec sin_r = r + r * z * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f));
  const Vec cos_r = 1.0f - 0.5f * z + z * z * (4.166664568298827e-2f + z * (-1.388731625493765e-3f + z * 2.443315711809948e-5f));
  const IntVec quadrant = __builtin_convertvector(n, IntVec) & 3;
  Vec result = quadrant == 0 ? cos_r : quadrant == 1 ? -sin_r : quadrant == 2 ? -cos_r : sin_r;
  for (int l = 0; l < kLanes; ++l)
    if (!(std::fabs(x[l]) <= kCosMaxArg)) result[l] = std::cos(x[l]);
  return result;
}

// Lanes added in a fixed order, so a sum does not depend on the compiler's choice.
inline float horizontal_sum(Vec v) {
  return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

inline std::int64_t round_up(std::int64_t n, std::int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

}  // namespace lwnet::cpu::simd
