// k nearest neighbours on the GPU, with no m x n distance buffer: the tile map-reduce skeleton
// (gram/tile_map_reduce.cuh) with the SquaredDifferenceMap and the TopKPerRow consumer.
// A block owns 64 queries (Z rows) and walks a split of 64-row reference tiles. Per tile the map
// computes the 64 x 64 distances sum_f fmaf(q_f - r_f, q_f - r_f, acc) in feature order — the
// CPU backend's arithmetic exactly — and the consumer parks them in shared memory, where each
// query has 4 threads, each offering every 4th column to a sorted top-k list of its own (local
// memory). At the end the 4 lists of a query, held by 4 neighbouring lanes of one warp, are
// merged with shuffles in (distance, index) order. Equal distances keep the lower index: every
// list is the k smallest (distance, index) pairs of what it saw, whatever the order they came in,
// so both backends rank neighbours identically.
// With few queries the reference is split over gridDim.y; each split's sorted list is merged by
// a second kernel in (distance, index) order, so results do not depend on the split.
#include <math_constants.h>

#include <algorithm>
#include <limits>

#include "common/check.cuh"
#include "common/launch.cuh"
#include "common/resources.cuh"
#include "gram/tile_map_reduce.cuh"
#include "knn/knn.cuh"
#include "lwnet/backend.hpp"

namespace lwnet::cuda {

namespace {

constexpr int kMaxK = Backend::kMaxKnn;
constexpr int kTargetBlocksPerSm = 4;
constexpr std::int64_t kMinRefsPerSplit = 1024;
constexpr std::int64_t kNoIndex = std::numeric_limits<std::int64_t>::max();
constexpr unsigned kFullWarp = 0xffffffffu;
constexpr int kWarpSize = 32;
// Top-k lists per query: thread t keeps tile row t / 4's list over tile columns t % 4 + 4 s.
constexpr int kListsPerRow = tile::kThreads / tile::kBlockRows;
static_assert(kListsPerRow * tile::kBlockRows == tile::kThreads, "thread layout");
static_assert(kWarpSize % kListsPerRow == 0 && (kListsPerRow & (kListsPerRow - 1)) == 0,
              "a query's lists lie in one warp, for the butterfly merge");
// Row stride of the parked tile: with 64 + 4, lane 4 r + p reading column p + 4 s of row r hits
// bank (lane + 4 s) mod 32, so the selection's reads are conflict-free.
constexpr int kParkStride = tile::kBlockCols + kListsPerRow;

__device__ __forceinline__ bool before(float da, std::int64_t ia, float db, std::int64_t ib) {
  return da < db || (da == db && ia < ib);
}

// The k-NN consumer. Empty list slots are (+inf, kNoIndex), after every real pair in
// (distance, index) order: a distance that overflowed to +inf still fills them, a NaN never does.
struct TopKPerRow {
  // Unconstrained: about 48 registers (the lists live in local memory), 5 blocks per SM.
  static constexpr int kMinBlocksPerSm = 0;

  int k;                        // 1 <= k <= kMaxK
  float* part_distance;         // (blocks_y x m x k): one sorted list per grid row and query
  std::int64_t* part_index;

  struct Shared {
    float dist[tile::kBlockRows][kParkStride];
  };
  struct State {
    float distance[kMaxK];
    std::int64_t index[kMaxK];
  };

  __device__ static int list_row() { return static_cast<int>(threadIdx.x) / kListsPerRow; }
  __device__ static int list_part() { return static_cast<int>(threadIdx.x) % kListsPerRow; }

  __device__ void begin(const tile::TileBlock&, State& st, Shared&) const {
    for (int j = 0; j < k; ++j) {
      st.distance[j] = CUDART_INF_F;
      st.index[j] = kNoIndex;
    }
  }

  // Inserts (dist, index) into the sorted list if it beats the last entry.
  __device__ void offer(State& st, float dist, std::int64_t index) const {
    if (!before(dist, index, st.distance[k - 1], st.index[k - 1])) return;
    int pos = k - 1;
    while (pos > 0 && before(dist, index, st.distance[pos - 1], st.index[pos - 1])) {
      st.distance[pos] = st.distance[pos - 1];
      st.index[pos] = st.index[pos - 1];
      --pos;
    }
    st.distance[pos] = dist;
    st.index[pos] = index;
  }

  __device__ void consume_tile(const tile::TileBlock& block, std::int64_t x0,
                               const float (&v)[tile::kMicro][tile::kMicro], State& st, Shared& sh) const {
#pragma unroll
    for (int i = 0; i < tile::kMicro; ++i)
#pragma unroll
      for (int j = 0; j < tile::kMicro; ++j) sh.dist[tile::micro_row(i)][tile::micro_col(j)] = v[i][j];
    __syncthreads();
    const int r = list_row();
    if (block.z0 + r < block.rows) {
      const std::int64_t cols_left = block.cols - x0;  // >= 1: the tile's real columns
      for (int c = list_part(); c < tile::kBlockCols && c < cols_left; c += kListsPerRow)
        offer(st, sh.dist[r][c], x0 + c);
    }
    __syncthreads();  // dist is rewritten by the next tile
  }

