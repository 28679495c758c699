// k nearest neighbours on the CPU: tiles of exact squared distances (cpu_tiles.hpp, the map step
// of every kernel primitive), each query keeping a sorted top-k of its tile rows.
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
LWNET_CPU_ISA_NAMESPACE_BEGIN

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
  const auto no_norms = detail::make_kernel_constants(GramParams::linear());
  const TileOperand q_op(queries, no_norms, pool());
  const TileOperand r_op(reference, no_norms, pool(), TileOperand::Side::x);
  const std::int64_t tiles = ceil_div(n, kTileCols);

  // A task is a tile's worth of queries against every reference tile, in order.
  const std::int64_t groups = ceil_div(m, kTileRows);
  const int threads = pool().threads_for(m * n * (queries.cols() + 4), groups);
  std::vector<std::vector<float>> dists(static_cast<std::size_t>(threads),
                                        std::vector<float>(static_cast<std::size_t>(kTileRows * kTileCols)));
  std::vector<std::vector<TopK>> bests(static_cast<std::size_t>(threads));
  pool().run(groups, threads, [&](std::int64_t group, int worker) {
    float* dist = dists[static_cast<std::size_t>(worker)].data();
    std::vector<TopK>& best = bests[static_cast<std::size_t>(worker)];
    const std::int64_t g0 = group * kTileRows;
    const std::int64_t rows = std::min(kTileRows, m - g0);
    best.assign(static_cast<std::size_t>(rows), TopK(k));
    for (std::int64_t t = 0; t < tiles; ++t) {
      const std::int64_t r0 = t * kTileCols;
      const std::int64_t tn = std::min(kTileCols, n - r0);
      squared_difference_tile(q_op, g0, rows, r_op, r0, tn, dist, kTileCols);
      for (std::int64_t r = 0; r < rows; ++r) offer_row(dist + r * kTileCols, tn, r0, best[static_cast<std::size_t>(r)]);
    }
    for (std::int64_t r = 0; r < rows; ++r)
      for (int j = 0; j < k; ++j) {
        indices(g0 + r, j) = best[static_cast<std::size_t>(r)].index(j);
        sq_distances(g0 + r, j) = best[static_cast<std::size_t>(r)].distance(j);
      }
  });
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
