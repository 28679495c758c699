// The local kernel losses of spec sections 3 and 4 on the CPU backend: DGL_l and its gradient
// (nn::DglLoss) and the HSIC bottleneck's nHSIC loss and its gradient (nn::HsicBottleneckLoss),
// against float64 oracles written here and central finite differences; the jitter that rescues a
// kernel that is not positive definite, and the clear error when nothing can.
//
// Finite differences: the losses read float32 points and compute in float64. The points are
// drawn on a grid of 2^-12 and perturbed by 2^-8, so every perturbed point is exact in float32 and
// the differences see the float64 loss alone (truncation error O(h^2)).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "nn/dgl_loss.hpp"
#include "nn/hsic_bottleneck_loss.hpp"
#include "test_data.hpp"

namespace lwnet {
namespace {

constexpr double kGrid = 1.0 / 4096.0;
constexpr double kStep = 1.0 / 256.0;

using Dense = std::vector<std::vector<double>>;

Matrix<float> grid_points(std::int64_t rows, std::int64_t cols, std::uint64_t seed, double lo, double hi) {
  test::TestRandom rnd(seed);
  Matrix<float> m = Matrix<float>::host(rows, cols);
  for (std::int64_t k = 0; k < rows * cols; ++k)
    m.data()[k] = static_cast<float>(std::round(rnd.uniform(lo, hi) / kGrid) * kGrid);
  return m;
}

// Centred one-hot targets of labels i % c.
Matrix<double> centred_targets(std::int64_t m, int c) {
  Matrix<double> Y = Matrix<double>::host(m, c);
  for (std::int64_t i = 0; i < m; ++i)
    for (int j = 0; j < c; ++j) Y(i, j) = (i % c == j ? 1.0 : 0.0);
  for (int j = 0; j < c; ++j) {
    double mean = 0.0;
    for (std::int64_t i = 0; i < m; ++i) mean += Y(i, j);
    for (std::int64_t i = 0; i < m; ++i) Y(i, j) -= mean / static_cast<double>(m);
  }
  return Y;
}

// ---- float64 oracles ---------------------------------------------------------------------------

Dense inverse(Dense A) {
  const std::size_t n = A.size();
  Dense inv(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) inv[i][i] = 1.0;
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < n; ++r)
      if (std::fabs(A[r][col]) > std::fabs(A[pivot][col])) pivot = r;
    std::swap(A[col], A[pivot]);
    std::swap(inv[col], inv[pivot]);
    const double p = A[col][col];
    for (std::size_t j = 0; j < n; ++j) {
      A[col][j] /= p;
      inv[col][j] /= p;
    }
    for (std::size_t r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = A[r][col];
      for (std::size_t j = 0; j < n; ++j) {
        A[r][j] -= f * A[col][j];
        inv[r][j] -= f * inv[col][j];
      }
    }
  }
  return inv;
}

double log_det_spd(Dense A) {
  const std::size_t n = A.size();
  double log_det = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    double d = A[j][j];
    for (std::size_t k = 0; k < j; ++k) d -= A[j][k] * A[j][k];
    const double l = std::sqrt(d);
    log_det += 2.0 * std::log(l);
    A[j][j] = l;
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = A[i][j];
      for (std::size_t k = 0; k < j; ++k) s -= A[i][k] * A[j][k];
      A[i][j] = s / l;
    }
  }
  return log_det;
}

// DGL of h by the spec's formulas, every step in plain float64 loops.
double dgl_oracle(const Matrix<float>& h, const Matrix<double>& Y, int layers_above, const net::DglOptions& o) {
  const std::size_t m = static_cast<std::size_t>(h.rows());
  const std::int64_t N = h.cols();
  Dense K(m, std::vector<double>(m));
  for (std::size_t a = 0; a < m; ++a)
    for (std::size_t b = 0; b < m; ++b) {
      double dot = 0.0;
      for (std::int64_t f = 0; f < N; ++f)
        dot += static_cast<double>(h(static_cast<std::int64_t>(a), f)) * h(static_cast<std::int64_t>(b), f);
      K[a][b] = o.sw2 * dot / static_cast<double>(N) + o.sb2;
    }
  for (int step = 0; step < layers_above; ++step) {
    Dense next = K;
    for (std::size_t a = 0; a < m; ++a)
      for (std::size_t b = 0; b < m; ++b) {
        const double s = std::sqrt(K[a][a] * K[b][b]);
        const double t = std::acos(std::max(-1.0, std::min(1.0, K[a][b] / s)));
        next[a][b] = a == b ? o.sb2 + o.sw2 / 2.0 * K[a][a]
                            : o.sb2 + o.sw2 / (2.0 * M_PI) * s * (std::sin(t) + (M_PI - t) * std::cos(t));
      }
    K = next;
  }
  for (std::size_t a = 0; a < m; ++a) K[a][a] += o.noise;
  const Dense Ainv = inverse(K);
  double fit = 0.0;
  for (std::int64_t c = 0; c < Y.cols(); ++c)
    for (std::size_t a = 0; a < m; ++a)
      for (std::size_t b = 0; b < m; ++b)
        fit += Y(static_cast<std::int64_t>(a), c) * Ainv[a][b] * Y(static_cast<std::int64_t>(b), c);
  return 0.5 * fit + 0.5 * static_cast<double>(Y.cols()) * log_det_spd(K);
}

