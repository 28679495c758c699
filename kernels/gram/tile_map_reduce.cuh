// The tile map-reduce skeleton: the one CUDA kernel behind the tile primitives of KernelOps.
//
// Every tile primitive visits the (Z row, X row) pairs of an m x n problem in 64 x 64 tiles,
// computes a value per pair (the MAP) and folds the tile into a result (the REDUCE). Only the
// two halves differ, so one kernel template, map_reduce_kernel<Map, Consumer>, owns the walk:
//
//   grid:   blockIdx.x = a block of kBlockRows Z rows (z0 = 64 blockIdx.x);
//           blockIdx.y = a range of X tiles. The n rows of X form ceil(n / 64) tiles, cut into
//           SPLITS of `tiles_per_split` consecutive tiles; grid row y walks the
//           `splits_per_block` consecutive splits from y * splits_per_block (TileSchedule).
//   block:  kThreads = 256 threads. Per tile, the map fills each thread's 4 x 4 register
//           micro-tile: entry (i, j) is the pair (z0 + micro_row(i), x0 + micro_col(j)).
//   order:  consumer.begin, then for each split of the block in order: consume_tile for each
//           of its tiles in increasing x0, then end_split; finally consumer.finish.
//
// A MAP (tile_maps.cuh) says what a pair's value is: KernelMap (a kernel matrix or squared
// distances from KernelConstants: accumulate + entry), ProductMap (the entrywise product of two
// kernel maps), SquaredDifferenceMap (k-NN's exact distances).
//
// A CONSUMER says what becomes of the values. It is a trivially copyable struct of parameters
// (output pointers, sizes), passed to the kernel by value, with
//   struct Shared {...};  its shared memory, one per block (may be empty)
//   struct State {...};   its per-thread state: registers, or local memory if indexed at run time
//   static constexpr int kMinBlocksPerSm;  resident blocks per SM the registers must allow
//                         (__launch_bounds__); 0: the compiler's choice
//   __device__ void begin(const TileBlock&, State&, Shared&) const;
//   __device__ void consume_tile(const TileBlock&, std::int64_t x0,
//                                const Value (&v)[kMicro][kMicro], State&, Shared&) const;
//   __device__ void end_split(const TileBlock&, std::int64_t split, State&, Shared&) const;
//   __device__ void finish(const TileBlock&, State&, Shared&) const;
// Today's consumers, each beside its entry function:
//   gram.cu           StoreTile     out(a, b) = v                         (launch_gram)
//   kernel_matmul.cu  TileTimesB    park v in shared memory, times B's tile rows; float32 per
//                                   tile, float64 per split and across splits (launch_kernel_matmul)
//   pair_sum.cu       BlockSum      float32 per thread and tile, float64 across tiles, one
//                                   float64 partial per block (kernel_pair_sum)
//   knn.cu            TopKPerRow    park v in shared memory; 4 threads per Z row keep top-k
//                                   lists over the tile's columns, merged at finish (knn)
//
// Rules a consumer must keep:
// - Every thread of the block runs every hook, and the skeleton's loops are the same for the
//   whole block, so hooks may contain __syncthreads and warp shuffles; a hook must not return
//   early from a path that holds a barrier (test "row < rows" around the work, not before it).
// - The map's staging buffers are its own. A consumer that parks v in its Shared for other
//   threads to read synchronises after writing and again after its last read of the tile (the
//   next consume_tile rewrites it).
// - Pairs outside m x n come as Value{} (zero); a consumer that stores or ranks values tests
//   the pair's row and column (block.rows, block.cols), one that sums may add the zeros.
// - Numerics are the consumer's and the schedule's: the skeleton fixes only the order above.
//   A result that must not depend on the batch (K.B: a row's sums depend on its own data and X
//   alone) needs a schedule that is a function of X, not of m or the device.
//
// Adding a reduction: write its Consumer in the .cu file of its entry function, pick (or add) a
// map, build a TileSchedule with make_schedule, call launch_map_reduce, and add any second pass
// over per-split partial results (K.B's sum_splits_kernel, k-NN's merge). Everything a reduction
// over pairs needs is at hand in consume_tile: the pair's row indices a = block.z0 +
// micro_row(i) and b = x0 + micro_col(j), its value v[i][j], and any per-row or per-pair data
// through the consumer's own pointers (staged into Shared once per tile if many threads read it).
// For example the kernel-matrix gradient dL/dz_a = sum_b G_ab k_ab (z_b - z_a) / sigma^2 is a
// consumer over KernelMap: it reads G_ab, parks w_ab = G_ab k_ab like TileTimesB parks k_ab, and
// per row a accumulates sum_b w_ab z_b (against X's staged tile rows) and sum_b w_ab.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "common/check.cuh"
#include "common/launch.cuh"
#include "gram/tile.cuh"
#include "gram/tile_maps.cuh"

