// The CPU NnOps (lwnet/nn_ops.hpp) against float64 oracles written here from each operation's
// definition, in float and double: elementwise ops, batch normalisation (and its backward against
// finite differences), pooling, losses (gradients against finite differences, cross-entropy with
// huge logits), SGD and Adam over three steps, the 3x3 convolution lowering (a direct oracle, the
// adjoint identity, a whole convolution), the counter-based random draws, bitwise-identical
// results on 1 and 3 threads, and the front end's refusals.
//
// Tolerances: `unit<T>` is T's unit roundoff; outputs computed in float64 and rounded once to T
// get rel unit<T>; float64 reductions of k terms get gamma64(k) times the sum of |terms| (Higham
// 3.1). Views are padded (ld > cols, NaN around) wherever an op takes one, so ld mistakes and
// stray writes show.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/detail/counter_random.hpp"
#include "lwnet/error.hpp"
#include "lwnet/nn_ops.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

template <class T>
constexpr double unit = std::is_same_v<T, float> ? kU32 : kU64;

template <class T>
Matrix<T> uniform(TestRandom& rng, std::int64_t rows, std::int64_t cols, double lo = -1.0, double hi = 1.0) {
  Matrix<T> m = Matrix<T>::host(rows, cols);
  for (std::int64_t k = 0; k < rows * cols; ++k) m.data()[k] = static_cast<T>(rng.uniform(lo, hi));
  return m;
}

template <class T>
Padded<T> padded_uniform(TestRandom& rng, std::int64_t rows, std::int64_t cols, double lo = -1.0, double hi = 1.0) {
  return padded_copy(uniform<T>(rng, rows, cols, lo, hi).cview());
}

// A padded view of zeros (the padding stays NaN).
template <class T>
Padded<T> padded_zeros(std::int64_t rows, std::int64_t cols) {
  Padded<T> p(rows, cols);
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) p.view(i, j) = T(0);
  return p;
}

// gamma_k for T: the bound on a sum of k terms computed in T, relative to the sum of |terms|.
template <class T>
double gamma_t(double k) {
  return k * unit<T> / (1.0 - k * unit<T>);
}

template <class T>
DMat to_dmat(MatrixView<const T> m) {
  DMat out(m.rows(), m.cols());
  for (std::int64_t i = 0; i < m.rows(); ++i)
    for (std::int64_t j = 0; j < m.cols(); ++j) out(i, j) = static_cast<double>(m(i, j));
  return out;
}

double max_abs(const DMat& m) {
  double best = 0.0;
  for (double v : m.v) best = std::max(best, std::fabs(v));
  return best;
}

Matrix<std::int32_t> random_labels(TestRandom& rng, std::int64_t n, int classes) {
  Matrix<std::int32_t> labels = Matrix<std::int32_t>::host(n, 1);
  for (std::int64_t i = 0; i < n; ++i) labels(i, 0) = static_cast<std::int32_t>(rng.below(classes));
  return labels;
}

template <class T>
class CpuNnOps : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> backend_ = make_cpu_backend(2);
  NnOps& nn_ = backend_->nn();
};
using ElementTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CpuNnOps, ElementTypes);

// ---- elementwise --------------------------------------------------------------------------------

TYPED_TEST(CpuNnOps, FillAndAddRowVector) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [n, f] : {std::make_pair(1, 1), std::make_pair(7, 3), std::make_pair(33, 9000)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << f);
    Padded<T> A(n, f);
    this->nn_.fill(A.view, T(2.5));
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < f; ++j) ASSERT_EQ(A.view(i, j), T(2.5));
    EXPECT_TRUE(padding_untouched(A));

    auto Y = padded_uniform<T>(rng, n, f);
    const auto row = padded_uniform<T>(rng, 1, f);
    DMat expected = to_dmat(Y.cview());
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < f; ++j) expected(i, j) += row.view(0, j);
    this->nn_.add_row_vector(Y.view, row.cview());
    EXPECT_TRUE(expect_close(Y.cview(), expected, 0.0, unit<T>));  // one rounding
    EXPECT_TRUE(padding_untouched(Y));
  }
}

TYPED_TEST(CpuNnOps, ColumnSumsWithAlphaAndBeta) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  // 2500 rows cross the 1024-row reduction blocks, 600 columns the 256-column ones.
  for (const auto& [n, f] : {std::make_pair(1, 1), std::make_pair(7, 600), std::make_pair(2500, 3)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << f);
    const auto A = padded_uniform<T>(rng, n, f);
    std::vector<long double> exact(static_cast<std::size_t>(f), 0.0L);
    double abs_sum = 0.0;
    for (std::int64_t j = 0; j < f; ++j) {
      double a = 0.0;
      for (std::int64_t i = 0; i < n; ++i) {
        exact[static_cast<std::size_t>(j)] += A.view(i, j);
        a += std::fabs(static_cast<double>(A.view(i, j)));
      }
      abs_sum = std::max(abs_sum, a);
    }
    const T alpha = T(0.5);
    Padded<T> out(1, f);  // NaN: beta == 0 must ignore it
    this->nn_.column_sums(A.cview(), alpha, T(0), out.view);
    DMat expected(1, f);
    for (std::int64_t j = 0; j < f; ++j) expected(0, j) = static_cast<double>(0.5L * exact[static_cast<std::size_t>(j)]);
    // float64 sum of n terms, the scaling and the final rounding to T.
    const double abs_tol = gamma64(static_cast<double>(n + 4)) * 0.5 * abs_sum;
    EXPECT_TRUE(expect_close(out.cview(), expected, abs_tol, unit<T>)) << "beta 0";
    EXPECT_TRUE(padding_untouched(out));

    // beta 1 accumulates onto out.
    const DMat before = to_dmat(out.cview());
    this->nn_.column_sums(A.cview(), alpha, T(1), out.view);
    for (std::int64_t j = 0; j < f; ++j) expected(0, j) += before(0, j);
    EXPECT_TRUE(expect_close(out.cview(), expected, 2.0 * abs_tol, 2.0 * unit<T>)) << "beta 1";
  }
}

