// CPU-vs-CUDA parity of NnOps (lwnet/nn_ops.hpp), every operation in float and double: the same
// inputs go through both backends and the outputs are compared. Device operands sit inside larger
// buffers whose padding holds NaN (ld = cols + kParityPad), so a kernel that ignores ld reads NaN and one
// that writes outside its view leaves a non-NaN in the padding; both fail here.
//
// Tolerances. The CUDA kernels evaluate the CPU's formulas term for term with the same float64
// summation blocks for column reductions; either compiler may contract a product and a sum into
// one FMA (kernels/nn/nn_kernels.cuh), so the bounds below are what the arithmetic guarantees
// with or without contraction:
//   - copies and single correctly rounded operations (fill, add_row_vector, relu, the pooling
//     gradient, im2col, argmax, counts): exact;
//   - outputs computed in float64 and rounded once to T, or a short chain in T: 1-2 ulp of T
//     (one ulp <= 2u relative);
//   - transcendental functions: CUDA's tanhf is within 2 ulp and glibc's within 1-2, so 4 ulp
//     apart; exp/log in float64 differ by at most 1 ulp each;
//   - float64 sums of k terms in different orders: 2 gamma64(k) times the sum of |terms|
//     (each backend within gamma64(k) of the exact sum, Higham 3.1).
// fill_random evaluates the same generator: identical within 1e-12 relative in double (libm
// versus CUDA's log/cos, and a contracted a + (b - a) u), within one float ulp in float.
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/nn_ops.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {


template <class T>
constexpr double unit = std::is_same_v<T, float> ? kU32 : kU64;
// k units in the last place of T, as a relative tolerance (one ulp <= 2u relative).
template <class T>
constexpr double ulps(double k) {
  return 2.0 * k * unit<T>;
}

template <class T>
Matrix<T> uniform(TestRandom& rng, std::int64_t rows, std::int64_t cols, double lo = -1.0, double hi = 1.0) {
  Matrix<T> m = Matrix<T>::host(rows, cols);
  for (std::int64_t k = 0; k < rows * cols; ++k) m.data()[k] = static_cast<T>(rng.uniform(lo, hi));
  return m;
}

template <class T>
Matrix<T> copy_of(MatrixView<const T> m) {
  Matrix<T> out = Matrix<T>::host(m.rows(), m.cols());
  for (std::int64_t i = 0; i < m.rows(); ++i)
    for (std::int64_t j = 0; j < m.cols(); ++j) out(i, j) = m(i, j);
  return out;
}

template <class T>
double max_abs(MatrixView<const T> m) {
  double best = 0.0;
  for (std::int64_t i = 0; i < m.rows(); ++i)
    for (std::int64_t j = 0; j < m.cols(); ++j) best = std::max(best, std::fabs(static_cast<double>(m(i, j))));
  return best;
}

Matrix<std::int32_t> random_labels(TestRandom& rng, std::int64_t n, std::int64_t classes) {
  Matrix<std::int32_t> labels = Matrix<std::int32_t>::host(n, 1);
  for (std::int64_t i = 0; i < n; ++i) labels(i, 0) = static_cast<std::int32_t>(rng.below(classes));
  return labels;
}

Matrix<double> scalar(double value) {
  Matrix<double> s = Matrix<double>::host(1, 1);
  s(0, 0) = value;
  return s;
}

// GPU output (with its padding) against the CPU's.
template <class T>
::testing::AssertionResult matches(const Padded<T>& gpu, MatrixView<const T> cpu, double abs_tol, double rel_tol) {
  const ::testing::AssertionResult padding = padding_untouched(gpu);
  if (!padding) return padding;
  return expect_close(gpu.cview(), cpu, abs_tol, rel_tol);
}

class CudaNnParity : public CudaParityTest {
 protected:
  NnOps& gnn() { return gpu().nn(); }
  NnOps& cnn() { return cpu().nn(); }

  template <class T>
  void elementwise(TestRandom& rng);
  template <class T>
  void column_sums(TestRandom& rng);
  template <class T>
  void batch_norm(TestRandom& rng);
  template <class T>
  void pooling(TestRandom& rng);
  template <class T>
  void mse(TestRandom& rng);
  template <class T>
  void cross_entropy(TestRandom& rng);
  template <class T>
  void predictions(TestRandom& rng);
  template <class T>
  void optimisers(TestRandom& rng);
  template <class T>
  void convolution_lowering(TestRandom& rng);
  template <class T>
  void random_draws();
};

template <class T>
void CudaNnParity::elementwise(TestRandom& rng) {
  for (const auto& [n, f] : {std::make_pair(1, 1), std::make_pair(7, 33), std::make_pair(1000, 130)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << f);
    const Matrix<T> X = uniform<T>(rng, n, f, -3.0, 3.0);
    const Matrix<T> row = uniform<T>(rng, 1, f);
    const Matrix<T> dY = uniform<T>(rng, n, f);

    OnDevice<T> A = on_device(gpu(), X.cview());
    gnn().fill(A.view, T(-1.5));
    Matrix<T> a = copy_of(X.cview());
    cnn().fill(a.view(), T(-1.5));
    EXPECT_TRUE(matches(on_host(gpu(), A), a.cview(), 0.0, 0.0)) << "fill";

    OnDevice<T> Y = on_device(gpu(), X.cview());
    gnn().add_row_vector(Y.view, on_device(gpu(), row.cview()).cview());
    Matrix<T> y = copy_of(X.cview());
    cnn().add_row_vector(y.view(), row.cview());
    EXPECT_TRUE(matches(on_host(gpu(), Y), y.cview(), 0.0, 0.0)) << "add_row_vector: one rounded addition";

    for (Activation f_act : {Activation::relu, Activation::tanh}) {
      const bool relu = f_act == Activation::relu;
      SCOPED_TRACE(relu ? "relu" : "tanh");
      // Out of place, then in place (Y is X).
      const OnDevice<T> Xg = on_device(gpu(), X.cview());
      OnDevice<T> out = on_device(gpu(), dY.cview());
      gnn().activation_forward(f_act, Xg.cview(), out.view);
      Matrix<T> expected = Matrix<T>::host(n, f);
      cnn().activation_forward(f_act, X.cview(), expected.view());
      const double forward_rel = relu ? 0.0 : ulps<T>(4.0);  // tanh: each library within 2 ulp
      EXPECT_TRUE(matches(on_host(gpu(), out), expected.cview(), 0.0, forward_rel)) << "forward";
      OnDevice<T> in_place = on_device(gpu(), X.cview());
      gnn().activation_forward(f_act, in_place.cview(), in_place.view);
      EXPECT_TRUE(matches(on_host(gpu(), in_place), expected.cview(), 0.0, forward_rel)) << "forward in place";

      // Backward from the CPU's forward output, so both see the same Y: relu' selects, tanh' is
      // dY (1 - Y^2) in three rounded operations on both.
      const OnDevice<T> Yg = on_device(gpu(), expected.cview());
      OnDevice<T> dX = on_device(gpu(), X.cview());
      gnn().activation_backward(f_act, Yg.cview(), on_device(gpu(), dY.cview()).cview(), dX.view);
      Matrix<T> dx = Matrix<T>::host(n, f);
      cnn().activation_backward(f_act, expected.cview(), dY.cview(), dx.view());
      const double backward_rel = relu ? 0.0 : ulps<T>(2.0);
      EXPECT_TRUE(matches(on_host(gpu(), dX), dx.cview(), 0.0, backward_rel)) << "backward";
      OnDevice<T> dX_in_place = on_device(gpu(), dY.cview());
      gnn().activation_backward(f_act, Yg.cview(), dX_in_place.cview(), dX_in_place.view);
      EXPECT_TRUE(matches(on_host(gpu(), dX_in_place), dx.cview(), 0.0, backward_rel)) << "backward in place";
    }
  }
}

TEST_P(CudaNnParity, Elementwise) {
  LWNET_SEEDED_RANDOM(rng);
  elementwise<float>(rng);
  elementwise<double>(rng);
}

template <class T>
void CudaNnParity::column_sums(TestRandom& rng) {
  // 2500 rows: three float64 blocks of 1024 rows on both backends.
  for (const auto& [n, f] : {std::make_pair(1, 1), std::make_pair(3, 7), std::make_pair(1000, 33), std::make_pair(2500, 300)})
    for (const auto& [alpha, beta] : {std::make_pair(1.0, 0.0), std::make_pair(-0.5, 0.25)}) {
      SCOPED_TRACE(::testing::Message() << n << "x" << f << " alpha " << alpha << " beta " << beta);
      const Matrix<T> A = uniform<T>(rng, n, f);
      Matrix<T> out = uniform<T>(rng, 1, f);
      if (beta == 0.0) out(0, 0) = std::numeric_limits<T>::quiet_NaN();  // beta == 0 ignores it
      OnDevice<T> og = on_device(gpu(), out.cview());
      gnn().column_sums(on_device(gpu(), A.cview()).cview(), T(alpha), T(beta), og.view);
      cnn().column_sums(A.cview(), T(alpha), T(beta), out.view());
      // Sums of n terms |a| <= 1 in float64, scaled, plus beta out (<= 1), rounded once to T.
      const double abs_tol = kParityFactor * gamma64(n + 2.0) * (std::fabs(alpha) * n + std::fabs(beta));
      EXPECT_TRUE(matches(on_host(gpu(), og), out.cview(), abs_tol, ulps<T>(1.0)));
    }
}

TEST_P(CudaNnParity, ColumnSums) {
  LWNET_SEEDED_RANDOM(rng);
  column_sums<float>(rng);
  column_sums<double>(rng);
}

template <class T>
void CudaNnParity::batch_norm(TestRandom& rng) {
  for (const auto& [n, f] : {std::make_pair(2, 1), std::make_pair(7, 33), std::make_pair(128, 300), std::make_pair(1500, 20)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << f);
    const T epsilon = T(1e-5);
    const Matrix<T> X = uniform<T>(rng, n, f, -2.0, 4.0);
    OnDevice<T> Yg = on_device(gpu(), X.cview());
    OnDevice<T> mean_g = on_device(gpu(), Matrix<T>::host(1, f).cview());
    OnDevice<T> inv_g = on_device(gpu(), Matrix<T>::host(1, f).cview());
    gnn().batch_norm_forward(on_device(gpu(), X.cview()).cview(), epsilon, Yg.view, mean_g.view, inv_g.view);
    Matrix<T> Y = Matrix<T>::host(n, f), mean = Matrix<T>::host(1, f), inv_std = Matrix<T>::host(1, f);
    cnn().batch_norm_forward(X.cview(), epsilon, Y.view(), mean.view(), inv_std.view());
    // Float64 statistics of n terms |x| <= 4: the mean within gamma64(n) 4, the variance's sum
    // within gamma64(n + 2) 36 n relative to >= its exact value; each output rounded once to T.
    const double inv_max = max_abs(inv_std.cview());
    const double stat = kParityFactor * gamma64(n + 2.0) * 36.0;
    EXPECT_TRUE(matches(on_host(gpu(), mean_g), mean.cview(), kParityFactor * gamma64(n) * 4.0, ulps<T>(1.0))) << "mean";
    EXPECT_TRUE(matches(on_host(gpu(), inv_g), inv_std.cview(), stat * inv_max * inv_max * inv_max, ulps<T>(1.0)))
        << "inv_std";
    EXPECT_TRUE(matches(on_host(gpu(), Yg), Y.cview(), stat * 8.0 * inv_max * inv_max * inv_max, ulps<T>(1.0))) << "Y";

    // Backward from the CPU's Y and inv_std; out of place and in place (dX is dY).
    const Matrix<T> dY = uniform<T>(rng, n, f);
    const OnDevice<T> Y_in = on_device(gpu(), Y.cview());
    const OnDevice<T> inv_in = on_device(gpu(), inv_std.cview());
    OnDevice<T> dXg = on_device(gpu(), X.cview());
    gnn().batch_norm_backward(Y_in.cview(), inv_in.cview(), on_device(gpu(), dY.cview()).cview(), dXg.view);
    OnDevice<T> in_place = on_device(gpu(), dY.cview());
    gnn().batch_norm_backward(Y_in.cview(), inv_in.cview(), in_place.cview(), in_place.view);
    Matrix<T> dX = Matrix<T>::host(n, f);
    cnn().batch_norm_backward(Y.cview(), inv_std.cview(), dY.cview(), dX.view());
    // The two row means (|dY| <= 1, |dY Y| <= max|Y|) within gamma64(n) of theirs, times max|Y|
    // and inv_std, then one rounding to T.
    const double y_max = max_abs(Y.cview());
    const double abs_tol = kParityFactor * gamma64(n + 4.0) * (1.0 + y_max * y_max) * inv_max;
    EXPECT_TRUE(matches(on_host(gpu(), dXg), dX.cview(), abs_tol, ulps<T>(1.0))) << "dX";
    EXPECT_TRUE(matches(on_host(gpu(), in_place), dX.cview(), abs_tol, ulps<T>(1.0))) << "dX in place";
  }
}

TEST_P(CudaNnParity, BatchNorm) {
  LWNET_SEEDED_RANDOM(rng);
  batch_norm<float>(rng);
  batch_norm<double>(rng);
}

template <class T>
void CudaNnParity::pooling(TestRandom& rng) {
  for (const auto& [n, pixels, c] : {std::make_tuple(3, 1, 5), std::make_tuple(4, 49, 16), std::make_tuple(2, 1024, 3)}) {
    SCOPED_TRACE(::testing::Message() << "N " << n << " P " << pixels << " C " << c);
    const Matrix<T> X = uniform<T>(rng, n, pixels * c);
    OnDevice<T> Yg = on_device(gpu(), Matrix<T>::host(n, c).cview());
    gnn().global_avg_pool_forward(on_device(gpu(), X.cview()).cview(), c, Yg.view);
    Matrix<T> Y = Matrix<T>::host(n, c);
    cnn().global_avg_pool_forward(X.cview(), c, Y.view());
    // Float64 sums of P terms |x| <= 1 times 1/P, rounded once to T.
    EXPECT_TRUE(matches(on_host(gpu(), Yg), Y.cview(), kParityFactor * gamma64(pixels + 2.0), ulps<T>(1.0))) << "forward";

    const Matrix<T> dY = uniform<T>(rng, n, c);
    OnDevice<T> dXg = on_device(gpu(), X.cview());
    gnn().global_avg_pool_backward(on_device(gpu(), dY.cview()).cview(), c, dXg.view);
    Matrix<T> dX = Matrix<T>::host(n, pixels * c);
    cnn().global_avg_pool_backward(dY.cview(), c, dX.view());
    EXPECT_TRUE(matches(on_host(gpu(), dXg), dX.cview(), 0.0, 0.0)) << "backward: one correctly rounded division";
  }
}

TEST_P(CudaNnParity, GlobalAvgPool) {
  LWNET_SEEDED_RANDOM(rng);
  pooling<float>(rng);
  pooling<double>(rng);
}

template <class T>
void CudaNnParity::mse(TestRandom& rng) {
  for (const auto& [n, c] : {std::make_pair(1, 1), std::make_pair(7, 3), std::make_pair(1000, 10), std::make_pair(300, 784)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << c);
    const Matrix<T> F = uniform<T>(rng, n, c), targets = uniform<T>(rng, n, c);
    OnDevice<T> dFg = on_device(gpu(), F.cview());
    Matrix<double> loss_g = gpu().upload(scalar(1.25).cview());
    gnn().mse_loss(on_device(gpu(), F.cview()).cview(), on_device(gpu(), targets.cview()).cview(), dFg.view,
                   loss_g.view());
    Matrix<T> dF = Matrix<T>::host(n, c);
    Matrix<double> loss = scalar(1.25);
    cnn().mse_loss(F.cview(), targets.cview(), dF.view(), loss.view());
    // dF = T(d * 2 / (N C)) from the same float64 d on both: one rounding.
    EXPECT_TRUE(matches(on_host(gpu(), dFg), dF.cview(), 0.0, ulps<T>(1.0))) << "dF";
    // The mean of N C squares <= 4 summed in float64 (different orders), plus 1.25.
    const double tol = kParityFactor * (gamma64(n * c + 2.0) * 4.0 + 2.0 * kU64 * 6.0);
    EXPECT_TRUE(expect_close(gpu().download(loss_g.cview())(0, 0), loss(0, 0), tol, 0.0)) << "loss_sum";
  }
}

TEST_P(CudaNnParity, MseLoss) {
  LWNET_SEEDED_RANDOM(rng);
  mse<float>(rng);
  mse<double>(rng);
}

template <class T>
void CudaNnParity::cross_entropy(TestRandom& rng) {
  for (const auto& [n, c, spread] : {std::make_tuple(1, 1, 1.0), std::make_tuple(3, 2, 1.0), std::make_tuple(7, 10, 30.0),
                                     std::make_tuple(1000, 10, 5.0), std::make_tuple(300, 1000, 8.0)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << c << " logits in +-" << spread);
    const Matrix<T> F = uniform<T>(rng, n, c, -spread, spread);
    const Matrix<std::int32_t> labels = random_labels(rng, n, c);
    OnDevice<T> dFg = on_device(gpu(), F.cview());
    Matrix<double> loss_g = gpu().upload(scalar(0.5).cview());
    gnn().softmax_cross_entropy(on_device(gpu(), F.cview()).cview(), gpu().upload(labels.cview()).cview(), dFg.view,
                                loss_g.view());
    Matrix<T> dF = Matrix<T>::host(n, c);
    Matrix<double> loss = scalar(0.5);
    cnn().softmax_cross_entropy(F.cview(), labels.cview(), dF.view(), loss.view());
    // exp and log in float64 within 1 ulp on each side: each softmax entry e / s within ~(C + 4) u64
    // relative, |dF| <= 1/N; the label entry subtracts 1/N (absolute error on the 1/N scale).
    const double inv_n = 1.0 / n;
    EXPECT_TRUE(matches(on_host(gpu(), dFg), dF.cview(), kParityFactor * (c + 8.0) * kU64 * inv_n, ulps<T>(1.0)))
        << "dF";
    // Each row loss log s - (f - m) <= log C + 2 spread, within (C + 8) u64 of it; N of them summed.
    const double row_bound = std::log(static_cast<double>(c)) + 2.0 * spread;
    const double tol = kParityFactor * (gamma64(n + 2.0) + (c + 8.0) * kU64) * row_bound + 2.0 * kU64;
    EXPECT_TRUE(expect_close(gpu().download(loss_g.cview())(0, 0), loss(0, 0), tol, 0.0)) << "loss_sum";
  }
}

TEST_P(CudaNnParity, SoftmaxCrossEntropy) {
  LWNET_SEEDED_RANDOM(rng);
  cross_entropy<float>(rng);
  cross_entropy<double>(rng);
}

// GPU only: the CPU refuses such labels (InvalidArgument) before writing, the GPU cannot without
// waiting, so its kernels never index with them and poison the loss instead (nn_loss_optim.cu).
TEST_P(CudaNnParity, OutOfRangeLabelsGiveNanLossNotOutOfBoundsReads) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 6, c = 4;
  const Matrix<float> F = uniform<float>(rng, n, c);
  Matrix<std::int32_t> labels = random_labels(rng, n, c);
  labels(1, 0) = static_cast<std::int32_t>(c);
  labels(3, 0) = -1;
  labels(4, 0) = std::numeric_limits<std::int32_t>::max();
  labels(5, 0) = std::numeric_limits<std::int32_t>::min();
  const Matrix<std::int32_t> labels_g = gpu().upload(labels.cview());
  const OnDevice<float> Fg = on_device(gpu(), F.cview());
  OnDevice<float> dFg = on_device(gpu(), F.cview());
  Matrix<double> loss_g = gpu().upload(scalar(0.0).cview());
  gnn().softmax_cross_entropy(Fg.cview(), labels_g.cview(), dFg.view, loss_g.view());
  EXPECT_TRUE(std::isnan(gpu().download(loss_g.cview())(0, 0)));
  const Padded<float> dF = on_host(gpu(), dFg);
  EXPECT_TRUE(padding_untouched(dF));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < c; ++j)
      EXPECT_EQ(std::isnan(dF.view(i, j)), i != 0 && i != 2) << "row " << i << " (label " << labels(i, 0) << ")";

  // count_correct: rows with a bad label count as wrong; the valid rows 0 and 2 as on the CPU.
  std::int64_t expected = 7;
  Matrix<std::int64_t> correct_g = gpu().upload(MatrixView<const std::int64_t>::host(&expected, 1, 1));
  gnn().count_correct(Fg.cview(), labels_g.cview(), correct_g.view());
  Matrix<std::int32_t> predicted = Matrix<std::int32_t>::host(n, 1);
  cnn().argmax_rows(F.cview(), predicted.view());
  for (std::int64_t i : {0, 2}) expected += predicted(i, 0) == labels(i, 0) ? 1 : 0;
  EXPECT_EQ(gpu().download(correct_g.cview())(0, 0), expected);
}

