// Backend::knn on the CPU against an oracle that performs the documented arithmetic exactly:
// float32 acc = fma(q_f - r_f, q_f - r_f, acc) in feature order, then a sort by (distance, index).
// fma is exactly rounded and every step is specified, so indices AND distances must be equal bit
// for bit. Sizes straddle the CPU's 256-row reference tile (cpu::kTileCols); k = 1, 5, 64 and
// k = n; duplicated reference rows (equal distances: the lower index first, also across tiles);
// strided (NaN-padded) views; bad input.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "cpu/cpu_tiles.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

constexpr std::int64_t kTile = cpu::kTileCols;
static_assert(kTile == 256, "the sizes below are chosen around a 256-row reference tile");

struct KnnResult {
  std::vector<std::int64_t> indices;  // (m, k) row-major
  std::vector<float> distances;       // (m, k)
};

// The documented arithmetic, one reference row at a time.
KnnResult knn_oracle(MatrixView<const float> Q, MatrixView<const float> R, int k) {
  KnnResult out;
  std::vector<float> dist(static_cast<std::size_t>(R.rows()));
  std::vector<std::int64_t> order(static_cast<std::size_t>(R.rows()));
  for (std::int64_t q = 0; q < Q.rows(); ++q) {
    for (std::int64_t r = 0; r < R.rows(); ++r) {
      float acc = 0.0f;
      for (std::int64_t f = 0; f < Q.cols(); ++f) {
        const float diff = Q(q, f) - R(r, f);
        acc = std::fma(diff, diff, acc);
      }
      dist[static_cast<std::size_t>(r)] = acc;
    }
    std::iota(order.begin(), order.end(), std::int64_t{0});
    std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      const float da = dist[static_cast<std::size_t>(a)];
      const float db = dist[static_cast<std::size_t>(b)];
      return da < db || (da == db && a < b);
    });
    for (int j = 0; j < k; ++j) {
      out.indices.push_back(order[static_cast<std::size_t>(j)]);
      out.distances.push_back(dist[static_cast<std::size_t>(order[static_cast<std::size_t>(j)])]);
    }
  }
  return out;
}

Matrix<float> from_values(std::int64_t rows, std::int64_t cols, const std::vector<float>& v) {
  Matrix<float> m = Matrix<float>::host(rows, cols);
  std::copy(v.begin(), v.end(), m.data());
  return m;
}

// Runs the CPU backend on padded (NaN-surrounded) copies of Q and R into padded outputs.
KnnResult run_knn(Backend& backend, MatrixView<const float> Q, MatrixView<const float> R, int k) {
  const Padded<float> q = padded_copy(Q);
  const Padded<float> r = padded_copy(R, 5);
  Padded<std::int64_t> idx(Q.rows(), k, 2, std::int64_t{-7});
  Padded<float> dist(Q.rows(), k, 4);
  backend.knn(q.cview(), r.cview(), k, idx.view, dist.view);
  EXPECT_TRUE(padding_untouched(dist)) << "sq_distances";
  for (std::size_t e = 0; e < idx.buffer.size(); ++e) {  // outside the view: still -7
    const std::int64_t offset = static_cast<std::int64_t>(e) - (idx.view.data() - idx.buffer.data());
    const bool inside = offset >= 0 && offset / idx.view.ld() < idx.view.rows() && offset % idx.view.ld() < idx.view.cols();
    if (!inside) {
      EXPECT_EQ(idx.buffer[e], -7) << "indices padding written at buffer element " << e;
    }
  }
  KnnResult out;
  for (std::int64_t i = 0; i < Q.rows(); ++i)
    for (int j = 0; j < k; ++j) {
      out.indices.push_back(idx.view(i, j));
      out.distances.push_back(dist.view(i, j));
    }
  return out;
}

// Exact equality of both outputs, distances compared bit for bit; reports the first difference.
::testing::AssertionResult same_neighbours(const KnnResult& actual, const KnnResult& expected, int k) {
  if (actual.indices.size() != expected.indices.size())
    return ::testing::AssertionFailure() << "sizes differ: " << actual.indices.size() << " vs " << expected.indices.size();
  for (std::size_t e = 0; e < expected.indices.size(); ++e) {
    if (actual.indices[e] != expected.indices[e] ||
        std::memcmp(&actual.distances[e], &expected.distances[e], sizeof(float)) != 0)
      return ::testing::AssertionFailure()
             << "query " << e / static_cast<std::size_t>(k) << ", neighbour " << e % static_cast<std::size_t>(k)
             << ": got (index " << actual.indices[e] << ", distance " << actual.distances[e] << "), expected (index "
             << expected.indices[e] << ", distance " << expected.distances[e] << ")";
  }
  return ::testing::AssertionSuccess();
}

