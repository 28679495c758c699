// Rounding-error bounds for lwnet's float32 computations, derived once here and used by both the
// oracle tests (one backend vs the exact value) and the parity tests (twice the bound: each
// backend is within it of the exact value). Standard model: each float32 operation has relative
// error <= u = 2^-24; a float32 sum or dot product of k terms has error <= gamma_k sum |terms|,
// gamma_k = k u / (1 - k u), whatever the summation order (Higham, Accuracy and Stability, 3.1).
// The bounds are worst cases: the typical error is ~sqrt(k) times smaller, and any algorithmic
// mistake (a wrong formula, a missed term, a wrong index) is orders of magnitude larger.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "lwnet/kernels.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet::test {

constexpr double kU32 = 0x1p-24;  // unit roundoff of float32 (half an ulp of 1)
constexpr double kU64 = 0x1p-53;  // unit roundoff of float64

inline double gamma32(double k) { return k * kU32 / (1.0 - k * kU32); }
inline double gamma64(double k) { return k * kU64 / (1.0 - k * kU64); }

// Terms summed in float32 before a float64 accumulation: the CPU's tile has 256 X rows
// (cpu::kTileCols; test_kernel_matmul.cpp asserts it), the CUDA tile 64; the larger one bounds both.
constexpr double kTileSumTerms = 256.0;

// exp(x) for x <= 0: the CPU's vector exp is documented at about 2 ulp, CUDA's expf at 2 ulp;
// 2 ulp of a value in (0, 1] is at most 4 u relative. Twice that for margin.
constexpr double kExpRelError = 8.0 * kU32;
// cos: glibc cosf is within 1 ulp, CUDA's cosf within 2 ulp; |cos| <= 1 so 2 ulp <= 2 u absolute.
// Twice that for margin.
constexpr double kCosAbsError = 4.0 * kU32;

// Largest squared row norm ||x_i||^2 (float64).
inline double max_sq_norm(MatrixView<const float> X) {
  double m = 0.0;
  for (std::int64_t i = 0; i < X.rows(); ++i) {
    double s = 0.0;
    for (std::int64_t k = 0; k < X.cols(); ++k) s += static_cast<double>(X(i, k)) * X(i, k);
    m = std::max(m, s);
  }
  return m;
}

// Error of one squared distance through the norms identity nz + nx - 2 z.x in float32:
// each norm accumulated in float64 (both backends) and rounded once to float (u each), the dot product gamma_d sum|z_k x_k| <= gamma_d
// sqrt(nz nx) <= gamma_d (nz + nx) / 2 (doubled by the factor 2), the two additions u each on
// values <= 2 (nz + nx). Total <= (4 u + gamma_d) (nz + nx); with FMA (CUDA) it only shrinks.
// The clamp at 0 can only reduce the error.
inline double sq_distance_error(std::int64_t d, double max_sq_norm_z, double max_sq_norm_x) {
  return (4.0 * kU32 + gamma32(static_cast<double>(d))) * (max_sq_norm_z + max_sq_norm_x);
}

// Upper bound on |k(z, x)| over the data.
inline double kernel_max_abs(const GramParams& p, double max_sq_norm_z, double max_sq_norm_x) {
  const double dot = std::sqrt(max_sq_norm_z * max_sq_norm_x);  // Cauchy-Schwarz
  switch (p.kind) {
    case KernelKind::gaussian:
    case KernelKind::laplacian: return 1.0;
    case KernelKind::linear: return dot;
    case KernelKind::polynomial: return std::pow(std::fabs(p.gamma) * dot + std::fabs(p.coef0), p.degree);
  }
  return INFINITY;
}

