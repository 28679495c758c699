// Trained networks (host/nn): every module's and whole networks' gradients against central finite
// differences in float64, on dense and conv architectures with and without batch normalisation,
// both parameterisations; the parameter-shape plan against the built network.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/net.hpp"
#include "nn/learning_rule.hpp"
#include "nn/loss.hpp"
#include "nn/network.hpp"
#include "nn/rnn.hpp"
#include "test_data.hpp"

namespace lwnet {
namespace {

using nn::Network;

struct GradCase {
  std::string arch;
  std::string image;  // empty for dense
  std::int64_t features;
  net::Init init;
};

void PrintTo(const GradCase& c, std::ostream* os) { *os << c.arch << (c.image.empty() ? "" : " " + c.image); }

net::NetOptions options_for(const GradCase& c) {
  net::NetOptions o;
  o.arch = net::Architecture::parse(c.arch);
  if (!c.image.empty()) o.image = net::ImageShape::parse(c.image);
  o.init = c.init;
  return o;
}

// sum_ij G_ij F_ij: a scalar whose gradient with respect to F is G.
double weighted_sum(MatrixView<const double> F, const Matrix<double>& G) {
  double s = 0.0;
  for (std::int64_t i = 0; i < F.rows(); ++i)
    for (std::int64_t j = 0; j < F.cols(); ++j) s += G(i, j) * F(i, j);
  return s;
}

class NetworkGradients : public ::testing::TestWithParam<GradCase> {};

// Every parameter's backprop gradient equals the central difference of sum(G o F(X)), with
// F the network's output: step 1e-6 in float64, tolerance 1e-6 of the gradient's scale (the
// truncation error is O(h^2) = 1e-12 times third derivatives of order 1; rounding ~1e-10).
TEST_P(NetworkGradients, MatchCentralDifferences) {
  const GradCase& c = GetParam();
  test::TestRandom rnd(test::test_seed());
  auto backend = make_cpu_backend(1);
  const net::NetOptions options = options_for(c);
  const int classes = 3;
  const std::int64_t n = 6;
  Network<double> network(*backend, options, c.features, classes);
  network.initialise(11);
  // Non-zero biases, so their gradients are exercised off the symmetric point.
  for (nn::Parameter<double>* p : network.parameters())
    if (p->name.find("bias") != std::string::npos)
      for (std::int64_t k = 0; k < p->value.size(); ++k) p->value.data()[k] = rnd.uniform(-0.3, 0.3);
  const Matrix<double> X = rnd.uniform_matrix_f64(n, c.features);
  const Matrix<double> G = rnd.uniform_matrix_f64(n, classes);

  network.forward(X.cview());
  network.backward(G.cview());
  const double h = 1e-6;
  int checked = 0;
  for (nn::Parameter<double>* p : network.parameters()) {
    double scale = 0.0;
    for (std::int64_t k = 0; k < p->grad.size(); ++k) scale = std::max(scale, std::abs(p->grad.data()[k]));
    for (std::int64_t k = 0; k < p->value.size(); ++k) {
      double& w = p->value.data()[k];
      const double saved = w;
      w = saved + h;
      const double up = weighted_sum(network.forward(X.cview()), G);
      w = saved - h;
      const double down = weighted_sum(network.forward(X.cview()), G);
      w = saved;
      const double numeric = (up - down) / (2 * h);
      ASSERT_NEAR(p->grad.data()[k], numeric, 1e-6 * std::max(1.0, scale)) << p->name << " entry " << k;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Architectures, NetworkGradients,
    ::testing::Values(GradCase{"dense:5x2", "", 4, net::Init::ntk}, GradCase{"dense:4x0", "", 3, net::Init::ntk},
                      GradCase{"dense:5x2:bn", "", 4, net::Init::ntk},
                      GradCase{"dense:4x1", "", 5, net::Init::standard},
                      GradCase{"conv:3:1,2", "5x4x2", 40, net::Init::ntk},
                      GradCase{"conv:2:2,1:bn", "6x5x1", 30, net::Init::ntk},
                      GradCase{"conv:3:2:bn", "4x4x3", 48, net::Init::standard}));

// The whole training objective: cross-entropy and mse losses through the network, against
// central differences of the mean loss.
TEST(NetworkLossGradients, CrossEntropyAndMseMatchCentralDifferences) {
  test::TestRandom rnd(test::test_seed());
  auto backend = make_cpu_backend(1);
  for (net::LossKind kind : {net::LossKind::cross_entropy, net::LossKind::mse}) {
    net::NetOptions options;
    options.arch = net::Architecture::parse("dense:6x2:bn");
    const int classes = 4;
    const std::int64_t n = 5;
    Network<double> network(*backend, options, 3, classes);
    network.initialise(3);
    nn::Loss<double> loss(*backend, kind, classes);
    const Matrix<double> X = rnd.uniform_matrix_f64(n, 3);
    Matrix<std::int32_t> labels = Matrix<std::int32_t>::host(n, 1);
    std::vector<int> y;
    for (std::int64_t i = 0; i < n; ++i) y.push_back(labels(i, 0) = static_cast<std::int32_t>(i % classes));
    const Matrix<float> t = nn::mse_targets(y, classes);
    Matrix<double> targets = Matrix<double>::host(n, classes);
    for (std::int64_t k = 0; k < targets.size(); ++k) targets.data()[k] = t.data()[k];
    nn::BatchTargets<double> bt{labels.cview(), targets.cview()};
    Matrix<double> sum = Matrix<double>::host(1, 1);
    auto objective = [&] {
      sum(0, 0) = 0.0;
      loss.error(network.forward(X.cview()), bt, sum.view());
      return sum(0, 0);
    };
    objective();
    network.backward(loss.error(network.forward(X.cview()), bt, sum.view()));
    const double h = 1e-6;
    for (nn::Parameter<double>* p : network.parameters()) {
      for (std::int64_t k = 0; k < p->value.size(); ++k) {
        double& w = p->value.data()[k];
        const double saved = w;
        w = saved + h;
        const double up = objective();
        w = saved - h;
        const double down = objective();
        w = saved;
        ASSERT_NEAR(p->grad.data()[k], (up - down) / (2 * h), 1e-7)
            << net::to_string(kind) << " " << p->name << " entry " << k;
      }
    }
  }
}

// The plan model files are checked against lists the parameters the network really has.
TEST(NetworkParameterShapes, MatchTheBuiltNetwork) {
  auto backend = make_cpu_backend(1);
  const std::vector<GradCase> cases = {{"dense:7x3:bn", "", 5, net::Init::ntk},
                                       {"dense:3x0", "", 4, net::Init::ntk},
                                       {"conv:4:1,2,2", "9x7x2", 126, net::Init::ntk}};
  for (const GradCase& c : cases) {
    const net::NetOptions options = options_for(c);
    Network<float> network(*backend, options, c.features, 5);
    const auto shapes = nn::parameter_shapes(options, c.features, 5);
    const auto params = network.parameters();
    ASSERT_EQ(shapes.size(), params.size()) << c.arch;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      EXPECT_EQ(shapes[i].name, params[i]->name);
      EXPECT_EQ(shapes[i].rows, params[i]->value.rows()) << shapes[i].name;
      EXPECT_EQ(shapes[i].cols, params[i]->value.cols()) << shapes[i].name;
    }
  }
}

// A conv layer's output equals a direct 3x3 SAME (TensorFlow) convolution written here.
TEST(NetworkConv, ForwardMatchesDirectConvolution) {
  test::TestRandom rnd(test::test_seed());
  auto backend = make_cpu_backend(1);
  for (int stride : {1, 2}) {
    const std::int64_t H = 5, W = 6, C = 2, K = 3, N = 2;
    nn::Conv2d<double> conv(*backend, "layer.1", Conv3x3Shape{H, W, C, stride}, K, nn::Parameterisation::ntk);
    conv.initialise(5, 0);
    for (std::int64_t k = 0; k < K; ++k) conv.bias().value(0, k) = rnd.uniform(-1, 1);
    const Matrix<double> X = rnd.uniform_matrix_f64(N, H * W * C);
    const MatrixView<const double> Y = conv.forward(X.cview());
    const std::int64_t Ho = (H + stride - 1) / stride, Wo = (W + stride - 1) / stride;
    const std::int64_t pad_top = std::max<std::int64_t>((Ho - 1) * stride + 3 - H, 0) / 2;
    const std::int64_t pad_left = std::max<std::int64_t>((Wo - 1) * stride + 3 - W, 0) / 2;
    const double s = 1.0 / std::sqrt(9.0 * C);
    ASSERT_EQ(Y.cols(), Ho * Wo * K);
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t oy = 0; oy < Ho; ++oy)
        for (std::int64_t ox = 0; ox < Wo; ++ox)
          for (std::int64_t k = 0; k < K; ++k) {
            double acc = 0.0;
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx)
                for (std::int64_t c = 0; c < C; ++c) {
                  const std::int64_t y = oy * stride + ky - pad_top, x = ox * stride + kx - pad_left;
                  if (y < 0 || y >= H || x < 0 || x >= W) continue;
                  acc += X(n, (y * W + x) * C + c) * conv.weight().value((ky * 3 + kx) * C + c, k);
                }
            EXPECT_NEAR(Y(n, (oy * Wo + ox) * K + k), s * acc + conv.bias().value(0, k), 1e-12);
          }
  }
}

// Lowering a batch a chunk of images at a time (the host's cache-sized chunks, made small here:
// one image, then two with a shorter last chunk) gives the whole batch's output and gradients.
// 16 output channels: whole vectors, the register-blocked GEMM kernel.
TEST(NetworkConv, ChunkedLoweringMatchesTheWholeBatch) {
  test::TestRandom rnd(test::test_seed());
  auto backend = make_cpu_backend(2);
  const std::int64_t H = 6, W = 5, C = 3, K = 16, N = 5;
  for (int stride : {1, 2}) {
    const Conv3x3Shape shape{H, W, C, stride};
    const std::int64_t image_column_bytes =
        shape.out_height() * shape.out_width() * shape.patch_features() * std::int64_t{sizeof(double)};
    nn::Conv2d<double> whole(*backend, "layer.1", shape, K, nn::Parameterisation::ntk);
    whole.initialise(7, 0);
    for (std::int64_t k = 0; k < K; ++k) whole.bias().value(0, k) = rnd.uniform(-1, 1);
    const Matrix<double> X = rnd.uniform_matrix_f64(N, H * W * C);
    const Matrix<double> dY = rnd.uniform_matrix_f64(N, whole.output_features());
    const MatrixView<const double> Y = whole.forward(X.cview());
    const MatrixView<const double> dX = whole.backward(dY.cview(), true);
    for (std::int64_t images : {1, 2}) {
      SCOPED_TRACE(::testing::Message() << "stride " << stride << ", " << images << " image(s) per chunk");
      nn::Conv2d<double> chunked(*backend, "layer.1", shape, K, nn::Parameterisation::ntk,
                                 images * image_column_bytes);
      chunked.initialise(7, 0);
      for (std::int64_t k = 0; k < K; ++k) chunked.bias().value(0, k) = whole.bias().value(0, k);
      const MatrixView<const double> Yc = chunked.forward(X.cview());
      const MatrixView<const double> dXc = chunked.backward(dY.cview(), true);
      for (std::int64_t i = 0; i < N; ++i) {
        for (std::int64_t j = 0; j < Y.cols(); ++j) ASSERT_NEAR(Yc(i, j), Y(i, j), 1e-12) << i << "," << j;
        for (std::int64_t j = 0; j < dX.cols(); ++j) ASSERT_NEAR(dXc(i, j), dX(i, j), 1e-12) << i << "," << j;
      }
      for (std::int64_t r = 0; r < 9 * C; ++r)
        for (std::int64_t k = 0; k < K; ++k)
          ASSERT_NEAR(chunked.weight().grad(r, k), whole.weight().grad(r, k), 1e-12) << r << "," << k;
      for (std::int64_t k = 0; k < K; ++k) ASSERT_NEAR(chunked.bias().grad(0, k), whole.bias().grad(0, k), 1e-12);
    }
  }
}

}  // namespace
}  // namespace lwnet

