// Error bounds for out = K(Z, X) B computed in float32 (optionally with TF32 operands) and
// compared with the CPU backend. Per pair (i, j), with a = ||z_i|| + ||x_j||, u = 2^-23:
//   |d dist^2| <= 2 (2 v + v^2) ||z_i|| ||x_j||  +  (d + 4) u a^2
// (TF32 operand rounding v, then float32 dot products, norms and the distance formula; the same
// (d + 4) u a^2 covers summing (z_f - x_f)^2 directly, as v0 does), and
//   |d K_ij| <= K+_ij expm1(|d dist^2| / (2 sigma^2) + (4 + 2 t+_ij) u)
// (the scaling's rounding grows with the argument t = dist^2 / (2 sigma^2); expf is within 2 ulp),
// where K+ and t+ bound K and t from above using the CPU's own distances and their float32
// bound. Per (i, class k):
//   bound = sum_j |d K_ij| |B_jk| + (L + 1) u sum_j K+_ij |B_jk| + 2 n 2^-53 sum_j K+_ij |B_jk|
// with L the float32 run length of the K B sums; the reference's own bound (v = 0, L = 256) is
// added, since it too is a float32 computation. u = 2^-23 is twice float32's unit roundoff, so
// truncating hardware (tensor-core accumulation) is covered as well as round-to-nearest.
#include "accuracy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lwnet::bench {
namespace {

constexpr double kUnit = 0x1p-23;
constexpr double kTiny = 0x1p-125;  // per K: exponentials near the float32 underflow (denormal vs 0)
constexpr std::int64_t kChunk = 4096;  // X rows per CPU distance call: (rows, 4096) floats

std::vector<double> sq_norms(MatrixView<const float> A) {
  std::vector<double> out(static_cast<std::size_t>(A.rows()));
  for (std::int64_t i = 0; i < A.rows(); ++i) {
    double s = 0.0;
    for (std::int64_t f = 0; f < A.cols(); ++f) s += static_cast<double>(A(i, f)) * A(i, f);
    out[static_cast<std::size_t>(i)] = s;
  }
  return out;
}

}  // namespace

std::vector<Matrix<double>> error_bounds(Backend& cpu, MatrixView<const float> Z_sample,
                                         MatrixView<const float> X, MatrixView<const float> B, double sigma,
                                         const std::vector<RoundingModel>& models) {
  const std::int64_t rows = Z_sample.rows();
  const std::int64_t n = X.rows();
  const std::int64_t c = B.cols();
  const double d = static_cast<double>(X.cols());
  const double inv = 1.0 / (2.0 * sigma * sigma);
  const std::vector<double> z_norms = sq_norms(Z_sample);
  const std::vector<double> x_norms = sq_norms(X);
  const std::size_t q = models.size();
  const auto cells = static_cast<std::size_t>(rows * c);
  // sum_j |dK_ij| |B_jk| per model, the reference last; sum_j K+_ij |B_jk|.
  std::vector<std::vector<double>> sum_dk(q + 1, std::vector<double>(cells, 0.0));
  std::vector<double> sum_kb(cells, 0.0);
  std::vector<double> cross(q);
  for (std::size_t m = 0; m < q; ++m) {
    const double v = models[m].operand_rounding;
    cross[m] = 2.0 * (2.0 * v + v * v);
  }

  Matrix<float> dist = Matrix<float>::host(rows, kChunk);
  for (std::int64_t x0 = 0; x0 < n; x0 += kChunk) {
    const std::int64_t len = std::min(kChunk, n - x0);
    const MatrixView<float> D(dist.data(), rows, len, len);
    cpu.squared_distances(Z_sample, X.row_range(x0, len), D);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < rows; ++i) {
      std::vector<double> dk(q + 1);
      const double zn = z_norms[static_cast<std::size_t>(i)];
      for (std::int64_t jj = 0; jj < len; ++jj) {
        const std::int64_t j = x0 + jj;
        const double xn = x_norms[static_cast<std::size_t>(j)];
        const double a = std::sqrt(zn) + std::sqrt(xn);
        const double e32 = (d + 4.0) * kUnit * a * a;
        const double dist_cpu = D(i, jj);
        const double k_up = std::exp(-std::max(0.0, dist_cpu - e32) * inv);
        const double exp_err = (4.0 + 2.0 * (dist_cpu + e32) * inv) * kUnit;
        const double zx = std::sqrt(zn * xn);
        for (std::size_t m = 0; m < q; ++m) dk[m] = k_up * std::expm1((cross[m] * zx + e32) * inv + exp_err) + kTiny;
        dk[q] = k_up * std::expm1(e32 * inv + exp_err) + kTiny;
        for (std::int64_t k = 0; k < c; ++k) {
          const double b = std::fabs(static_cast<double>(B(j, k)));
          const auto cell = static_cast<std::size_t>(i * c + k);
          sum_kb[cell] += k_up * b;
          for (std::size_t m = 0; m <= q; ++m) sum_dk[m][cell] += dk[m] * b;
        }
      }
    }
  }

  const double float64_sums = 2.0 * static_cast<double>(n) * 0x1p-53;
  std::vector<Matrix<double>> bounds;
  for (std::size_t m = 0; m < q; ++m) {
    Matrix<double> bound = Matrix<double>::host(rows, c);
    const double runs = (models[m].sum_length + 1.0 + kCpuSumLength + 1.0) * kUnit + float64_sums;
    for (std::size_t cell = 0; cell < cells; ++cell)
      bound.data()[cell] = sum_dk[m][cell] + sum_dk[q][cell] + runs * sum_kb[cell];
    bounds.push_back(std::move(bound));
  }
  return bounds;
}

Comparison compare(MatrixView<const double> got, MatrixView<const double> reference,
                   MatrixView<const double> bound, const std::vector<std::int64_t>& rows) {
  Comparison r;
  r.passed = true;
  std::int64_t worst_i = -1;
  std::int64_t worst_k = 0;
  for (std::int64_t i = 0; i < got.rows(); ++i) {
    for (std::int64_t k = 0; k < got.cols(); ++k) {
      const double err = std::isfinite(got(i, k)) ? std::fabs(got(i, k) - reference(i, k)) : HUGE_VAL;
      const double b = bound(i, k);
      const double ratio = b > 0.0 ? err / b : (err == 0.0 ? 0.0 : HUGE_VAL);
      r.max_abs_error = std::max(r.max_abs_error, err);
      r.max_bound = std::max(r.max_bound, b);
      if (!(err <= b)) r.passed = false;
      if (worst_i < 0 || ratio > r.worst_ratio) {
        r.worst_ratio = ratio;
        worst_i = i;
        worst_k = k;
      }
    }
  }
  if (worst_i >= 0) {
    char line[200];
    std::snprintf(line, sizeof line, "Z row %lld class %lld: got %.17g, reference %.17g, bound %.3g",
                  static_cast<long long>(rows[static_cast<std::size_t>(worst_i)]),
                  static_cast<long long>(worst_k), got(worst_i, worst_k), reference(worst_i, worst_k),
                  bound(worst_i, worst_k));
    r.detail = line;
  }
  return r;
}

}  // namespace lwnet::bench
