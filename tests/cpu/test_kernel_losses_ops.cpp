// The operations behind the kernel-matrix losses (spec sections 3-4) on the CPU backend, against
// float64 oracles written here from their definitions:
//   - NnOps::convert: exact expectations (float -> double is exact, double -> float is one
//     round-to-nearest, overflow to +-inf) and the round trip;
//   - NnOps::arc_cosine_step: a plain float64 loop (acos, sin, cos of the angle), closed forms at
//     known angles (identical rows, orthogonal rows, a zero diagonal entry), and the one-layer NNGP
//     identity: for K0 = x x^T the step equals sw2 E[relu(w.x_a) relu(w.x_b)] + sb2 with
//     w ~ N(0, I), the expectation integrated numerically here (not from the closed form);
//   - NnOps::arc_cosine_step_backward: central finite differences of sum(G .* step(K)) in float64,
//     each entry of K perturbed on its own (diagonal included), for a symmetric K and a slightly
//     asymmetric one; float against double;
//   - Backend::gaussian_gram_gradient: a dense float64 oracle, central finite differences of
//     sum_ab G_ab k(z_a, z_b), rows far from the origin (no cancellation);
//   - results independent of the thread count, and the front ends' refusals.
//
// Tolerances (stated next to each check): an output evaluated in float64 and rounded once to T is
// within unit<T> |value| of the float64 value, plus float64 rounding of the formula (1e-12 of the
// entry's scale, far above the few-ulp differences between two float64 evaluations and far below
// any mistake in a formula). Inputs are NaN-padded views (ld > cols), so ld mistakes and stray
// writes show.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/nn_ops.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;

template <class T>
constexpr double unit = std::is_same_v<T, float> ? kU32 : kU64;

// Float64 rounding of a formula, relative to its entry's scale (see the top of the file).
constexpr double kFormulaRel = 1e-12;

DMat dmat_of(const std::vector<double>& v, std::int64_t rows, std::int64_t cols) {
  DMat m(rows, cols);
  m.v = v;
  return m;
}

template <class T>
DMat to_dmat(MatrixView<const T> m) {
  return dmat_of(to_doubles(m), m.rows(), m.cols());
}

// Two float64 matrices of one shape (an output read back as DMat against its oracle).
::testing::AssertionResult close(const DMat& actual, const DMat& expected, double abs_tol, double rel_tol) {
  if (actual.rows != expected.rows || actual.cols != expected.cols) return ::testing::AssertionFailure() << "shapes differ";
  return expect_close(actual.v, expected.v, abs_tol, rel_tol, expected.cols);
}

template <class T>
Matrix<T> from_dmat(const DMat& d) {
  Matrix<T> m = Matrix<T>::host(d.rows, d.cols);
  for (std::int64_t i = 0; i < d.rows; ++i)
    for (std::int64_t j = 0; j < d.cols; ++j) m(i, j) = static_cast<T>(d(i, j));
  return m;
}

// K = x x^T + jitter I (x: m x d normal rows): a kernel matrix with generic angles; the jitter
// keeps every |cos t_ab| away from 1 (the kink of the clamp).
DMat random_kernel_matrix(TestRandom& rng, std::int64_t m, std::int64_t d, double jitter) {
  std::vector<double> x(static_cast<std::size_t>(m * d));
  for (double& v : x) v = rng.normal();
  DMat K(m, m);
  for (std::int64_t a = 0; a < m; ++a)
    for (std::int64_t b = 0; b < m; ++b) {
      double s = 0.0;
      for (std::int64_t f = 0; f < d; ++f) s += x[static_cast<std::size_t>(a * d + f)] * x[static_cast<std::size_t>(b * d + f)];
      K(a, b) = s + (a == b ? jitter : 0.0);
    }
  return K;
}

// The largest |K_ab| / sqrt(K_aa K_bb) over a != b: how near the step's kink (|cos t| = 1) K is.
double max_abs_cosine(const DMat& K) {
  double best = 0.0;
  for (std::int64_t a = 0; a < K.rows; ++a)
    for (std::int64_t b = 0; b < K.rows; ++b)
      if (a != b) best = std::max(best, std::fabs(K(a, b)) / std::sqrt(K(a, a) * K(b, b)));
  return best;
}

DMat random_dmat(TestRandom& rng, std::int64_t rows, std::int64_t cols) {
  DMat m(rows, cols);
  for (double& v : m.v) v = rng.normal();
  return m;
}