TYPED_TEST(CpuNnOps, ActivationsForwardAndBackward) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 37, f = 300;
  for (Activation act : {Activation::relu, Activation::tanh}) {
    SCOPED_TRACE(act == Activation::relu ? "relu" : "tanh");
    const auto X = padded_uniform<T>(rng, n, f, -3.0, 3.0);
    Padded<T> Y(n, f);
    this->nn_.activation_forward(act, X.cview(), Y.view);
    DMat expected(n, f);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < f; ++j) {
        const double x = X.view(i, j);
        expected(i, j) = act == Activation::relu ? std::max(x, 0.0) : std::tanh(x);
      }
    // relu is exact; tanh is within 1 ulp in glibc (float and double), 2 u relative; twice that.
    EXPECT_TRUE(expect_close(Y.cview(), expected, 0.0, act == Activation::relu ? 0.0 : 4.0 * unit<T>));
    EXPECT_TRUE(padding_untouched(Y));

    // In place gives the same bits.
    auto in_place = padded_copy(X.cview());
    this->nn_.activation_forward(act, MatrixView<const T>(in_place.view), in_place.view);
    EXPECT_TRUE(expect_close(in_place.cview(), Y.cview(), 0.0, 0.0)) << "in place";

    const auto dY = padded_uniform<T>(rng, n, f);
    Padded<T> dX(n, f);
    this->nn_.activation_backward(act, Y.cview(), dY.cview(), dX.view);
    DMat grad(n, f);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < f; ++j) {
        const double y = Y.view(i, j), dy = dY.view(i, j);
        grad(i, j) = act == Activation::relu ? (y > 0.0 ? dy : 0.0) : dy * (1.0 - y * y);
      }
    // tanh: y*y, 1 - y*y and the product each round once on values <= |dy| <= 1: 3 u; 4 u.
    EXPECT_TRUE(expect_close(dX.cview(), grad, act == Activation::relu ? 0.0 : 4.0 * unit<T>, 0.0));
    EXPECT_TRUE(padding_untouched(dX));

    auto dY_in_place = padded_copy(dY.cview());
    this->nn_.activation_backward(act, Y.cview(), MatrixView<const T>(dY_in_place.view), dY_in_place.view);
    EXPECT_TRUE(expect_close(dY_in_place.cview(), dX.cview(), 0.0, 0.0)) << "in place";
  }
}

// ---- batch normalisation ------------------------------------------------------------------------

struct BatchNormOracle {
  DMat Y, mean, inv_std;
};

template <class T>
BatchNormOracle batch_norm_oracle(MatrixView<const T> X, double epsilon) {
  const std::int64_t n = X.rows(), f = X.cols();
  BatchNormOracle o{DMat(n, f), DMat(1, f), DMat(1, f)};
  for (std::int64_t j = 0; j < f; ++j) {
    long double s = 0.0L;
    for (std::int64_t i = 0; i < n; ++i) s += X(i, j);
    const long double mean = s / n;
    long double v = 0.0L;
    for (std::int64_t i = 0; i < n; ++i) v += (X(i, j) - mean) * (X(i, j) - mean);
    const long double inv = 1.0L / std::sqrt(v / n + epsilon);
    o.mean(0, j) = static_cast<double>(mean);
    o.inv_std(0, j) = static_cast<double>(inv);
    for (std::int64_t i = 0; i < n; ++i) o.Y(i, j) = static_cast<double>((X(i, j) - mean) * inv);
  }
  return o;
}

TYPED_TEST(CpuNnOps, BatchNormForwardAndBackward) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const T epsilon = T(1e-5);
  struct Case {
    std::int64_t n, f;
    double centre;  // a large common offset checks the two-pass variance
  };
  for (const Case c : {Case{1, 4, 0.0}, Case{7, 5, 0.0}, Case{100, 300, 100.0}, Case{1500, 3, 0.0}}) {
    SCOPED_TRACE(::testing::Message() << c.n << "x" << c.f << " centre " << c.centre);
    const auto X = padded_uniform<T>(rng, c.n, c.f, c.centre - 1.0, c.centre + 1.0);
    Padded<T> Y(c.n, c.f), mean(1, c.f), inv_std(1, c.f);
    this->nn_.batch_norm_forward(X.cview(), epsilon, Y.view, mean.view, inv_std.view);
    const auto o = batch_norm_oracle(X.cview(), static_cast<double>(epsilon));
    // float64 sums of n terms (mean, then variance), then (x - mean) * inv_std rounded once to T.
    const double g = gamma64(static_cast<double>(c.n + 4));
    const double inv_max = max_abs(o.inv_std);
    EXPECT_TRUE(expect_close(mean.cview(), o.mean, g * (c.centre + 1.0), unit<T>)) << "mean";
    EXPECT_TRUE(expect_close(inv_std.cview(), o.inv_std, 4.0 * g * inv_max, unit<T>)) << "inv_std";
    EXPECT_TRUE(expect_close(Y.cview(), o.Y, 8.0 * g * inv_max * (c.centre + 1.0) * (1.0 + max_abs(o.Y)), unit<T>))
        << "Y";
    EXPECT_TRUE(padding_untouched(Y) && padding_untouched(mean) && padding_untouched(inv_std));

    const auto dY = padded_uniform<T>(rng, c.n, c.f);
    Padded<T> dX(c.n, c.f);
    this->nn_.batch_norm_backward(Y.cview(), inv_std.cview(), dY.cview(), dX.view);
    DMat expected(c.n, c.f);
    double y_max = 0.0;
    for (std::int64_t j = 0; j < c.f; ++j) {
      long double a = 0.0L, b = 0.0L;
      for (std::int64_t i = 0; i < c.n; ++i) {
        a += dY.view(i, j);
        b += static_cast<long double>(dY.view(i, j)) * Y.view(i, j);
        y_max = std::max(y_max, std::fabs(static_cast<double>(Y.view(i, j))));
      }
      a /= c.n;
      b /= c.n;
      for (std::int64_t i = 0; i < c.n; ++i)
        expected(i, j) = static_cast<double>(inv_std.view(0, j) * (dY.view(i, j) - a - Y.view(i, j) * b));
    }
    // |dY| <= 1: |mean(dY)| <= 1 and |mean(dY Y)| <= y_max; float64 sums of n terms and 4 roundings.
    const double abs_tol = 4.0 * g * inv_max * (2.0 + y_max * y_max);
    EXPECT_TRUE(expect_close(dX.cview(), expected, abs_tol, unit<T>)) << "dX";
    EXPECT_TRUE(padding_untouched(dX));

    auto in_place = padded_copy(dY.cview());
    this->nn_.batch_norm_backward(Y.cview(), inv_std.cview(), MatrixView<const T>(in_place.view), in_place.view);
    EXPECT_TRUE(expect_close(in_place.cview(), dX.cview(), 0.0, 0.0)) << "in place";
  }
}

// d/dX of L(X) = sum G o BN(X) is batch_norm_backward(Y, inv_std, G): central differences in double.
TEST(CpuNnOpsGradients, BatchNormBackwardMatchesFiniteDifferences) {
  LWNET_SEEDED_RANDOM(rng);
  auto backend = make_cpu_backend(1);
  NnOps& nn = backend->nn();
  const std::int64_t n = 6, f = 3;
  const double epsilon = 1e-3;
  Matrix<double> X = uniform<double>(rng, n, f);
  const Matrix<double> G = uniform<double>(rng, n, f);
  Matrix<double> Y = Matrix<double>::host(n, f), mean = Matrix<double>::host(1, f), inv = Matrix<double>::host(1, f);
  auto loss = [&] {
    nn.batch_norm_forward(X.cview(), epsilon, Y.view(), mean.view(), inv.view());
    double s = 0.0;
    for (std::int64_t k = 0; k < n * f; ++k) s += G.data()[k] * Y.data()[k];
    return s;
  };
  loss();
  Matrix<double> dX = Matrix<double>::host(n, f);
  nn.batch_norm_backward(Y.cview(), inv.cview(), G.cview(), dX.view());
  const double h = 1e-5;
  DMat numeric(n, f);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < f; ++j) {
      const double x = X(i, j);
      X(i, j) = x + h;
      const double up = loss();
      X(i, j) = x - h;
      const double down = loss();
      X(i, j) = x;
      numeric(i, j) = (up - down) / (2.0 * h);
    }
  // Truncation O(h^2 |L'''|) ~ 1e-10 (inv_std ~ 2), rounding ~ u |L| / h ~ 1e-11; 1e-7 leaves room.
  EXPECT_TRUE(expect_close(dX.cview(), numeric, 1e-7, 1e-7));
}

