#include "train/kme/numpy_random.hpp"

#include <cmath>

namespace lwnet::kme {

NumpyRandomState::NumpyRandomState(std::uint32_t seed) {
  mt_[0] = seed;
  for (std::uint32_t i = 1; i < 624; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + i;
}

std::uint32_t NumpyRandomState::next_u32() {
  constexpr std::uint32_t kUpper = 0x80000000u;
  constexpr std::uint32_t kLower = 0x7fffffffu;
  constexpr std::uint32_t kMatrixA = 0x9908b0dfu;
  if (index_ >= 624) {
    for (int k = 0; k < 624; ++k) {
      const std::uint32_t y = (mt_[k] & kUpper) | (mt_[(k + 1) % 624] & kLower);
      mt_[k] = mt_[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
    }
    index_ = 0;
  }
  std::uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

double NumpyRandomState::random_sample() {
  const std::uint32_t a = next_u32() >> 5;
  const std::uint32_t b = next_u32() >> 6;
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

double NumpyRandomState::standard_normal() {
  if (has_gauss_) {
    has_gauss_ = false;
    return gauss_;
  }
  double x1 = 0.0;
  double x2 = 0.0;
  double r2 = 0.0;
  do {
    x1 = 2.0 * random_sample() - 1.0;
    x2 = 2.0 * random_sample() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

RffMap numpy_rff_map(std::int64_t d, std::int64_t features, std::uint32_t seed) {
  NumpyRandomState rs(seed);
  RffMap map{Matrix<float>::host(d, features), Matrix<float>::host(1, features)};
  for (std::int64_t e = 0; e < d * features; ++e) map.omega.data()[e] = static_cast<float>(rs.standard_normal());
  for (std::int64_t j = 0; j < features; ++j)
    map.phase.data()[j] = static_cast<float>(2.0 * M_PI * rs.random_sample());
  return map;
}

}  // namespace lwnet::kme