// The oracle of arc_cosine_step, from the definition: t = acos(clamp(K_ab / s)), then sin t and
// cos t of that angle.
DMat arc_cosine_oracle(const DMat& K, double sw2, double sb2) {
  const std::int64_t m = K.rows;
  DMat out(m, m);
  for (std::int64_t a = 0; a < m; ++a)
    for (std::int64_t b = 0; b < m; ++b) {
      if (a == b) {
        out(a, a) = sb2 + sw2 / 2.0 * K(a, a);
        continue;
      }
      const double s = std::sqrt(K(a, a) * K(b, b));
      if (s == 0.0) {
        out(a, b) = sb2;
        continue;
      }
      const double t = std::acos(std::clamp(K(a, b) / s, -1.0, 1.0));
      out(a, b) = sb2 + sw2 / (2.0 * kPi) * s * (std::sin(t) + (kPi - t) * std::cos(t));
    }
  return out;
}

// The largest magnitude the step's angular term can reach: sw2 / (2 pi) * s_ab * pi.
double arc_cosine_scale(const DMat& K, double sw2, double sb2) {
  double best = sb2;
  for (std::int64_t a = 0; a < K.rows; ++a)
    for (std::int64_t b = 0; b < K.rows; ++b) best = std::max(best, sb2 + sw2 / 2.0 * std::sqrt(std::fabs(K(a, a) * K(b, b))));
  return best;
}

double weighted_sum(const DMat& G, const DMat& out) {
  double s = 0.0;
  for (std::size_t k = 0; k < G.v.size(); ++k) s += G.v[k] * out.v[k];
  return s;
}

template <class T>
class CpuKernelLossOps : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> backend_ = make_cpu_backend(2);
  NnOps& nn_ = backend_->nn();

  // arc_cosine_step of K (as T) through padded views; the padding must stay untouched.
  DMat step(const DMat& K, double sw2, double sb2) {
    const Matrix<T> k = from_dmat<T>(K);
    const Padded<T> kp = padded_copy(k.cview());
    Padded<T> out(K.rows, K.cols);
    nn_.arc_cosine_step(kp.cview(), sw2, sb2, out.view);
    EXPECT_TRUE(padding_untouched(out));
    return to_dmat(out.cview());
  }
  DMat backward(const DMat& K, const DMat& G, double sw2) {
    const Matrix<T> k = from_dmat<T>(K);
    const Matrix<T> g = from_dmat<T>(G);
    const Padded<T> kp = padded_copy(k.cview());
    const Padded<T> gp = padded_copy(g.cview());
    Padded<T> dk(K.rows, K.cols);
    nn_.arc_cosine_step_backward(kp.cview(), gp.cview(), sw2, dk.view);
    EXPECT_TRUE(padding_untouched(dk));
    return to_dmat(dk.cview());
  }
};
using ElementTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CpuKernelLossOps, ElementTypes);

// ---- convert ------------------------------------------------------------------------------------

TEST(CpuConvert, ExactWideningRoundToNearestNarrowingAndRoundTrip) {
  LWNET_SEEDED_RANDOM(rng);
  const std::unique_ptr<Backend> backend = make_cpu_backend(2);
  NnOps& nn = backend->nn();
  for (const auto& [rows, cols] : {std::make_pair(1, 1), std::make_pair(7, 3), std::make_pair(33, 300)}) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    Matrix<double> wide = rng.uniform_matrix_f64(rows, cols, -3.0, 3.0);
    // Values that do not fit float32, and halfway cases between two floats (ties to even).
    wide(0, 0) = 1e39;
    if (rows * cols > 2) {
      wide(rows - 1, cols - 1) = -1e300;
      wide.data()[1] = 1.0 + 0x1p-24;  // halfway between 1 and 1 + 2^-23: rounds to 1 (even)
    }
    const Padded<double> src = padded_copy(wide.cview());
    Padded<float> narrow(rows, cols);
    nn.convert(src.cview(), narrow.view);
    EXPECT_TRUE(padding_untouched(narrow));
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j)
        ASSERT_EQ(narrow.view(i, j), static_cast<float>(wide(i, j))) << "(" << i << ", " << j << ")";
    EXPECT_EQ(narrow.view(0, 0), std::numeric_limits<float>::infinity());
    if (rows * cols > 2) {
      EXPECT_EQ(narrow.view.data()[1], 1.0f);
    }

    // float -> double is exact, so the round trip float -> double -> float is the identity.
    Padded<double> back(rows, cols);
    nn.convert(narrow.cview(), back.view);
    EXPECT_TRUE(padding_untouched(back));
    Padded<float> again(rows, cols);
    nn.convert(back.cview(), again.view);
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j) {
        ASSERT_EQ(back.view(i, j), static_cast<double>(narrow.view(i, j)));
        ASSERT_EQ(again.view(i, j), narrow.view(i, j));
      }
  }
}

// ---- arc_cosine_step ----------------------------------------------------------------------------