template <class T>
void CudaNnParity::predictions(TestRandom& rng) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T inf = std::numeric_limits<T>::infinity();
  for (const auto& [n, c] : {std::make_pair(1, 1), std::make_pair(9, 3), std::make_pair(1000, 10), std::make_pair(50, 1000)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << c);
    // Small integers: many ties, where "the first maximal column" decides.
    Matrix<T> F = Matrix<T>::host(n, c);
    for (std::int64_t k = 0; k < n * c; ++k) F.data()[k] = static_cast<T>(rng.below(3));
    if (n >= 9 && c >= 3) {
      F(0, 0) = nan;       // NaN first: column 0
      F(1, 1) = nan;       // NaN later: never chosen
      F(2, 2) = inf;
      F(3, 0) = -inf;
      F(3, 1) = -inf;
      for (std::int64_t j = 0; j < c; ++j) F(4, j) = nan;  // all NaN: column 0
      for (std::int64_t j = 0; j < c; ++j) F(5, j) = -inf;
    }
    const Matrix<std::int32_t> labels = random_labels(rng, n, c);
    const OnDevice<T> Fg = on_device(gpu(), F.cview());
    Matrix<std::int32_t> predicted_g = gpu().allocate<std::int32_t>(n, 1);
    gnn().argmax_rows(Fg.cview(), predicted_g.view());
    Matrix<std::int32_t> predicted = Matrix<std::int32_t>::host(n, 1);
    cnn().argmax_rows(F.cview(), predicted.view());
    const Matrix<std::int32_t> got = gpu().download(predicted_g.cview());
    for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(got(i, 0), predicted(i, 0)) << "row " << i;

    std::int64_t start = 11;
    Matrix<std::int64_t> correct_g = gpu().upload(MatrixView<const std::int64_t>::host(&start, 1, 1));
    gnn().count_correct(Fg.cview(), gpu().upload(labels.cview()).cview(), correct_g.view());
    Matrix<std::int64_t> correct = Matrix<std::int64_t>::host(1, 1);
    correct(0, 0) = start;
    cnn().count_correct(F.cview(), labels.cview(), correct.view());
    EXPECT_EQ(gpu().download(correct_g.cview())(0, 0), correct(0, 0));
  }
}

