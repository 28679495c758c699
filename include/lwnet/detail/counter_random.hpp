// The counter-based generator behind NnOps::fill_random: draw number c of a seed is a pure
// function of (seed, c), so the CPU and CUDA backends produce the same numbers whatever their
// thread count or launch geometry (uniform and Bernoulli draws bitwise; normal draws to the last
// bit or so of the libraries' log and cos). Plain C++; a CUDA translation unit defines LWNET_HD first
// (kernels/common/host_device.cuh) to compile it as device code too.
#pragma once

#include <cmath>
#include <cstdint>

#include "lwnet/nn_ops.hpp"

#ifndef LWNET_HD
#define LWNET_HD inline
#endif

namespace lwnet::detail {

// splitmix64's output function (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
LWNET_HD std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// 64 random bits for counter c under a key (key = mix64(seed), computed once per call).
LWNET_HD std::uint64_t counter_bits(std::uint64_t key, std::uint64_t c) {
  return mix64(key ^ (c * 0xD1B54A32D192ED03ull));
}

// Uniform on the open interval (0, 1) from the top 53 bits.
LWNET_HD double open_unit(std::uint64_t bits) {
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

// Draw number c of a RandomDraw (key = mix64(draw.seed); c already includes draw.offset).
// normal: Box-Muller on counters 2c and 2c + 1; uniform: a + (b - a) u; bernoulli: [u < a].
LWNET_HD double counter_draw(Distribution distribution, double a, double b, std::uint64_t key, std::uint64_t c) {
  if (distribution == Distribution::normal) {
    const double u1 = open_unit(counter_bits(key, 2 * c));
    const double u2 = open_unit(counter_bits(key, 2 * c + 1));
    return a + b * (std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  const double u = open_unit(counter_bits(key, c));
  if (distribution == Distribution::uniform) return a + (b - a) * u;
  return u < a ? 1.0 : 0.0;
}

}  // namespace lwnet::detail