TYPED_TEST(CpuKernelLossOps, ArcCosineStepMatchesFloat64Oracle) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t m : {1, 3, 7, 33, 130}) {
    for (const auto& [sw2, sb2] : {std::make_pair(2.0, 0.0), std::make_pair(1.3, 0.2)}) {
      SCOPED_TRACE(::testing::Message() << "m " << m << " sw2 " << sw2 << " sb2 " << sb2);
      const DMat K = to_dmat(from_dmat<T>(random_kernel_matrix(rng, m, 5, 0.1)).cview());  // exactly T values
      const DMat expected = arc_cosine_oracle(K, sw2, sb2);
      // One rounding to T, plus float64 rounding of the formula (acos near +-1 is ill-conditioned
      // in rho, so relative to the scale, not to each entry).
      EXPECT_TRUE(close(this->step(K, sw2, sb2), expected, kFormulaRel * arc_cosine_scale(K, sw2, sb2), unit<T>));
    }
  }
}

TYPED_TEST(CpuKernelLossOps, ArcCosineStepClosedFormsAtKnownAngles) {
  using T = TypeParam;
  // Rows x0 = (sqrt 2, 0), x1 = (0, sqrt 3), x2 = x0, x3 = 0: K = x x^T, with a zero diagonal entry.
  DMat K(4, 4);
  K(0, 0) = K(0, 2) = K(2, 0) = K(2, 2) = 2.0;
  K(1, 1) = 3.0;
  const double sw2 = 1.7, sb2 = 0.3;
  const DMat out = this->step(K, sw2, sb2);
  const double rel = 4.0 * unit<T>;  // one rounding to T and a few float64 ones
  // Identical rows: t = 0, out = sb2 + sw2 / 2 K_aa (the diagonal's own formula).
  EXPECT_TRUE(expect_close(out(0, 2), sb2 + sw2 / 2.0 * 2.0, 0.0, rel));
  EXPECT_TRUE(expect_close(out(2, 0), sb2 + sw2 / 2.0 * 2.0, 0.0, rel));
  EXPECT_TRUE(expect_close(out(0, 0), sb2 + sw2 / 2.0 * 2.0, 0.0, rel));
  EXPECT_TRUE(expect_close(out(1, 1), sb2 + sw2 / 2.0 * 3.0, 0.0, rel));
  // Orthogonal rows: t = pi / 2, out = sb2 + sw2 / (2 pi) sqrt(K_aa K_bb).
  const double orthogonal = sb2 + sw2 / (2.0 * kPi) * std::sqrt(6.0);
  for (const auto& [a, b] : {std::make_pair(0, 1), std::make_pair(1, 0), std::make_pair(1, 2), std::make_pair(2, 1)})
    EXPECT_TRUE(expect_close(out(a, b), orthogonal, 0.0, rel)) << "(" << a << ", " << b << ")";
  // A zero diagonal entry (x3 = 0): its row and column are sb2 (s = 0), its diagonal too.
  for (std::int64_t b = 0; b < 4; ++b) {
    EXPECT_TRUE(expect_close(out(3, b), sb2, 0.0, rel)) << "(3, " << b << ")";
    EXPECT_TRUE(expect_close(out(b, 3), sb2, 0.0, rel)) << "(" << b << ", 3)";
  }
  // Opposite rows (x and -x): t = pi, the angular term vanishes.
  DMat opposite(2, 2);
  opposite(0, 0) = opposite(1, 1) = 2.5;
  opposite(0, 1) = opposite(1, 0) = -2.5;
  EXPECT_TRUE(expect_close(this->step(opposite, sw2, sb2)(0, 1), sb2, 1e-12, rel));
}

// The midpoint rule's nodes on the circle: cos and sin of 2 pi (i + 1/2) / points.
struct CircleNodes {
  std::vector<double> cos, sin;
  explicit CircleNodes(int points) {
    for (int i = 0; i < points; ++i) {
      const double phi = 2.0 * kPi * (i + 0.5) / points;
      cos.push_back(std::cos(phi));
      sin.push_back(std::sin(phi));
    }
  }
};

// E[relu(u1) relu(u2)] for (u1, u2) ~ N(0, [[k11, k12], [k12, k22]]), in polar coordinates of the
// standard normal pair behind u = L xi (L the Cholesky factor): the radius integrates exactly
// (E[r^2] = 2), the angle by the midpoint rule. The integrand is continuous and piecewise smooth
// in the angle (kinks where u1 or u2 changes sign), so the rule's error is O((2 pi / points)^2)
// times the scale k11 + k22.
double relu_product_expectation(double k11, double k12, double k22, const CircleNodes& nodes) {
  const double l11 = std::sqrt(k11);
  const double l21 = l11 > 0.0 ? k12 / l11 : 0.0;
  const double l22 = std::sqrt(std::max(k22 - l21 * l21, 0.0));
  double sum = 0.0;
  for (std::size_t i = 0; i < nodes.cos.size(); ++i) {
    const double u1 = l11 * nodes.cos[i];
    const double u2 = l21 * nodes.cos[i] + l22 * nodes.sin[i];
    sum += std::max(u1, 0.0) * std::max(u2, 0.0);
  }
  return 2.0 * sum / static_cast<double>(nodes.cos.size());  // E[r^2] times the mean over the angle
}

