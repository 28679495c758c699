// The learning rules of spec section 2.2 in float64 on the CPU:
// - at step 0, where the live network and its frozen copy coincide, Align-zero's, Align-ada's and
//   Align-prop's gradients are backprop's, bit for bit, on dense and conv nets with and without
//   batch norm;
// - FA's and DFA's feedback matrices have the spec's shapes and scales, are drawn from the seed
//   and stay fixed through training; their updates equal a float64 oracle written here (a dense
//   net without batch norm: h = s a W + b, ReLU);
// - Align-zero after the live weights moved: its gradients are the frozen network's (theta_0's)
//   backprop at the live error, and Align-ada's readout gradient stays the live one;
// - last-layer trains the readout alone.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/net.hpp"
#include "nn/learning_rule.hpp"
#include "nn/network.hpp"
#include "expect_close.hpp"
#include "test_data.hpp"

namespace lwnet {
namespace {

using test::same_bits;

using nn::Network;

constexpr int kClasses = 3;
constexpr std::int64_t kRows = 7;

struct Arch {
  const char* arch;
  const char* image;  // empty for dense
  std::int64_t features;
};

net::NetOptions options_for(const Arch& a, net::Method method) {
  net::NetOptions o;
  o.arch = net::Architecture::parse(a.arch);
  if (a.image[0] != '\0') o.image = net::ImageShape::parse(a.image);
  o.method = method;
  o.seed = 11;
  return o;
}

std::vector<Matrix<double>> gradients_of(Backend& backend, Network<double>& net) {
  std::vector<Matrix<double>> grads;
  for (nn::Parameter<double>* p : net.parameters()) grads.push_back(backend.download(p->grad.cview()));
  return grads;
}

const Arch kArchs[] = {{"dense:6x3", "", 5},   {"dense:6x3:bn", "", 5},        {"dense:6x1", "", 5},
                       {"conv:3:1,2", "5x5x2", 50}, {"conv:3:1,2:bn", "5x5x2", 50}};

class RulesAtStepZero : public ::testing::TestWithParam<std::tuple<Arch, net::Method>> {};

TEST_P(RulesAtStepZero, GiveBackpropsGradientsBitForBit) {
  const auto& [arch, method] = GetParam();
  test::TestRandom rnd(test::test_seed());
  auto backend = make_cpu_backend(1);
  const net::NetOptions options = options_for(arch, method);
  Network<double> net(*backend, options, arch.features, kClasses);
  net.initialise(options.seed);
  auto rule = nn::make_learning_rule<double>(*backend, options, net);
  const Matrix<double> X = rnd.uniform_matrix_f64(kRows, arch.features);
  const Matrix<double> e = rnd.uniform_matrix_f64(kRows, kClasses);
  net.forward(X.cview());
  rule->compute_gradients(net, X.cview(), e.cview());
  const std::vector<Matrix<double>> by_rule = gradients_of(*backend, net);
  net.forward(X.cview());
  net.backward(e.cview());
  const std::vector<Matrix<double>> by_backprop = gradients_of(*backend, net);
  const std::vector<nn::Parameter<double>*> params = net.parameters();
  for (std::size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(same_bits(by_rule[i], by_backprop[i])) << params[i]->name;
}

INSTANTIATE_TEST_SUITE_P(Align, RulesAtStepZero,
                         ::testing::Combine(::testing::ValuesIn(kArchs),
                                            ::testing::Values(net::Method::align_zero, net::Method::align_ada,
                                                              net::Method::align_prop)),
                         [](const ::testing::TestParamInfo<std::tuple<Arch, net::Method>>& param) {
                           std::string name = std::string(std::get<0>(param.param).arch) + "_" +
                                              net::to_string(std::get<1>(param.param));
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

// ---- a float64 oracle of a dense net without batch norm -----------------------------------------

using Dense2 = std::vector<std::vector<double>>;  // row-major rows

Dense2 to_rows(const Matrix<double>& M) {
  Dense2 r(static_cast<std::size_t>(M.rows()), std::vector<double>(static_cast<std::size_t>(M.cols())));
  for (std::int64_t i = 0; i < M.rows(); ++i)
    for (std::int64_t j = 0; j < M.cols(); ++j) r[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] = M(i, j);
  return r;
}

// A (n x k) times B (k x m), or times B^T when B is (m x k).
Dense2 product(const Dense2& A, const Dense2& B, bool transpose_b) {
  const std::size_t n = A.size(), k = A[0].size(), m = transpose_b ? B.size() : B[0].size();
  Dense2 C(n, std::vector<double>(m, 0.0));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t q = 0; q < k; ++q) C[i][j] += A[i][q] * (transpose_b ? B[j][q] : B[q][j]);
  return C;
}

Dense2 transposed(const Dense2& A) {
  Dense2 T(A[0].size(), std::vector<double>(A.size()));
  for (std::size_t i = 0; i < A.size(); ++i)
    for (std::size_t j = 0; j < A[0].size(); ++j) T[j][i] = A[i][j];
  return T;
}

struct Forward {
  std::vector<Dense2> inputs;  // a^{l-1} of each linear map (the readout's last)
  std::vector<Dense2> pre;     // h^l of each hidden layer
};

// h = s a W + b with s = 1/sqrt(fan_in) (NTK), ReLU; weights[l] (fan_in x fan_out), biases zero.
Forward forward_oracle(const Dense2& X, const std::vector<Dense2>& weights) {
  Forward f;
  Dense2 a = X;
  for (std::size_t l = 0; l < weights.size(); ++l) {
    f.inputs.push_back(a);
    if (l + 1 == weights.size()) break;
    Dense2 h = product(a, weights[l], false);
    const double s = 1.0 / std::sqrt(static_cast<double>(weights[l].size()));
    for (auto& row : h)
      for (double& v : row) v *= s;
    f.pre.push_back(h);
    for (auto& row : h)
      for (double& v : row) v = v > 0.0 ? v : 0.0;
    a = h;
  }
  return f;
}

// dW = s a^T delta for one linear map.
Dense2 weight_gradient(const Dense2& input, const Dense2& delta) {
  Dense2 g = product(transposed(input), delta, false);
  const double s = 1.0 / std::sqrt(static_cast<double>(input[0].size()));
  for (auto& row : g)
    for (double& v : row) v *= s;
  return g;
}

void expect_close(const Dense2& oracle, const Matrix<double>& got, const std::string& what) {
  ASSERT_EQ(static_cast<std::int64_t>(oracle.size()), got.rows()) << what;
  for (std::int64_t i = 0; i < got.rows(); ++i)
    for (std::int64_t j = 0; j < got.cols(); ++j) {
      const double want = oracle[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
      EXPECT_NEAR(got(i, j), want, 1e-12 * (1.0 + std::fabs(want))) << what << " (" << i << ", " << j << ")";
    }
}

struct DenseSetup {
  std::unique_ptr<Backend> backend = make_cpu_backend(1);
  net::NetOptions options;
  std::unique_ptr<Network<double>> net;
  std::unique_ptr<nn::LearningRule<double>> rule;
  Matrix<double> X, e;

  DenseSetup(net::Method method, std::uint64_t seed) {
    test::TestRandom rnd(seed);
    options = options_for(Arch{"dense:6x3", "", 5}, method);
    net = std::make_unique<Network<double>>(*backend, options, 5, kClasses);
    net->initialise(options.seed);
    rule = nn::make_learning_rule<double>(*backend, options, *net);
    X = rnd.uniform_matrix_f64(kRows, 5);
    e = rnd.uniform_matrix_f64(kRows, kClasses);
  }
  std::vector<Dense2> weights() {
    std::vector<Dense2> w;
    for (const auto& block : net->blocks()) w.push_back(to_rows(backend->download(block.linear->weight().value.cview())));
    w.push_back(to_rows(backend->download(net->readout().weight().value.cview())));
    return w;
  }
  void run() {
    net->forward(X.cview());
    rule->compute_gradients(*net, X.cview(), e.cview());
  }
};

// FA: B of each linear map's shape, N(0, 1) (NTK), other numbers than W, the same after training
// steps; the update is backprop's with s B^T in place of s W^T.
TEST(FeedbackAlignment, FeedbackIsFixedRandomAndTheUpdateMatchesTheOracle) {
  DenseSetup s(net::Method::fa, test::test_seed());
  const std::vector<MatrixView<const double>> B_views = s.rule->feedback();
  const std::vector<Dense2> W = s.weights();
  ASSERT_EQ(B_views.size(), W.size());
  std::vector<Dense2> B;
  double sum = 0.0, sum_sq = 0.0;
  std::int64_t count = 0;
  for (std::size_t l = 0; l < B_views.size(); ++l) {
    const Matrix<double> b = s.backend->download(B_views[l]);
    EXPECT_EQ(b.rows(), static_cast<std::int64_t>(W[l].size()));
    EXPECT_EQ(b.cols(), static_cast<std::int64_t>(W[l][0].size()));
    B.push_back(to_rows(b));
    for (std::int64_t k = 0; k < b.size(); ++k, ++count) {
      sum += b.data()[k];
      sum_sq += b.data()[k] * b.data()[k];
    }
    EXPECT_NE(B[l], W[l]) << "B is not W";
  }
  // 111 draws of N(0, 1): mean within 5 standard errors, variance within 40 %.
  EXPECT_NEAR(sum / static_cast<double>(count), 0.0, 5.0 / std::sqrt(static_cast<double>(count)));
  EXPECT_NEAR(sum_sq / static_cast<double>(count), 1.0, 0.4);

  s.run();
  const Forward f = forward_oracle(to_rows(s.X), W);
  const Dense2 e = to_rows(s.e);
  std::vector<Dense2> expected(W.size());
  expected[W.size() - 1] = weight_gradient(f.inputs.back(), e);
  Dense2 delta = e;
  for (std::size_t l = W.size() - 1; l-- > 0;) {
    Dense2 down = product(delta, B[l + 1], true);  // s delta B^T
    const double scale = 1.0 / std::sqrt(static_cast<double>(B[l + 1].size()));
    for (std::size_t i = 0; i < down.size(); ++i)
      for (std::size_t j = 0; j < down[i].size(); ++j) down[i][j] *= scale * (f.pre[l][i][j] > 0.0 ? 1.0 : 0.0);
    delta = down;
    expected[l] = weight_gradient(f.inputs[l], delta);
  }
  for (std::size_t l = 0; l < W.size(); ++l) {
    nn::LinearMap<double>& linear =
        l + 1 == W.size() ? static_cast<nn::LinearMap<double>&>(s.net->readout()) : *s.net->blocks()[l].linear;
    expect_close(expected[l], s.backend->download(linear.weight().grad.cview()), "dW of map " + std::to_string(l));
  }
  // Fixed: the same matrices after an update of the live weights.
  s.backend->blas().axpy(-0.5, s.net->readout().weight().grad.cview(), s.net->readout().weight().value.view());
  s.run();
  const std::vector<MatrixView<const double>> again = s.rule->feedback();
  for (std::size_t l = 0; l < B.size(); ++l) EXPECT_EQ(to_rows(s.backend->download(again[l])), B[l]);
}

// DFA: B_l (features_l x classes) ~ N(0, 1/features_l); each hidden layer's update from
// d a^l = e B_l^T through the live ReLU'; the readout's is the ordinary gradient.
TEST(DirectFeedbackAlignment, FeedbackHasTheSpecsShapeAndScaleAndTheUpdateMatchesTheOracle) {
  DenseSetup s(net::Method::dfa, test::test_seed());
  const std::vector<MatrixView<const double>> B_views = s.rule->feedback();
  ASSERT_EQ(B_views.size(), 3u);
  std::vector<Dense2> B;
  double sum_sq = 0.0;
  for (const auto& view : B_views) {
    const Matrix<double> b = s.backend->download(view);
    EXPECT_EQ(b.rows(), 6);
    EXPECT_EQ(b.cols(), kClasses);
    for (std::int64_t k = 0; k < b.size(); ++k) sum_sq += b.data()[k] * b.data()[k];
    B.push_back(to_rows(b));
  }
  EXPECT_NE(B[0], B[1]) << "each layer draws its own";
  EXPECT_NEAR(sum_sq / 54.0, 1.0 / 6.0, 0.5 / 6.0) << "variance 1 / features";

  const std::vector<Dense2> W = s.weights();
  s.run();
  const Forward f = forward_oracle(to_rows(s.X), W);
  const Dense2 e = to_rows(s.e);
  expect_close(weight_gradient(f.inputs.back(), e), s.backend->download(s.net->readout().weight().grad.cview()),
               "readout dW");
  for (std::size_t l = 0; l < 3; ++l) {
    Dense2 delta = product(e, B[l], true);
    for (std::size_t i = 0; i < delta.size(); ++i)
      for (std::size_t j = 0; j < delta[i].size(); ++j) delta[i][j] *= f.pre[l][i][j] > 0.0 ? 1.0 : 0.0;
    expect_close(weight_gradient(f.inputs[l], delta),
                 s.backend->download(s.net->blocks()[l].linear->weight().grad.cview()), "hidden dW " + std::to_string(l));
  }
}

// Align-zero after the live network moved: the gradients are theta_0's backprop at the live error
// (a fresh network initialised from the seed, run on the same batch); Align-ada's readout gradient
// is the live one's.
TEST(AlignRules, AfterAStepTheFrozenNetworkDrivesTheUpdates) {
  for (net::Method method : {net::Method::align_zero, net::Method::align_ada}) {
    SCOPED_TRACE(net::to_string(method));
    DenseSetup s(method, test::test_seed());
    for (nn::Parameter<double>* p : s.net->parameters()) {  // move the live network away from theta_0
      s.backend->nn().fill(p->grad.view(), 0.25);
      s.backend->blas().axpy(-1.0, p->grad.cview(), p->value.view());
    }
    s.run();
    const std::vector<Matrix<double>> by_rule = gradients_of(*s.backend, *s.net);

    Network<double> theta0(*s.backend, s.options, 5, kClasses);
    theta0.initialise(s.options.seed);
    theta0.forward(s.X.cview());
    theta0.backward(s.e.cview());
    const std::vector<Matrix<double>> frozen = gradients_of(*s.backend, theta0);
    s.net->forward(s.X.cview());
    s.net->backward(s.e.cview());
    const std::vector<Matrix<double>> live = gradients_of(*s.backend, *s.net);
    const std::size_t readout_weight = by_rule.size() - 2;
    if (method == net::Method::align_zero) {
      for (std::size_t i = 0; i < by_rule.size(); ++i) EXPECT_TRUE(same_bits(by_rule[i], frozen[i])) << i;
    } else {
      EXPECT_TRUE(same_bits(by_rule[readout_weight], live[readout_weight]));
      EXPECT_FALSE(same_bits(by_rule[0], live[0])) << "the hidden signal comes from the frozen network";
    }
  }
}

// Last-layer: the optimiser is given the readout's parameters alone.
TEST(LastLayer, TrainsTheReadoutAlone) {
  DenseSetup s(net::Method::last_layer, test::test_seed());
  const std::vector<nn::Parameter<double>*> trained = s.rule->trained_parameters(*s.net);
  ASSERT_EQ(trained.size(), 2u);
  EXPECT_EQ(trained[0]->name, "readout.weight");
  EXPECT_EQ(trained[1]->name, "readout.bias");
  s.run();
  const Forward f = forward_oracle(to_rows(s.X), s.weights());
  expect_close(weight_gradient(f.inputs.back(), to_rows(s.e)),
               s.backend->download(s.net->readout().weight().grad.cview()), "readout dW");
  EXPECT_TRUE(s.rule->feedback().empty());
}

// Every rule trains to the same bits with the same seed at any thread count (the frozen copy, the
// feedback draws and the shuffling are all seeded), and to other parameters with another seed.
TEST(LearningRules, EveryRuleIsBitwiseReproducibleAcrossThreadCounts) {
  test::TestRandom rnd(test::test_seed());
  const Matrix<float> X = rnd.uniform_matrix(60, 50);
  Labels labels;
  labels.num_classes = kClasses;
  for (int i = 0; i < 60; ++i) labels.y.push_back(i % kClasses);
  const std::vector<std::string> classes{"a", "b", "c"};
  for (const net::Method method : {net::Method::align_zero, net::Method::align_ada, net::Method::align_prop,
                                   net::Method::fa, net::Method::dfa, net::Method::last_layer}) {
    for (const Arch& arch : {kArchs[1], kArchs[4]}) {
      SCOPED_TRACE(std::string(net::to_string(method)) + " " + arch.arch);
      net::NetOptions options = options_for(arch, method);
      options.epochs = 2;
      options.batch_size = 20;
      auto one = make_cpu_backend(1), two = make_cpu_backend(2);
      const net::NetModel a = net::train(*one, X.cview(), labels, classes, options);
      const net::NetModel b = net::train(*two, X.cview(), labels, classes, options);
      options.seed += 1;
      const net::NetModel other = net::train(*two, X.cview(), labels, classes, options);
      ASSERT_EQ(a.parameters.size(), b.parameters.size());
      bool differs = false;
      for (std::size_t p = 0; p < a.parameters.size(); ++p) {
        EXPECT_TRUE(same_bits(a.parameters[p].value, b.parameters[p].value)) << a.parameters[p].name;
        differs = differs || !same_bits(a.parameters[p].value, other.parameters[p].value);
      }
      EXPECT_TRUE(differs);
    }
  }
}

}  // namespace
}  // namespace lwnet
