// Tiles of kernel values on the CPU: the building block of the materialised Gram matrix, the
// fused K.B product and the pair sum. A tile is K(Z[z0 : z0+tm], X[x0 : x0+tn]) in float32.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/thread_pool.hpp"
#include "lwnet/detail/kernel_constants.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet::cpu {

// Tile extents: a 64 x 256 float tile (64 KiB) stays in L2 while it is consumed.
constexpr std::int64_t kTileRows = 64;   // rows of Z per tile
constexpr std::int64_t kTileCols = 256;  // rows of X per tile

// Squared row norms ||x_i||^2 (accumulated in double, stored as float), zero-padded to a whole
// number of tiles so vector loads past the last row read zeros.
std::vector<float> row_sq_norms(const MatrixView<const float>& X, ThreadPool& pool);

// One side of a tile computation: the matrix, for norm-based kernels its row norms, and on the X
// side its tiles transposed once for all Z blocks (compute_tile needs them).
struct TileOperand {
  enum class Side { z, x };
  MatrixView<const float> rows;
  std::vector<float> norms;       // empty unless the kernel uses norms
  std::vector<float> transposed;  // X side: tile t is (d, kTileCols) at t * d * kTileCols, zero beyond the last row

  TileOperand(const MatrixView<const float>& m, const detail::KernelConstants& kc, ThreadPool& pool,
              Side side = Side::z);
};

// Which row of X is Z row a itself: such pairs get exactly k = 1 (distance 0).
struct SelfPairs {
  std::int64_t offset = detail::kNoSelfPairs;  // Z row a is X row a + offset (kNoSelfPairs: none)
  const std::int64_t* rows = nullptr;          // when set: X row of Z row a, or -1 (overrides offset)

  static SelfPairs none() { return {}; }
  static SelfPairs at_offset(std::int64_t offset) { return {offset, nullptr}; }
  std::int64_t x_row(std::int64_t a) const {
    if (rows != nullptr) return rows[a];
    return offset == detail::kNoSelfPairs ? -1 : a + offset;
  }
};

// k[a * ldk + b] = tile value for Z row z0 + a and X row x0 + b, a < tm, b < tn.
// Every value is one float32 chain over the features in order, then the kernel's finish; it
// depends only on the two rows, never on the thread, the tile extents or the BLAS in use.
void compute_tile(const detail::KernelConstants& kc, const TileOperand& Z, std::int64_t z0,
                  std::int64_t tm, const TileOperand& X, std::int64_t x0, std::int64_t tn,
                  const SelfPairs& self, float* k, std::int64_t ldk);

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace lwnet::cpu
