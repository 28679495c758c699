// k nearest neighbours on the CPU: blocks of queries scan the reference in tiles of kTileCols
// rows (transposed, so the distance loop runs over reference rows in registers) and each query
// keeps a sorted top-k.
// Distances are sum_f fma(q_f - r_f, q_f - r_f, acc) in feature order, the CUDA kernel's
// arithmetic exactly, so both backends rank neighbours identically on identical inputs.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_tiles.hpp"
#include "cpu/simd.hpp"

namespace lwnet::cpu {

namespace {

// A sorted list of the k best (distance, index) pairs seen so far. Empty slots hold (+inf, kEmpty),
// after every real pair in that order: a real row whose squared distance overflows to +inf still
// takes an empty slot (finite inputs always yield k real rows).
class TopK {
 public:
  static constexpr std::int64_t kEmpty = std::numeric_limits<std::int64_t>::max();

  explicit TopK(int k)
      : k_(k), distance_(static_cast<std::size_t>(k), std::numeric_limits<float>::infinity()),
        index_(static_cast<std::size_t>(k), kEmpty) {}

  // Candidates arrive in increasing index: an equal distance goes after the real pairs already
  // held and before the empty slots.
  void offer(float distance, std::int64_t index) {
    if (!before(distance, index, k_ - 1)) return;
    int pos = k_ - 1;
    while (pos > 0 && before(distance, index, pos - 1)) {
      distance_[static_cast<std::size_t>(pos)] = distance_[static_cast<std::size_t>(pos - 1)];
      index_[static_cast<std::size_t>(pos)] = index_[static_cast<std::size_t>(pos - 1)];
      --pos;
    }
    distance_[static_cast<std::size_t>(pos)] = distance;
    index_[static_cast<std::size_t>(pos)] = index;
  }

  float distance(int j) const { return distance_[static_cast<std::size_t>(j)]; }
  float worst() const { return distance_[static_cast<std::size_t>(k_ - 1)]; }
  // (distance, index) comes before slot j in (distance, index) order.
  bool before(float distance, std::int64_t index, int j) const {
    const float held = distance_[static_cast<std::size_t>(j)];
    return distance < held || (distance == held && index < index_[static_cast<std::size_t>(j)]);
  }
  std::int64_t index(int j) const { return index_[static_cast<std::size_t>(j)]; }

