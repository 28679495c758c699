// Tiles of kernel values on the CPU: the map step of every kernel primitive — the materialised
// Gram matrix, the fused K.B product, the pair sum, random features and k-NN — each of which then
// reduces the tile its own way. A tile is K(Z[z0 : z0+tm], X[x0 : x0+tn]) in float32.
#pragma once

#include "cpu/cpu_isa.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/thread_pool.hpp"
#include "lwnet/detail/kernel_constants.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

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

// k[a * ldk + b] = sum_f fma(z_f - x_f, z_f - x_f, acc) over the features in order, for Z row
// z0 + a and X row x0 + b: the exact squared distance k-NN ranks by (the CUDA kernel's
// arithmetic, and no norms identity, so no cancellation). Operands as for compute_tile.
void squared_difference_tile(const TileOperand& Z, std::int64_t z0, std::int64_t tm, const TileOperand& X,
                             std::int64_t x0, std::int64_t tn, float* k, std::int64_t ldk);

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// The tiles of an m x n problem (Z rows x X rows), numbered row-block-major: task t is Z rows
// [z0, z0 + tm) against X rows [x0, x0 + tn). The primitives whose tiles reduce independently
// (Gram, pair sums, random features) run one pool task per tile; the K.B product and k-NN walk
// a block's tiles in order themselves, because their sums depend on that order.
class TileGrid {
 public:
  struct Span {
    std::int64_t z0, tm, x0, tn;
  };

  TileGrid(std::int64_t m, std::int64_t n) : m_(m), n_(n), x_tiles_(ceil_div(n, kTileCols)) {}
  std::int64_t tasks() const { return ceil_div(m_, kTileRows) * x_tiles_; }
  Span span(std::int64_t task) const {
    const std::int64_t z0 = task / x_tiles_ * kTileRows;
    const std::int64_t x0 = task % x_tiles_ * kTileCols;
    return {z0, std::min(kTileRows, m_ - z0), x0, std::min(kTileCols, n_ - x0)};
  }

 private:
  std::int64_t m_, n_, x_tiles_;
};

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
