// Kernel-value tiles on the CPU. Dot-based kernels (gaussian via the norms identity, linear,
// polynomial) take z.x from a register-blocked loop over X transposed for few features and from
// BLAS sgemm otherwise;
// the laplacian kernel accumulates |z - x|. The elementwise finish is written so gcc vectorises it.
#include "cpu/cpu_tiles.hpp"

#include <algorithm>
#include <cmath>

#include "cpu/blas_lapack.hpp"
#include "cpu/simd.hpp"
#include "core/vector_exp.hpp"

namespace lwnet::cpu {

using detail::KernelConstants;
using detail::TileOp;

std::vector<float> row_sq_norms(const MatrixView<const float>& X, int threads) {
  std::vector<float> norms(static_cast<std::size_t>(X.rows()));
  const std::int64_t d = X.cols();
#pragma omp parallel for num_threads(threads) schedule(static) if (worth_parallel(X.rows() * d))
  for (std::int64_t i = 0; i < X.rows(); ++i) {
    const float* x = X.data() + i * X.ld();
    double s = 0.0;
    for (std::int64_t k = 0; k < d; ++k) s += static_cast<double>(x[k]) * x[k];
    norms[static_cast<std::size_t>(i)] = static_cast<float>(s);
  }
  return norms;
}

namespace {

// A register block of the feature loop: kBlockRows rows of Z by kBlockVectors vectors of X.
constexpr int kBlockRows = 4;
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

TileOperand::TileOperand(const MatrixView<const float>& m, const KernelConstants& kc, int threads, Side side)
    : rows(m), norms(kc.uses_norms() ? row_sq_norms(m, threads) : std::vector<float>()) {
  const bool feature_loop = m.cols() <= kDirectDotMaxFeatures || kc.op == TileOp::laplacian;
  if (side != Side::x || !feature_loop) return;
  const std::int64_t tiles = ceil_div(m.rows(), kTileCols);
  const std::int64_t tile_size = m.cols() * kTileCols;
  transposed.resize(static_cast<std::size_t>(tiles * tile_size));
#pragma omp parallel for num_threads(threads) schedule(static) if (worth_parallel(m.rows() * m.cols()))
  for (std::int64_t t = 0; t < tiles; ++t)
    transpose_block(m, t * kTileCols, std::min(kTileCols, m.rows() - t * kTileCols), kTileCols,
                    transposed.data() + t * tile_size);
}

namespace {

// X[x0 : x0 + tn]^T with its leading dimension: the operand's own tile when it has one, else
// transposed into scratch.
const float* transposed_x(const TileOperand& X, std::int64_t x0, std::int64_t tn, TileScratch& scratch,
                          std::int64_t& ldx) {
  const std::int64_t d = X.rows.cols();
  if (!X.transposed.empty() && x0 % kTileCols == 0) {
    ldx = kTileCols;
    return X.transposed.data() + (x0 / kTileCols) * d * kTileCols;
  }
  ldx = simd::round_up(tn, kBlockCols);
  scratch.x_transposed.resize(static_cast<std::size_t>(d * ldx));
  transpose_block(X.rows, x0, tn, ldx, scratch.x_transposed.data());
  return scratch.x_transposed.data();
}

constexpr auto multiply = [](simd::Vec z, simd::Vec x) { return z * x; };
constexpr auto unchanged = [](std::int64_t, std::int64_t, simd::Vec v) { return v; };


// k[a][b] = finish(a, b, sum_f term(z_af, x_bf)), the sum over the features in order, through
// X's block transposed; finish maps a vector of sums for columns b..b+7 of row a while it is
// still in registers.
// Each (a, b) is one chain of float32 additions in feature order, whichever block it falls in:
// short row blocks repeat their last row and short column blocks read zero padding, and the
// extra results are discarded, so a value never depends on the tile's extents.
template <class Term, class Finish>
void feature_sum_tile(const MatrixView<const float>& Z, std::int64_t z0, std::int64_t tm,
                      const TileOperand& X, std::int64_t x0, std::int64_t tn, float* k,
                      std::int64_t ldk, TileScratch& scratch, Term term, Finish finish) {
  const std::int64_t d = Z.cols();
  const std::int64_t tn_padded = simd::round_up(tn, kBlockCols);
  std::int64_t ldx = 0;
  const float* xt = transposed_x(X, x0, tn, scratch, ldx);
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
          for (int v = 0; v < kBlockVectors; ++v) acc[r][v] = acc[r][v] + term(zf, x[v]);
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

// k = Z_blk X_blk^T (tm x tn): the transposed loop for few features, BLAS sgemm otherwise.
void dot_tile(const MatrixView<const float>& Z, std::int64_t z0, std::int64_t tm,
              const TileOperand& x_op, std::int64_t x0, std::int64_t tn, float* k,
              std::int64_t ldk, TileScratch& scratch) {
  const std::int64_t d = Z.cols();
  const MatrixView<const float>& X = x_op.rows;
  if (d > kDirectDotMaxFeatures) {
    if (tm == kTileRows) {
      row_major_sgemm(false, true, tm, tn, d, 1.0f, Z.data() + z0 * Z.ld(), Z.ld(), X.data() + x0 * X.ld(),
                      X.ld(), 0.0f, k, ldk);
      return;
    }
    // A short block is padded to kTileRows rows: BLAS then runs the same shape, and so the same
    // summation order, for a row whatever the size of the batch around it.
    scratch.z_padded.assign(static_cast<std::size_t>(kTileRows * d), 0.0f);
    scratch.k_padded.resize(static_cast<std::size_t>(kTileRows * tn));
    for (std::int64_t a = 0; a < tm; ++a)
      std::copy(Z.data() + (z0 + a) * Z.ld(), Z.data() + (z0 + a) * Z.ld() + d, scratch.z_padded.data() + a * d);
    row_major_sgemm(false, true, kTileRows, tn, d, 1.0f, scratch.z_padded.data(), d, X.data() + x0 * X.ld(),
                    X.ld(), 0.0f, scratch.k_padded.data(), tn);
    for (std::int64_t a = 0; a < tm; ++a)
      std::copy(scratch.k_padded.data() + a * tn, scratch.k_padded.data() + (a + 1) * tn, k + a * ldk);
    return;
  }
  feature_sum_tile(Z, z0, tm, x_op, x0, tn, k, ldk, scratch, multiply, unchanged);
}

// k = exp(-|z - x|_1 / sigma) (tm x tn), the L1 distance summed in feature order.
void laplacian_tile(const KernelConstants& kc, const MatrixView<const float>& Z, std::int64_t z0, std::int64_t tm,
                    const TileOperand& X, std::int64_t x0, std::int64_t tn, float* k,
                    std::int64_t ldk, TileScratch& scratch) {
  const simd::Vec scale = simd::splat(kc.neg_inv_sigma);
  feature_sum_tile(
      Z, z0, tm, X, x0, tn, k, ldk, scratch, [](simd::Vec z, simd::Vec x) { return simd::abs(z - x); },
      [&](std::int64_t, std::int64_t, simd::Vec l1) { return simd::exp_nonpositive(scale * l1); });
}

// Self-pairs: distance exactly 0 (cancellation in the norms identity leaves a residue).
void fix_self_pairs(const KernelConstants& kc, std::int64_t z0, std::int64_t tm, std::int64_t x0, std::int64_t tn,
                    std::int64_t self_offset, float* k, std::int64_t ldk) {
  if (self_offset == detail::kNoSelfPairs || (kc.op != TileOp::gaussian && kc.op != TileOp::squared_distance))
    return;
  for (std::int64_t a = 0; a < tm; ++a) {
    const std::int64_t b = z0 + a + self_offset - x0;
    if (b >= 0 && b < tn) k[a * ldk + b] = kc.op == TileOp::gaussian ? 1.0f : 0.0f;
  }
}

// row[b] <- base^degree with base = gamma row[b] + coef0, by repeated squaring over the row.
void polynomial_row(const KernelConstants& kc, float* row, std::int64_t tn, std::vector<float>& power) {
  power.resize(static_cast<std::size_t>(tn));
  float* x = power.data();
#pragma omp simd
  for (std::int64_t b = 0; b < tn; ++b) {
    x[b] = std::fma(kc.gamma, row[b], kc.coef0);  // one rounding, as on the GPU
    row[b] = 1.0f;
  }
  for (int p = kc.degree; p > 0; p >>= 1) {
    if (p & 1) {
#pragma omp simd
      for (std::int64_t b = 0; b < tn; ++b) row[b] *= x[b];
    }
    if (p > 1) {
#pragma omp simd
      for (std::int64_t b = 0; b < tn; ++b) x[b] *= x[b];
    }
  }
}

}  // namespace

void compute_tile(const KernelConstants& kc, const TileOperand& Z, std::int64_t z0, std::int64_t tm,
                  const TileOperand& X, std::int64_t x0, std::int64_t tn, std::int64_t self_offset,
                  float* k, std::int64_t ldk, TileScratch& scratch) {
  if (kc.op == TileOp::laplacian) {
    // Identical rows give an L1 distance of exactly 0: no self-pair fix needed.
    laplacian_tile(kc, Z.rows, z0, tm, X, x0, tn, k, ldk, scratch);
    return;
  }
  dot_tile(Z.rows, z0, tm, X, x0, tn, k, ldk, scratch);
  for (std::int64_t a = 0; a < tm; ++a) {
    float* row = k + a * ldk;
    switch (kc.op) {
      case TileOp::gaussian: {
        const float nz = Z.norms[static_cast<std::size_t>(z0 + a)];
        const float* nx = X.norms.data() + x0;
        const float scale = kc.neg_inv_two_sigma2;
#pragma omp simd
        for (std::int64_t b = 0; b < tn; ++b)
          row[b] = detail::exp_nonpositive(scale * detail::clamped_sq_distance(nz, nx[b], row[b]));
        break;
      }
      case TileOp::squared_distance: {
        const float nz = Z.norms[static_cast<std::size_t>(z0 + a)];
        const float* nx = X.norms.data() + x0;
#pragma omp simd
        for (std::int64_t b = 0; b < tn; ++b) row[b] = detail::clamped_sq_distance(nz, nx[b], row[b]);
        break;
      }
      case TileOp::polynomial: polynomial_row(kc, row, tn, scratch.power); break;
      case TileOp::linear:
      case TileOp::laplacian: break;
    }
  }
  fix_self_pairs(kc, z0, tm, x0, tn, self_offset, k, ldk);
}

}  // namespace lwnet::cpu