  // knn runs one split per grid row: the list spans the block's whole range.
  __device__ void end_split(const tile::TileBlock&, std::int64_t, State&, Shared&) const {}

  // Merges the query's 4 lists: k rounds, each finding the smallest head among the 4 lanes
  // (butterfly over lane masks 1, 2) and advancing the list that held it. Real indices are
  // unique across the lists; once the smallest head is an empty slot, all heads are.
  __device__ void finish(const tile::TileBlock& block, State& st, Shared&) const {
    const std::int64_t row = block.z0 + list_row();
    const bool writes = row < block.rows && list_part() == 0;
    const std::int64_t base = (block.x_range * block.rows + row) * k;
    int head = 0;  // <= k
    for (int j = 0; j < k; ++j) {  // the same trip count on every lane: shuffles stay converged
      const float d = head < k ? st.distance[head] : CUDART_INF_F;
      const std::int64_t i = head < k ? st.index[head] : kNoIndex;
      float best_d = d;
      std::int64_t best_i = i;
#pragma unroll
      for (int mask = 1; mask < kListsPerRow; mask <<= 1) {
        const float other_d = __shfl_xor_sync(kFullWarp, best_d, mask);
        const std::int64_t other_i = __shfl_xor_sync(kFullWarp, best_i, mask);
        if (before(other_d, other_i, best_d, best_i)) {
          best_d = other_d;
          best_i = other_i;
        }
      }
      if (i == best_i) ++head;
      if (writes) {
        part_distance[base + j] = best_d;
        part_index[base + j] = best_i;
      }
    }
  }
};

// Merges each query's sorted split lists into its k nearest, in (distance, index) order.
// cursor (splits x m, zeroed): the next unused entry of each split's list.
__global__ void knn_merge_kernel(const float* part_distance, const std::int64_t* part_index, int* cursor,
                                 std::int64_t splits, std::int64_t m, int k, std::int64_t* indices,
                                 std::int64_t ld_indices, float* distances, std::int64_t ld_distances) {
  const std::int64_t q = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (q >= m) return;
  for (int j = 0; j < k; ++j) {
    float best_d = CUDART_INF_F;
    std::int64_t best_i = kNoIndex;
    std::int64_t best_s = -1;
    for (std::int64_t s = 0; s < splits; ++s) {
      const int t = cursor[s * m + q];
      if (t >= k) continue;
      const std::int64_t e = (s * m + q) * k + t;
      if (before(part_distance[e], part_index[e], best_d, best_i)) {
        best_d = part_distance[e];
        best_i = part_index[e];
        best_s = s;
      }
    }
    indices[q * ld_indices + j] = best_i;
    distances[q * ld_distances + j] = best_d;
    if (best_s >= 0) ++cursor[best_s * m + q];
  }
}

}  // namespace

void knn(const CudaContext& ctx, const MatrixView<const float>& queries, const MatrixView<const float>& reference,
         int k, const MatrixView<std::int64_t>& indices, const MatrixView<float>& sq_distances) {
  cudaStream_t stream = ctx.stream();
  const std::int64_t m = queries.rows();
  const std::int64_t n = reference.rows();
  // Split the reference (at least kMinRefsPerSplit rows each) until the grid fills the device.
  const std::int64_t query_blocks = ceil_div(m, tile::kBlockRows);
  const std::int64_t ref_tiles = ceil_div(n, tile::kBlockCols);
  const std::int64_t target = static_cast<std::int64_t>(kTargetBlocksPerSm) * ctx.sm_count();
  const std::int64_t max_splits = std::max<std::int64_t>(1, std::min(kMaxGridYZ, n / kMinRefsPerSplit));
  const std::int64_t wanted_splits = std::clamp<std::int64_t>(ceil_div(target, query_blocks), 1, max_splits);
  const tile::TileSchedule schedule = tile::make_schedule(m, n, ceil_div(ref_tiles, wanted_splits), 1);
  const std::int64_t splits = schedule.blocks_y;

  const auto entries = static_cast<std::size_t>(splits * m * k);
  DeviceBuffer<float> part_distance(entries, stream);
  DeviceBuffer<std::int64_t> part_index(entries, stream);
  const tile::Operand q{queries.data(), queries.ld(), m, nullptr};
  const tile::Operand r{reference.data(), reference.ld(), n, nullptr};
  tile::launch_map_reduce(tile::SquaredDifferenceMap{q, r, queries.cols()},
                          TopKPerRow{k, part_distance.data(), part_index.data()}, schedule, stream,
                          "knn (tile map-reduce)");
  DeviceBuffer<int> cursor(static_cast<std::size_t>(splits * m), stream);
  LWNET_CUDA_CHECK(cudaMemsetAsync(cursor.data(), 0, cursor.size() * sizeof(int), stream));
  constexpr int kMergeThreads = 128;
  knn_merge_kernel<<<static_cast<unsigned>(ceil_div(m, kMergeThreads)), kMergeThreads, 0, stream>>>(
      part_distance.data(), part_index.data(), cursor.data(), splits, m, k, indices.data(), indices.ld(),
      sq_distances.data(), sq_distances.ld());
  LWNET_CUDA_CHECK_LAUNCH("knn_merge_kernel", stream);
}

}  // namespace lwnet::cuda
