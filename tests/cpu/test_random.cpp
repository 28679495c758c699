// lwnet::Rng: the stream is xoshiro256** seeded through splitmix64 (checked against an independent
// transcription of the published algorithms), the same for the same seed; uniform, below and
// normal have the right ranges and moments; sample_without_replacement returns distinct in-range
// indices, every index equally likely; invalid arguments throw InvalidArgument.
#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/error.hpp"
#include "lwnet/random.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

// Blackman & Vigna's reference xoshiro256** and splitmix64 (prng.di.unimi.it), transcribed.
class ReferenceXoshiro {
 public:
  explicit ReferenceXoshiro(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& word : s_) {
      std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

TEST(CpuRng, StreamIsXoshiro256StarStarSeededBySplitmix64) {
  for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{20240601}, ~std::uint64_t{0}}) {
    Rng rng(seed);
    ReferenceXoshiro ref(seed);
    for (int k = 0; k < 1000; ++k) ASSERT_EQ(rng.next_u64(), ref.next()) << "seed " << seed << ", draw " << k;
  }
}

TEST(CpuRng, SameSeedSameDrawsDifferentSeedDifferentDraws) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  Rng a(seed), b(seed), c(seed + 1);
  bool differs = false;
  for (int k = 0; k < 100; ++k) {
    const double ua = a.uniform(), ub = b.uniform();
    EXPECT_EQ(ua, ub);
    differs = differs || ua != c.uniform();
    EXPECT_EQ(a.normal(), b.normal());
    EXPECT_EQ(a.below(17), b.below(17));
  }
  EXPECT_TRUE(differs);
  EXPECT_EQ(Rng(seed).sample_without_replacement(1000, 50), Rng(seed).sample_without_replacement(1000, 50));
}

TEST(CpuRng, UniformBelowAndNormalDistributions) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  Rng rng(seed);
  constexpr int kDraws = 200000;
  // uniform on [0, 1): mean 1/2 (sd 1/sqrt(12 N)), in range.
  double mean = 0.0;
  for (int k = 0; k < kDraws; ++k) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    mean += u / kDraws;
  }
  EXPECT_LT(std::fabs(mean - 0.5), 5.0 / std::sqrt(12.0 * kDraws));

  // below(7): every value in range; chi-square over 7 cells with 6 degrees of freedom has mean 6,
  // sd sqrt(12); 6 + 8 sd = 33.7 fails with probability < 1e-6.
  std::vector<double> counts(7, 0.0);
  for (int k = 0; k < kDraws; ++k) {
    const std::uint64_t v = rng.below(7);
    ASSERT_LT(v, 7u);
    counts[v] += 1.0;
  }
  double chi2 = 0.0;
  for (double c : counts) chi2 += (c - kDraws / 7.0) * (c - kDraws / 7.0) / (kDraws / 7.0);
  EXPECT_LT(chi2, 33.7);
  EXPECT_EQ(rng.below(1), 0u);

  // normal: mean 0 (sd 1/sqrt N), variance 1 (sd sqrt(2/N)).
  double m = 0.0, m2 = 0.0;
  for (int k = 0; k < kDraws; ++k) {
    const double z = rng.normal();
    ASSERT_TRUE(std::isfinite(z));
    m += z / kDraws;
    m2 += z * z / kDraws;
  }
  EXPECT_LT(std::fabs(m), 5.0 / std::sqrt(kDraws));
  EXPECT_LT(std::fabs(m2 - m * m - 1.0), 5.0 * std::sqrt(2.0 / kDraws));
}

TEST(CpuRng, SampleWithoutReplacementIsDistinctAndUniform) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  Rng rng(seed);
  for (const auto& [n, count] : {std::make_pair(1, 1), std::make_pair(10, 0), std::make_pair(10, 10),
                                 std::make_pair(1000, 200), std::make_pair(5, 3)}) {
    const auto s = rng.sample_without_replacement(n, count);
    ASSERT_EQ(static_cast<std::int64_t>(s.size()), count);
    const std::set<std::int64_t> distinct(s.begin(), s.end());
    EXPECT_EQ(static_cast<std::int64_t>(distinct.size()), count) << "n " << n << ", count " << count;
    for (auto v : s) {
      EXPECT_GE(v, 0);
      EXPECT_LT(v, n);
    }
  }
  // Inclusion frequencies: each of n = 20 indices is drawn with probability 5/20 per call; over
  // T = 20000 calls each count is Binomial(T, 1/4), sd sqrt(T 3/16) ~ 61: allow 6 sd.
  constexpr int kCalls = 20000;
  std::vector<int> hits(20, 0);
  for (int t = 0; t < kCalls; ++t)
    for (auto v : rng.sample_without_replacement(20, 5)) ++hits[static_cast<std::size_t>(v)];
  for (int h : hits) EXPECT_LT(std::fabs(h - kCalls / 4.0), 6.0 * std::sqrt(kCalls * 3.0 / 16.0));
  // The order is random too: the first position is uniform over the indices.
  std::vector<int> first(4, 0);
  for (int t = 0; t < kCalls; ++t) ++first[static_cast<std::size_t>(rng.sample_without_replacement(4, 4)[0])];
  for (int f : first) EXPECT_LT(std::fabs(f - kCalls / 4.0), 6.0 * std::sqrt(kCalls * 3.0 / 16.0));
}

TEST(CpuRng, InvalidArguments) {
  Rng rng(1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { rng.below(0); }, {"Rng::below", "bound"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { rng.sample_without_replacement(5, 6); },
                                           {"sample_without_replacement", "count 6", "n 5"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { rng.sample_without_replacement(5, -1); }, {"count -1"}));
}

}  // namespace
}  // namespace lwnet::test
