// Kernel-value tiles on the CPU. Every kernel is a sum over the features (z.x for the
// dot-based kernels, |z - x| for the laplacian) taken by a register-blocked loop over X transposed,
// then finished (exponential, clamp, power) while the sums are still in registers. No BLAS: a
// BLAS library may split and order a GEMM differently from one thread count (or one CPU kernel
// choice, OPENBLAS_CORETYPE) to another, and every value here must be the same bits whatever runs it.
#include "cpu/cpu_tiles.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "cpu/simd.hpp"
#include "core/vector_exp.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

using detail::KernelConstants;
using detail::TileOp;

std::vector<float> row_sq_norms(const MatrixView<const float>& X, ThreadPool& pool) {
  std::vector<float> norms(static_cast<std::size_t>(ceil_div(X.rows(), kTileCols) * kTileCols), 0.0f);
  const std::int64_t d = X.cols();
  parallel_for(pool, X.rows(), kTileCols, d, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const float* x = X.data() + i * X.ld();
      double s = 0.0;
      for (std::int64_t k = 0; k < d; ++k) s += static_cast<double>(x[k]) * x[k];
      norms[static_cast<std::size_t>(i)] = static_cast<float>(s);
    }
  });
  return norms;
}

namespace {

// A register block of the feature loop: kBlockRows rows of Z by kBlockVectors vectors of X, as
// many accumulators as the vector registers allow: AVX-512 has 32 (6 x 4 + 4 loads + 1 splat;
// 1.5x over 4 rows at d = 784 on an EPYC, docs/PERFORMANCE.md), AVX2 16. The block shape never
// changes a value.
#if defined(__AVX512F__)
constexpr int kBlockRows = 6;
#else
constexpr int kBlockRows = 4;
#endif
constexpr int kBlockVectors = 4;
constexpr std::int64_t kBlockCols = kBlockVectors * simd::kLanes;
static_assert(kTileCols % kBlockCols == 0, "whole register blocks in a tile");

// xt (d, ldx) = X[x0 : x0 + tn]^T, zero beyond column tn, so inner loops run over contiguous X
// rows in whole register blocks.
void transpose_block(const MatrixView<const float>& X, std::int64_t x0, std::int64_t tn, std::int64_t ldx,
                     float* xt) {
  const std::int64_t d = X.cols();
  std::fill(xt, xt + d * ldx, 0.0f);
  for (std::int64_t b = 0; b < tn; ++b) {
    const float* x = X.data() + (x0 + b) * X.ld();
    for (std::int64_t k = 0; k < d; ++k) xt[k * ldx + b] = x[k];
  }
}

}  // namespace

TileOperand::TileOperand(const MatrixView<const float>& m, const KernelConstants& kc, ThreadPool& pool, Side side)
    : rows(m), norms(kc.uses_norms() ? row_sq_norms(m, pool) : std::vector<float>()) {
  if (side != Side::x) return;
  const std::int64_t tiles = ceil_div(m.rows(), kTileCols);
  const std::int64_t tile_size = m.cols() * kTileCols;
  transposed.resize(static_cast<std::size_t>(tiles * tile_size));
  parallel_for(pool, tiles, 1, tile_size, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t t = begin; t < end; ++t)
      transpose_block(m, t * kTileCols, std::min(kTileCols, m.rows() - t * kTileCols), kTileCols,
                      transposed.data() + t * tile_size);
  });
}

