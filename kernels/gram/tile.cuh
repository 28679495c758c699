// Device-side tiles of pair values, the arithmetic shared by every tile map (tile_maps.cuh) of
// the map-reduce skeleton (tile_map_reduce.cuh). A block of kThreads threads computes a
// kBlockRows x kBlockCols tile of z.x, sum |z - x| or sum (z - x)^2: features are staged through
// shared memory kDepth at a time, and each thread owns a 4 x 4 register micro-tile at rows
// ty + 16 i, columns tx + 16 j (strided, so that shared-memory reads are broadcasts or
// conflict-free). Indices into the data are 64-bit.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "common/host_device.cuh"
#include "lwnet/detail/kernel_constants.hpp"

namespace lwnet::cuda {

__host__ __device__ inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace lwnet::cuda

namespace lwnet::cuda::tile {

constexpr int kBlockRows = 64;  // Z rows per tile
constexpr int kBlockCols = 64;  // X rows per tile
constexpr int kDepth = 16;      // features per shared-memory stage
constexpr int kThreads = 256;   // 16 x 16 threads
constexpr int kMicro = 4;       // each thread: kMicro x kMicro entries
constexpr int kThreadsPerDim = 16;
static_assert(kThreadsPerDim * kMicro == kBlockRows && kThreadsPerDim * kMicro == kBlockCols, "tile shape");
static_assert(kThreadsPerDim * kThreadsPerDim == kThreads, "thread layout");

// One side of a tile: rows of a row-major matrix and, for norm-based kernels, their squared norms.
struct Operand {
  const float* data;
  std::int64_t ld;
  std::int64_t rows;
  const float* norms;  // nullptr unless the kernel uses norms
};

// Staging buffers: feature-major so a thread's reads along its rows are broadcasts. The +1 pad
// spreads the transposing stores over the banks.
struct Staging {
  float z[kDepth][kBlockRows + 1];
  float x[kDepth][kBlockCols + 1];
};

__device__ __forceinline__ int thread_col() { return static_cast<int>(threadIdx.x) % kThreadsPerDim; }
__device__ __forceinline__ int thread_row() { return static_cast<int>(threadIdx.x) / kThreadsPerDim; }

// Loads rows [row0, row0 + 64) x features [f0, f0 + kDepth) of `m` into dst (zero outside).
__device__ __forceinline__ void stage(const Operand& m, std::int64_t row0, std::int64_t f0, std::int64_t d,
                                      float (*dst)[kBlockRows + 1]) {
  for (int e = static_cast<int>(threadIdx.x); e < kBlockRows * kDepth; e += kThreads) {
    const int r = e / kDepth;
    const int f = e % kDepth;
    const std::int64_t row = row0 + r;
    const std::int64_t feat = f0 + f;
    dst[f][r] = (row < m.rows && feat < d) ? m.data[row * m.ld + feat] : 0.0f;
  }
}

// How accumulate combines a Z row with an X row, feature by feature in feature order. Features
// past d are staged as zeros on both sides; for the distance modes those terms are exact no-ops
// (fmaf(+0, +0, acc) and acc + 0 give back the acc >= +0 they add to), so a distance is the sum
// over the d real features alone.
enum class Accumulate {
  dot,                 // acc = fmaf(z_f, x_f, acc)
  l1,                  // acc = acc + |z_f - x_f|
  squared_difference,  // acc = fmaf(z_f - x_f, z_f - x_f, acc): the exact squared distance of
                       // k-NN, the CPU backend's arithmetic (host/cpu/cpu_knn.cpp) bit for bit
};

// This thread's micro-tile entry (i, j) lies at Z row z0 + micro_row(i), X row x0 + micro_col(j).
__device__ __forceinline__ int micro_row(int i) { return thread_row() + kThreadsPerDim * i; }
__device__ __forceinline__ int micro_col(int j) { return thread_col() + kThreadsPerDim * j; }

// acc[i][j] = sum_f Z(z0 + micro_row(i), f) (op) X(x0 + micro_col(j), f), op by kMode. Entries
// outside Z's or X's rows hold values of zero-staged rows: callers must not use them.
// Every thread of the block must call it (it synchronises).
template <Accumulate kMode>
__device__ __forceinline__ void accumulate(const Operand& Z, std::int64_t z0, const Operand& X,
                                           std::int64_t x0, std::int64_t d, Staging& s,
                                           float (&acc)[kMicro][kMicro]) {
#pragma unroll
  for (int i = 0; i < kMicro; ++i)
#pragma unroll
    for (int j = 0; j < kMicro; ++j) acc[i][j] = 0.0f;
  const int tx = thread_col();
  const int ty = thread_row();
  for (std::int64_t f0 = 0; f0 < d; f0 += kDepth) {
    stage(Z, z0, f0, d, s.z);
    stage(X, x0, f0, d, s.x);
    __syncthreads();
#pragma unroll
    for (int f = 0; f < kDepth; ++f) {
      float a[kMicro];
      float b[kMicro];
#pragma unroll
      for (int i = 0; i < kMicro; ++i) a[i] = s.z[f][ty + kThreadsPerDim * i];
#pragma unroll
      for (int j = 0; j < kMicro; ++j) b[j] = s.x[f][tx + kThreadsPerDim * j];
#pragma unroll
      for (int i = 0; i < kMicro; ++i)
#pragma unroll
        for (int j = 0; j < kMicro; ++j) {
          if constexpr (kMode == Accumulate::dot) {
            acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
          } else if constexpr (kMode == Accumulate::l1) {
            acc[i][j] = acc[i][j] + fabsf(a[i] - b[j]);
          } else {
            const float diff = a[i] - b[j];
            acc[i][j] = fmaf(diff, diff, acc[i][j]);
          }
        }
    }
    __syncthreads();
  }
}

// The tile value from the accumulated dot product (or L1 distance). `self`: the pair is a row
// with itself, whose distance is exactly 0.
__device__ __forceinline__ float finish(const detail::KernelConstants& kc, float acc, float z_norm,
                                        float x_norm, bool self) {
  switch (kc.op) {
    case detail::TileOp::gaussian:
      return self ? 1.0f : expf(kc.neg_inv_two_sigma2 * detail::clamped_sq_distance(z_norm, x_norm, acc));
    case detail::TileOp::squared_distance:
      return self ? 0.0f : detail::clamped_sq_distance(z_norm, x_norm, acc);
    case detail::TileOp::linear: return acc;
    case detail::TileOp::polynomial:  // one rounding, as on the CPU
      return detail::int_pow(fmaf(kc.gamma, acc, kc.coef0), kc.degree);
    case detail::TileOp::laplacian: return expf(kc.neg_inv_sigma * acc);
  }
  return 0.0f;
}

// The finished value of micro-tile entry (i, j); 0 outside the matrices.
__device__ __forceinline__ float entry(const detail::KernelConstants& kc, const Operand& Z, std::int64_t z0,
                                       const Operand& X, std::int64_t x0, std::int64_t self_offset,
                                       float acc, int i, int j) {
  const std::int64_t row = z0 + micro_row(i);
  const std::int64_t col = x0 + micro_col(j);
  if (row >= Z.rows || col >= X.rows) return 0.0f;
  const bool self = self_offset != detail::kNoSelfPairs && row + self_offset == col;
  const float zn = Z.norms != nullptr ? Z.norms[row] : 0.0f;
  const float xn = X.norms != nullptr ? X.norms[col] : 0.0f;
  return finish(kc, acc, zn, xn, self);
}

}  // namespace lwnet::cuda::tile