TEST_P(CudaNnParity, ArgmaxAndCountCorrect) {
  LWNET_SEEDED_RANDOM(rng);
  predictions<float>(rng);
  predictions<double>(rng);
}

template <class T>
void CudaNnParity::optimisers(TestRandom& rng) {
  constexpr int kSteps = 3;
  for (const auto& [n, f] : {std::make_pair(1, 1), std::make_pair(7, 33), std::make_pair(300, 200)}) {
    SCOPED_TRACE(::testing::Message() << n << "x" << f);
    const Matrix<T> W0 = uniform<T>(rng, n, f);
    std::vector<Matrix<T>> grads;
    for (int s = 0; s < kSteps; ++s) grads.push_back(uniform<T>(rng, n, f));

    for (double momentum : {0.0, 0.9}) {
      SCOPED_TRACE(::testing::Message() << "SGD momentum " << momentum);
      const SgdParams p{0.05, momentum, 1e-3};
      OnDevice<T> Wg = on_device(gpu(), W0.cview());
      Matrix<T> zeros = Matrix<T>::host(n, f);
      OnDevice<T> vg = on_device(gpu(), zeros.cview());
      Matrix<T> W = copy_of(W0.cview()), v = Matrix<T>::host(n, f);
      for (int s = 0; s < kSteps; ++s) {
        const MatrixView<T> velocity_g = momentum == 0.0 ? MatrixView<T>() : vg.view;
        const MatrixView<T> velocity = momentum == 0.0 ? MatrixView<T>() : v.view();
        gnn().sgd_update(Wg.view, on_device(gpu(), grads[s].cview()).cview(), velocity_g, p);
        cnn().sgd_update(W.view(), grads[s].cview(), velocity, p);
      }
      // The same operations in T on both sides; |W|, |v| stay below 3: 4 roundings a step on values
      // of that size, 3 steps.
      const double abs_tol = kParityFactor * 12.0 * unit<T> * 3.0;
      EXPECT_TRUE(matches(on_host(gpu(), Wg), W.cview(), abs_tol, 0.0)) << "W";
      if (momentum != 0.0) {
        EXPECT_TRUE(matches(on_host(gpu(), vg), v.cview(), abs_tol, 0.0)) << "velocity";
      }
    }

    SCOPED_TRACE("Adam");
    const AdamParams p{1e-2, 0.9, 0.999, 1e-8, 1e-4};
    OnDevice<T> Wg = on_device(gpu(), W0.cview());
    const Matrix<T> zeros = Matrix<T>::host(n, f);
    OnDevice<T> mg = on_device(gpu(), zeros.cview()), vg = on_device(gpu(), zeros.cview());
    Matrix<T> W = copy_of(W0.cview()), m = Matrix<T>::host(n, f), v = Matrix<T>::host(n, f);
    for (int s = 0; s < kSteps; ++s) {
      gnn().adam_update(Wg.view, on_device(gpu(), grads[s].cview()).cview(), mg.view, vg.view, p, s + 1);
      cnn().adam_update(W.view(), grads[s].cview(), m.view(), v.view(), p, s + 1);
    }
    // m, v: 4 roundings a step on values <= 1. W: the step lr m_hat / (sqrt(v_hat) + eps) is at most
    // ~lr / sqrt(1 - beta2) = 0.32 in size and a ratio of rounded quantities: ~10 roundings a step,
    // plus the subtraction on |W| <= 1.1; where v is tiny the ratio is ill-conditioned, so the
    // bound is relative to the step size 1 / sqrt(1 - beta2).
    EXPECT_TRUE(matches(on_host(gpu(), mg), m.cview(), kParityFactor * 12.0 * unit<T>, 0.0)) << "m";
    EXPECT_TRUE(matches(on_host(gpu(), vg), v.cview(), kParityFactor * 12.0 * unit<T>, 0.0)) << "v";
    const double step_bound = p.learning_rate / std::sqrt(1.0 - p.beta2);
    EXPECT_TRUE(matches(on_host(gpu(), Wg), W.cview(), kParityFactor * kSteps * 12.0 * unit<T> * (1.1 + step_bound), 0.0))
        << "W";
  }
}

