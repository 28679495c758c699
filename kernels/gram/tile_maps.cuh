// The "map" half of the tile map-reduce skeleton (tile_map_reduce.cuh): what the value of each
// (Z row, X row) pair of a 64 x 64 tile is. A map is a small trivially copyable struct, passed to
// the kernel by value, with
//   using Value = ...;                       // float, or Product below
//   __host__ __device__ std::int64_t rows() const;  // Z rows (the tile grid's rows)
//   __host__ __device__ std::int64_t cols() const;  // X rows (the tile grid's columns)
//   __device__ void operator()(std::int64_t z0, std::int64_t x0, Staging& s,
//                              Value (&v)[kMicro][kMicro]) const;
// operator() fills this thread's micro-tile: v[i][j] is the value of Z row z0 + micro_row(i)
// with X row x0 + micro_col(j), and Value{} (zero) where that pair lies outside rows() x cols().
// Every thread of the block calls it together (it synchronises through the staging buffers).
#pragma once

#include <cstdint>

#include "gram/tile.cuh"
#include "lwnet/detail/kernel_constants.hpp"

namespace lwnet::cuda::tile {

// A kernel matrix, or squared distances through norms: accumulate, then KernelConstants' finish
// (tile::entry), with exact self-pairs where Z row a is X row a + self_offset.
template <Accumulate kMode>
struct KernelMap {
  static_assert(kMode != Accumulate::squared_difference, "kernel finishes take dot products or L1 sums");
  using Value = float;

  detail::KernelConstants kc;
  Operand z;
  Operand x;
  std::int64_t d;            // features
  std::int64_t self_offset;  // detail::kNoSelfPairs when Z and X are not rows of one matrix

  __host__ __device__ std::int64_t rows() const { return z.rows; }
  __host__ __device__ std::int64_t cols() const { return x.rows; }

  __device__ __forceinline__ void operator()(std::int64_t z0, std::int64_t x0, Staging& s,
                                             Value (&v)[kMicro][kMicro]) const {
    float acc[kMicro][kMicro];
    accumulate<kMode>(z, z0, x, x0, d, s, acc);
#pragma unroll
    for (int i = 0; i < kMicro; ++i)
#pragma unroll
      for (int j = 0; j < kMicro; ++j) v[i][j] = entry(kc, z, z0, x, x0, self_offset, acc[i][j], i, j);
  }
};

// The value of a ProductMap entry, a * b, left unevaluated: a consumer that sums the products
// adds each with one rounding, s = fmaf(a, b, s) (what the pair sum has always computed).
struct Product {
  float a;
  float b;
};

// s + v for a sum of map values; a Product is fused into the sum.
__device__ __forceinline__ float add_value(float s, float v) { return s + v; }
__device__ __forceinline__ float add_value(float s, Product p) { return fmaf(p.a, p.b, s); }

// The entrywise product of two kernel maps over the same (row, row) pairs, e.g. kx(x_a, x_b) and
// ky(y_a, y_b) for the pair sum. Both maps must have the same rows() and cols().
template <class MapA, class MapB>
struct ProductMap {
  using Value = Product;

  MapA a;
  MapB b;

  __host__ __device__ std::int64_t rows() const { return a.rows(); }
  __host__ __device__ std::int64_t cols() const { return a.cols(); }

  __device__ __forceinline__ void operator()(std::int64_t z0, std::int64_t x0, Staging& s,
                                             Value (&v)[kMicro][kMicro]) const {
    typename MapA::Value va[kMicro][kMicro];
    typename MapB::Value vb[kMicro][kMicro];
    a(z0, x0, s, va);
    b(z0, x0, s, vb);
#pragma unroll
    for (int i = 0; i < kMicro; ++i)
#pragma unroll
      for (int j = 0; j < kMicro; ++j) v[i][j] = Product{va[i][j], vb[i][j]};
  }
};

// Exact squared Euclidean distances sum_f (z_f - x_f)^2, fmaf in feature order, no norms: k-NN's
// distances, equal to the CPU backend's bit for bit. A row with itself gives 0 by arithmetic.
struct SquaredDifferenceMap {
  using Value = float;

  Operand z;  // norms unused
  Operand x;
  std::int64_t d;

  __host__ __device__ std::int64_t rows() const { return z.rows; }
  __host__ __device__ std::int64_t cols() const { return x.rows; }

  __device__ __forceinline__ void operator()(std::int64_t z0, std::int64_t x0, Staging& s,
                                             Value (&v)[kMicro][kMicro]) const {
    float acc[kMicro][kMicro];
    accumulate<Accumulate::squared_difference>(z, z0, x, x0, d, s, acc);
#pragma unroll
    for (int i = 0; i < kMicro; ++i)
#pragma unroll
      for (int j = 0; j < kMicro; ++j) {
        const bool inside = z0 + micro_row(i) < z.rows && x0 + micro_col(j) < x.rows;
        v[i][j] = inside ? acc[i][j] : 0.0f;
      }
  }
};

// Calls f(map) with the KernelMap whose accumulation kc's finish expects (dot products and
// norms, or L1 distances): the one run-time choice of accumulation, made on the host.
template <class F>
void with_kernel_map(const detail::KernelConstants& kc, const Operand& z, const Operand& x, std::int64_t d,
                     std::int64_t self_offset, F&& f) {
  if (kc.uses_dot())
    f(KernelMap<Accumulate::dot>{kc, z, x, d, self_offset});
  else
    f(KernelMap<Accumulate::l1>{kc, z, x, d, self_offset});
}

}  // namespace lwnet::cuda::tile
