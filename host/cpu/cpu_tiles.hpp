// Tiles of kernel values on the CPU: the building block of the materialised Gram matrix, the
// fused K.B product and the pair sum. A tile is K(Z[z0 : z0+tm], X[x0 : x0+tn]) in float32.
#pragma once

#include <cstdint>
#include <vector>

#include "lwnet/detail/kernel_constants.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet::cpu {

// Tile extents: a 64 x 256 float tile (64 KiB) stays in L2 while it is consumed.
constexpr std::int64_t kTileRows = 64;   // rows of Z per tile
constexpr std::int64_t kTileCols = 256;  // rows of X per tile
// Up to this many features a transposed-X loop beats a BLAS call per tile.
constexpr std::int64_t kDirectDotMaxFeatures = 32;

// Squared row norms ||x_i||^2 (accumulated in double, stored as float).
std::vector<float> row_sq_norms(const MatrixView<const float>& X, int threads);

// One side of a tile computation: the matrix, for norm-based kernels its row norms, and on the X
// side with few features its tiles transposed once for all Z blocks.
struct TileOperand {
  enum class Side { z, x };
  MatrixView<const float> rows;
  std::vector<float> norms;       // empty unless the kernel uses norms
  std::vector<float> transposed;  // X side, d <= kDirectDotMaxFeatures: tile t is (d, kTileCols)
                                  // at t * d * kTileCols, zero beyond the last row

  TileOperand(const MatrixView<const float>& m, const detail::KernelConstants& kc, int threads, Side side = Side::z);
};

// Per-thread working memory, reused across tiles.
struct TileScratch {
  std::vector<float> x_transposed;  // (d, tn rounded up to a register block)
  std::vector<float> power;         // (tn) polynomial powers
  std::vector<float> z_padded;      // (kTileRows, d) a short Z block, zero-padded for BLAS
  std::vector<float> k_padded;      // (kTileRows, tn) its products
};

// k[a * ldk + b] = tile value for Z row z0 + a and X row x0 + b, a < tm, b < tn.
// self_offset: Z row a is X row a + self_offset (detail::kNoSelfPairs when unrelated); such
// pairs get exactly k = 1 (distance 0).
void compute_tile(const detail::KernelConstants& kc, const TileOperand& Z, std::int64_t z0,
                  std::int64_t tm, const TileOperand& X, std::int64_t x0, std::int64_t tn,
                  std::int64_t self_offset, float* k, std::int64_t ldk, TileScratch& scratch);

// Below this much work (about one multiply-add per unit) an OpenMP region costs more than it
// saves: small problems run on the calling thread.
constexpr std::int64_t kMinParallelWork = std::int64_t{1} << 17;
inline bool worth_parallel(std::int64_t work) { return work >= kMinParallelWork; }

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace lwnet::cpu