// Each query's list is in (distance, index) order: a property check independent of the oracle.
::testing::AssertionResult sorted_by_distance_then_index(const KnnResult& r, int k) {
  for (std::size_t e = 0; e + 1 < r.indices.size(); ++e) {
    if ((e + 1) % static_cast<std::size_t>(k) == 0) continue;  // next query
    const bool ordered = r.distances[e] < r.distances[e + 1] ||
                         (r.distances[e] == r.distances[e + 1] && r.indices[e] < r.indices[e + 1]);
    if (!ordered)
      return ::testing::AssertionFailure() << "entries " << e << " and " << e + 1 << " are out of order: ("
                                           << r.distances[e] << ", " << r.indices[e] << ") then ("
                                           << r.distances[e + 1] << ", " << r.indices[e + 1] << ")";
  }
  return ::testing::AssertionSuccess();
}

// m queries, n reference rows, d features, k neighbours.
struct KnnCase {
  std::int64_t m, n, d;
  int k;
};

std::string name_of(const KnnCase& c) {
  return "m" + std::to_string(c.m) + "_n" + std::to_string(c.n) + "_d" + std::to_string(c.d) + "_k" +
         std::to_string(c.k);
}

// n around one and two tiles (255, 256, 257, 513), below a tile (1, 7, 64) and k = n; m = 300 with
// n >= 257 spreads over the thread pool, the small cases run on the calling thread.
const KnnCase kKnnCases[] = {
    {1, 1, 1, 1},          {3, 7, 2, 7},           {5, 64, 3, 64},        {1, kTile - 1, 5, 1},
    {7, kTile, 3, 5},      {2, kTile + 1, 10, 64}, {300, kTile + 1, 3, 5}, {300, 2 * kTile + 1, 33, 64},
    {33, 1000, 1, 5},      {65, 2 * kTile + 3, 7, 1},
};

class CpuKnn : public ::testing::TestWithParam<KnnCase> {};

TEST_P(CpuKnn, MatchesTheDocumentedArithmeticExactly) {
  const KnnCase c = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const Matrix<float> Q = rng.uniform_matrix(c.m, c.d);
  const Matrix<float> R = rng.uniform_matrix(c.n, c.d);
  const KnnResult got = run_knn(*make_cpu_backend(), Q.cview(), R.cview(), c.k);
  EXPECT_TRUE(same_neighbours(got, knn_oracle(Q.cview(), R.cview(), c.k), c.k));
  EXPECT_TRUE(sorted_by_distance_then_index(got, c.k));
}

struct KnnCaseName {
  std::string operator()(const ::testing::TestParamInfo<KnnCase>& param_info) const { return name_of(param_info.param); }
};

INSTANTIATE_TEST_SUITE_P(Shapes, CpuKnn, ::testing::ValuesIn(kKnnCases), KnnCaseName());

// Reference rows drawn from a few distinct points (small integers, so every distance is exact and
// many are equal): equal distances must come out lowest index first, within and across tiles.
TEST(CpuKnnTies, DuplicatesComeOutLowestIndexFirst) {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [n, d, k] : {std::make_tuple(std::int64_t{20}, std::int64_t{2}, 20),
                                std::make_tuple(2 * kTile + 9, std::int64_t{3}, 64),
                                std::make_tuple(kTile + 1, std::int64_t{1}, 5)}) {
    SCOPED_TRACE(::testing::Message() << "n " << n << ", d " << d << ", k " << k);
    const std::int64_t distinct = 4;
    Matrix<float> points = Matrix<float>::host(distinct, d);
    for (std::int64_t e = 0; e < points.size(); ++e) points.data()[e] = static_cast<float>(rng.below(5) - 2);
    Matrix<float> R = Matrix<float>::host(n, d);
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t p = rng.below(distinct);
      for (std::int64_t f = 0; f < d; ++f) R(i, f) = points(p, f);
    }
    // Queries: the distinct points themselves (distance exactly 0 to their copies) and a few others.
    Matrix<float> Q = Matrix<float>::host(distinct + 3, d);
    for (std::int64_t i = 0; i < Q.rows(); ++i)
      for (std::int64_t f = 0; f < d; ++f) Q(i, f) = i < distinct ? points(i, f) : static_cast<float>(rng.below(7) - 3);
    const KnnResult got = run_knn(*make_cpu_backend(), Q.cview(), R.cview(), k);
    EXPECT_TRUE(same_neighbours(got, knn_oracle(Q.cview(), R.cview(), k), k));
    EXPECT_TRUE(sorted_by_distance_then_index(got, k));
  }
}