TEST_P(CudaNnParity, SgdAndAdam) {
  LWNET_SEEDED_RANDOM(rng);
  optimisers<float>(rng);
  optimisers<double>(rng);
}

template <class T>
void CudaNnParity::convolution_lowering(TestRandom& rng) {
  const std::vector<std::tuple<int, Conv3x3Shape>> cases = {
      {1, {1, 1, 4, 1}},  {2, {5, 5, 3, 1}}, {3, {7, 6, 2, 2}},
      {2, {8, 9, 5, 3}},  {1, {28, 28, 1, 1}}, {2, {4, 7, 3, 2}},
  };
  for (const auto& [n, shape] : cases) {
    SCOPED_TRACE(::testing::Message() << "N " << n << " H " << shape.height << " W " << shape.width << " C "
                                      << shape.channels << " stride " << shape.stride);
    const std::int64_t patch_rows = n * shape.out_height() * shape.out_width();
    const Matrix<T> X = uniform<T>(rng, n, shape.input_features());
    OnDevice<T> colsg = on_device(gpu(), Matrix<T>::host(patch_rows, shape.patch_features()).cview());
    gnn().im2col_3x3(on_device(gpu(), X.cview()).cview(), shape, colsg.view);
    Matrix<T> cols = Matrix<T>::host(patch_rows, shape.patch_features());
    cnn().im2col_3x3(X.cview(), shape, cols.view());
    EXPECT_TRUE(matches(on_host(gpu(), colsg), cols.cview(), 0.0, 0.0)) << "im2col: copies and zeros";

    const Matrix<T> dcols = uniform<T>(rng, patch_rows, shape.patch_features());
    OnDevice<T> dXg = on_device(gpu(), X.cview());  // overwritten
    gnn().col2im_3x3(on_device(gpu(), dcols.cview()).cview(), shape, dXg.view);
    Matrix<T> dX = Matrix<T>::host(n, shape.input_features());
    cnn().col2im_3x3(dcols.cview(), shape, dX.view());
    // At most 9 terms |d| <= 1 per pixel, added in T (in the same order on both: typically exact).
    EXPECT_TRUE(matches(on_host(gpu(), dXg), dX.cview(), kParityFactor * 9.0 * 9.0 * unit<T>, 0.0)) << "col2im";
  }
}

