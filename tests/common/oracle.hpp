// The float64 oracle: every quantity lwnet computes, written again here from its definition with
// plain loops in double, sharing no code with the library (spec section 0). Inputs are the same
// float32 host data the backend sees, promoted exactly to double, so the oracle's answer is the
// exact result up to float64 rounding.
//   kernels: gaussian exp(-||a-b||^2 / (2 s^2)), linear a.b, polynomial (g a.b + c0)^p,
//            laplacian exp(-||a-b||_1 / s)
//   HSIC:    tr(K H L H) with H = I - 11'/n built as a matrix (hsic_explicit, O(n^3), small n)
//            or centred through row/column means (hsic_centered, O(n^2)); normalised by
//            ||HK||_F ||HL||_F (code) or ||HKH||_F ||HLH||_F (textbook), each norm formed from
//            the centred matrix itself.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "expect_close.hpp"
#include "lwnet/kernels.hpp"
#include "lwnet/matrix.hpp"
#include "lwnet/ops.hpp"

namespace lwnet::test::oracle {

inline DMat from_view(MatrixView<const float> m) {
  DMat out(m.rows(), m.cols());
  for (std::int64_t i = 0; i < m.rows(); ++i)
    for (std::int64_t j = 0; j < m.cols(); ++j) out(i, j) = m(i, j);
  return out;
}

inline double sq_distance(const float* a, const float* b, std::int64_t d) {
  double s = 0.0;
  for (std::int64_t k = 0; k < d; ++k) {
    const double t = static_cast<double>(a[k]) - static_cast<double>(b[k]);
    s += t * t;
  }
  return s;
}

inline double kernel(const GramParams& p, const float* a, const float* b, std::int64_t d) {
  switch (p.kind) {
    case KernelKind::gaussian: return std::exp(-sq_distance(a, b, d) / (2.0 * p.sigma * p.sigma));
    case KernelKind::laplacian: {
      double l1 = 0.0;
      for (std::int64_t k = 0; k < d; ++k) l1 += std::fabs(static_cast<double>(a[k]) - static_cast<double>(b[k]));
      return std::exp(-l1 / p.sigma);
    }
    case KernelKind::linear:
    case KernelKind::polynomial: {
      double dot = 0.0;
      for (std::int64_t k = 0; k < d; ++k) dot += static_cast<double>(a[k]) * static_cast<double>(b[k]);
      if (p.kind == KernelKind::linear) return dot;
      return std::pow(p.gamma * dot + p.coef0, p.degree);
    }
  }
  return NAN;
}

inline const float* row(MatrixView<const float> m, std::int64_t i) { return m.data() + i * m.ld(); }

inline DMat squared_distances(MatrixView<const float> Z, MatrixView<const float> X) {
  DMat out(Z.rows(), X.rows());
  for (std::int64_t a = 0; a < Z.rows(); ++a)
    for (std::int64_t b = 0; b < X.rows(); ++b) out(a, b) = sq_distance(row(Z, a), row(X, b), Z.cols());
  return out;
}

inline DMat gram(MatrixView<const float> Z, MatrixView<const float> X, const GramParams& p) {
  DMat out(Z.rows(), X.rows());
  for (std::int64_t a = 0; a < Z.rows(); ++a)
    for (std::int64_t b = 0; b < X.rows(); ++b) out(a, b) = kernel(p, row(Z, a), row(X, b), Z.cols());
  return out;
}

inline DMat matmul(const DMat& A, const DMat& B) {
  DMat C(A.rows, B.cols);
  for (std::int64_t i = 0; i < A.rows; ++i)
    for (std::int64_t k = 0; k < A.cols; ++k) {
      const double a = A(i, k);
      for (std::int64_t j = 0; j < B.cols; ++j) C(i, j) += a * B(k, j);
    }
  return C;
}

inline DMat transpose(const DMat& A) {
  DMat T(A.cols, A.rows);
  for (std::int64_t i = 0; i < A.rows; ++i)
    for (std::int64_t j = 0; j < A.cols; ++j) T(j, i) = A(i, j);
  return T;
}

inline DMat abs_of(const DMat& A) {
  DMat out = A;
  for (auto& v : out.v) v = std::fabs(v);
  return out;
}

inline double max_abs(const DMat& A) {
  double m = 0.0;
  for (double v : A.v) m = std::max(m, std::fabs(v));
  return m;
}

inline double frobenius(const DMat& A) {
  double s = 0.0;
  for (double v : A.v) s += v * v;
  return std::sqrt(s);
}

// K(Z, X) B.
inline DMat kernel_matmul(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                          const GramParams& p) {
  return matmul(gram(Z, X, p), from_view(B));
}

// sum_ij kx(x_i, x_j) ky(y_i, y_j).
inline double pair_sum(MatrixView<const float> X, const GramParams& px, MatrixView<const float> Y,
                       const GramParams& py) {
  const DMat K = gram(X, X, px);
  const DMat L = gram(Y, Y, py);
  double s = 0.0;
  for (std::size_t k = 0; k < K.v.size(); ++k) s += K.v[k] * L.v[k];
  return s;
}

// The linear kernel on one-hot labels, Y Y^T.
inline DMat label_gram(const Labels& labels) {
  const auto n = static_cast<std::int64_t>(labels.y.size());
  DMat L(n, n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      L(i, j) = labels.y[static_cast<std::size_t>(i)] == labels.y[static_cast<std::size_t>(j)] ? 1.0 : 0.0;
  return L;
}

struct Hsic {
  double hsic = 0.0;      // tr(K H L H)
  double norm_hk = 0.0;   // ||HK||_F
  double norm_hl = 0.0;   // ||HL||_F
  double norm_hkh = 0.0;  // ||HKH||_F
  double norm_hlh = 0.0;  // ||HLH||_F
  double code() const { return hsic / (norm_hk * norm_hl); }
  double textbook() const { return hsic / (norm_hkh * norm_hlh); }
  double normalized(HsicNormalization n) const {
    return n == HsicNormalization::code ? code() : n == HsicNormalization::textbook ? textbook() : hsic;
  }
};

inline DMat centering(std::int64_t n) {
  DMat H(n, n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) H(i, j) = (i == j ? 1.0 : 0.0) - 1.0 / static_cast<double>(n);
  return H;
}

inline double trace_of_product(const DMat& A, const DMat& B) {
  double s = 0.0;
  for (std::int64_t i = 0; i < A.rows; ++i)
    for (std::int64_t j = 0; j < A.cols; ++j) s += A(i, j) * B(j, i);
  return s;
}

// With H as an explicit n x n matrix: O(n^3), for n up to a few hundred.
inline Hsic hsic_explicit(const DMat& K, const DMat& L) {
  const DMat H = centering(K.rows);
  const DMat HK = matmul(H, K);
  const DMat HL = matmul(H, L);
  const DMat HKH = matmul(HK, H);
  const DMat HLH = matmul(HL, H);
  Hsic r;
  r.hsic = trace_of_product(matmul(K, H), matmul(L, H));  // tr(KH LH)
  r.norm_hk = frobenius(HK);
  r.norm_hl = frobenius(HL);
  r.norm_hkh = frobenius(HKH);
  r.norm_hlh = frobenius(HLH);
  return r;
}

// The same through means: (HK)_ij = K_ij - colmean_j, (HKH)_ij = K_ij - rowmean_i - colmean_j + mean.
inline Hsic hsic_centered(const DMat& K, const DMat& L) {
  const std::int64_t n = K.rows;
  const double nd = static_cast<double>(n);
  auto means = [&](const DMat& M, std::vector<double>& rmean, std::vector<double>& cmean, double& mean) {
    rmean.assign(static_cast<std::size_t>(n), 0.0);
    cmean.assign(static_cast<std::size_t>(n), 0.0);
    mean = 0.0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        rmean[static_cast<std::size_t>(i)] += M(i, j) / nd;
        cmean[static_cast<std::size_t>(j)] += M(i, j) / nd;
        mean += M(i, j) / (nd * nd);
      }
  };
  std::vector<double> kr, kc, lr, lc;
  double km = 0.0, lm = 0.0;
  means(K, kr, kc, km);
  means(L, lr, lc, lm);
  Hsic r;
  double hk = 0.0, hl = 0.0, hkh = 0.0, hlh = 0.0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const auto si = static_cast<std::size_t>(i);
      const auto sj = static_cast<std::size_t>(j);
      const double ck = K(i, j) - kr[si] - kc[sj] + km;
      const double cl = L(i, j) - lr[si] - lc[sj] + lm;
      r.hsic += ck * L(j, i);  // tr(HKH L)
      hk += (K(i, j) - kc[sj]) * (K(i, j) - kc[sj]);
      hl += (L(i, j) - lc[sj]) * (L(i, j) - lc[sj]);
      hkh += ck * ck;
      hlh += cl * cl;
    }
  r.norm_hk = std::sqrt(hk);
  r.norm_hl = std::sqrt(hl);
  r.norm_hkh = std::sqrt(hkh);
  r.norm_hlh = std::sqrt(hlh);
  return r;
}