TYPED_TEST(CpuKernelLossOps, OneLayerMatchesTheNngpGaussianExpectation) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t m = 6, d = 3;
  DMat K0 = random_kernel_matrix(rng, m, d, 0.0);  // x x^T of random x in R^3
  K0 = to_dmat(from_dmat<T>(K0).cview());         // the values the backend sees
  const double sw2 = 2.0, sb2 = 0.1;
  const DMat out = this->step(K0, sw2, sb2);
  const CircleNodes nodes(400000);
  DMat expected(m, m);
  double scale = 0.0;
  for (std::int64_t a = 0; a < m; ++a)
    for (std::int64_t b = 0; b < m; ++b) {
      expected(a, b) = sw2 * relu_product_expectation(K0(a, a), K0(a, b), K0(b, b), nodes) + sb2;
      scale = std::max(scale, sw2 * (K0(a, a) + K0(b, b)));
    }
  // The midpoint rule's error is about (2 pi / 4e5)^2 ~ 2.5e-10 of the scale; 1e-8 bounds it with
  // room, and the output's own rounding to T is unit<T> relative.
  EXPECT_TRUE(close(out, expected, 1e-8 * scale, 2.0 * unit<T>));
}

// ---- arc_cosine_step_backward ---------------------------------------------------------------------

// Central differences of f(K) = sum(G .* step(K)) with respect to each entry of K on its own.
DMat finite_difference_gradient(const DMat& K, const DMat& G, double sw2, double sb2, double h) {
  DMat grad(K.rows, K.cols);
  for (std::size_t k = 0; k < K.v.size(); ++k) {
    DMat plus = K, minus = K;
    plus.v[k] += h;
    minus.v[k] -= h;
    grad.v[k] = (weighted_sum(G, arc_cosine_oracle(plus, sw2, sb2)) - weighted_sum(G, arc_cosine_oracle(minus, sw2, sb2))) /
                (2.0 * h);
  }
  return grad;
}

TEST(CpuArcCosineBackward, MatchesCentralDifferencesEveryEntryIncludingTheDiagonal) {
  LWNET_SEEDED_RANDOM(rng);
  const std::unique_ptr<Backend> backend = make_cpu_backend(2);
  for (bool symmetric : {true, false}) {
    for (std::int64_t m : {1, 2, 7}) {
      SCOPED_TRACE(::testing::Message() << (symmetric ? "symmetric" : "asymmetric") << " K, m " << m);
      // Central differences need the step smooth around K: every |cos t_ab| <= 0.9 (redrawn until
      // so; the step's derivatives grow like (1 - cos^2 t)^(-k) towards the clamp's kink).
      DMat K;
      do {
        K = random_kernel_matrix(rng, m, 4, 0.2);
        if (!symmetric)  // every entry an independent variable: the K_ba terms of dK_aa must use K_ba
          for (std::int64_t a = 0; a < m; ++a)
            for (std::int64_t b = 0; b < m; ++b)
              if (a != b) K(a, b) += 0.05 * rng.normal();
      } while (max_abs_cosine(K) > 0.9);
      const DMat G = random_dmat(rng, m, m);  // not symmetric: G_ab and G_ba both count
      const double sw2 = 1.6, sb2 = 0.25;
      const Matrix<double> k = from_dmat<double>(K), g = from_dmat<double>(G);
      const Padded<double> kp = padded_copy(k.cview()), gp = padded_copy(g.cview());
      Padded<double> dk(m, m);
      backend->nn().arc_cosine_step_backward(kp.cview(), gp.cview(), sw2, dk.view);
      EXPECT_TRUE(padding_untouched(dk));
      // Step 1e-6 on entries of order 1: truncation ~ h^2 |f'''| <~ 1e-10 at |cos t| <= 0.9,
      // cancellation ~ 1e-16 |f| / h ~ 1e-9; 1e-7 of the gradient's scale (>= 1) bounds both, far
      // below a wrong or missing term.
      const DMat expected = finite_difference_gradient(K, G, sw2, sb2, 1e-6);
      double scale = 1.0;
      for (double v : expected.v) scale = std::max(scale, std::fabs(v));
      EXPECT_TRUE(expect_close(dk.cview(), expected, 1e-7 * scale, 0.0));
    }
  }
}