// Absolute error of one float32 kernel value k(z, x), z and x float32 rows of d features.
//   gaussian: k = exp(c d2), c = -1/(2 s^2) rounded to float (u) and the product (u): the
//     argument's error is |c| delta_d2 + 2 u |c d2|; k's error <= k (|c| delta_d2 + 2u |c d2|)
//     + exp's error; k |c d2| = t e^-t <= 1/e and k <= 1.
//   laplacian: the L1 sum of d rounded |z - x| has error gamma_{d+1} L1; argument error
//     (gamma_{d+1} + 2u) L1 / s, times k: <= (gamma_{d+1} + 2u) / e, plus exp's error.
//   linear: gamma_d sqrt(nz nx).
//   polynomial: base b = g z.x + c0 with |b| <= B; its error delta_b <= |g| (gamma_d + u)
//     sqrt(nz nx) + 2u B (the product, the addition, and g, c0 rounded to float); b^p by
//     repeated squaring (<= 2 log2 p + 1 products) adds gamma_{2 log2 p + 1} B^p relative, and the
//     input error propagates as p (B + delta_b)^(p-1) delta_b.
inline double kernel_entry_error(const GramParams& p, std::int64_t d, double max_sq_norm_z,
                                 double max_sq_norm_x) {
  const double dd = static_cast<double>(d);
  switch (p.kind) {
    case KernelKind::gaussian: {
      const double c = 1.0 / (2.0 * p.sigma * p.sigma);
      return c * sq_distance_error(d, max_sq_norm_z, max_sq_norm_x) + 2.0 * kU32 / M_E + kExpRelError;
    }
    case KernelKind::laplacian: return (gamma32(dd + 1.0) + 2.0 * kU32) / M_E + kExpRelError;
    case KernelKind::linear: return gamma32(dd) * std::sqrt(max_sq_norm_z * max_sq_norm_x);
    case KernelKind::polynomial: {
      const double dot = std::sqrt(max_sq_norm_z * max_sq_norm_x);
      const double base = std::fabs(p.gamma) * dot + std::fabs(p.coef0);
      const double db = std::fabs(p.gamma) * (gamma32(dd) + kU32) * dot + 2.0 * kU32 * base;
      const double mults = 2.0 * std::ceil(std::log2(static_cast<double>(p.degree))) + 1.0;
      return p.degree * std::pow(base + db, p.degree - 1) * db + gamma32(mults) * std::pow(base, p.degree);
    }
  }
  return INFINITY;
}

// Everything a bound on sums of kernel values needs: the entry error and |k|'s bound.
struct KernelErrorModel {
  double entry = 0.0;  // absolute error of one float32 kernel value
  double max_abs = 0.0;  // bound on |k|
};

inline KernelErrorModel kernel_error_model(const GramParams& p, MatrixView<const float> Z,
                                           MatrixView<const float> X) {
  const double nz = max_sq_norm(Z);
  const double nx = max_sq_norm(X);
  return {kernel_entry_error(p, Z.cols(), nz, nx), kernel_max_abs(p, nz, nx)};
}

// One output of K(Z, X) B: sum_i k_ai B_ij with each k_ai off by `entry`, products summed in
// float32 within a tile (gamma_{tile+1}, the product included), tiles added in float64 (gamma64
// of the number of terms). b_abs_sum = max_j sum_i |B_ij|. A float output adds u relative (the
// caller's rel_tol).
inline double kernel_matmul_error(const KernelErrorModel& k, double b_abs_sum, std::int64_t n) {
  return b_abs_sum * (k.entry + (gamma32(kTileSumTerms + 1.0) + gamma64(static_cast<double>(n))) * k.max_abs);
}

// HSIC against labels (ops/hsic.cpp): M = K [Y 1] (every |B| <= 1), so each entry of M is off by
// at most e_M = kernel_matmul_error(k, n, n). hsic = sum_j s_j - 2 p_j t_j + p_j^2 T with s_j a sum of
// n_j entries of M, t_j and T sums of n: its error <= sum_j (n_j + 2 p_j n + p_j^2 n) e_M <= 4 n e_M.
// Squared centred norms: sum K^2 from a K_sq pass (n e_Msq); ||K1||^2 has error <= 2 sum_i |K1_i|
// e_M <= 2 n^2 kmax e_M, divided by n (code) or doubled over n (textbook); (1'K1)^2 / n^2 adds
// 2 (n^2 kmax)(n e_M) / n^2. Textbook total n e_Msq + 6 n kmax e_M bounds both variants.
struct HsicErrorBound {
  double hsic = 0.0;     // on tr(K H L H)
  double norm_sq = 0.0;  // on ||HK||_F^2 or ||HKH||_F^2
};

inline HsicErrorBound hsic_labels_error(const KernelErrorModel& k, const KernelErrorModel& k_squared,
                                        std::int64_t n) {
  const double nd = static_cast<double>(n);
  const double e_m = kernel_matmul_error(k, nd, n);
  const double e_msq = kernel_matmul_error(k_squared, nd, n);
  return {4.0 * nd * e_m, nd * e_msq + 6.0 * nd * k.max_abs * e_m};
}