inline Hsic hsic(const DMat& K, const DMat& L) { return K.rows <= 300 ? hsic_explicit(K, L) : hsic_centered(K, L); }

// out(a, j) = (1/n_j) sum_{i in S_j} k(x_i, z_a).
inline DMat class_mean_embeddings(MatrixView<const float> Z, MatrixView<const float> X, const Labels& labels,
                                  const GramParams& p) {
  const int c = labels.num_classes;
  DMat out(Z.rows(), c);
  std::vector<double> count(static_cast<std::size_t>(c), 0.0);
  for (int y : labels.y) count[static_cast<std::size_t>(y)] += 1.0;
  for (std::int64_t a = 0; a < Z.rows(); ++a)
    for (std::int64_t i = 0; i < X.rows(); ++i) {
      const int j = labels.y[static_cast<std::size_t>(i)];
      out(a, j) += kernel(p, row(Z, a), row(X, i), X.cols()) / count[static_cast<std::size_t>(j)];
    }
  return out;
}

// rho_j = sqrt(sum_{i, i' in S_j} k(x_i, x_i')).
inline std::vector<double> class_norms(MatrixView<const float> X, const Labels& labels, const GramParams& p) {
  std::vector<double> sq(static_cast<std::size_t>(labels.num_classes), 0.0);
  for (std::int64_t i = 0; i < X.rows(); ++i)
    for (std::int64_t k = 0; k < X.rows(); ++k)
      if (labels.y[static_cast<std::size_t>(i)] == labels.y[static_cast<std::size_t>(k)])
        sq[static_cast<std::size_t>(labels.y[static_cast<std::size_t>(i)])] += kernel(p, row(X, i), row(X, k), X.cols());
  for (auto& v : sq) v = std::sqrt(v);
  return sq;
}