// Float evaluates the same float64 formulas as double, in the same order, and rounds once.
TEST(CpuArcCosineBackward, FloatIsTheDoubleResultRoundedOnce) {
  LWNET_SEEDED_RANDOM(rng);
  const std::unique_ptr<Backend> backend = make_cpu_backend(2);
  const std::int64_t m = 40;
  const Matrix<float> k = from_dmat<float>(random_kernel_matrix(rng, m, 6, 0.1));
  const Matrix<float> g = from_dmat<float>(random_dmat(rng, m, m));
  Matrix<float> dk = Matrix<float>::host(m, m);
  backend->nn().arc_cosine_step_backward(k.cview(), g.cview(), 0.9, dk.view());
  const Matrix<double> k64 = from_dmat<double>(to_dmat(k.cview())), g64 = from_dmat<double>(to_dmat(g.cview()));
  Matrix<double> dk64 = Matrix<double>::host(m, m);
  backend->nn().arc_cosine_step_backward(k64.cview(), g64.cview(), 0.9, dk64.view());
  EXPECT_TRUE(expect_close(dk.cview(), to_dmat(dk64.cview()), 0.0, kU32));
}

TYPED_TEST(CpuKernelLossOps, BackwardOfAZeroDiagonalEntryAndOfOneEntry) {
  using T = TypeParam;
  // Row and column 2 are zero (a zero point): only G_22 sw2 / 2 reaches that diagonal entry, and
  // nothing reaches row and column 2 otherwise, nor the other diagonals through them.
  DMat K(3, 3);
  K(0, 0) = 2.0, K(1, 1) = 1.0, K(0, 1) = K(1, 0) = 0.5;
  DMat G(3, 3);
  for (std::size_t k = 0; k < G.v.size(); ++k) G.v[k] = 0.25 * static_cast<double>(k + 1);
  const double sw2 = 1.2, c = sw2 / (2.0 * kPi);
  const DMat dk = this->backward(K, G, sw2);
  const double rel = 4.0 * unit<T>;
  EXPECT_EQ(dk(2, 0), 0.0);
  EXPECT_EQ(dk(0, 2), 0.0);
  EXPECT_EQ(dk(1, 2), 0.0);
  EXPECT_EQ(dk(2, 1), 0.0);
  EXPECT_TRUE(expect_close(dk(2, 2), G(2, 2) * sw2 / 2.0, 0.0, rel));
  // The pair (0, 1): t = acos(0.5 / sqrt 2), r = sqrt(2 - 0.25).
  const double t = std::acos(0.5 / std::sqrt(2.0));
  EXPECT_TRUE(expect_close(dk(0, 1), G(0, 1) * c * (kPi - t), 0.0, rel));
  EXPECT_TRUE(expect_close(dk(1, 0), G(1, 0) * c * (kPi - t), 0.0, rel));
  const double r = std::sqrt(1.75);
  EXPECT_TRUE(expect_close(dk(0, 0), G(0, 0) * sw2 / 2.0 + (G(0, 1) + G(1, 0)) * c * r / (2.0 * 2.0), 0.0, rel));
  EXPECT_TRUE(expect_close(dk(1, 1), G(1, 1) * sw2 / 2.0 + (G(0, 1) + G(1, 0)) * c * r / (2.0 * 1.0), 0.0, rel));
}

TYPED_TEST(CpuKernelLossOps, NegativeDiagonalProductGivesNaN) {
  using T = TypeParam;
  // Not a kernel matrix: K_00 K_11 < 0. The front end does not read values; the entries that pair
  // them must come out NaN rather than numbers, forward and backward.
  DMat K(3, 3);
  K(0, 0) = -1.0, K(1, 1) = 2.0, K(2, 2) = 1.0, K(0, 1) = K(1, 0) = 0.5;
  DMat G(3, 3);
  for (double& v : G.v) v = 1.0;
  const DMat out = this->step(K, 1.0, 0.1);
  EXPECT_TRUE(std::isnan(out(0, 1)));
  EXPECT_TRUE(std::isnan(out(1, 0)));
  EXPECT_FALSE(std::isnan(out(1, 2)));  // K_11 K_22 > 0: a number
  const DMat dk = this->backward(K, G, 1.0);
  EXPECT_TRUE(std::isnan(dk(0, 1)));
  EXPECT_TRUE(std::isnan(dk(0, 0)));
  EXPECT_TRUE(std::isnan(dk(1, 1)));  // its sum meets the pair (1, 0)
  EXPECT_FALSE(std::isnan(dk(1, 2)));  // the pair (1, 2) is a number
}

// ---- gaussian_gram_gradient -------------------------------------------------------------------------