TEST_P(CudaNnParity, Im2colCol2im) {
  LWNET_SEEDED_RANDOM(rng);
  convolution_lowering<float>(rng);
  convolution_lowering<double>(rng);
}

template <class T>
void CudaNnParity::random_draws() {
  const double rel = std::is_same_v<T, double> ? 1e-12 : ulps<float>(1.0);
  struct Case {
    RandomDraw draw;
    std::int64_t rows, cols;
  };
  const std::vector<Case> cases = {
      {{Distribution::normal, 7, 123, 0.0, 1.0}, 7, 33},
      {{Distribution::normal, 99, 0, 2.0, 0.5}, 1000, 77},
      {{Distribution::uniform, 5, 1, -3.0, 5.0}, 333, 10},
      {{Distribution::bernoulli, 11, 0, 0.3, 0.0}, 64, 65},
      // Counters that wrap past 2^64 on both backends alike.
      {{Distribution::uniform, 3, ~std::uint64_t{0} - 100, 0.0, 1.0}, 20, 20},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(::testing::Message() << "distribution " << static_cast<int>(k.draw.distribution) << " seed "
                                      << k.draw.seed << " offset " << k.draw.offset << " " << k.rows << "x" << k.cols);
    OnDevice<T> Ag = on_device(gpu(), Matrix<T>::host(k.rows, k.cols).cview());
    gnn().fill_random(Ag.view, k.draw);
    Matrix<T> A = Matrix<T>::host(k.rows, k.cols);
    cnn().fill_random(A.view(), k.draw);
    // Values near 0 come from a + b z with cancellation: the bound is relative to the scale too.
    const double scale = std::fabs(k.draw.a) + std::fabs(k.draw.b);
    const double abs_tol = k.draw.distribution == Distribution::bernoulli ? 0.0 : rel * scale;
    EXPECT_TRUE(matches(on_host(gpu(), Ag), A.cview(), abs_tol, k.draw.distribution == Distribution::bernoulli ? 0.0 : rel));
  }
}