// ---- pooling ------------------------------------------------------------------------------------

TYPED_TEST(CpuNnOps, GlobalAveragePooling) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  struct Case {
    std::int64_t n, pixels, channels;
  };
  for (const Case c : {Case{1, 1, 1}, Case{3, 4, 5}, Case{2, 49, 64}, Case{5, 1, 7}}) {
    SCOPED_TRACE(::testing::Message() << c.n << " x " << c.pixels << " pixels x " << c.channels);
    const auto X = padded_uniform<T>(rng, c.n, c.pixels * c.channels);
    Padded<T> Y(c.n, c.channels);
    this->nn_.global_avg_pool_forward(X.cview(), c.channels, Y.view);
    DMat expected(c.n, c.channels);
    for (std::int64_t i = 0; i < c.n; ++i)
      for (std::int64_t p = 0; p < c.pixels; ++p)
        for (std::int64_t ch = 0; ch < c.channels; ++ch)
          expected(i, ch) += static_cast<double>(X.view(i, p * c.channels + ch)) / static_cast<double>(c.pixels);
    // float64 sum of P terms (|x| <= 1) and the scaling, then one rounding to T.
    EXPECT_TRUE(expect_close(Y.cview(), expected, 2.0 * gamma64(static_cast<double>(c.pixels + 2)), unit<T>));
    EXPECT_TRUE(padding_untouched(Y));

    const auto dY = padded_uniform<T>(rng, c.n, c.channels);
    Padded<T> dX(c.n, c.pixels * c.channels);
    this->nn_.global_avg_pool_backward(dY.cview(), c.channels, dX.view);
    DMat grad(c.n, c.pixels * c.channels);
    for (std::int64_t i = 0; i < c.n; ++i)
      for (std::int64_t p = 0; p < c.pixels; ++p)
        for (std::int64_t ch = 0; ch < c.channels; ++ch)
          grad(i, p * c.channels + ch) = static_cast<double>(dY.view(i, ch)) / static_cast<double>(c.pixels);
    EXPECT_TRUE(expect_close(dX.cview(), grad, 0.0, unit<T>));  // one division
    EXPECT_TRUE(padding_untouched(dX));
  }
}

// ---- losses -------------------------------------------------------------------------------------

TYPED_TEST(CpuNnOps, MeanSquaredError) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [n, c] : {std::make_pair(1, 1), std::make_pair(9, 4), std::make_pair(700, 10)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << c);
    const auto F = padded_uniform<T>(rng, n, c);
    const auto targets = padded_uniform<T>(rng, n, c);
    Padded<T> dF(n, c);
    Matrix<double> loss = Matrix<double>::host(1, 1);
    loss(0, 0) = 1.25;  // the loss is added on
    this->nn_.mse_loss(F.cview(), targets.cview(), dF.view, loss.view());
    const double count = static_cast<double>(n) * static_cast<double>(c);
    long double s = 0.0L;
    DMat grad(n, c);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < c; ++j) {
        const long double d = static_cast<long double>(F.view(i, j)) - targets.view(i, j);
        s += d * d;
        grad(i, j) = static_cast<double>(2.0L * d / count);
      }
    // Squares of differences <= 4, summed in float64: gamma64(count + 4) * 4 count / count.
    EXPECT_TRUE(expect_close(loss(0, 0), 1.25 + static_cast<double>(s / count),
                             4.0 * gamma64(count + 4.0) + 2.0 * kU64 * 1.25, 0.0));
    // The difference (exact for float, one rounding for double), the scale, the product, then T.
    EXPECT_TRUE(expect_close(dF.cview(), grad, 0.0, unit<T> + 4.0 * kU64));
    EXPECT_TRUE(padding_untouched(dF));
  }
}

// softmax cross-entropy from its definition: log sum_j exp(F_ij - m_i) - (F_i,label - m_i).
struct CrossEntropyOracle {
  double loss = 0.0;  // mean over rows
  DMat dF;
};

template <class T>
CrossEntropyOracle cross_entropy_oracle(MatrixView<const T> F, const Matrix<std::int32_t>& labels) {
  const std::int64_t n = F.rows(), c = F.cols();
  CrossEntropyOracle o{0.0, DMat(n, c)};
  long double total = 0.0L;
  for (std::int64_t i = 0; i < n; ++i) {
    long double m = F(i, 0);
    for (std::int64_t j = 1; j < c; ++j) m = std::max<long double>(m, F(i, j));
    long double s = 0.0L;
    for (std::int64_t j = 0; j < c; ++j) s += std::exp(static_cast<long double>(F(i, j)) - m);
    total += std::log(s) - (F(i, labels(i, 0)) - m);
    for (std::int64_t j = 0; j < c; ++j)
      o.dF(i, j) = static_cast<double>((std::exp(static_cast<long double>(F(i, j)) - m) / s -
                                        (j == labels(i, 0) ? 1.0L : 0.0L)) /
                                       n);
  }
  o.loss = static_cast<double>(total / n);
  return o;
}

TYPED_TEST(CpuNnOps, SoftmaxCrossEntropy) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  struct Case {
    std::int64_t n, c;
    double scale;  // logits uniform in [-scale, scale]: 1e4 would overflow exp without the max shift
  };
  for (const Case k : {Case{1, 1, 1.0}, Case{1, 2, 3.0}, Case{33, 10, 3.0}, Case{300, 7, 1e4}}) {
    SCOPED_TRACE(::testing::Message() << k.n << "x" << k.c << " logits up to " << k.scale);
    const auto F = padded_uniform<T>(rng, k.n, k.c, -k.scale, k.scale);
    const auto labels = random_labels(rng, k.n, static_cast<int>(k.c));
    Padded<T> dF(k.n, k.c);
    Matrix<double> loss = Matrix<double>::host(1, 1);
    loss(0, 0) = 0.5;
    this->nn_.softmax_cross_entropy(F.cview(), labels.cview(), dF.view, loss.view());
    const auto o = cross_entropy_oracle(F.cview(), labels);
    // Per row in float64: C exps and the sum (relative gamma64(C + 4)), the log, and the shifted
    // label logit (u |F - m| <= 2 u scale); averaged over rows.
    const double g = gamma64(static_cast<double>(k.c + k.n + 8));
    EXPECT_TRUE(std::isfinite(loss(0, 0)));
    EXPECT_TRUE(expect_close(loss(0, 0), 0.5 + o.loss, g * (1.0 + 2.0 * k.scale + std::fabs(o.loss)), 0.0));
    // Each probability is relative gamma64(C + 8), the label's minus 1 / N absolute; then T.
    EXPECT_TRUE(expect_close(dF.cview(), o.dF, 2.0 * g / static_cast<double>(k.n), unit<T> + g));
    EXPECT_TRUE(padding_untouched(dF));
  }
}