// f(Z) = sum_ab G_ab k(z_a, z_b) in float64.
double gaussian_weighted_sum(const std::vector<double>& z, std::int64_t m, std::int64_t d, const DMat& G, double sigma) {
  double f = 0.0;
  for (std::int64_t a = 0; a < m; ++a)
    for (std::int64_t b = 0; b < m; ++b) {
      double d2 = 0.0;
      for (std::int64_t k = 0; k < d; ++k) {
        const double diff = z[static_cast<std::size_t>(a * d + k)] - z[static_cast<std::size_t>(b * d + k)];
        d2 += diff * diff;
      }
      f += G(a, b) * std::exp(-d2 / (2.0 * sigma * sigma));
    }
  return f;
}

struct GradientOracle {
  DMat value;    // sum_b (G_ab + G_ba) k_ab (z_b - z_a) / sigma^2
  double scale;  // the largest sum_b |G_ab + G_ba| k_ab |z_bf - z_af| / sigma^2
};

GradientOracle gaussian_gradient_oracle(MatrixView<const float> Z, const DMat& G, double sigma) {
  const std::int64_t m = Z.rows(), d = Z.cols();
  GradientOracle o{DMat(m, d), 0.0};
  DMat abs_sum(m, d);
  for (std::int64_t a = 0; a < m; ++a)
    for (std::int64_t b = 0; b < m; ++b) {
      double d2 = 0.0;
      for (std::int64_t f = 0; f < d; ++f) {
        const double diff = static_cast<double>(Z(a, f)) - static_cast<double>(Z(b, f));
        d2 += diff * diff;
      }
      const double w = (G(a, b) + G(b, a)) * std::exp(-d2 / (2.0 * sigma * sigma)) / (sigma * sigma);
      for (std::int64_t f = 0; f < d; ++f) {
        const double diff = static_cast<double>(Z(b, f)) - static_cast<double>(Z(a, f));
        o.value(a, f) += w * diff;
        abs_sum(a, f) += std::fabs(w * diff);
      }
    }
  for (double v : abs_sum.v) o.scale = std::max(o.scale, v);
  return o;
}

Matrix<float> gradient_of(Backend& backend, MatrixView<const float> Z, const DMat& G, double sigma) {
  const Padded<float> zp = padded_copy(Z);
  const Matrix<float> g = from_dmat<float>(G);
  const Padded<float> gp = padded_copy(g.cview());
  Padded<float> out(Z.rows(), Z.cols());
  backend.gaussian_gram_gradient(zp.cview(), gp.cview(), sigma, out.view);
  EXPECT_TRUE(padding_untouched(out));
  Matrix<float> result = Matrix<float>::host(Z.rows(), Z.cols());
  for (std::int64_t i = 0; i < Z.rows(); ++i)
    for (std::int64_t j = 0; j < Z.cols(); ++j) result(i, j) = out.view(i, j);
  return result;
}

// G with float values, as the backend sees them.
DMat float_dmat(TestRandom& rng, std::int64_t rows, std::int64_t cols) {
  return to_dmat(from_dmat<float>(random_dmat(rng, rows, cols)).cview());
}

TEST(CpuGaussianGramGradient, MatchesDenseFloat64Oracle) {
  LWNET_SEEDED_RANDOM(rng);
  const std::unique_ptr<Backend> backend = make_cpu_backend(2);
  struct Case {
    std::int64_t m, d;
  };
  for (const Case& s : {Case{1, 1}, Case{3, 2}, Case{7, 5}, Case{33, 17}, Case{130, 3}, Case{20, 300}}) {
    SCOPED_TRACE(::testing::Message() << "m " << s.m << " d " << s.d);
    Matrix<float> Z = rng.uniform_matrix(s.m, s.d);
    if (s.m >= 3)  // a duplicate row: its pair has distance 0, k = 1, and adds nothing
      for (std::int64_t f = 0; f < s.d; ++f) Z(2, f) = Z(0, f);
    const DMat G = float_dmat(rng, s.m, s.m);
    const double sigma = 0.7 * std::sqrt(static_cast<double>(s.d));
    const GradientOracle expected = gaussian_gradient_oracle(Z.cview(), G, sigma);
    // One rounding to float (unit roundoff, relative), float64 sums of 3 m d terms in another order
    // (1e-12 of the scale covers gamma64 with room).
    EXPECT_TRUE(expect_close(gradient_of(*backend, Z.cview(), G, sigma).cview(), expected.value,
                             kFormulaRel * expected.scale, kU32));
  }
}

