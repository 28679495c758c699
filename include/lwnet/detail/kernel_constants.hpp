// Kernel parameters resolved once on the host into the float constants the CPU and CUDA tile
// code use, so both backends evaluate the same expression with the same rounding of constants.
// Plain C++; the LWNET_HD functions also compile as CUDA device code when a CUDA translation unit
// defines LWNET_HD first (kernels/common/host_device.cuh).
#pragma once

#include <cstdint>
#include <limits>

#include "lwnet/kernels.hpp"
#include "lwnet/matrix.hpp"

#ifndef LWNET_HD
#define LWNET_HD inline
#endif

namespace lwnet::detail {

// What one tile entry holds: a kernel value, or (for squared_distances) the squared distance.
enum class TileOp : int { gaussian, linear, polynomial, laplacian, squared_distance };

struct KernelConstants {
  TileOp op = TileOp::gaussian;
  float neg_inv_two_sigma2 = -0.5f;  // gaussian: -1 / (2 sigma^2)
  float neg_inv_sigma = -1.0f;       // laplacian: -1 / sigma
  float gamma = 1.0f;                // polynomial
  float coef0 = 1.0f;                // polynomial
  int degree = 1;                    // polynomial

  // Kernels built from a . b (and the norms); laplacian needs sum |a - b| instead.
  LWNET_HD bool uses_dot() const { return op != TileOp::laplacian; }
  LWNET_HD bool uses_norms() const { return op == TileOp::gaussian || op == TileOp::squared_distance; }
};

inline KernelConstants make_kernel_constants(const GramParams& p) {
  KernelConstants k;
  switch (p.kind) {
    case KernelKind::gaussian:
      k.op = TileOp::gaussian;
      k.neg_inv_two_sigma2 = static_cast<float>(-1.0 / (2.0 * p.sigma * p.sigma));
      break;
    case KernelKind::laplacian:
      k.op = TileOp::laplacian;
      k.neg_inv_sigma = static_cast<float>(-1.0 / p.sigma);
      break;
    case KernelKind::linear: k.op = TileOp::linear; break;
    case KernelKind::polynomial:
      k.op = TileOp::polynomial;
      k.gamma = static_cast<float>(p.gamma);
      k.coef0 = static_cast<float>(p.coef0);
      k.degree = p.degree;
      break;
  }
  return k;
}

inline KernelConstants squared_distance_constants() {
  KernelConstants k;
  k.op = TileOp::squared_distance;
  return k;
}

// x^p for integer p >= 1 by repeated squaring.
LWNET_HD float int_pow(float x, int p) {
  float result = 1.0f;
  while (p > 0) {
    if (p & 1) result *= x;
    x *= x;
    p >>= 1;
  }
  return result;
}

// ||z||^2 + ||x||^2 - 2 z.x, clamped at 0: cancellation must never yield a negative distance.
LWNET_HD float clamped_sq_distance(float z_norm, float x_norm, float dot) {
  const float d2 = z_norm + x_norm - 2.0f * dot;
  return d2 > 0.0f ? d2 : 0.0f;
}

// No self-pairs between Z and X.
constexpr std::int64_t kNoSelfPairs = std::numeric_limits<std::int64_t>::min();

// When Z and X view rows of the same matrix, row a of Z is row a + offset of X: such pairs are
// self-pairs and must give k = 1 exactly. Returns kNoSelfPairs otherwise.
inline std::int64_t self_pair_offset(const MatrixView<const float>& Z, const MatrixView<const float>& X) {
  if (Z.space() != X.space() || Z.device() != X.device() || Z.cols() != X.cols() || Z.ld() != X.ld() ||
      Z.ld() <= 0)
    return kNoSelfPairs;
  const auto z = reinterpret_cast<std::intptr_t>(Z.data());
  const auto x = reinterpret_cast<std::intptr_t>(X.data());
  const auto diff_bytes = z - x;
  const auto row_bytes = static_cast<std::intptr_t>(Z.ld() * sizeof(float));
  if (diff_bytes % row_bytes != 0) return kNoSelfPairs;
  return static_cast<std::int64_t>(diff_bytes / row_bytes);
}

}  // namespace lwnet::detail