// Normalised HSIC h / (a b) from h, a^2, b^2 with errors dh, da2, db2 (first order):
// dh / (a b) + |h / (a b)| (da2 / (2 a^2) + db2 / (2 b^2)).
inline double normalized_hsic_error(double dh, double norm_k, double dk2, double norm_l, double dl2, double value) {
  return dh / (norm_k * norm_l) + std::fabs(value) * (dk2 / (2.0 * norm_k * norm_k) + dl2 / (2.0 * norm_l * norm_l));
}

// General streamed HSIC (ops/hsic.cpp): sum K o L - 2/n (K1).(L1) + (1'K1)(1'L1)/n^2.
// kernel_pair_sum: n^2 products k l, each off by e_k lmax + e_l kmax + u kmax lmax, summed in
// float32 tile rows (gamma_{tile}) and float64 across; the two other terms add
// 3 n (e_Mk lmax + kmax e_Ml) (as for the labels case, with row sums off by e_M).
inline double pair_sum_error(const KernelErrorModel& kx, const KernelErrorModel& ky, std::int64_t n) {
  const double nd = static_cast<double>(n);
  return nd * nd *
         (kx.entry * ky.max_abs + ky.entry * kx.max_abs +
          (gamma32(kTileSumTerms + 1.0) + gamma64(nd * nd)) * kx.max_abs * ky.max_abs);
}

inline double hsic_general_error(const KernelErrorModel& kx, const KernelErrorModel& ky, std::int64_t n) {
  const double nd = static_cast<double>(n);
  const double e_mk = kernel_matmul_error(kx, nd, n);
  const double e_ml = kernel_matmul_error(ky, nd, n);
  return pair_sum_error(kx, ky, n) + 3.0 * nd * (e_mk * ky.max_abs + kx.max_abs * e_ml);
}

inline double centred_norm_sq_error(const KernelErrorModel& k, const KernelErrorModel& k_squared, std::int64_t n) {
  return hsic_labels_error(k, k_squared, n).norm_sq;
}

// sqrt(q) from q off by dq: |sqrt(q + dq) - sqrt(q)| <= min(sqrt(dq), dq / sqrt(q)).
inline double sqrt_error(double q, double dq) {
  return q > 0.0 ? std::min(std::sqrt(dq), dq / std::sqrt(q)) : std::sqrt(dq);
}

// Median of pairwise distances from float32 squared distances (each off by at most delta): an
// order statistic moves by at most the largest perturbation (delta on the squares), then sqrt.
inline double median_distance_error(std::int64_t d, double max_sq_norm_x, double lower_middle_sq) {
  const double delta = sq_distance_error(d, max_sq_norm_x, max_sq_norm_x);
  return sqrt_error(lower_middle_sq, delta) + 4.0 * kU64 * std::sqrt(lower_middle_sq + delta);
}

// Random Fourier features sqrt(2/D) cos(x.omega / s + b): the sgemm's dot product has error
// gamma_d S (S = max_j sum_k |x_k omega_kj|), times the float 1/s (u) and the product (u); adding b
// rounds on |arg| + |b| <= S/s + 2 pi; cos adds kCosAbsError; the scale (rounded) and the final
// product add 2 u. |cos'| <= 1, so out's error <= scale ((gamma_d + 2u) S/s + u (S/s + 2 pi)
// + kCosAbsError) + 2 u scale.
inline double rff_error(std::int64_t d, std::int64_t features, double abs_dot_max, double sigma) {
  const double scale = std::sqrt(2.0 / static_cast<double>(features));
  const double s = abs_dot_max / sigma;
  return scale * ((gamma32(static_cast<double>(d)) + 3.0 * kU32) * s + kU32 * 2.0 * M_PI + kCosAbsError + 2.0 * kU32);
}

// LAPACK's own test suite accepts a scaled residual ||residual|| / (n ||A|| ulp) below 30
// (THRESH in the LAPACK testing input files); ulp = 2u for float32.
constexpr double kLapackThreshold = 30.0;
inline double lapack_tolerance(std::int64_t n, double norm_a) {
  return kLapackThreshold * static_cast<double>(std::max<std::int64_t>(n, 1)) * 2.0 * kU32 * norm_a;
}

}  // namespace lwnet::test
