// Eight-lane float vectors (GCC/Clang vector extensions) for the register-blocked tile loops:
// one AVX/AVX2 register, half an AVX-512 one, two SSE ones when built without -march=native.
// Plain arrays indexed inside `omp simd` loops stay in memory; these stay in registers.
#pragma once

#include "cpu/cpu_isa.hpp"

#include <cstdint>
#include <cstring>

#include "core/vector_exp.hpp"

#include <cmath>

#include <type_traits>

#if defined(__FMA__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN
namespace simd {

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

// a * b + c with one rounding per lane, for any vector of float or double (this file's Vec,
// cpu_gemm.cpp's register-wide ones): the FMA instruction where the level has it, std::fma lane
// by lane otherwise (the baseline level on a CPU without FMA: slow, and the same bits). Hot sums
// call it instead of writing a * b + c, which lwnet compiles as a multiply and an add
// (-ffp-contract=off), so every level sums alike and the kNN distances match the GPU's fmaf.
// Runs `op` on a, b, c reinterpreted as the register type R (no template argument: GCC drops the
// vector types' attributes there).
#define LWNET_SIMD_FMA_AS(R, op)        \
  do {                                  \
    R x, y, z;                          \
    std::memcpy(&x, &a, sizeof x);      \
    std::memcpy(&y, &b, sizeof y);      \
    std::memcpy(&z, &c, sizeof z);      \
    const R r = op(x, y, z);            \
    std::memcpy(&out, &r, sizeof out);  \
    return out;                         \
  } while (false)

template <class V>
inline V fma_lanes(V a, V b, V c) {
  using T = std::remove_cv_t<std::remove_reference_t<decltype(a[0])>>;
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "float or double lanes");
  [[maybe_unused]] constexpr bool single = std::is_same_v<T, float>;
  V out;
#if defined(__AVX512F__)
  if constexpr (sizeof(V) == 64 && single) LWNET_SIMD_FMA_AS(__m512, _mm512_fmadd_ps);
  if constexpr (sizeof(V) == 64 && !single) LWNET_SIMD_FMA_AS(__m512d, _mm512_fmadd_pd);
#endif
#if defined(__FMA__)
  if constexpr (sizeof(V) == 32 && single) LWNET_SIMD_FMA_AS(__m256, _mm256_fmadd_ps);
  if constexpr (sizeof(V) == 32 && !single) LWNET_SIMD_FMA_AS(__m256d, _mm256_fmadd_pd);
  if constexpr (sizeof(V) == 16 && single) LWNET_SIMD_FMA_AS(__m128, _mm_fmadd_ps);
  if constexpr (sizeof(V) == 16 && !single) LWNET_SIMD_FMA_AS(__m128d, _mm_fmadd_pd);
#endif
  constexpr int lanes = static_cast<int>(sizeof(V) / sizeof(T));
  for (int i = 0; i < lanes; ++i) out[i] = std::fma(a[i], b[i], c[i]);
  return out;
}
#undef LWNET_SIMD_FMA_AS

inline Vec fma(Vec a, Vec b, Vec c) { return fma_lanes(a, b, c); }

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

}  // namespace simd
LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
