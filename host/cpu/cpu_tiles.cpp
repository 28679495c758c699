// Kernel-value tiles on the CPU. Dot-based kernels (gaussian via the norms identity, linear,
// polynomial) take z.x from a transposed-X loop for few features and from BLAS sgemm otherwise;
// the laplacian kernel accumulates |z - x|. The elementwise finish is written so gcc vectorises it.
#include "cpu/cpu_tiles.hpp"

#include <algorithm>
#include <cmath>

#include "cpu/blas_lapack.hpp"
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

// xt (d, tn) = X[x0 : x0 + tn]^T, so inner loops run over contiguous X rows.
void transpose_block(const MatrixView<const float>& X, std::int64_t x0, std::int64_t tn,
                     std::vector<float>& xt) {
  const std::int64_t d = X.cols();
  xt.resize(static_cast<std::size_t>(d * tn));
  for (std::int64_t b = 0; b < tn; ++b) {
    const float* x = X.data() + (x0 + b) * X.ld();
    for (std::int64_t k = 0; k < d; ++k) xt[static_cast<std::size_t>(k * tn + b)] = x[k];
  }
}

// k[a][b] = sum_f term(z_af, x_bf) over the features, through X's block transposed so the inner
// loop runs over contiguous memory.
template <class Term>
void feature_sum_tile(const MatrixView<const float>& Z, std::int64_t z0, std::int64_t tm,
                      const MatrixView<const float>& X, std::int64_t x0, std::int64_t tn, float* k,
                      std::int64_t ldk, TileScratch& scratch, Term term) {
  const std::int64_t d = Z.cols();
  transpose_block(X, x0, tn, scratch.x_transposed);
  const float* xt = scratch.x_transposed.data();
  for (std::int64_t a = 0; a < tm; ++a) {
    const float* z = Z.data() + (z0 + a) * Z.ld();
    float* row = k + a * ldk;
    std::fill(row, row + tn, 0.0f);
    for (std::int64_t f = 0; f < d; ++f) {
      const float zf = z[f];
      const float* xf = xt + f * tn;
#pragma omp simd
      for (std::int64_t b = 0; b < tn; ++b) row[b] += term(zf, xf[b]);
    }
  }
}

// k = Z_blk X_blk^T (tm x tn): the transposed loop for few features, BLAS sgemm otherwise.
void dot_tile(const MatrixView<const float>& Z, std::int64_t z0, std::int64_t tm,
              const MatrixView<const float>& X, std::int64_t x0, std::int64_t tn, float* k,
              std::int64_t ldk, TileScratch& scratch) {
  const std::int64_t d = Z.cols();
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
  feature_sum_tile(Z, z0, tm, X, x0, tn, k, ldk, scratch, [](float z, float x) { return z * x; });
}

// k = sum_f |z_f - x_f| (tm x tn).
void l1_tile(const MatrixView<const float>& Z, std::int64_t z0, std::int64_t tm,
             const MatrixView<const float>& X, std::int64_t x0, std::int64_t tn, float* k,
             std::int64_t ldk, TileScratch& scratch) {
  feature_sum_tile(Z, z0, tm, X, x0, tn, k, ldk, scratch, [](float z, float x) { return std::fabs(z - x); });
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
    l1_tile(Z.rows, z0, tm, X.rows, x0, tn, k, ldk, scratch);
    for (std::int64_t a = 0; a < tm; ++a) {
      float* row = k + a * ldk;
#pragma omp simd
      for (std::int64_t b = 0; b < tn; ++b) row[b] = detail::exp_nonpositive(kc.neg_inv_sigma * row[b]);
    }
    return;  // identical rows give an L1 distance of exactly 0: no self-pair fix needed
  }

  dot_tile(Z.rows, z0, tm, X.rows, x0, tn, k, ldk, scratch);
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
    // Self-pairs: distance exactly 0 (cancellation in the norms identity leaves a residue).
    if (self_offset != detail::kNoSelfPairs &&
        (kc.op == TileOp::gaussian || kc.op == TileOp::squared_distance)) {
      const std::int64_t b = z0 + a + self_offset - x0;
      if (b >= 0 && b < tn) row[b] = kc.op == TileOp::gaussian ? 1.0f : 0.0f;
    }
  }
}

}  // namespace lwnet::cpu