TEST(CpuGaussianGramGradient, MatchesCentralDifferences) {
  LWNET_SEEDED_RANDOM(rng);
  const std::unique_ptr<Backend> backend = make_cpu_backend(2);
  const std::int64_t m = 9, d = 4;
  const Matrix<float> Z = rng.uniform_matrix(m, d);
  const DMat G = float_dmat(rng, m, m);
  const double sigma = 0.9;
  const Matrix<float> got = gradient_of(*backend, Z.cview(), G, sigma);
  const std::vector<double> z = to_doubles(Z.cview());
  DMat expected(m, d);
  const double h = 1e-5;
  for (std::size_t k = 0; k < z.size(); ++k) {
    std::vector<double> plus = z, minus = z;
    plus[k] += h;
    minus[k] -= h;
    expected.v[k] = (gaussian_weighted_sum(plus, m, d, G, sigma) - gaussian_weighted_sum(minus, m, d, G, sigma)) / (2.0 * h);
  }
  const double scale = gaussian_gradient_oracle(Z.cview(), G, sigma).scale;
  // The float32 output is within unit roundoff of the exact gradient (relative); the central
  // difference within ~1e-9 of the scale (truncation h^2 |f'''|, cancellation 1e-16 |f| / h).
  EXPECT_TRUE(expect_close(got.cview(), expected, 1e-7 * scale, 2.0 * kU32));
}

// Rows near (1000, ..., 1000) with spread 1: through the norms identity ||z||^2 ~ 3e6 would leave
// float32 a resolution of 0.25 in the squared distances; the direct differences lose nothing.
TEST(CpuGaussianGramGradient, RowsFarFromTheOriginLoseNothingToCancellation) {
  LWNET_SEEDED_RANDOM(rng);
  const std::unique_ptr<Backend> backend = make_cpu_backend(2);
  const std::int64_t m = 25, d = 3;
  const Matrix<float> Z = rng.uniform_matrix(m, d, 999.5, 1000.5);
  const DMat G = float_dmat(rng, m, m);
  const double sigma = 0.5;
  const GradientOracle expected = gaussian_gradient_oracle(Z.cview(), G, sigma);
  EXPECT_TRUE(expect_close(gradient_of(*backend, Z.cview(), G, sigma).cview(), expected.value,
                           kFormulaRel * expected.scale, kU32));
}

// ---- thread count -----------------------------------------------------------------------------------

TEST(CpuKernelLossDeterminism, SameBitsOnOneAndThreeThreads) {
  LWNET_SEEDED_RANDOM(rng);
  const std::unique_ptr<Backend> one = make_cpu_backend(1);
  const std::unique_ptr<Backend> three = make_cpu_backend(3);
  const std::int64_t m = 300;
  const Matrix<float> K = from_dmat<float>(random_kernel_matrix(rng, m, 8, 0.1));
  const Matrix<float> G = from_dmat<float>(random_dmat(rng, m, m));
  const Matrix<float> Z = rng.uniform_matrix(m, 20);
  auto run = [&](Backend& b) {
    Matrix<float> out = Matrix<float>::host(m, m), dK = Matrix<float>::host(m, m), dZ = Matrix<float>::host(m, 20);
    b.nn().arc_cosine_step(K.cview(), 2.0, 0.1, out.view());
    b.nn().arc_cosine_step_backward(K.cview(), G.cview(), 2.0, dK.view());
    b.gaussian_gram_gradient(Z.cview(), G.cview(), 1.5, dZ.view());
    std::vector<Matrix<float>> results;
    results.push_back(std::move(out));
    results.push_back(std::move(dK));
    results.push_back(std::move(dZ));
    return results;
  };
  const auto a = run(*one);
  const auto b = run(*three);
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(same_bits(a[k], b[k])) << "output " << k;
}

// ---- refusals -----------------------------------------------------------------------------------------