namespace {

// X[x0 : x0 + tn]^T, the operand's own transposed tile (leading dimension kTileCols).
const float* transposed_x(const TileOperand& X, std::int64_t x0) {
  if (X.transposed.empty() || x0 % kTileCols != 0)
    throw std::logic_error("compute_tile: the X operand must be an X-side TileOperand used at tile starts");
  return X.transposed.data() + (x0 / kTileCols) * X.rows.cols() * kTileCols;
}

// How one feature adds into a sum: z x (dot-based kernels), |z - x| (laplacian), and
// fma(z - x, z - x, acc) (the exact squared distance k-NN ranks by).
constexpr auto add_product = [](simd::Vec acc, simd::Vec z, simd::Vec x) { return simd::fma(z, x, acc); };
constexpr auto add_abs_difference = [](simd::Vec acc, simd::Vec z, simd::Vec x) { return acc + simd::abs(z - x); };
constexpr auto add_squared_difference = [](simd::Vec acc, simd::Vec z, simd::Vec x) {
  const simd::Vec diff = z - x;
  return simd::fma(diff, diff, acc);
};
constexpr auto unchanged = [](std::int64_t, std::int64_t, simd::Vec v) { return v; };


// k[a][b] = finish(a, b, the sum over the features in order of z_af and x_bf by `add`), through
// X's block transposed; finish maps a vector of sums for columns b..b+7 of row a while it is
// still in registers.
// Each (a, b) is one chain of float32 additions in feature order, whichever block it falls in:
// short row blocks repeat their last row and short column blocks read zero padding, and the
// extra results are discarded, so a value never depends on the tile's extents.
template <class Add, class Finish>
void feature_sum_tile(const MatrixView<const float>& Z, std::int64_t z0, std::int64_t tm,
                      const TileOperand& X, std::int64_t x0, std::int64_t tn, float* k,
                      std::int64_t ldk, Add add, Finish finish) {
  const std::int64_t d = Z.cols();
  const std::int64_t tn_padded = simd::round_up(tn, kBlockCols);
  const std::int64_t ldx = kTileCols;
  const float* xt = transposed_x(X, x0);
  for (std::int64_t a0 = 0; a0 < tm; a0 += kBlockRows) {
    const float* z[kBlockRows];
    for (int r = 0; r < kBlockRows; ++r) z[r] = Z.data() + (z0 + std::min<std::int64_t>(a0 + r, tm - 1)) * Z.ld();
    const int rows = static_cast<int>(std::min<std::int64_t>(kBlockRows, tm - a0));
    for (std::int64_t b0 = 0; b0 < tn_padded; b0 += kBlockCols) {
      simd::Vec acc[kBlockRows][kBlockVectors] = {};
      for (std::int64_t f = 0; f < d; ++f) {
        const float* xf = xt + f * ldx + b0;
        simd::Vec x[kBlockVectors];
        for (int v = 0; v < kBlockVectors; ++v) x[v] = simd::load(xf + v * simd::kLanes);
        for (int r = 0; r < kBlockRows; ++r) {
          const simd::Vec zf = simd::splat(z[r][f]);
          for (int v = 0; v < kBlockVectors; ++v) acc[r][v] = add(acc[r][v], zf, x[v]);
        }
      }
      const std::int64_t cols = std::min(kBlockCols, tn - b0);
      for (int r = 0; r < rows; ++r)
        for (int v = 0; v < kBlockVectors; ++v) acc[r][v] = finish(a0 + r, b0 + v * simd::kLanes, acc[r][v]);
      for (int r = 0; r < rows; ++r) {
        float* row = k + (a0 + r) * ldk + b0;
        if (cols == kBlockCols) {
          for (int v = 0; v < kBlockVectors; ++v) simd::store(row + v * simd::kLanes, acc[r][v]);
        } else {
          float block[kBlockCols];
          for (int v = 0; v < kBlockVectors; ++v) simd::store(block + v * simd::kLanes, acc[r][v]);
          std::copy(block, block + cols, row);
        }
      }
    }
  }
}

// Self-pairs: distance exactly 0 (cancellation in the norms identity leaves a residue).
void fix_self_pairs(const KernelConstants& kc, std::int64_t z0, std::int64_t tm, std::int64_t x0, std::int64_t tn,
                    const SelfPairs& self, float* k, std::int64_t ldk) {
  if (kc.op != TileOp::gaussian && kc.op != TileOp::squared_distance) return;
  if (self.rows == nullptr && self.offset == detail::kNoSelfPairs) return;
  for (std::int64_t a = 0; a < tm; ++a) {
    const std::int64_t x_row = self.x_row(z0 + a);
    if (x_row < 0) continue;
    const std::int64_t b = x_row - x0;
    if (b >= 0 && b < tn) k[a * ldk + b] = kc.op == TileOp::gaussian ? 1.0f : 0.0f;
  }
}

// ||z||^2 + ||x||^2 - 2 z.x clamped at 0, lane by lane, as detail::clamped_sq_distance.
inline simd::Vec clamped_sq_distance(simd::Vec z_norm, simd::Vec x_norm, simd::Vec dot) {
  const simd::Vec d2 = z_norm + x_norm - 2.0f * dot;
  return d2 > 0.0f ? d2 : simd::Vec{};
}

// base^degree with base = gamma dot + coef0 (one rounding, as on the GPU), by repeated squaring
// in the order of detail::int_pow.
inline simd::Vec polynomial(const KernelConstants& kc, simd::Vec dot) {
  simd::Vec x = simd::fma(simd::splat(kc.gamma), dot, simd::splat(kc.coef0));
  simd::Vec result = simd::splat(1.0f);
  for (int p = kc.degree; p > 0; p >>= 1) {
    if (p & 1) result = result * x;
    x = x * x;
  }
  return result;
}

}  // namespace

