// The entries of NnOps::arc_cosine_step and its backward pass (lwnet/nn_ops.hpp), in float64, as
// one set of functions that the CPU and CUDA backends both evaluate, so the two differ only by
// their libraries' acos and by contraction. Plain C++; a CUDA translation unit defines LWNET_HD
// first (kernels/common/host_device.cuh) to compile them as device code too.
//
// Conventions: c = sw2 / (2 pi); s_ab = sqrt(K_aa K_bb); rho_ab = clamp(K_ab / s_ab, -1, 1);
// t_ab = acos(rho_ab). A NaN anywhere (or a negative product K_aa K_bb) gives NaN, never a number.
#pragma once

#include <cmath>

#ifndef LWNET_HD
#define LWNET_HD inline
#endif

namespace lwnet::detail {

constexpr double kArcCosinePi = 3.141592653589793238462643383279502884;

// clamp(x, -1, 1), NaN kept (std::clamp is host code only).
LWNET_HD double clamp_unit(double x) { return x < -1.0 ? -1.0 : (x > 1.0 ? 1.0 : x); }

// out_ab for a != b: sb2 + c s (sin t + (pi - t) cos t), or sb2 where s == 0.
LWNET_HD double arc_cosine_entry(double k_ab, double k_aa, double k_bb, double c, double sb2) {
  const double s = std::sqrt(k_aa * k_bb);
  if (s == 0.0) return sb2;
  const double rho = clamp_unit(k_ab / s);
  const double t = std::acos(rho);
  const double sin_t = std::sqrt(1.0 - rho * rho);  // |rho| <= 1: never negative
  return sb2 + c * s * (sin_t + (kArcCosinePi - t) * rho);
}

// d out_ab / d K_ab for a != b, divided by c: pi - t_ab, or 0 where s == 0.
LWNET_HD double arc_cosine_angle_weight(double k_ab, double k_aa, double k_bb) {
  const double s = std::sqrt(k_aa * k_bb);
  if (s == 0.0) return 0.0;
  return kArcCosinePi - std::acos(clamp_unit(k_ab / s));
}

// d out_ab / d K_aa for a != b, divided by c: sqrt(max(K_aa K_bb - K_ab^2, 0)) / (2 K_aa)
// (= s sin t / (2 K_aa): d(s J)/ds = sin t at fixed K_ab, ds/dK_aa = s / (2 K_aa)), or 0 where
// s == 0. The same function with K_ba gives d out_ba / d K_aa.
LWNET_HD double arc_cosine_diagonal_share(double k_ab, double k_aa, double k_bb) {
  const double p = k_aa * k_bb;
  const double s = std::sqrt(p);
  if (s == 0.0) return 0.0;
  if (s != s) return s;  // K_aa K_bb < 0 or NaN: the clamp below would hide it
  const double gap = p - k_ab * k_ab;
  return std::sqrt(gap < 0.0 ? 0.0 : gap) / (2.0 * k_aa);  // a NaN gap stays NaN
}

}  // namespace lwnet::detail