// R = K H (K H + eps m I)^{-1} for the dimension-scaled Gaussian kernel of V's rows.
Dense residual_oracle(const Matrix<float>& V, double sigma, double eps) {
  const std::size_t m = static_cast<std::size_t>(V.rows());
  const double width2 = sigma * sigma * static_cast<double>(V.cols());
  Dense K(m, std::vector<double>(m));
  for (std::size_t a = 0; a < m; ++a)
    for (std::size_t b = 0; b < m; ++b) {
      double d2 = 0.0;
      for (std::int64_t f = 0; f < V.cols(); ++f) {
        const double diff = static_cast<double>(V(static_cast<std::int64_t>(a), f)) - V(static_cast<std::int64_t>(b), f);
        d2 += diff * diff;
      }
      K[a][b] = std::exp(-d2 / (2.0 * width2));
    }
  Dense KH(m, std::vector<double>(m));
  for (std::size_t a = 0; a < m; ++a) {
    double row_mean = 0.0;
    for (std::size_t b = 0; b < m; ++b) row_mean += K[a][b] / static_cast<double>(m);
    for (std::size_t b = 0; b < m; ++b) KH[a][b] = K[a][b] - row_mean;
  }
  Dense shifted = KH;
  for (std::size_t a = 0; a < m; ++a) shifted[a][a] += eps * static_cast<double>(m);
  const Dense inv = inverse(shifted);
  Dense R(m, std::vector<double>(m, 0.0));
  for (std::size_t a = 0; a < m; ++a)
    for (std::size_t k = 0; k < m; ++k)
      for (std::size_t b = 0; b < m; ++b) R[a][b] += KH[a][k] * inv[k][b];
  return R;
}

double trace_of_product(const Dense& A, const Dense& B) {
  double t = 0.0;
  for (std::size_t i = 0; i < A.size(); ++i)
    for (std::size_t j = 0; j < A.size(); ++j) t += A[i][j] * B[j][i];
  return t;
}

Matrix<float> one_hot(std::int64_t m, int c) {
  Matrix<float> Y = Matrix<float>::host(m, c);
  for (std::int64_t i = 0; i < m; ++i)
    for (int j = 0; j < c; ++j) Y(i, j) = (i * 7 % c) == j ? 1.0f : 0.0f;
  return Y;
}

// ---- DGL -----------------------------------------------------------------------------------------

class DglLossTest : public ::testing::TestWithParam<int> {};

TEST_P(DglLossTest, ValueMatchesTheOracleAndGradientMatchesFiniteDifferences) {
  const int layers_above = GetParam();
  auto backend = make_cpu_backend(2);
  net::DglOptions options;
  options.sb2 = 0.1;  // exercise the bias term too
  const std::int64_t m = 12, N = 5;
  const int c = 3;
  Matrix<float> h = grid_points(m, N, 11 + static_cast<std::uint64_t>(layers_above), 0.0, 1.0);
  const Matrix<double> Y = centred_targets(m, c);
  nn::DglLoss loss(*backend, options);
  Matrix<float> dh = Matrix<float>::host(m, N);
  const nn::DglValue value = loss.evaluate(h.cview(), Y.cview(), layers_above, dh.view());
  const double oracle = dgl_oracle(h, Y, layers_above, options);
  EXPECT_NEAR(value.loss, oracle, 1e-10 * std::fabs(oracle) + 1e-10);
  EXPECT_EQ(value.jitter, 0.0);

  // Central differences of the oracle, entry by entry; the gradient is float32 (relative 1e-6).
  double worst = 0.0, scale = 0.0;
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t f = 0; f < N; ++f) {
      const float keep = h(i, f);
      h(i, f) = static_cast<float>(keep + kStep);
      const double up = dgl_oracle(h, Y, layers_above, options);
      h(i, f) = static_cast<float>(keep - kStep);
      const double down = dgl_oracle(h, Y, layers_above, options);
      h(i, f) = keep;
      const double fd = (up - down) / (2.0 * kStep);
      worst = std::max(worst, std::fabs(fd - dh(i, f)));
      scale = std::max(scale, std::fabs(fd));
    }
  EXPECT_GT(scale, 1e-3);  // the gradient is not trivially zero
  EXPECT_LT(worst, 2e-4 * scale) << "largest |finite difference - gradient| " << worst << " of " << scale;
}

INSTANTIATE_TEST_SUITE_P(LayersAbove, DglLossTest, ::testing::Values(0, 1, 3));

