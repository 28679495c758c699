// Eight-lane float vectors (GCC/Clang vector extensions) for the register-blocked tile loops:
// one AVX/AVX2 register, half an AVX-512 one, two SSE ones when built without -march=native.
// Plain arrays indexed inside `omp simd` loops stay in memory; these stay in registers.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/vector_exp.hpp"

#if defined(__AVX__) && defined(__FMA__)
#include <immintrin.h>
#else
#include <cmath>
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

// Lanes added in a fixed order, so a sum does not depend on the compiler's choice.
inline float horizontal_sum(Vec v) {
  return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

inline std::int64_t round_up(std::int64_t n, std::int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

}  // namespace lwnet::cpu::simd