// out(i, j) = sqrt(2 / D) cos(sum_k x_ik omega_kj / sigma + phase_j).
inline DMat random_fourier_features(MatrixView<const float> X, MatrixView<const float> omega,
                                    MatrixView<const float> phase, double sigma) {
  const std::int64_t D = omega.cols();
  DMat out(X.rows(), D);
  const double scale = std::sqrt(2.0 / static_cast<double>(D));
  for (std::int64_t i = 0; i < X.rows(); ++i)
    for (std::int64_t j = 0; j < D; ++j) {
      double s = 0.0;
      for (std::int64_t k = 0; k < X.cols(); ++k) s += static_cast<double>(X(i, k)) * omega(k, j);
      out(i, j) = scale * std::cos(s / sigma + phase(0, j));
    }
  return out;
}

struct Median {
  double median = 0.0;
  double lower_middle_sq = 0.0;  // the smaller middle squared distance (the middle one when odd)
};

// numpy.median of all m^2 pairwise Euclidean distances, the zero diagonal included.
inline Median median_pairwise_distance(MatrixView<const float> X) {
  std::vector<double> d2;
  for (std::int64_t a = 0; a < X.rows(); ++a)
    for (std::int64_t b = 0; b < X.rows(); ++b) d2.push_back(sq_distance(row(X, a), row(X, b), X.cols()));
  std::sort(d2.begin(), d2.end());
  const std::size_t n = d2.size();
  Median m;
  if (n % 2 == 1) {
    m.median = std::sqrt(d2[n / 2]);
    m.lower_middle_sq = d2[n / 2];
  } else {
    m.median = 0.5 * (std::sqrt(d2[n / 2 - 1]) + std::sqrt(d2[n / 2]));
    m.lower_middle_sq = d2[n / 2 - 1];
  }
  return m;
}

// C = alpha op(A) op(B) + beta C0.
inline DMat gemm(bool trans_a, bool trans_b, double alpha, const DMat& A, const DMat& B, double beta,
                 const DMat& C0) {
  const DMat a = trans_a ? transpose(A) : A;
  const DMat b = trans_b ? transpose(B) : B;
  DMat C = matmul(a, b);
  for (std::size_t k = 0; k < C.v.size(); ++k) C.v[k] = alpha * C.v[k] + beta * C0.v[k];
  return C;
}

// Eigenvalues of a symmetric matrix, ascending, by cyclic Jacobi rotations in double.
inline std::vector<double> symmetric_eigenvalues(DMat A) {
  const std::int64_t n = A.rows;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0;
    for (std::int64_t p = 0; p < n; ++p)
      for (std::int64_t q = p + 1; q < n; ++q) off += A(p, q) * A(p, q);
    if (off < 1e-30 * std::max(1.0, frobenius(A) * frobenius(A))) break;
    for (std::int64_t p = 0; p < n; ++p)
      for (std::int64_t q = p + 1; q < n; ++q) {
        if (A(p, q) == 0.0) continue;
        const double theta = (A(q, q) - A(p, p)) / (2.0 * A(p, q));
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0);
        const double s = t * c;
        for (std::int64_t k = 0; k < n; ++k) {  // A <- A J (columns p, q)
          const double akp = A(k, p), akq = A(k, q);
          A(k, p) = c * akp - s * akq;
          A(k, q) = s * akp + c * akq;
        }
        for (std::int64_t k = 0; k < n; ++k) {  // A <- J^T A (rows p, q)
          const double apk = A(p, k), aqk = A(q, k);
          A(p, k) = c * apk - s * aqk;
          A(q, k) = s * apk + c * aqk;
        }
      }
  }
  std::vector<double> w(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) w[static_cast<std::size_t>(i)] = A(i, i);
  std::sort(w.begin(), w.end());
  return w;
}

}  // namespace lwnet::test::oracle