TEST(CpuKnnTies, IdenticalReferenceRowsGiveTheFirstKIndices) {
  // n = 600 identical rows over three tiles: every query's neighbours are 0, 1, ..., k - 1.
  const std::int64_t n = 2 * kTile + 88;
  Matrix<float> R = Matrix<float>::host(n, 3);
  for (std::int64_t e = 0; e < R.size(); ++e) R.data()[e] = 0.5f;
  Matrix<float> Q = Matrix<float>::host(2, 3);
  for (std::int64_t e = 0; e < Q.size(); ++e) Q.data()[e] = e < 3 ? 0.5f : -1.5f;
  const KnnResult got = run_knn(*make_cpu_backend(), Q.cview(), R.cview(), 64);
  for (std::int64_t q = 0; q < 2; ++q)
    for (int j = 0; j < 64; ++j) {
      EXPECT_EQ(got.indices[static_cast<std::size_t>(q * 64 + j)], j) << "query " << q;
      EXPECT_EQ(got.distances[static_cast<std::size_t>(q * 64 + j)], q == 0 ? 0.0f : 12.0f) << "query " << q;
    }
}

TEST(CpuKnnTies, KEqualsNReturnsEveryRowSorted) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 50;
  const Matrix<float> R = rng.uniform_matrix(n, 4);
  const Matrix<float> Q = rng.uniform_matrix(3, 4);
  const KnnResult got = run_knn(*make_cpu_backend(), Q.cview(), R.cview(), static_cast<int>(n));
  for (std::int64_t q = 0; q < 3; ++q) {
    std::vector<std::int64_t> seen(got.indices.begin() + q * n, got.indices.begin() + (q + 1) * n);
    std::sort(seen.begin(), seen.end());
    std::vector<std::int64_t> all(static_cast<std::size_t>(n));
    std::iota(all.begin(), all.end(), std::int64_t{0});
    EXPECT_EQ(seen, all) << "query " << q << ": every reference row exactly once";
  }
  EXPECT_TRUE(sorted_by_distance_then_index(got, static_cast<int>(n)));
  EXPECT_TRUE(same_neighbours(got, knn_oracle(Q.cview(), R.cview(), static_cast<int>(n)), static_cast<int>(n)));
}

TEST(CpuKnnTies, OverflowingDistancesStillNameRealRows) {
  // Finite inputs whose squared distances overflow float32 (|q - r|^2 > FLT_MAX): every such
  // distance is +inf, and the documented order (distance, index) still picks real rows, lowest
  // index first — never a placeholder index.
  const Matrix<float> R = from_values(4, 1, {3e19f, -2e19f, 1.0f, 5e19f});
  const Matrix<float> Q = from_values(2, 1, {0.0f, 1e30f});
  const KnnResult got = run_knn(*make_cpu_backend(), Q.cview(), R.cview(), 4);
  EXPECT_TRUE(same_neighbours(got, knn_oracle(Q.cview(), R.cview(), 4), 4));
  // Query 0: row 2 (distance 1), then rows 0, 1, 3 at +inf in index order; query 1: all +inf.
  EXPECT_EQ(got.indices, (std::vector<std::int64_t>{2, 0, 1, 3, 0, 1, 2, 3}));
  EXPECT_EQ(got.distances[0], 1.0f);
  EXPECT_TRUE(std::isinf(got.distances[1]));
}

TEST(CpuKnnBadInput, ThrowsInvalidArgument) {
  LWNET_SEEDED_RANDOM(rng);
  auto backend = make_cpu_backend();
  const Matrix<float> R = rng.uniform_matrix(70, 3);
  const Matrix<float> Q = rng.uniform_matrix(4, 3);
  auto run = [&](MatrixView<const float> q, MatrixView<const float> r, int k, std::int64_t out_rows, std::int64_t out_cols) {
    Matrix<std::int64_t> idx = Matrix<std::int64_t>::host(out_rows, out_cols);
    Matrix<float> dist = Matrix<float>::host(out_rows, out_cols);
    backend->knn(q, r, k, idx.view(), dist.view());
  };
  EXPECT_NO_THROW(run(Q.cview(), R.cview(), 64, 4, 64));  // the largest valid k
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { run(Q.cview(), R.cview(), 0, 4, 1); }, {"knn", "k must be"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { run(Q.cview(), R.cview(), 65, 4, 65); }, {"knn", "got 65"}));
  const Matrix<float> R5 = rng.uniform_matrix(5, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { run(Q.cview(), R5.cview(), 6, 4, 6); }, {"knn", "got 6"}));
  EXPECT_NO_THROW(run(Q.cview(), R5.cview(), 5, 4, 5));
  const Matrix<float> Q4 = rng.uniform_matrix(4, 4);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { run(Q4.cview(), R.cview(), 5, 4, 5); }, {"knn", "columns"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { run(Q.cview(), R.cview(), 5, 3, 5); }, {"knn", "queries.rows x k"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { run(Q.cview(), R.cview(), 5, 4, 6); }, {"knn", "queries.rows x k"}));
  Matrix<float> bad = rng.uniform_matrix(4, 3);
  bad(2, 1) = NAN;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { run(bad.cview(), R.cview(), 5, 4, 5); }, {"knn", "queries"}));
}

}  // namespace
}  // namespace lwnet::test