TEST(CpuKernelLossBadInput, EachBadArgumentIsNamed) {
  const std::unique_ptr<Backend> backend = make_cpu_backend(1);
  NnOps& nn = backend->nn();
  Matrix<float> K = Matrix<float>::host(4, 4), G = Matrix<float>::host(4, 4), out = Matrix<float>::host(4, 4);
  Matrix<float> K34 = Matrix<float>::host(3, 4), out3 = Matrix<float>::host(3, 3);
  std::fill(K.data(), K.data() + K.size(), 1.0f);
  std::fill(G.data(), G.data() + G.size(), 1.0f);
  Matrix<double> wide = Matrix<double>::host(4, 4);
  Matrix<double> wide3 = Matrix<double>::host(3, 4);

  // Shapes.
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.arc_cosine_step(K34.cview(), 1.0, 0.0, K34.view()); },
                                           {"arc_cosine_step", "K must be square", "K 3x4"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.arc_cosine_step(K.cview(), 1.0, 0.0, out3.view()); },
                                           {"arc_cosine_step", "K and out must have the same shape", "out 3x3"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn.arc_cosine_step_backward(K.cview(), out3.cview(), 1.0, out.view()); },
      {"arc_cosine_step_backward", "K and G must have the same shape", "G 3x3"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn.arc_cosine_step_backward(K.cview(), G.cview(), 1.0, out3.view()); }, {"K and dK", "dK 3x3"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn.arc_cosine_step_backward(K34.cview(), K34.cview(), 1.0, K34.view()); }, {"K must be square"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.convert(K.cview(), wide3.view()); },
                                           {"convert", "src and dst must have the same shape", "dst 3x4"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.convert(wide3.cview(), K.view()); }, {"convert", "src 3x4"}));

  // Parameters.
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.arc_cosine_step(K.cview(), -1.0, 0.0, out.view()); },
                                           {"arc_cosine_step", "sw2 must be >= 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.arc_cosine_step(K.cview(), 1.0, -0.5, out.view()); },
                                           {"sb2 must be >= 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn.arc_cosine_step(K.cview(), std::numeric_limits<double>::quiet_NaN(), 0.0, out.view()); },
      {"sw2 must be finite"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn.arc_cosine_step(K.cview(), 1.0, std::numeric_limits<double>::infinity(), out.view()); },
      {"sb2 must be finite"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.arc_cosine_step_backward(K.cview(), G.cview(), -2.0, out.view()); },
                                           {"arc_cosine_step_backward", "sw2 must be >= 0"}));

  // Overlap: out or dK sharing memory with an input (in place is not offered).
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.arc_cosine_step(K.cview(), 1.0, 0.0, K.view()); },
                                           {"arc_cosine_step", "out overlaps K"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.arc_cosine_step_backward(K.cview(), G.cview(), 1.0, G.view()); },
                                           {"arc_cosine_step_backward", "dK overlaps G"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.arc_cosine_step_backward(K.cview(), G.cview(), 1.0, K.view()); },
                                           {"dK overlaps K"}));
  const MatrixView<double> aliased(reinterpret_cast<double*>(K.data()), 2, 4, 4, MemorySpace::host, 0);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn.convert(K.cview().row_range(0, 2), aliased); }, {"convert", "dst overlaps src"}));

  // Memory space: a view that claims to be on a GPU.
  const MatrixView<const float> on_gpu(K.data(), 4, 4, 4, MemorySpace::cuda, 0);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.arc_cosine_step(on_gpu, 1.0, 0.0, out.view()); },
                                           {"arc_cosine_step", "K is in cuda:0 memory"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn.convert(on_gpu, wide.view()); }, {"convert", "src is in cuda:0"}));
}

TEST(CpuKernelLossBadInput, GaussianGramGradientRefusals) {
  const std::unique_ptr<Backend> backend = make_cpu_backend(1);
  Backend& b = *backend;
  Matrix<float> Z = Matrix<float>::host(5, 3), G = Matrix<float>::host(5, 5), out = Matrix<float>::host(5, 3);
  std::fill(Z.data(), Z.data() + Z.size(), 0.5f);
  std::fill(G.data(), G.data() + G.size(), 0.5f);
  Matrix<float> G54 = Matrix<float>::host(5, 4), out53 = Matrix<float>::host(5, 2), out43 = Matrix<float>::host(4, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gaussian_gram_gradient(Z.cview(), G54.cview(), 1.0, out.view()); },
                                           {"gaussian_gram_gradient", "G must be Z.rows x Z.rows", "G 5x4", "Z 5x3"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gaussian_gram_gradient(Z.cview(), G.cview(), 1.0, out53.view()); },
                                           {"gaussian_gram_gradient", "out must have Z's shape", "out 5x2"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gaussian_gram_gradient(Z.cview(), G.cview(), 1.0, out43.view()); },
                                           {"out 4x3"}));
  for (double sigma : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()})
    EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gaussian_gram_gradient(Z.cview(), G.cview(), sigma, out.view()); },
                                             {"gaussian_gram_gradient", "kernel width sigma"}))
        << "sigma " << sigma;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gaussian_gram_gradient(Z.cview(), G.cview(), 1.0, Z.view()); },
                                           {"gaussian_gram_gradient", "out overlaps Z"}));
  const MatrixView<float> inside_g = G.view().block(0, 0, 5, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gaussian_gram_gradient(Z.cview(), G.cview(), 1.0, inside_g); },
                                           {"out overlaps G"}));
  const MatrixView<const float> z_on_gpu(Z.data(), 5, 3, 3, MemorySpace::cuda, 0);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gaussian_gram_gradient(z_on_gpu, G.cview(), 1.0, out.view()); },
                                           {"gaussian_gram_gradient", "Z is in cuda"}));
  // NaN in the inputs: refused at Validation::full (the tests' level).
  G(1, 2) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gaussian_gram_gradient(Z.cview(), G.cview(), 1.0, out.view()); },
                                           {"gaussian_gram_gradient", "G has 1 non-finite value"}));
}

}  // namespace
}  // namespace lwnet::test