namespace lwnet::cuda::tile {

// How a problem's X tiles are dealt out to the grid (see the header comment).
struct TileSchedule {
  std::int64_t z_blocks;          // gridDim.x: blocks of kBlockRows Z rows
  std::int64_t blocks_y;          // gridDim.y: ranges of splits
  std::int64_t tiles_per_split;   // consecutive X tiles per split, >= 1
  std::int64_t splits_per_block;  // consecutive splits per grid row, >= 1
};

// rows x cols pairs: every split but the last holds tiles_per_split tiles, and each grid row
// walks splits_per_block splits (the last fewer). Both counts are taken as at least 1.
inline TileSchedule make_schedule(std::int64_t rows, std::int64_t cols, std::int64_t tiles_per_split,
                                  std::int64_t splits_per_block) {
  tiles_per_split = std::max<std::int64_t>(tiles_per_split, 1);
  splits_per_block = std::max<std::int64_t>(splits_per_block, 1);
  const std::int64_t splits = ceil_div(ceil_div(cols, kBlockCols), tiles_per_split);
  // No X rows: one grid row still runs begin and finish (a sum's zero, an empty list).
  const std::int64_t blocks_y = std::max<std::int64_t>(ceil_div(splits, splits_per_block), 1);
  return TileSchedule{ceil_div(rows, kBlockRows), blocks_y, tiles_per_split, splits_per_block};
}

// What every hook knows about its block.
struct TileBlock {
  std::int64_t z0;        // first Z row of the block: kBlockRows * z_block
  std::int64_t rows;      // Z rows of the problem (m)
  std::int64_t cols;      // X rows of the problem (n)
  std::int64_t z_block;   // blockIdx.x
  std::int64_t z_blocks;  // gridDim.x
  std::int64_t x_range;   // blockIdx.y: which range of splits the block walks
};

// Consumer::kMinBlocksPerSm > 0 asks the compiler to keep registers low enough for that many
// resident blocks per SM; 0 leaves the choice to it (no .minnctapersm directive is emitted).
template <class Map, class Consumer>
__global__ void __launch_bounds__(kThreads, Consumer::kMinBlocksPerSm)
    map_reduce_kernel(Map map, Consumer consumer, TileSchedule schedule) {
  __shared__ Staging staging;
  __shared__ typename Consumer::Shared shared;
  const std::int64_t z_block = blockIdx.x;
  const TileBlock block{z_block * kBlockRows, map.rows(), map.cols(), z_block, gridDim.x, blockIdx.y};
  const std::int64_t tiles = ceil_div(block.cols, kBlockCols);

  typename Consumer::State state;
  consumer.begin(block, state, shared);
  const std::int64_t first_split = block.x_range * schedule.splits_per_block;
  for (std::int64_t split = first_split; split < first_split + schedule.splits_per_block; ++split) {
    const std::int64_t t_begin = split * schedule.tiles_per_split;
    if (t_begin >= tiles) break;
    const std::int64_t t_end = min(tiles, t_begin + schedule.tiles_per_split);
    for (std::int64_t t = t_begin; t < t_end; ++t) {
      const std::int64_t x0 = t * kBlockCols;
      typename Map::Value values[kMicro][kMicro];
      map(block.z0, x0, staging, values);
      consumer.consume_tile(block, x0, values, state, shared);
    }
    consumer.end_split(block, split, state, shared);
  }
  consumer.finish(block, state, shared);
}

// Launches map_reduce_kernel on `stream` and checks the launch (`name` names it in errors).
template <class Map, class Consumer>
void launch_map_reduce(const Map& map, const Consumer& consumer, const TileSchedule& schedule, cudaStream_t stream,
                       const char* name) {
  if (schedule.z_blocks > kMaxGridX || schedule.blocks_y > kMaxGridYZ)
    checks::throw_cuda_error(cudaErrorInvalidConfiguration, name, __FILE__, __LINE__);
  const dim3 grid(static_cast<unsigned>(schedule.z_blocks), static_cast<unsigned>(schedule.blocks_y));
  map_reduce_kernel<Map, Consumer><<<grid, kThreads, 0, stream>>>(map, consumer, schedule);
  LWNET_CUDA_CHECK_LAUNCH(name, stream);
}

}  // namespace lwnet::cuda::tile