 private:
  int k_;
  std::vector<float> distance_;
  std::vector<std::int64_t> index_;
};

// Queries per block and reference vectors per register block of the distance loop.
constexpr int kQueryBlock = 4;
constexpr int kRefVectors = 4;
constexpr std::int64_t kRefBlock = kRefVectors * simd::kLanes;
constexpr std::int64_t kQueryGroup = 64;  // queries per task

// dist[r][b] = sum_f fma(q_rf - x_bf, q_rf - x_bf, acc) for the block's queries q[r] and the
// tile's reference rows (xt: (d, ldx), zero-padded to whole register blocks).
void distance_block(const float* const* q, std::int64_t d, const float* xt, std::int64_t ldx, float* dist) {
  for (std::int64_t b0 = 0; b0 < ldx; b0 += kRefBlock) {
    simd::Vec acc[kQueryBlock][kRefVectors] = {};
    for (std::int64_t f = 0; f < d; ++f) {
      simd::Vec x[kRefVectors];
      for (int v = 0; v < kRefVectors; ++v) x[v] = simd::load(xt + f * ldx + b0 + v * simd::kLanes);
      for (int r = 0; r < kQueryBlock; ++r) {
        const simd::Vec qf = simd::splat(q[r][f]);
        for (int v = 0; v < kRefVectors; ++v) {
          const simd::Vec diff = qf - x[v];
          acc[r][v] = simd::fma(diff, diff, acc[r][v]);
        }
      }
    }
    for (int r = 0; r < kQueryBlock; ++r)
      for (int v = 0; v < kRefVectors; ++v) simd::store(dist + r * ldx + b0 + v * simd::kLanes, acc[r][v]);
  }
}

// Offers a tile row of distances (reference rows r0 ..) to a query's top-k. Whole vectors at or
// above the k-th distance held are passed over: later rows have higher indices, so an equal
// distance cannot displace a held row.
void offer_row(const float* dist, std::int64_t tn, std::int64_t r0, TopK& top) {
  std::int64_t b = 0;
  for (; b + simd::kLanes <= tn; b += simd::kLanes) {
    const simd::IntVec below = simd::load(dist + b) < simd::splat(top.worst());
    bool any = false;
    for (int l = 0; l < simd::kLanes; ++l) any |= below[l] != 0;
    if (!any) continue;
    for (int l = 0; l < simd::kLanes; ++l) top.offer(dist[b + l], r0 + b + l);
  }
  for (; b < tn; ++b) top.offer(dist[b], r0 + b);
}

}  // namespace

void CpuBackend::knn_impl(MatrixView<const float> queries, MatrixView<const float> reference, int k,
                          MatrixView<std::int64_t> indices, MatrixView<float> sq_distances) {
  const std::int64_t m = queries.rows();
  const std::int64_t n = reference.rows();
  const std::int64_t d = queries.cols();
  const std::int64_t tiles = ceil_div(n, kTileCols);
  // Transposed reference tiles, shared by all threads: tile t is (d, kTileCols), zero beyond the
  // reference's last row.
  const std::int64_t tile_size = d * kTileCols;
  std::vector<float> rt(static_cast<std::size_t>(tiles * tile_size), 0.0f);
  parallel_for(pool(), tiles, 1, tile_size, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t t = begin; t < end; ++t) {
      const std::int64_t r0 = t * kTileCols;
      const std::int64_t tn = std::min(kTileCols, n - r0);
      float* dst = rt.data() + t * tile_size;
      for (std::int64_t b = 0; b < tn; ++b)
        for (std::int64_t f = 0; f < d; ++f) dst[f * kTileCols + b] = reference(r0 + b, f);
    }
  });

  // A task is a group of queries: each reference tile is loaded once per group and used by all of
  // its query blocks while it is in cache.
  const std::int64_t groups = ceil_div(m, kQueryGroup);
  const int threads = pool().threads_for(m * n * (d + 4), groups);
  std::vector<std::vector<float>> dists(static_cast<std::size_t>(threads),
                                        std::vector<float>(static_cast<std::size_t>(kQueryBlock * kTileCols)));
  std::vector<std::vector<TopK>> bests(static_cast<std::size_t>(threads));
  pool().run(groups, threads, [&](std::int64_t group, int worker) {
    std::vector<float>& dist = dists[static_cast<std::size_t>(worker)];
    std::vector<TopK>& best = bests[static_cast<std::size_t>(worker)];
    const std::int64_t g0 = group * kQueryGroup;
    const std::int64_t group_rows = std::min(kQueryGroup, m - g0);
    best.assign(static_cast<std::size_t>(group_rows), TopK(k));
    for (std::int64_t t = 0; t < tiles; ++t) {
      const std::int64_t r0 = t * kTileCols;
      const std::int64_t tn = std::min(kTileCols, n - r0);
      for (std::int64_t q0 = 0; q0 < group_rows; q0 += kQueryBlock) {
        const int rows = static_cast<int>(std::min<std::int64_t>(kQueryBlock, group_rows - q0));
        const float* q[kQueryBlock];  // a short block repeats its last query; extra rows are dropped
        for (int r = 0; r < kQueryBlock; ++r)
          q[r] = queries.data() + (g0 + q0 + std::min(r, rows - 1)) * queries.ld();
        distance_block(q, d, rt.data() + t * tile_size, kTileCols, dist.data());
        for (int r = 0; r < rows; ++r) offer_row(dist.data() + r * kTileCols, tn, r0, best[static_cast<std::size_t>(q0 + r)]);
      }
    }
    for (std::int64_t r = 0; r < group_rows; ++r)
      for (int j = 0; j < k; ++j) {
        indices(g0 + r, j) = best[static_cast<std::size_t>(r)].index(j);
        sq_distances(g0 + r, j) = best[static_cast<std::size_t>(r)].distance(j);
      }
  });
}

}  // namespace lwnet::cpu
