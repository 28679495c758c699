// A small, seeded, platform-independent random generator (xoshiro256** seeded through splitmix64).
// The standard library's distributions differ between implementations; lwnet's results must not,
// so every draw lwnet makes goes through this class.
#pragma once

#include "lwnet/export.h"

#include <cstdint>
#include <vector>

namespace lwnet {

class LWNET_API Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);

  std::uint64_t next_u64();
  // Uniform on [0, 1) with 53 random bits.
  double uniform();
  // Standard normal (Box-Muller; caches the second value).
  double normal();
  // Uniform integer in [0, bound), bound > 0, without modulo bias.
  std::uint64_t below(std::uint64_t bound);
  // `count` distinct indices drawn from [0, n) in random order (count <= n).
  std::vector<std::int64_t> sample_without_replacement(std::int64_t n, std::int64_t count);

 private:
  std::uint64_t state_[4];
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace lwnet