TEST(DglLoss, AKernelThatIsNotPositiveDefiniteGetsJitter) {
  // Identical rows give a rank-one K; with a negligible noise A is singular in float64.
  auto backend = make_cpu_backend(1);
  net::DglOptions options;
  options.noise = 1e-300;
  Matrix<float> h = Matrix<float>::host(6, 3);
  for (std::int64_t k = 0; k < h.size(); ++k) h.data()[k] = 0.5f + 0.25f * static_cast<float>(k % 3);
  const Matrix<double> Y = centred_targets(6, 2);
  nn::DglLoss loss(*backend, options);
  Matrix<float> dh = Matrix<float>::host(6, 3);
  const nn::DglValue value = loss.evaluate(h.cview(), Y.cview(), 1, dh.view());
  EXPECT_GT(value.jitter, 0.0);
  EXPECT_TRUE(std::isfinite(value.loss));
  for (std::int64_t k = 0; k < dh.size(); ++k) ASSERT_TRUE(std::isfinite(dh.data()[k]));
}

TEST(DglLoss, NonFiniteOutputsAreAClearErrorNotNaNGradients) {
  auto backend = make_cpu_backend(1);
  backend->set_validation(Validation::metadata);  // the loss itself must catch it
  Matrix<float> h = grid_points(5, 2, 3, 0.0, 1.0);
  h(2, 1) = std::nanf("");
  const Matrix<double> Y = centred_targets(5, 2);
  nn::DglLoss loss(*backend, net::DglOptions{});
  Matrix<float> dh = Matrix<float>::host(5, 2);
  try {
    loss.evaluate(h.cview(), Y.cview(), 0, dh.view());
    FAIL() << "no error";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("not positive definite"), std::string::npos) << e.what();
  }
}

// ---- HSIC bottleneck -----------------------------------------------------------------------------

TEST(HsicBottleneckLoss, NormalisedHsicMatchesTheOracle) {
  auto backend = make_cpu_backend(2);
  for (double eps : {1e-5, 1e-3}) {
    net::HsicBottleneckOptions options;
    options.epsilon = eps;
    options.sigma = 1.0;
    nn::HsicBottleneckLoss loss(*backend, options);
    const Matrix<float> A = grid_points(24, 6, 5, -1.0, 1.0), B = grid_points(24, 3, 6, -1.0, 1.0);
    const double oracle =
        trace_of_product(residual_oracle(A, options.sigma, eps), residual_oracle(B, options.sigma, eps));
    // Float32 kernel entries (1e-7) through (KH + eps m I)^{-1}, whose condition grows as 1/eps.
    EXPECT_NEAR(loss.normalized_hsic(A.cview(), B.cview()), oracle, (eps < 1e-4 ? 2e-3 : 1e-4) * oracle)
        << "eps " << eps;
    EXPECT_GT(oracle, 0.1);
  }
}

TEST(HsicBottleneckLoss, BlockLossMatchesTheOracleAndItsGradientFiniteDifferences) {
  auto backend = make_cpu_backend(2);
  net::HsicBottleneckOptions options;
  options.sigma = 0.8;
  options.beta = 3.0;
  options.epsilon = 1e-2;  // well conditioned, so float32 kernels leave the differences clean
  const std::int64_t m = 16;
  const Matrix<float> X = grid_points(m, 7, 21, -1.0, 1.0);
  const Matrix<float> Y = one_hot(m, 3);
  Matrix<float> Z = grid_points(m, 4, 22, -1.0, 1.0);
  nn::HsicBottleneckLoss loss(*backend, options);
  loss.set_batch(X.cview(), Y.cview());
  Matrix<float> dZ = Matrix<float>::host(m, 4);
  const nn::HsicBlockValue value = loss.block_loss(Z.cview(), dZ.view());
  const Dense RX = residual_oracle(X, options.sigma, options.epsilon), RY = residual_oracle(Y, options.sigma, options.epsilon);
  auto oracle_loss = [&] {
    const Dense RZ = residual_oracle(Z, options.sigma, options.epsilon);
    return trace_of_product(RZ, RX) - options.beta * trace_of_product(RZ, RY);
  };
  const Dense RZ = residual_oracle(Z, options.sigma, options.epsilon);
  EXPECT_NEAR(value.hsic_x, trace_of_product(RZ, RX), 1e-5);
  EXPECT_NEAR(value.hsic_y, trace_of_product(RZ, RY), 1e-5);
  EXPECT_NEAR(value.loss, value.hsic_x - options.beta * value.hsic_y, 1e-12);

  double worst = 0.0, scale = 0.0;
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t f = 0; f < Z.cols(); ++f) {
      const float keep = Z(i, f);
      Z(i, f) = static_cast<float>(keep + kStep);
      const double up = oracle_loss();
      Z(i, f) = static_cast<float>(keep - kStep);
      const double down = oracle_loss();
      Z(i, f) = keep;
      const double fd = (up - down) / (2.0 * kStep);
      worst = std::max(worst, std::fabs(fd - dZ(i, f)));
      scale = std::max(scale, std::fabs(fd));
    }
  EXPECT_GT(scale, 1e-3);
  EXPECT_LT(worst, 1e-3 * scale) << "largest |finite difference - gradient| " << worst << " of " << scale;
}

}  // namespace
}  // namespace lwnet