TEST_P(CudaNnParity, FillRandomMatchesCpu) {
  random_draws<float>();
  random_draws<double>();
}

// Shapes whose naive grids exceed the hardware's limits (kernels/common/launch.cuh): an
// elementwise launch over more than 65535 * 256 elements, and a column reduction over more than
// 65535 row blocks of 1024 (grid.y). Exact expectations: integer-valued data.
TEST_P(CudaNnParity, GridsBeyond65535Blocks) {
  const std::int64_t side = 4100;  // 16.8M elements > 65535 * 256
  Matrix<float> Ag = gpu().allocate<float>(side, side);
  const RandomDraw draw{Distribution::bernoulli, 17, 5, 0.5, 0.0};
  gnn().fill_random(Ag.view(), draw);
  Matrix<float> A = Matrix<float>::host(side, side);
  cnn().fill_random(A.view(), draw);
  const Matrix<float> got = gpu().download(Ag.cview());
  std::int64_t mismatches = 0;
  for (std::int64_t k = 0; k < side * side; ++k) mismatches += got.data()[k] != A.data()[k] ? 1 : 0;
  EXPECT_EQ(mismatches, 0) << "fill_random over " << side * side << " elements";

  const std::int64_t rows = 65536 * std::int64_t{1024} + 5;  // 65537 row blocks
  Matrix<float> ones = gpu().allocate<float>(rows, 1);
  gnn().fill(ones.view(), 1.0f);
  Matrix<float> sum = gpu().allocate<float>(1, 1);
  gnn().column_sums(ones.cview(), 0.5f, 0.0f, sum.view());
  EXPECT_EQ(gpu().download(sum.cview())(0, 0), static_cast<float>(0.5 * static_cast<double>(rows)));
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaNnParity);

}  // namespace
}  // namespace lwnet::test
