// The alignment score of spec 2.4 on the CPU:
// - the recorder: backprop's gradients for the live net, and the Align-zero change accumulated
//   from theta_0's gradients at the live error (float64, against gradients computed here);
// - the projection of a dense layer against a float64 oracle (N dW dW^T, divided by its mean |.|);
//   scale invariance and a score of exactly 1 for a change against itself, on a convolution too;
// - end to end: one SGD step (live and frozen coincide) scores 1 in every layer, the shuffled
//   control less; the same seeds give the same scores; bad options are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "lwnet/alignment.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "nn/alignment.hpp"
#include "nn/network.hpp"
#include "test_data.hpp"

namespace lwnet {
namespace {

net::NetOptions dense_options(const char* arch) {
  net::NetOptions o;
  o.arch = net::Architecture::parse(arch);
  o.loss = net::LossKind::mse;
  o.momentum = 0.0;
  o.learning_rate = 0.5;
  o.seed = 3;
  return o;
}

TEST(AlignZeroRecorder, AccumulatesTheInitialNetsGradientsAtTheLiveErrorBesideBackprop) {
  test::TestRandom rnd(test::test_seed());
  auto backend = make_cpu_backend(1);
  const net::NetOptions options = dense_options("dense:6x2");
  nn::Network<double> net(*backend, options, 5, 3);
  net.initialise(options.seed);
  nn::Network<double> theta0(*backend, options, 5, 3);
  theta0.initialise(options.seed);
  nn::AlignZeroRecorder<double> recorder(*backend, options, net);
  std::vector<Matrix<double>> expected;  // -lr * sum of theta_0's weight gradients
  for (const auto& block : net.blocks()) {
    expected.push_back(Matrix<double>::host(block.linear->weight().value.rows(), block.linear->weight().value.cols()));
  }
  for (int step = 0; step < 3; ++step) {
    const Matrix<double> X = rnd.uniform_matrix_f64(7, 5);
    const Matrix<double> e = rnd.uniform_matrix_f64(7, 3);
    net.forward(X.cview());
    recorder.compute_gradients(net, X.cview(), e.cview());
    // The live grads are backprop's ...
    std::vector<Matrix<double>> by_rule;
    for (nn::Parameter<double>* p : net.parameters()) by_rule.push_back(backend->download(p->grad.cview()));
    net.forward(X.cview());
    net.backward(e.cview());
    const std::vector<nn::Parameter<double>*> live = net.parameters();
    for (std::size_t i = 0; i < live.size(); ++i) {
      const Matrix<double> g = backend->download(live[i]->grad.cview());
      for (std::int64_t k = 0; k < g.size(); ++k) ASSERT_EQ(by_rule[i].data()[k], g.data()[k]) << live[i]->name;
    }
    // ... and theta_0's at the same error is what the change collects.
    theta0.forward(X.cview());
    theta0.backward(e.cview());
    for (std::size_t l = 0; l < expected.size(); ++l) {
      const Matrix<double> g = backend->download(theta0.blocks()[l].linear->weight().grad.cview());
      for (std::int64_t k = 0; k < g.size(); ++k) expected[l].data()[k] -= 0.5 * g.data()[k];
    }
    // Move the live net (an SGD step) so the copies differ from the second step on.
    for (nn::Parameter<double>* p : net.parameters()) {
      Matrix<double> v = backend->download(p->value.cview());
      const Matrix<double> g = backend->download(p->grad.cview());
      for (std::int64_t k = 0; k < v.size(); ++k) v.data()[k] -= 0.5 * g.data()[k];
      backend->copy(v.cview(), p->value.view());
    }
  }
  for (std::size_t l = 0; l < expected.size(); ++l) {
    const Matrix<double> got = backend->download(recorder.align_zero_changes()[l].cview());
    for (std::int64_t k = 0; k < got.size(); ++k)
      EXPECT_NEAR(got.data()[k], expected[l].data()[k], 1e-13 * (1.0 + std::abs(expected[l].data()[k]))) << l << " " << k;
  }
}

TEST(AlignmentProjection, DenseLayerMatchesTheOracle) {
  test::TestRandom rnd(test::test_seed());
  auto backend = make_cpu_backend(1);
  nn::Dense<double> map(*backend, "layer.1", 6, 4, nn::Parameterisation::ntk);
  const Matrix<double> N = rnd.uniform_matrix_f64(5, 6), dW = rnd.uniform_matrix_f64(6, 4);
  const std::vector<double> p = nn::normalised_projection<double>(*backend, map, N.cview(), dW.cview());
  // Oracle: N dW dW^T, divided by its mean |.|.
  std::vector<double> want(30, 0.0);
  double abs_sum = 0.0;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 6; ++j) {
      double v = 0.0;
      for (int c = 0; c < 4; ++c) {
        double nw = 0.0;
        for (int k = 0; k < 6; ++k) nw += N(i, k) * dW(k, c);
        v += nw * dW(j, c);
      }
      want[static_cast<std::size_t>(i * 6 + j)] = v;
      abs_sum += std::abs(v);
    }
  for (std::size_t k = 0; k < want.size(); ++k)
    EXPECT_NEAR(p[k], want[k] / (abs_sum / 30.0), 1e-12 * (1.0 + std::abs(p[k])));
}

TEST(AlignmentProjection, AChangeScoresOneAgainstItselfAnyMultipleOfItOnAConvolution) {
  test::TestRandom rnd(test::test_seed());
  auto backend = make_cpu_backend(1);
  Conv3x3Shape shape;
  shape.height = 5;
  shape.width = 6;
  shape.channels = 2;
  shape.stride = 2;
  nn::Conv2d<double> map(*backend, "layer.1", shape, 3, nn::Parameterisation::ntk);
  const Matrix<double> N = rnd.uniform_matrix_f64(4, shape.input_features());
  const Matrix<double> dW = rnd.uniform_matrix_f64(18, 3), other = rnd.uniform_matrix_f64(18, 3);
  Matrix<double> scaled = Matrix<double>::host(18, 3);
  for (std::int64_t k = 0; k < dW.size(); ++k) scaled.data()[k] = -3.0 * dW.data()[k];
  const std::vector<double> p = nn::normalised_projection<double>(*backend, map, N.cview(), dW.cview());
  const std::vector<double> q = nn::normalised_projection<double>(*backend, map, N.cview(), scaled.cview());
  for (std::size_t k = 0; k < p.size(); ++k) ASSERT_NEAR(p[k], q[k], 1e-12 * (1.0 + std::abs(p[k])));
  const nn::ProjectionSums same = nn::projection_sums(p, q, N.rows());
  EXPECT_NEAR(same.pq / std::sqrt(same.pp * same.qq), 1.0, 1e-12);
  const nn::ProjectionSums different = nn::projection_sums(
      p, nn::normalised_projection<double>(*backend, map, N.cview(), other.cview()), N.rows());
  EXPECT_LT(different.pq / std::sqrt(different.pp * different.qq), 0.999);
  // A zero change has no direction: its draw is not finite (and is skipped).
  const Matrix<double> zero = Matrix<double>::host(18, 3);
  EXPECT_FALSE(nn::projection_sums(p, nn::normalised_projection<double>(*backend, map, N.cview(), zero.cview()),
                                   N.rows())
                   .finite());
}

struct Toy {
  Matrix<float> X;
  Labels labels;
  std::vector<std::string> classes{"a", "b", "c"};
};

Toy toy(std::int64_t n, std::int64_t features) {
  test::TestRandom rnd(test::test_seed());
  Toy t{rnd.uniform_matrix(n, features), {}};
  t.labels.num_classes = 3;
  for (std::int64_t i = 0; i < n; ++i) {
    t.labels.y.push_back(static_cast<int>(i % 3));
    t.X(i, i % 3) += 1.5f;
  }
  return t;
}

TEST(AlignmentScores, OneStepScoresOneInEveryLayerAndTheControlLess) {
  const Toy t = toy(40, 9);
  auto backend = make_cpu_backend(2);
  net::NetOptions o = dense_options("dense:32x3");
  o.epochs = 1;
  o.batch_size = 40;  // one batch: the live net and theta_0 coincide for the only update
  net::AlignmentOptions a;
  a.draws = 5;
  a.noise_batch = 20;
  const net::AlignmentResult r = net::alignment_scores(*backend, t.X.cview(), t.labels, t.classes, o, a);
  ASSERT_EQ(r.layers.size(), 3u);
  for (const net::LayerAlignment& l : r.layers) {
    EXPECT_NEAR(l.score, 1.0, 1e-5) << l.layer;  // float32 weights, the same change two ways
    EXPECT_LT(l.shuffled_score, 0.99) << l.layer;
    EXPECT_EQ(l.draws, 5);
  }
  EXPECT_EQ(r.layers[0].layer, "layer.1");
  EXPECT_EQ(r.model.history.size(), 1u);
}

TEST(AlignmentScores, ConvNetTrainedLongerStaysAlignedAboveTheControlAndIsReproducible) {
  const Toy t = toy(60, 4 * 4 * 2);
  auto backend = make_cpu_backend(2);
  net::NetOptions o = dense_options("conv:16:1,2:bn");
  o.image = net::ImageShape{4, 4, 2};
  o.epochs = 3;
  o.batch_size = 20;
  net::AlignmentOptions a;
  a.draws = 4;
  a.noise_batch = 10;
  const net::AlignmentResult r = net::alignment_scores(*backend, t.X.cview(), t.labels, t.classes, o, a);
  const net::AlignmentResult again = net::alignment_scores(*backend, t.X.cview(), t.labels, t.classes, o, a);
  ASSERT_EQ(r.layers.size(), 2u);
  for (std::size_t l = 0; l < r.layers.size(); ++l) {
    EXPECT_EQ(r.layers[l].score, again.layers[l].score);
    EXPECT_EQ(r.layers[l].shuffled_score, again.layers[l].shuffled_score);
    EXPECT_GT(r.layers[l].score, r.layers[l].shuffled_score) << r.layers[l].layer;
    EXPECT_LE(r.layers[l].score, 1.0 + 1e-9);
  }
}

TEST(AlignmentScores, BadOptionsAreRefusedByName) {
  const Toy t = toy(20, 4);
  auto backend = make_cpu_backend(1);
  net::NetOptions o = dense_options("dense:8x1");
  net::AlignmentOptions a;
  a.draws = 0;
  EXPECT_THROW(net::alignment_scores(*backend, t.X.cview(), t.labels, t.classes, o, a), InvalidArgument);
  a = {};
  o.momentum = 0.9;
  EXPECT_THROW(net::alignment_scores(*backend, t.X.cview(), t.labels, t.classes, o, a), InvalidArgument);
  o = dense_options("dense:8x1");
  o.method = net::Method::align_zero;
  EXPECT_THROW(net::alignment_scores(*backend, t.X.cview(), t.labels, t.classes, o, a), InvalidArgument);
  o = dense_options("dense:8x1");
  o.optimizer = net::OptimizerKind::adam;
  EXPECT_THROW(net::alignment_scores(*backend, t.X.cview(), t.labels, t.classes, o, a), InvalidArgument);
}

}  // namespace
}  // namespace lwnet