// The gradient of the mean loss, against central differences in double: MSE and cross-entropy.
TEST(CpuNnOpsGradients, LossGradientsMatchFiniteDifferences) {
  LWNET_SEEDED_RANDOM(rng);
  auto backend = make_cpu_backend(1);
  NnOps& nn = backend->nn();
  const std::int64_t n = 4, c = 5;
  Matrix<double> F = uniform<double>(rng, n, c, -2.0, 2.0);
  const Matrix<double> targets = uniform<double>(rng, n, c);
  const auto labels = random_labels(rng, n, static_cast<int>(c));
  Matrix<double> dF = Matrix<double>::host(n, c), grad = Matrix<double>::host(n, c);
  for (const bool cross_entropy : {false, true}) {
    SCOPED_TRACE(cross_entropy ? "cross-entropy" : "mse");
    auto loss = [&](MatrixView<double> gradient) {
      Matrix<double> sum = Matrix<double>::host(1, 1);
      if (cross_entropy)
        nn.softmax_cross_entropy(F.cview(), labels.cview(), gradient, sum.view());
      else
        nn.mse_loss(F.cview(), targets.cview(), gradient, sum.view());
      return sum(0, 0);
    };
    loss(grad.view());
    const double h = 1e-5;
    DMat numeric(n, c);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < c; ++j) {
        const double f = F(i, j);
        F(i, j) = f + h;
        const double up = loss(dF.view());
        F(i, j) = f - h;
        const double down = loss(dF.view());
        F(i, j) = f;
        numeric(i, j) = (up - down) / (2.0 * h);
      }
    // Truncation O(h^2) ~ 1e-10, rounding ~ u |L| / h ~ 1e-11.
    EXPECT_TRUE(expect_close(grad.cview(), numeric, 1e-8, 1e-7));
  }
}

TYPED_TEST(CpuNnOps, CountCorrectAndArgmaxTakeTheFirstMaximum) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [n, c] : {std::make_pair(1, 1), std::make_pair(50, 3), std::make_pair(700, 12)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << c);
    // Values in {0, 1, 2}: ties are frequent, so "first maximal column" matters.
    Padded<T> F(n, c);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < c; ++j) F.view(i, j) = static_cast<T>(rng.below(3));
    const auto labels = random_labels(rng, n, static_cast<int>(c));
    Matrix<std::int32_t> predicted = Matrix<std::int32_t>::host(n, 1);
    this->nn_.argmax_rows(F.cview(), predicted.view());
    Matrix<std::int64_t> correct = Matrix<std::int64_t>::host(1, 1);
    correct(0, 0) = 3;  // added on
    this->nn_.count_correct(F.cview(), labels.cview(), correct.view());
    std::int64_t hits = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      std::int64_t best = 0;
      for (std::int64_t j = 0; j < c; ++j)
        if (F.view(i, j) > F.view(i, best)) best = j;
      ASSERT_EQ(predicted(i, 0), best) << "row " << i;
      hits += best == labels(i, 0) ? 1 : 0;
    }
    EXPECT_EQ(correct(0, 0), 3 + hits);
  }
}

// ---- optimisers ---------------------------------------------------------------------------------

TYPED_TEST(CpuNnOps, SgdThreeStepsWithMomentumAndWeightDecay) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t rows = 13, cols = 70;
  for (const SgdParams p : {SgdParams{0.1, 0.0, 0.0}, SgdParams{0.1, 0.0, 0.05}, SgdParams{0.05, 0.9, 0.01}}) {
    SCOPED_TRACE(::testing::Message() << "lr " << p.learning_rate << " momentum " << p.momentum << " wd "
                                      << p.weight_decay);
    auto W = padded_uniform<T>(rng, rows, cols);
    auto velocity = padded_zeros<T>(rows, cols);
    DMat w = to_dmat(W.cview()), v(rows, cols);
    for (int step = 1; step <= 3; ++step) {
      const auto dW = padded_uniform<T>(rng, rows, cols);
      // Plain SGD gets no velocity at all.
      this->nn_.sgd_update(W.view, dW.cview(), p.momentum == 0.0 ? MatrixView<T>() : velocity.view, p);
      for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t j = 0; j < cols; ++j) {
          const double g = static_cast<double>(dW.view(i, j)) + p.weight_decay * w(i, j);
          v(i, j) = p.momentum * v(i, j) + g;
          w(i, j) -= p.learning_rate * (p.momentum != 0.0 ? v(i, j) : g);
        }
    }
    // Per step about 5 roundings in T on values <= |w| + |v| (|w| <= 2, |v| <= 1 / (1 - momentum)),
    // carried over 3 steps: 3 * 8 u (2 + 10); velocity errors enter w damped by lr.
    const double tol = 24.0 * unit<T> * 12.0;
    EXPECT_TRUE(expect_close(W.cview(), w, tol, 0.0)) << "W";
    if (p.momentum != 0.0) {
      EXPECT_TRUE(expect_close(velocity.cview(), v, tol, 0.0)) << "velocity";
    }
    EXPECT_TRUE(padding_untouched(W));
  }
}

TYPED_TEST(CpuNnOps, AdamThreeSteps) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t rows = 11, cols = 90;
  for (const double weight_decay : {0.0, 0.01}) {
    const AdamParams p{0.01, 0.9, 0.999, 1e-8, weight_decay};
    SCOPED_TRACE(::testing::Message() << "weight decay " << weight_decay);
    auto W = padded_uniform<T>(rng, rows, cols);
    auto m = padded_zeros<T>(rows, cols);
    auto v = padded_zeros<T>(rows, cols);
    DMat w = to_dmat(W.cview()), mo(rows, cols), vo(rows, cols);
    for (std::int64_t step = 1; step <= 3; ++step) {
      const auto dW = padded_uniform<T>(rng, rows, cols);
      this->nn_.adam_update(W.view, dW.cview(), m.view, v.view, p, step);
      const double c1 = 1.0 - std::pow(p.beta1, static_cast<double>(step));
      const double c2 = 1.0 - std::pow(p.beta2, static_cast<double>(step));
      for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t j = 0; j < cols; ++j) {
          const double g = static_cast<double>(dW.view(i, j)) + weight_decay * w(i, j);
          mo(i, j) = p.beta1 * mo(i, j) + (1.0 - p.beta1) * g;
          vo(i, j) = p.beta2 * vo(i, j) + (1.0 - p.beta2) * g * g;
          w(i, j) -= p.learning_rate * (mo(i, j) / c1) / (std::sqrt(vo(i, j) / c2) + p.epsilon);
        }
    }
    // m and v: a few roundings per step on values <= max |g| ~ 1. The step m_hat / sqrt(v_hat) is
    // below ~3 in size with a relative error of a few tens of u even when m cancels (its terms are
    // bounded by sqrt(v) / sqrt(1 - beta2)); per step: lr * 640 u + 4 u |w|, |w| <= 2.
    EXPECT_TRUE(expect_close(m.cview(), mo, 32.0 * unit<T>, 0.0)) << "m";
    EXPECT_TRUE(expect_close(v.cview(), vo, 32.0 * unit<T>, 0.0)) << "v";
    EXPECT_TRUE(expect_close(W.cview(), w, 3.0 * (p.learning_rate * 640.0 + 8.0) * unit<T>, 0.0)) << "W";
    EXPECT_TRUE(padding_untouched(W) && padding_untouched(m) && padding_untouched(v));
  }
}

