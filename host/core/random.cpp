// xoshiro256** (Blackman & Vigna), seeded by splitmix64: fast, small state, and the same stream
// on every platform.
#include "lwnet/random.hpp"

#include <cmath>
#include <numeric>
#include <string>

#include "lwnet/error.hpp"

namespace lwnet {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(std::uint64_t seed) {
  for (auto& s : state_) s = splitmix64(seed);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();  // log(0) guard
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * M_PI * u2;
  spare_normal_ = radius * std::sin(angle);
  has_spare_normal_ = true;
  return radius * std::cos(angle);
}

std::uint64_t Rng::below(std::uint64_t bound) {
  if (bound == 0) throw InvalidArgument("Rng::below: bound must be > 0");
  // Rejection of the short top range removes the modulo bias.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  std::uint64_t r = next_u64();
  while (r >= limit) r = next_u64();
  return r % bound;
}

std::vector<std::int64_t> Rng::sample_without_replacement(std::int64_t n, std::int64_t count) {
  if (n < 0 || count < 0 || count > n)
    throw InvalidArgument("Rng::sample_without_replacement: need 0 <= count <= n, got count " +
                          std::to_string(count) + ", n " + std::to_string(n));
  // Partial Fisher-Yates over 0..n-1.
  std::vector<std::int64_t> pool(static_cast<std::size_t>(n));
  std::iota(pool.begin(), pool.end(), std::int64_t{0});
  for (std::int64_t k = 0; k < count; ++k) {
    const auto j = k + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(n - k)));
    std::swap(pool[static_cast<std::size_t>(k)], pool[static_cast<std::size_t>(j)]);
  }
  pool.resize(static_cast<std::size_t>(count));
  return pool;
}

}  // namespace lwnet
