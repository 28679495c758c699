// k nearest neighbours on the CPU: each query scans the reference in tiles of kTileCols rows
// (transposed, so the distance loop vectorises over reference rows) and keeps a sorted top-k.
// Distances are sum_f fma(q_f - r_f, q_f - r_f, acc) in feature order, the CUDA kernel's
// arithmetic exactly, so both backends rank neighbours identically on identical inputs.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_tiles.hpp"

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

}  // namespace

void CpuBackend::knn_impl(MatrixView<const float> queries, MatrixView<const float> reference, int k,
                          MatrixView<std::int64_t> indices, MatrixView<float> sq_distances) {
  const std::int64_t m = queries.rows();
  const std::int64_t n = reference.rows();
  const std::int64_t d = queries.cols();
  const std::int64_t tiles = ceil_div(n, kTileCols);
  // Transposed reference tiles, shared by all threads: rt[t] is (d, tn).
  std::vector<float> rt(static_cast<std::size_t>(n * d));
  const bool parallel = worth_parallel(m * n * d);
#pragma omp parallel for num_threads(threads_) schedule(static) if (parallel)
  for (std::int64_t t = 0; t < tiles; ++t) {
    const std::int64_t r0 = t * kTileCols;
    const std::int64_t tn = std::min(kTileCols, n - r0);
    float* dst = rt.data() + r0 * d;
    for (std::int64_t b = 0; b < tn; ++b)
      for (std::int64_t f = 0; f < d; ++f) dst[f * tn + b] = reference(r0 + b, f);
  }

#pragma omp parallel num_threads(threads_) if (parallel)
  {
    std::vector<float> dist(static_cast<std::size_t>(kTileCols));
#pragma omp for schedule(dynamic, 8)
    for (std::int64_t q = 0; q < m; ++q) {
      const float* qv = queries.data() + q * queries.ld();
      TopK best(k);
      for (std::int64_t t = 0; t < tiles; ++t) {
        const std::int64_t r0 = t * kTileCols;
        const std::int64_t tn = std::min(kTileCols, n - r0);
        const float* tile = rt.data() + r0 * d;
        float* acc = dist.data();
        std::fill(acc, acc + tn, 0.0f);
        for (std::int64_t f = 0; f < d; ++f) {
          const float qf = qv[f];
          const float* rf = tile + f * tn;
#pragma omp simd
          for (std::int64_t b = 0; b < tn; ++b) {
            const float diff = qf - rf[b];
            acc[b] = std::fma(diff, diff, acc[b]);
          }
        }
        for (std::int64_t b = 0; b < tn; ++b) best.offer(acc[b], r0 + b);
      }
      for (int j = 0; j < k; ++j) {
        indices(q, j) = best.index(j);
        sq_distances(q, j) = best.distance(j);
      }
    }
  }
}

}  // namespace lwnet::cpu