// ---- 3x3 convolution lowering -------------------------------------------------------------------

// TensorFlow's SAME padding, written out: out = ceil(in / s), pad = max((out - 1) s + 3 - in, 0),
// the smaller half (pad / 2) before.
struct SameGeometry {
  std::int64_t H, W, C, s, Ho, Wo, top, left;
  SameGeometry(std::int64_t h, std::int64_t w, std::int64_t c, std::int64_t stride)
      : H(h), W(w), C(c), s(stride), Ho((h + stride - 1) / stride), Wo((w + stride - 1) / stride),
        top(std::max<std::int64_t>((Ho - 1) * stride + 3 - h, 0) / 2),
        left(std::max<std::int64_t>((Wo - 1) * stride + 3 - w, 0) / 2) {}
  Conv3x3Shape shape() const { return Conv3x3Shape{H, W, C, static_cast<int>(s)}; }
  // Column of X holding pixel (iy, ix) channel c, or -1 in the padding.
  std::int64_t x_col(std::int64_t oy, std::int64_t ox, std::int64_t ky, std::int64_t kx, std::int64_t c) const {
    const std::int64_t iy = oy * s + ky - top, ix = ox * s + kx - left;
    if (iy < 0 || iy >= H || ix < 0 || ix >= W) return -1;
    return (iy * W + ix) * C + c;
  }
};

// The single-channel ones also take the CPU's per-entry im2col (grey images' first layer).
const SameGeometry kConvCases[] = {{5, 5, 3, 1}, {5, 5, 3, 2}, {6, 7, 3, 1}, {6, 7, 3, 2}, {1, 1, 2, 1},
                                   {2, 3, 1, 2}, {4, 4, 2, 3}, {5, 6, 1, 1}, {7, 5, 1, 2}};

template <class T>
DMat im2col_oracle(MatrixView<const T> X, const SameGeometry& g) {
  DMat cols(X.rows() * g.Ho * g.Wo, 9 * g.C);
  for (std::int64_t n = 0; n < X.rows(); ++n)
    for (std::int64_t oy = 0; oy < g.Ho; ++oy)
      for (std::int64_t ox = 0; ox < g.Wo; ++ox)
        for (std::int64_t ky = 0; ky < 3; ++ky)
          for (std::int64_t kx = 0; kx < 3; ++kx)
            for (std::int64_t c = 0; c < g.C; ++c) {
              const std::int64_t col = g.x_col(oy, ox, ky, kx, c);
              cols((n * g.Ho + oy) * g.Wo + ox, (ky * 3 + kx) * g.C + c) = col < 0 ? 0.0 : X(n, col);
            }
  return cols;
}

TYPED_TEST(CpuNnOps, Im2colMatchesTheDirectOracle) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  for (const SameGeometry& g : kConvCases) {
    SCOPED_TRACE(::testing::Message() << g.H << "x" << g.W << "x" << g.C << " stride " << g.s);
    const std::int64_t n = 3;
    const auto X = padded_uniform<T>(rng, n, g.H * g.W * g.C);
    Padded<T> cols(n * g.Ho * g.Wo, 9 * g.C);  // NaN: the padding zeros must be written
    this->nn_.im2col_3x3(X.cview(), g.shape(), cols.view);
    EXPECT_TRUE(expect_close(cols.cview(), im2col_oracle(X.cview(), g), 0.0, 0.0));  // copies
    EXPECT_TRUE(padding_untouched(cols));
  }
}

TYPED_TEST(CpuNnOps, Col2imIsTheAdjointOfIm2col) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  for (const SameGeometry& g : kConvCases) {
    SCOPED_TRACE(::testing::Message() << g.H << "x" << g.W << "x" << g.C << " stride " << g.s);
    const std::int64_t n = 2;
    const auto G = padded_uniform<T>(rng, n * g.Ho * g.Wo, 9 * g.C);
    Padded<T> dX(n, g.H * g.W * g.C);
    this->nn_.col2im_3x3(G.cview(), g.shape(), dX.view);
    DMat expected(n, g.H * g.W * g.C);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t oy = 0; oy < g.Ho; ++oy)
        for (std::int64_t ox = 0; ox < g.Wo; ++ox)
          for (std::int64_t ky = 0; ky < 3; ++ky)
            for (std::int64_t kx = 0; kx < 3; ++kx)
              for (std::int64_t c = 0; c < g.C; ++c) {
                const std::int64_t col = g.x_col(oy, ox, ky, kx, c);
                if (col >= 0) expected(i, col) += G.view((i * g.Ho + oy) * g.Wo + ox, (ky * 3 + kx) * g.C + c);
              }
    // At most 9 terms of |G| <= 1 per pixel, summed in T.
    EXPECT_TRUE(expect_close(dX.cview(), expected, 9.0 * gamma_t<T>(9.0), 0.0));
    EXPECT_TRUE(padding_untouched(dX));

    // <col2im(G), X> == <G, im2col(X)>, both sides in float64 over the same T values.
    const auto X = padded_uniform<T>(rng, n, g.H * g.W * g.C);
    Padded<T> cols(n * g.Ho * g.Wo, 9 * g.C);
    this->nn_.im2col_3x3(X.cview(), g.shape(), cols.view);
    double lhs = 0.0, rhs = 0.0, scale = 0.0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < g.H * g.W * g.C; ++k) {
        lhs += static_cast<double>(dX.view(i, k)) * X.view(i, k);
        scale += std::fabs(static_cast<double>(dX.view(i, k)) * X.view(i, k));
      }
    for (std::int64_t r = 0; r < cols.view.rows(); ++r)
      for (std::int64_t k = 0; k < 9 * g.C; ++k) rhs += static_cast<double>(G.view(r, k)) * cols.view(r, k);
    // dX's entries carry col2im's rounding in T (9 terms each); the dot products gamma64.
    const double terms = static_cast<double>(cols.view.rows() * 9 * g.C);
    EXPECT_TRUE(expect_close(lhs, rhs, (gamma64(2.0 * terms) + 9.0 * unit<T>) * (scale + terms), 0.0));
  }
}