namespace lwnet {
namespace {

// Backpropagation through time of the Elman ReLU layer: every parameter's gradient (h_0 included)
// and the input gradient against central differences of sum(G o H) in float64.
TEST(NetworkRnn, BackpropThroughTimeMatchesCentralDifferences) {
  test::TestRandom rnd(test::test_seed());
  auto backend = make_cpu_backend(1);
  for (auto p : {nn::Parameterisation::ntk, nn::Parameterisation::standard}) {
    const std::int64_t steps = 5, in = 2, hidden = 4, n = 3;
    nn::ElmanRnn<double> rnn(*backend, "rnn", steps, in, hidden, p);
    rnn.initialise(7, 0);
    for (nn::Parameter<double>* q : rnn.parameters())
      if (q->name.find("bias") != std::string::npos || q->name.find("initial") != std::string::npos)
        for (std::int64_t k = 0; k < q->value.size(); ++k) q->value.data()[k] = rnd.uniform(0.0, 0.5);
    Matrix<double> X = rnd.uniform_matrix_f64(n, steps * in);
    const Matrix<double> G = rnd.uniform_matrix_f64(n, steps * hidden);
    rnn.forward(X.cview());
    const MatrixView<const double> dX = rnn.backward(G.cview(), true);
    Matrix<double> dX_copy = Matrix<double>::host(n, steps * in);
    backend->copy(dX, dX_copy.view());
    const double h = 1e-6;
    auto check = [&](double& w, double analytic, const std::string& what) {
      const double saved = w;
      w = saved + h;
      const double up = weighted_sum(rnn.forward(X.cview()), G);
      w = saved - h;
      const double down = weighted_sum(rnn.forward(X.cview()), G);
      w = saved;
      ASSERT_NEAR(analytic, (up - down) / (2 * h), 1e-6) << what;
    };
    for (nn::Parameter<double>* q : rnn.parameters())
      for (std::int64_t k = 0; k < q->value.size(); ++k) check(q->value.data()[k], q->grad.data()[k], q->name);
    for (std::int64_t k = 0; k < X.size(); ++k) check(X.data()[k], dX_copy.data()[k], "input");
  }
}

}  // namespace
}  // namespace lwnet
