// k nearest neighbours on the GPU. One thread per query keeps a sorted top-k (local memory) while
// its block streams 64-row reference tiles through shared memory, 16 features at a time; the
// 64 distances of a tile live in registers. Distances are sum_f fmaf(q_f - r_f, q_f - r_f, acc) in
// feature order — the CPU backend's arithmetic exactly — and equal distances keep the lower
// index, so both backends rank neighbours identically.
// With few queries the reference is split over gridDim.y; each split's sorted list is merged by
// a second kernel in (distance, index) order, so results do not depend on the split.
#include <math_constants.h>

#include <algorithm>
#include <limits>

#include "common/check.cuh"
#include "common/resources.cuh"
#include "gram/tile.cuh"
#include "knn/knn.cuh"
#include "lwnet/backend.hpp"

namespace lwnet::cuda {

namespace {

constexpr int kQueriesPerBlock = 128;
constexpr int kRefTile = 64;
constexpr int kFeatureTile = 16;
constexpr int kMaxK = Backend::kMaxKnn;
constexpr int kBlocksPerSm = 4;
constexpr std::int64_t kMinRefsPerSplit = 1024;
constexpr std::int64_t kMaxSplits = 65535;
constexpr std::int64_t kNoIndex = std::numeric_limits<std::int64_t>::max();

__device__ __forceinline__ bool before(float da, std::int64_t ia, float db, std::int64_t ib) {
  return da < db || (da == db && ia < ib);
}

__global__ void __launch_bounds__(kQueriesPerBlock)
    knn_split_kernel(const float* Q, std::int64_t ldq, std::int64_t m, const float* R, std::int64_t ldr,
                     std::int64_t n, std::int64_t d, int k, std::int64_t refs_per_split, float* part_distance,
                     std::int64_t* part_index) {
  __shared__ float tile[kFeatureTile][kRefTile];
  const std::int64_t q = static_cast<std::int64_t>(blockIdx.x) * kQueriesPerBlock + threadIdx.x;
  const bool active = q < m;
  const std::int64_t split = blockIdx.y;
  const std::int64_t r_begin = split * refs_per_split;
  const std::int64_t r_end = min(n, r_begin + refs_per_split);

  float best_distance[kMaxK];
  std::int64_t best_index[kMaxK];
  for (int j = 0; j < k; ++j) {
    best_distance[j] = CUDART_INF_F;
    best_index[j] = kNoIndex;
  }

  for (std::int64_t r0 = r_begin; r0 < r_end; r0 += kRefTile) {
    float acc[kRefTile];
#pragma unroll
    for (int j = 0; j < kRefTile; ++j) acc[j] = 0.0f;
    for (std::int64_t f0 = 0; f0 < d; f0 += kFeatureTile) {
      for (int e = static_cast<int>(threadIdx.x); e < kRefTile * kFeatureTile; e += kQueriesPerBlock) {
        const int j = e / kFeatureTile;
        const int f = e % kFeatureTile;
        const std::int64_t row = r0 + j;
        const std::int64_t feat = f0 + f;
        tile[f][j] = (row < r_end && feat < d) ? R[row * ldr + feat] : 0.0f;
      }
      __syncthreads();
      const int features = static_cast<int>(min(static_cast<std::int64_t>(kFeatureTile), d - f0));
      for (int f = 0; f < features; ++f) {
        const float qf = active ? Q[q * ldq + f0 + f] : 0.0f;
#pragma unroll
        for (int j = 0; j < kRefTile; ++j) {
          const float diff = qf - tile[f][j];
          acc[j] = fmaf(diff, diff, acc[j]);
        }
      }
      __syncthreads();
    }
    if (!active) continue;
#pragma unroll
    for (int j = 0; j < kRefTile; ++j) {
      const std::int64_t r = r0 + j;
      const float dist = acc[j];
      // Empty slots are (+inf, kNoIndex): a distance that overflowed to +inf still fills them.
      if (r >= r_end || !before(dist, r, best_distance[k - 1], best_index[k - 1])) continue;
      int pos = k - 1;  // candidates come in increasing index: equal distances stay behind
      while (pos > 0 && before(dist, r, best_distance[pos - 1], best_index[pos - 1])) {
        best_distance[pos] = best_distance[pos - 1];
        best_index[pos] = best_index[pos - 1];
        --pos;
      }
      best_distance[pos] = dist;
      best_index[pos] = r;
    }
  }
  if (!active) return;
  const std::int64_t base = (split * m + q) * k;
  for (int j = 0; j < k; ++j) {
    part_distance[base + j] = best_distance[j];
    part_index[base + j] = best_index[j];
  }
}

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
  const std::int64_t query_blocks = ceil_div(m, kQueriesPerBlock);
  const std::int64_t target = static_cast<std::int64_t>(kBlocksPerSm) * ctx.sm_count();
  const std::int64_t max_splits = std::max<std::int64_t>(1, std::min(kMaxSplits, n / kMinRefsPerSplit));
  std::int64_t splits = std::clamp<std::int64_t>(ceil_div(target, query_blocks), 1, max_splits);
  const std::int64_t refs_per_split = ceil_div(n, splits);
  splits = ceil_div(n, refs_per_split);

  const auto entries = static_cast<std::size_t>(splits * m * k);
  DeviceBuffer<float> part_distance(entries, stream);
  DeviceBuffer<std::int64_t> part_index(entries, stream);
  const dim3 grid(static_cast<unsigned>(query_blocks), static_cast<unsigned>(splits));
  knn_split_kernel<<<grid, kQueriesPerBlock, 0, stream>>>(queries.data(), queries.ld(), m, reference.data(),
                                                          reference.ld(), n, queries.cols(), k, refs_per_split,
                                                          part_distance.data(), part_index.data());
  LWNET_CUDA_CHECK_LAUNCH("knn_split_kernel", stream);
  DeviceBuffer<int> cursor(static_cast<std::size_t>(splits * m), stream);
  LWNET_CUDA_CHECK(cudaMemsetAsync(cursor.data(), 0, cursor.size() * sizeof(int), stream));
  constexpr int kMergeThreads = 128;
  knn_merge_kernel<<<static_cast<unsigned>(ceil_div(m, kMergeThreads)), kMergeThreads, 0, stream>>>(
      part_distance.data(), part_index.data(), cursor.data(), splits, m, k, indices.data(), indices.ld(),
      sq_distances.data(), sq_distances.ld());
  LWNET_CUDA_CHECK_LAUNCH("knn_merge_kernel", stream);
}

}  // namespace lwnet::cuda