// A 3x3 SAME convolution as im2col followed by a product with the (9 Cin) x Cout weights, against
// the direct sum over the kernel window.
TYPED_TEST(CpuNnOps, ConvolutionIsIm2colThenGemm) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 2, cout = 4;
  for (const SameGeometry& g : {SameGeometry{5, 5, 3, 1}, SameGeometry{6, 7, 3, 2}}) {
    SCOPED_TRACE(::testing::Message() << g.H << "x" << g.W << "x" << g.C << " stride " << g.s);
    const auto X = uniform<T>(rng, n, g.H * g.W * g.C);
    const auto K = uniform<T>(rng, 9 * g.C, cout);
    Matrix<T> cols = Matrix<T>::host(n * g.Ho * g.Wo, 9 * g.C);
    this->nn_.im2col_3x3(X.cview(), g.shape(), cols.view());
    // The product in float64 (exact products of T values): out is (N*Ho*Wo) x Cout, the same
    // memory as N x (Ho*Wo*Cout).
    std::vector<double> out(static_cast<std::size_t>(n * g.Ho * g.Wo * cout), 0.0);
    for (std::int64_t r = 0; r < cols.rows(); ++r)
      for (std::int64_t k = 0; k < cols.cols(); ++k)
        for (std::int64_t co = 0; co < cout; ++co)
          out[static_cast<std::size_t>(r * cout + co)] += static_cast<double>(cols(r, k)) * K(k, co);
    std::vector<double> direct(out.size(), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t oy = 0; oy < g.Ho; ++oy)
        for (std::int64_t ox = 0; ox < g.Wo; ++ox)
          for (std::int64_t co = 0; co < cout; ++co) {
            double s = 0.0;
            for (std::int64_t ky = 0; ky < 3; ++ky)
              for (std::int64_t kx = 0; kx < 3; ++kx)
                for (std::int64_t c = 0; c < g.C; ++c) {
                  const std::int64_t col = g.x_col(oy, ox, ky, kx, c);
                  if (col >= 0) s += static_cast<double>(X(i, col)) * K((ky * 3 + kx) * g.C + c, co);
                }
            direct[static_cast<std::size_t>(((i * g.Ho + oy) * g.Wo + ox) * cout + co)] = s;
          }
    // Two float64 sums of at most 9 C terms of size <= 1.
    EXPECT_TRUE(expect_close(out, direct, 2.0 * gamma64(9.0 * g.C) * 9.0 * g.C, 0.0, cout));
  }
}

// ---- random draws -------------------------------------------------------------------------------

TYPED_TEST(CpuNnOps, RandomDrawsFollowTheCounters) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const std::uint64_t seed = static_cast<std::uint64_t>(rng.below(std::int64_t{1} << 62));
  for (const Distribution d : {Distribution::normal, Distribution::uniform, Distribution::bernoulli}) {
    SCOPED_TRACE(static_cast<int>(d));
    const RandomDraw draw{d, seed, 0, d == Distribution::bernoulli ? 0.3 : -1.0, 2.0};
    const std::int64_t rows = 7, cols = 11;
    Padded<T> A(rows, cols), again(rows, cols);
    this->nn_.fill_random(A.view, draw);
    this->nn_.fill_random(again.view, draw);
    EXPECT_TRUE(expect_close(again.cview(), A.cview(), 0.0, 0.0)) << "reproducible";
    EXPECT_TRUE(padding_untouched(A));
    // Element (i, j) is counter i * cols + j (not i * ld + j).
    const std::uint64_t key = detail::mix64(seed);
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j)
        ASSERT_EQ(A.view(i, j), static_cast<T>(detail::counter_draw(d, draw.a, draw.b, key,
                                                                    static_cast<std::uint64_t>(i * cols + j))))
            << "(" << i << ", " << j << ")";
    // An offset shifts the sequence: offset k, any shape, continues at element k of offset 0.
    const std::int64_t k = 5;
    RandomDraw shifted = draw;
    shifted.offset = k;
    Padded<T> tail(1, rows * cols - k);
    this->nn_.fill_random(tail.view, shifted);
    for (std::int64_t t = 0; t < rows * cols - k; ++t)
      ASSERT_EQ(tail.view(0, t), A.view((t + k) / cols, (t + k) % cols)) << "position " << t;
    // Another seed gives other numbers.
    RandomDraw other = draw;
    other.seed = seed + 1;
    Padded<T> B(rows, cols);
    this->nn_.fill_random(B.view, other);
    if (d != Distribution::bernoulli) {
      EXPECT_NE(B.view(0, 0), A.view(0, 0));
    }
  }
}

TYPED_TEST(CpuNnOps, RandomDrawStatistics) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const std::uint64_t seed = static_cast<std::uint64_t>(rng.below(std::int64_t{1} << 62));
  const std::int64_t rows = 100, cols = 1000;
  const double count = static_cast<double>(rows * cols);
  Matrix<T> A = Matrix<T>::host(rows, cols);
  auto moments = [&](double& mean, double& var) {
    long double s = 0.0L, s2 = 0.0L;
    for (std::int64_t k = 0; k < rows * cols; ++k) s += A.data()[k];
    mean = static_cast<double>(s / count);
    for (std::int64_t k = 0; k < rows * cols; ++k) s2 += (A.data()[k] - mean) * (A.data()[k] - mean);
    var = static_cast<double>(s2 / count);
  };
  double mean = 0.0, var = 0.0;
  // Normal(2, 3^2): the sample mean's standard error is 3 / sqrt(n), the variance's 9 sqrt(2 / n).
  this->nn_.fill_random(A.view(), RandomDraw{Distribution::normal, seed, 17, 2.0, 3.0});
  moments(mean, var);
  EXPECT_NEAR(mean, 2.0, 5.0 * 3.0 / std::sqrt(count));
  EXPECT_NEAR(var, 9.0, 5.0 * 9.0 * std::sqrt(2.0 / count));
  // Uniform on [-2, 3): within the bounds, mean 0.5 with standard error (5 / sqrt 12) / sqrt(n).
  this->nn_.fill_random(A.view(), RandomDraw{Distribution::uniform, seed, 0, -2.0, 3.0});
  const auto [lo, hi] = std::minmax_element(A.data(), A.data() + rows * cols);
  EXPECT_GE(*lo, T(-2.0));
  // A float may round a draw just below 3 up to 3; a double may not.
  if (std::is_same_v<T, double>) {
    EXPECT_LT(*hi, T(3.0));
  } else {
    EXPECT_LE(*hi, T(3.0));
  }
  moments(mean, var);
  EXPECT_NEAR(mean, 0.5, 5.0 * (5.0 / std::sqrt(12.0)) / std::sqrt(count));
  EXPECT_NEAR(var, 25.0 / 12.0, 0.05);
  // Bernoulli(0.3): only 0 and 1, frequency within 5 standard errors.
  for (const double p : {0.0, 0.3, 1.0}) {
    this->nn_.fill_random(A.view(), RandomDraw{Distribution::bernoulli, seed, 0, p, 0.0});
    std::int64_t ones = 0;
    for (std::int64_t k = 0; k < rows * cols; ++k) {
      ASSERT_TRUE(A.data()[k] == T(0) || A.data()[k] == T(1)) << A.data()[k];
      ones += A.data()[k] == T(1) ? 1 : 0;
    }
    EXPECT_NEAR(static_cast<double>(ones) / count, p, 5.0 * std::sqrt(p * (1.0 - p) / count)) << "p " << p;
  }
}

// ---- thread count -------------------------------------------------------------------------------