void compute_tile(const KernelConstants& kc, const TileOperand& Z, std::int64_t z0, std::int64_t tm,
                  const TileOperand& X, std::int64_t x0, std::int64_t tn, const SelfPairs& self,
                  float* k, std::int64_t ldk) {
  const MatrixView<const float>& z = Z.rows;
  const auto tile = [&](auto add, auto finish) {
    feature_sum_tile(z, z0, tm, X, x0, tn, k, ldk, add, finish);
  };
  // Norms of this tile's rows; the X side is zero-padded to whole tiles, so a register block may
  // read past row tn.
  const auto norms_of = [&](std::int64_t a) { return simd::splat(Z.norms[static_cast<std::size_t>(z0 + a)]); };
  const auto x_norms = [&](std::int64_t b) { return simd::load(X.norms.data() + x0 + b); };
  switch (kc.op) {
    case TileOp::gaussian: {
      const simd::Vec scale = simd::splat(kc.neg_inv_two_sigma2);
      tile(add_product, [&](std::int64_t a, std::int64_t b, simd::Vec dot) {
        return simd::exp_nonpositive(scale * clamped_sq_distance(norms_of(a), x_norms(b), dot));
      });
      break;
    }
    case TileOp::squared_distance:
      tile(add_product, [&](std::int64_t a, std::int64_t b, simd::Vec dot) {
        return clamped_sq_distance(norms_of(a), x_norms(b), dot);
      });
      break;
    case TileOp::polynomial:
      tile(add_product, [&](std::int64_t, std::int64_t, simd::Vec dot) { return polynomial(kc, dot); });
      break;
    case TileOp::linear: tile(add_product, unchanged); break;
    case TileOp::laplacian: {
      // Identical rows give an L1 distance of exactly 0: no self-pair fix needed.
      const simd::Vec scale = simd::splat(kc.neg_inv_sigma);
      tile(add_abs_difference, [&](std::int64_t, std::int64_t, simd::Vec l1) { return simd::exp_nonpositive(scale * l1); });
      break;
    }
  }
  fix_self_pairs(kc, z0, tm, x0, tn, self, k, ldk);
}

void squared_difference_tile(const TileOperand& Z, std::int64_t z0, std::int64_t tm, const TileOperand& X,
                             std::int64_t x0, std::int64_t tn, float* k, std::int64_t ldk) {
  feature_sum_tile(Z.rows, z0, tm, X, x0, tn, k, ldk, add_squared_difference, unchanged);
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
