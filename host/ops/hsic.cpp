// HSIC and normalised HSIC through fused K.B products (spec section 0). No n x n buffer.
//
// Against labels, with M = K [Y 1] (n x (c+1), float64):
//   s_j = y_j' K y_j = sum_i Y_ij M_ij,  t_j = 1' K y_j = sum_i M_ij,  T = 1'K1,  ||K1||^2
//   hsic = sum_j b_j' K b_j = sum_j s_j - 2 (n_j/n) t_j + (n_j/n)^2 T      (b_j = y_j - n_j/n 1)
// Norms: ||HK||^2 = sum K^2 - ||K1||^2/n;  ||HKH||^2 = sum K^2 - 2||K1||^2/n + T^2/n^2. Against
// labels, sum K^2 comes from the same pass as M (kernel_matmul_with_squares); in general HSIC it
// is 1' K_sq 1 with K_sq the squared kernel (one more fused pass).
// Centering is done on the float64 scalars, so B holds exact 0/1 values.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/validate.hpp"
#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"

namespace lwnet {

namespace {

// Below this fraction of sum K^2, the centred energy ||HK||^2 is within float32 rounding of the
// kernel values (about 1e-7 relative each): the kernel is constant on the data as far as float32
// can tell, and its normalised HSIC is reported as 0.
constexpr double kConstantKernelFraction = 1e-5;

Matrix<float> ones_column(Backend& backend, std::int64_t n) {
  Matrix<float> host = Matrix<float>::host(n, 1);
  std::fill(host.data(), host.data() + n, 1.0f);
  return backend.upload(host.cview());
}

// The scalars normalised HSIC needs from one kernel matrix.
struct KernelSums {
  double total = 0.0;          // 1' K 1
  double row_sum_sq = 0.0;     // ||K 1||^2
  double squared_total = 0.0;  // sum_ij K_ij^2 (only when normalising)
  bool exact = false;          // values known exactly (the labels' kernel), not float32-rounded
};

// Normalising needs the squared kernel (twice a polynomial's degree, sigma / sqrt 2, ...): reject
// parameters whose square is out of range before any work is done.
void validate_squared(const GramParams& params, HsicNormalization normalization, const char* op) {
  if (normalization == HsicNormalization::none) return;
  validate(squared_kernel(params), std::string(op) + " (normalising uses the squared kernel " +
                                       to_string(squared_kernel(params)) + ")");
}

// ||HK||^2 or ||HKH||^2 from the sums (clamped at 0: rounding may leave a tiny negative).
double centred_norm_sq(const KernelSums& s, double n, HsicNormalization normalization) {
  double v = normalization == HsicNormalization::code
                 ? s.squared_total - s.row_sum_sq / n
                 : s.squared_total - 2.0 * s.row_sum_sq / n + s.total * s.total / (n * n);
  return std::max(v, 0.0);
}

bool numerically_constant(const KernelSums& s, double norm_sq) {
  return norm_sq <= (s.exact ? 0.0 : kConstantKernelFraction * s.squared_total);
}

HsicResult finish(double hsic, const KernelSums& k, const KernelSums& l, double n,
                  HsicNormalization normalization, const char* op) {
  HsicResult r;
  r.hsic = hsic;
  r.normalization = normalization;
  r.normalized = hsic;
  if (normalization == HsicNormalization::none) return r;
  const double k_sq = centred_norm_sq(k, n, normalization);
  const double l_sq = centred_norm_sq(l, n, normalization);
  r.norm_k = std::sqrt(k_sq);
  r.norm_l = std::sqrt(l_sq);
  const bool k_constant = numerically_constant(k, k_sq);
  const bool l_constant = numerically_constant(l, l_sq);
  r.constant_kernel = k_constant || l_constant;
  r.normalized = r.constant_kernel ? 0.0 : hsic / (r.norm_k * r.norm_l);
  if (!std::isfinite(r.normalized))
    throw NumericalError(std::string(op) + ": normalised HSIC is not finite");
  return r;
}

}  // namespace

HsicResult hsic_labels(Backend& backend, MatrixView<const float> X, const Labels& labels,
                       const GramParams& params, HsicNormalization normalization) {
  const char* op = "hsic_labels";
  validate(params, op);
  validate_squared(params, normalization, op);
  detail::check_nonempty(op, "X", X);
  backend.require_finite(op, "X", X);
  labels.validate(X.rows(), op);
  const std::int64_t n = X.rows();
  const std::int64_t c = labels.num_classes;
  const auto counts = labels.class_counts();

  // Labels' side in closed form: sum n_j^2, sum n_j^3.
  double sum_n2 = 0.0;
  double sum_n3 = 0.0;
  for (auto nj : counts) {
    sum_n2 += static_cast<double>(nj) * static_cast<double>(nj);
    sum_n3 += static_cast<double>(nj) * static_cast<double>(nj) * static_cast<double>(nj);
  }
  if (normalization != HsicNormalization::none && std::count_if(counts.begin(), counts.end(), [](auto v) { return v > 0; }) < 2)
    throw InvalidArgument(std::string(op) +
                          ": all samples have the same label; normalised HSIC needs at least two classes");

  // B = [Y 1] (n x (c+1)), exact 0/1; Y again in float64 for the s_j dot products.
  Matrix<float> b_host = Matrix<float>::host(n, c + 1);
  Matrix<double> y_host = Matrix<double>::host(n, c);
  for (std::int64_t i = 0; i < n; ++i) {
    b_host(i, labels.y[static_cast<std::size_t>(i)]) = 1.0f;
    b_host(i, c) = 1.0f;
    y_host(i, labels.y[static_cast<std::size_t>(i)]) = 1.0;
  }
  const Matrix<float> B = backend.upload(b_host.cview());
  const Matrix<double> Y = backend.upload(y_host.cview());
  Matrix<double> M = backend.allocate<double>(n, c + 1);
  Matrix<double> squares = backend.allocate<double>(n, 1);
  if (normalization == HsicNormalization::none)
    backend.kernel_matmul(X, X, B.cview(), params, M.view());
  else
    backend.kernel_matmul_with_squares(X, X, B.cview(), params, M.view(), squares.view());

  const MatrixView<const double> m_view = M.cview();
  const auto s = backend.column_dots(m_view.col_range(0, c), Y.cview());
  const auto t = backend.column_sums(m_view);
  const auto k1 = m_view.col_range(c, 1);
  KernelSums k;
  k.total = t[static_cast<std::size_t>(c)];
  k.row_sum_sq = backend.column_dots(k1, k1)[0];

  const double nd = static_cast<double>(n);
  double hsic = 0.0;
  for (std::int64_t j = 0; j < c; ++j) {
    const double p = static_cast<double>(counts[static_cast<std::size_t>(j)]) / nd;
    hsic += s[static_cast<std::size_t>(j)] - 2.0 * p * t[static_cast<std::size_t>(j)] + p * p * k.total;
  }

  KernelSums l;
  l.squared_total = sum_n2;
  l.row_sum_sq = sum_n3;
  l.total = sum_n2;
  l.exact = true;
  if (normalization != HsicNormalization::none) k.squared_total = backend.column_sums(squares.cview())[0];
  return finish(hsic, k, l, nd, normalization, op);
}

HsicResult hsic(Backend& backend, MatrixView<const float> X, const GramParams& x_params,
                MatrixView<const float> Y, const GramParams& y_params,
                HsicNormalization normalization) {
  const char* op = "hsic";
  validate(x_params, op);
  validate(y_params, op);
  validate_squared(x_params, normalization, op);
  validate_squared(y_params, normalization, op);
  detail::check_nonempty(op, "X", X);
  detail::check_nonempty(op, "Y", Y);
  backend.require_finite(op, "X", X);
  backend.require_finite(op, "Y", Y);
  if (X.rows() != Y.rows())
    detail::fail(op, "X and Y must have one row per sample each", {detail::named("X", X), detail::named("Y", Y)});
  const std::int64_t n = X.rows();
  const Matrix<float> ones = ones_column(backend, n);

  // Row sums K1 and L1 (float64), and the row sums of K^2 and L^2 from the same passes.
  Matrix<double> k1 = backend.allocate<double>(n, 1);
  Matrix<double> l1 = backend.allocate<double>(n, 1);
  Matrix<double> k_sq = backend.allocate<double>(n, 1);
  Matrix<double> l_sq = backend.allocate<double>(n, 1);
  const bool normalize = normalization != HsicNormalization::none;
  if (normalize) {
    backend.kernel_matmul_with_squares(X, X, ones.cview(), x_params, k1.view(), k_sq.view());
    backend.kernel_matmul_with_squares(Y, Y, ones.cview(), y_params, l1.view(), l_sq.view());
  } else {
    backend.kernel_matmul(X, X, ones.cview(), x_params, k1.view());
    backend.kernel_matmul(Y, Y, ones.cview(), y_params, l1.view());
  }

  KernelSums k;
  KernelSums l;
  k.total = backend.column_sums(k1.cview())[0];
  l.total = backend.column_sums(l1.cview())[0];
  k.row_sum_sq = backend.column_dots(k1.cview(), k1.cview())[0];
  l.row_sum_sq = backend.column_dots(l1.cview(), l1.cview())[0];
  const double cross = backend.column_dots(k1.cview(), l1.cview())[0];
  const double sum_kl = backend.kernel_pair_sum(X, x_params, Y, y_params);
  const double nd = static_cast<double>(n);
  const double value = sum_kl - 2.0 * cross / nd + k.total * l.total / (nd * nd);

  if (normalize) {
    k.squared_total = backend.column_sums(k_sq.cview())[0];
    l.squared_total = backend.column_sums(l_sq.cview())[0];
  }
  return finish(value, k, l, nd, normalization, op);
}

HsicResult hsic_from_grams(Backend& backend, MatrixView<const float> K, MatrixView<const float> L,
                           HsicNormalization normalization) {
  const char* op = "hsic_from_grams";
  detail::check_nonempty(op, "K", K);
  detail::check_nonempty(op, "L", L);
  if (K.rows() != K.cols() || L.rows() != L.cols() || K.rows() != L.rows())
    detail::fail(op, "K and L must be square and of the same size", {detail::named("K", K), detail::named("L", L)});
  if (backend.count_nonfinite(K) != 0 || backend.count_nonfinite(L) != 0)
    detail::fail(op, "K and L must be finite", {detail::named("K", K), detail::named("L", L)});
  const double n = static_cast<double>(K.rows());
  // Symmetric K, L: column sums are the row sums K1, L1.
  const auto k1 = backend.column_sums(K);
  const auto l1 = backend.column_sums(L);
  const auto kl = backend.column_dots(K, L);
  const auto kk = backend.column_dots(K, K);
  const auto ll = backend.column_dots(L, L);
  KernelSums k;
  KernelSums l;
  double cross = 0.0;
  double sum_kl = 0.0;
  for (std::size_t i = 0; i < k1.size(); ++i) {
    k.total += k1[i];
    l.total += l1[i];
    k.row_sum_sq += k1[i] * k1[i];
    l.row_sum_sq += l1[i] * l1[i];
    cross += k1[i] * l1[i];
    sum_kl += kl[i];
    k.squared_total += kk[i];
    l.squared_total += ll[i];
  }
  const double value = sum_kl - 2.0 * cross / n + k.total * l.total / (n * n);
  return finish(value, k, l, n, normalization, op);
}

}  // namespace lwnet