// Every op on shapes that the pool splits (more than kWorkPerThread units, more than one
// reduction block of rows and of columns), flattened to float64 (exact for float).
template <class T>
std::vector<std::vector<double>> every_op_output(Backend& backend, std::uint64_t seed) {
  NnOps& nn = backend.nn();
  TestRandom rng(seed);
  const std::int64_t n = 2100, f = 600, channels = 20;
  const std::int64_t kImages = 32;  // 32 x 400 patches x 144: 1.8M units, over 3 threads' worth
  std::vector<std::vector<double>> outputs;
  auto keep = [&](const Matrix<T>& m) { outputs.push_back(to_doubles(m.cview())); };
  const Matrix<T> X = uniform<T>(rng, n, f);
  const Matrix<T> G = uniform<T>(rng, n, f);
  const Matrix<T> row = uniform<T>(rng, 1, f);

  Matrix<T> Y = uniform<T>(rng, n, f);
  nn.add_row_vector(Y.view(), row.cview());
  keep(Y);
  Matrix<T> sums = uniform<T>(rng, 1, f);
  nn.column_sums(X.cview(), T(0.7), T(0.3), sums.view());
  keep(sums);
  for (Activation act : {Activation::relu, Activation::tanh}) {
    nn.activation_forward(act, X.cview(), Y.view());
    keep(Y);
    Matrix<T> dX = Matrix<T>::host(n, f);
    nn.activation_backward(act, Y.cview(), G.cview(), dX.view());
    keep(dX);
  }
  Matrix<T> mean = Matrix<T>::host(1, f), inv = Matrix<T>::host(1, f), dX = Matrix<T>::host(n, f);
  nn.batch_norm_forward(X.cview(), T(1e-5), Y.view(), mean.view(), inv.view());
  nn.batch_norm_backward(Y.cview(), inv.cview(), G.cview(), dX.view());
  keep(Y);
  keep(mean);
  keep(inv);
  keep(dX);
  Matrix<T> pooled = Matrix<T>::host(n, channels);
  nn.global_avg_pool_forward(X.cview(), channels, pooled.view());
  keep(pooled);
  nn.global_avg_pool_backward(pooled.cview(), channels, dX.view());
  keep(dX);
  Matrix<double> loss = Matrix<double>::host(1, 1);
  nn.mse_loss(X.cview(), G.cview(), dX.view(), loss.view());
  keep(dX);
  const auto labels = random_labels(rng, n, static_cast<int>(f));
  nn.softmax_cross_entropy(X.cview(), labels.cview(), dX.view(), loss.view());
  keep(dX);
  outputs.push_back(to_doubles(loss.cview()));
  Matrix<std::int64_t> correct = Matrix<std::int64_t>::host(1, 1);
  nn.count_correct(X.cview(), labels.cview(), correct.view());
  Matrix<std::int32_t> predicted = Matrix<std::int32_t>::host(n, 1);
  nn.argmax_rows(X.cview(), predicted.view());
  outputs.push_back(to_doubles(correct.cview()));
  outputs.push_back(to_doubles(predicted.cview()));
  Matrix<T> W = uniform<T>(rng, n, f), velocity = Matrix<T>::host(n, f), m = Matrix<T>::host(n, f),
            v = Matrix<T>::host(n, f);
  nn.sgd_update(W.view(), G.cview(), velocity.view(), SgdParams{0.1, 0.9, 0.01});
  nn.adam_update(W.view(), X.cview(), m.view(), v.view(), AdamParams{}, 2);
  keep(W);
  keep(velocity);
  keep(m);
  keep(v);
  for (int stride : {1, 2}) {
    const Conv3x3Shape shape{20, 20, 16, stride};
    const Matrix<T> images = uniform<T>(rng, kImages, shape.input_features());
    Matrix<T> cols = Matrix<T>::host(kImages * shape.out_height() * shape.out_width(), shape.patch_features());
    nn.im2col_3x3(images.cview(), shape, cols.view());
    keep(cols);
    Matrix<T> back = Matrix<T>::host(kImages, shape.input_features());
    nn.col2im_3x3(cols.cview(), shape, back.view());
    keep(back);
  }
  nn.fill_random(W.view(), RandomDraw{Distribution::normal, seed, 3, 0.0, 1.0});
  keep(W);
  return outputs;
}

TYPED_TEST(CpuNnOps, ResultsDoNotDependOnTheThreadCount) {
  using T = TypeParam;
  LWNET_SEEDED_RANDOM(rng);
  const std::uint64_t seed = static_cast<std::uint64_t>(rng.below(std::int64_t{1} << 62));
  auto one = make_cpu_backend(1);
  auto three = make_cpu_backend(3);
  const auto a = every_op_output<T>(*one, seed);
  const auto b = every_op_output<T>(*three, seed);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].size(), b[k].size()) << "output " << k;
    const bool same = std::memcmp(a[k].data(), b[k].data(), a[k].size() * sizeof(double)) == 0;
    EXPECT_TRUE(same) << "output " << k << " differs between 1 and 3 threads";
  }
}

// ---- validation ---------------------------------------------------------------------------------

class CpuNnOpsValidation : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> backend_ = make_cpu_backend(1);
  NnOps& nn_ = backend_->nn();
  Matrix<float> A_ = Matrix<float>::host(4, 6);
  Matrix<float> B_ = Matrix<float>::host(4, 6);
  Matrix<float> C_ = Matrix<float>::host(4, 6);
};

TEST_F(CpuNnOpsValidation, WrongShapesNameTheOperationAndArguments) {
  Matrix<float> row = Matrix<float>::host(1, 5);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.add_row_vector(A_.view(), row.cview()); },
                                           {"add_row_vector", "row must be 1x6", "row 1x5"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.column_sums(A_.cview(), 1.0f, 0.0f, row.view()); },
                                           {"column_sums", "out must be 1x6"}));
  Matrix<float> small = Matrix<float>::host(3, 6);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.activation_forward(Activation::relu, A_.cview(), small.view()); },
                                           {"activation_forward", "X and Y must have the same shape", "X 4x6", "Y 3x6"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.global_avg_pool_forward(A_.cview(), 4, small.view()); },
      {"global_avg_pool_forward", "channels = 4", "divide the 6 columns of X"}));
  Matrix<std::int32_t> labels = Matrix<std::int32_t>::host(3, 1);
  Matrix<double> loss = Matrix<double>::host(1, 1);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.softmax_cross_entropy(A_.cview(), labels.cview(), B_.view(), loss.view()); },
      {"softmax_cross_entropy", "labels must be 4x1"}));
  Matrix<double> two = Matrix<double>::host(1, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.mse_loss(A_.cview(), C_.cview(), B_.view(), two.view()); },
                                           {"mse_loss", "loss_sum must be 1x1"}));
  // Convolution: X's columns must be H*W*C, cols (N*Ho*Wo) x 9C.
  const Conv3x3Shape shape{2, 3, 1, 1};  // H*W*C = 6, Ho*Wo = 6
  Matrix<float> cols = Matrix<float>::host(24, 9);
  EXPECT_NO_THROW(nn_.im2col_3x3(A_.cview(), shape, cols.view()));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.im2col_3x3(A_.cview(), Conv3x3Shape{2, 2, 1, 1}, cols.view()); },
                                           {"im2col_3x3", "X must have H*W*C = 4 columns"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.im2col_3x3(A_.cview(), Conv3x3Shape{2, 3, 1, 2}, cols.view()); },
                                           {"im2col_3x3", "cols must be (N*Ho*Wo) x 9C = 8x9"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.col2im_3x3(cols.cview(), Conv3x3Shape{2, 3, 1, 0}, A_.view()); },
                                           {"col2im_3x3", "stride >= 1"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.fill(MatrixView<float>(), 1.0f); }, {"fill", "A is empty"}));
}

TEST_F(CpuNnOpsValidation, OverlapIsRefusedExceptExactlyInPlace) {
  // Exactly in place is allowed where documented.
  EXPECT_NO_THROW(nn_.activation_forward(Activation::relu, A_.cview(), A_.view()));
  EXPECT_NO_THROW(nn_.activation_backward(Activation::tanh, B_.cview(), A_.cview(), A_.view()));
  Matrix<float> inv = Matrix<float>::host(1, 6);
  EXPECT_NO_THROW(nn_.batch_norm_backward(B_.cview(), inv.cview(), A_.cview(), A_.view()));
  // A view shifted by one element, or a sub-block, overlaps partially.
  Matrix<float> big = Matrix<float>::host(5, 6);
  const MatrixView<float> first(big.data(), 4, 6, 6);
  const MatrixView<float> shifted(big.data() + 1, 4, 6, 6);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.activation_forward(Activation::relu, MatrixView<const float>(first), shifted); },
      {"activation_forward", "Y overlaps X"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.activation_backward(Activation::relu, B_.cview(), MatrixView<const float>(first), shifted); },
      {"activation_backward", "dX overlaps dY"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.activation_backward(Activation::relu, A_.cview(), B_.cview(), A_.view()); },
      {"activation_backward", "dX overlaps Y"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.batch_norm_backward(B_.cview(), inv.cview(), MatrixView<const float>(first), shifted); },
      {"batch_norm_backward", "dX overlaps dY"}));
  Matrix<float> mean = Matrix<float>::host(1, 6);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.batch_norm_forward(A_.cview(), 1e-5f, A_.view(), mean.view(), inv.view()); },
      {"batch_norm_forward", "Y overlaps X"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.batch_norm_forward(A_.cview(), 1e-5f, B_.view(), mean.view(), mean.view()); },
      {"batch_norm_forward", "inv_std overlaps mean"}));
  Matrix<double> loss = Matrix<double>::host(1, 1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.mse_loss(A_.cview(), B_.cview(), A_.view(), loss.view()); },
                                           {"mse_loss", "dF overlaps F"}));
  Matrix<float> velocity = Matrix<float>::host(4, 6);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.sgd_update(A_.view(), A_.cview(), velocity.view(), SgdParams{0.1, 0.5, 0.0}); },
      {"sgd_update", "W overlaps dW"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.adam_update(A_.view(), B_.cview(), C_.view(), C_.view(), AdamParams{}, 1); },
      {"adam_update", "v overlaps m"}));
  Matrix<float> cols = Matrix<float>::host(24, 9);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] {
        nn_.im2col_3x3(MatrixView<const float>(cols.data(), 4, 6, 6), Conv3x3Shape{2, 3, 1, 1}, cols.view());
      },
      {"im2col_3x3", "cols overlaps X"}));
}

TEST_F(CpuNnOpsValidation, DeviceMemoryIsRefused) {
  // A host pointer marked as CUDA memory: the front end must refuse it before anything reads it.
  const MatrixView<float> fake(A_.data(), 4, 6, 6, MemorySpace::cuda, 0);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.fill(fake, 0.0f); },
                                           {"fill", "A is in cuda:0 memory", "host memory"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.activation_forward(Activation::relu, MatrixView<const float>(fake), B_.view()); },
      {"activation_forward", "X is in cuda:0"}));
  Matrix<std::int32_t> labels = Matrix<std::int32_t>::host(4, 1);
  const MatrixView<const std::int32_t> fake_labels(labels.data(), 4, 1, 1, MemorySpace::cuda, 1);
  Matrix<std::int64_t> correct = Matrix<std::int64_t>::host(1, 1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.count_correct(A_.cview(), fake_labels, correct.view()); },
                                           {"count_correct", "labels is in cuda:1"}));
}

TEST_F(CpuNnOpsValidation, LabelsOutOfRangeNameTheRowAndWriteNothing) {
  Matrix<std::int32_t> labels = Matrix<std::int32_t>::host(4, 1);
  labels(0, 0) = 5;
  labels(2, 0) = 6;  // the first bad row is named
  Matrix<double> loss = Matrix<double>::host(1, 1);
  for (std::int64_t k = 0; k < B_.size(); ++k) B_.data()[k] = 7.0f;
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.softmax_cross_entropy(A_.cview(), labels.cview(), B_.view(), loss.view()); },
      {"softmax_cross_entropy", "label 6 in row 2 is outside [0, 6)"}));
  for (std::int64_t k = 0; k < B_.size(); ++k) ASSERT_EQ(B_.data()[k], 7.0f) << "dF was written";
  EXPECT_EQ(loss(0, 0), 0.0);
  labels(2, 0) = -1;
  Matrix<std::int64_t> correct = Matrix<std::int64_t>::host(1, 1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { nn_.count_correct(A_.cview(), labels.cview(), correct.view()); },
                                           {"count_correct", "label -1 in row 2"}));
  EXPECT_EQ(correct(0, 0), 0);
}

TEST_F(CpuNnOpsValidation, BadParametersAreRefused) {
  Matrix<float> velocity = Matrix<float>::host(4, 6);
  auto sgd = [&](SgdParams p) { nn_.sgd_update(A_.view(), B_.cview(), velocity.view(), p); };
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { sgd({0.1, 1.0, 0.0}); }, {"sgd_update", "momentum must be in [0, 1)"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { sgd({NAN, 0.0, 0.0}); }, {"sgd_update", "learning_rate must be finite"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { sgd({0.1, 0.0, -1.0}); }, {"sgd_update", "weight_decay must be >= 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.sgd_update(A_.view(), B_.cview(), MatrixView<float>(), SgdParams{0.1, 0.9, 0.0}); },
      {"sgd_update", "velocity is empty"}));
  auto adam = [&](AdamParams p, std::int64_t step) {
    nn_.adam_update(A_.view(), B_.cview(), C_.view(), velocity.view(), p, step);
  };
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { adam({1e-3, -0.1, 0.999, 1e-8, 0.0}, 1); }, {"adam_update", "beta1"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { adam({1e-3, 0.9, 1.0, 1e-8, 0.0}, 1); }, {"adam_update", "beta2"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { adam({1e-3, 0.9, 0.999, 0.0, 0.0}, 1); },
                                           {"adam_update", "epsilon must be > 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { adam(AdamParams{}, 0); }, {"adam_update", "step counts from 1, got 0"}));
  Matrix<float> mean = Matrix<float>::host(1, 6), inv = Matrix<float>::host(1, 6);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.batch_norm_forward(A_.cview(), 0.0f, B_.view(), mean.view(), inv.view()); },
      {"batch_norm_forward", "epsilon must be finite and > 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.fill_random(A_.view(), RandomDraw{Distribution::bernoulli, 1, 0, 1.5, 0.0}); },
      {"fill_random", "bernoulli probability"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.fill_random(A_.view(), RandomDraw{Distribution::uniform, 1, 0, 2.0, 2.0}); },
      {"fill_random", "a < b"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.fill_random(A_.view(), RandomDraw{Distribution::normal, 1, 0, 0.0, -1.0}); },
      {"fill_random", "standard deviation (b) must be >= 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { nn_.column_sums(A_.cview(), INFINITY, 0.0f, MatrixView<float>(velocity.data(), 1, 6, 6)); },
      {"column_sums", "alpha must be finite"}));
}

}  // namespace
}  // namespace lwnet::test
