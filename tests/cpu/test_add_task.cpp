// The recurrent Add task (spec 2.3) on the CPU:
// - the generated data: targets y_t = 0.5 + 0.5 x_{t-2} - 0.25 x_{t-5} with zeros before the start
//   (no wrap-around), fair coin flips, reproducible from the seed;
// - the rules at step 0 in float64, where the live net and its frozen copy coincide: Align-zero and
//   the full Align-ada give BPTT's gradients bit for bit; the code's Align-ada equals an oracle
//   written here (BPTT in plain loops, then each live state given only what came through the next
//   step); backprop equals the oracle too;
// - after the weights moved: Align-zero's gradients are theta_0's BPTT at the live error (from the
//   live h_0), Align-ada's readout gradient the live one; readout-only trains the readout and h_0;
// - training: the loss falls, the same seed gives the same bits, bad options are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "lwnet/add_task.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "nn/recurrent_rules.hpp"
#include "expect_close.hpp"
#include "test_data.hpp"

namespace lwnet {
namespace net {
// gtest prints a parameter with this (not its bytes) when a case fails.
void PrintTo(const AddTaskOptions& o, std::ostream* os) { *os << to_string(o.method) << " " << to_string(o.align_ada); }
}  // namespace net

namespace {

using test::same_bits;

using nn::RecurrentNet;

constexpr std::int64_t kSteps = 7;
constexpr std::int64_t kWidth = 5;
constexpr std::int64_t kRows = 4;

TEST(AddTaskData, TargetsFollowTheLaggedInputsWithZerosBeforeTheStart) {
  net::AddTaskSpec spec;
  spec.steps = 12;
  spec.train_sequences = 30;
  spec.test_sequences = 10;
  const net::AddTaskData d = net::make_add_task(spec);
  ASSERT_EQ(d.train_inputs.rows(), 30);
  ASSERT_EQ(d.train_inputs.cols(), 12);
  ASSERT_EQ(d.test_targets.rows(), 10);
  for (const auto* pair : {&d.train_inputs, &d.test_inputs}) {
    const Matrix<float>& x = *pair;
    const Matrix<float>& y = pair == &d.train_inputs ? d.train_targets : d.test_targets;
    for (std::int64_t i = 0; i < x.rows(); ++i)
      for (std::int64_t t = 0; t < x.cols(); ++t) {
        ASSERT_TRUE(x(i, t) == 0.0f || x(i, t) == 1.0f);
        const double two = t >= 2 ? x(i, t - 2) : 0.0, five = t >= 5 ? x(i, t - 5) : 0.0;
        EXPECT_EQ(y(i, t), static_cast<float>(0.5 + 0.5 * two - 0.25 * five)) << i << ", " << t;
      }
  }
  // Before step 2 nothing has arrived: every target is 0.5 (np.roll would have wrapped the end in).
  for (std::int64_t i = 0; i < 30; ++i) {
    EXPECT_EQ(d.train_targets(i, 0), 0.5f);
    EXPECT_EQ(d.train_targets(i, 1), 0.5f);
  }
}

TEST(AddTaskData, InputsAreFairCoinsDrawnFromTheSeed) {
  net::AddTaskSpec spec;
  spec.train_sequences = 300;
  const net::AddTaskData a = net::make_add_task(spec), b = net::make_add_task(spec);
  spec.seed = 100;
  const net::AddTaskData c = net::make_add_task(spec);
  double ones = 0.0;
  bool differs = false;
  for (std::int64_t i = 0; i < a.train_inputs.rows(); ++i)
    for (std::int64_t t = 0; t < a.train_inputs.cols(); ++t) {
      ASSERT_EQ(a.train_inputs(i, t), b.train_inputs(i, t));
      differs = differs || a.train_inputs(i, t) != c.train_inputs(i, t);
      ones += a.train_inputs(i, t);
    }
  EXPECT_TRUE(differs);
  // 30000 fair flips: the fraction of ones within 5 standard deviations (0.0029 each) of 0.5.
  EXPECT_NEAR(ones / 30000.0, 0.5, 0.0145);
}

TEST(AddTaskData, BadSpecsAreRefused) {
  net::AddTaskSpec spec;
  spec.steps = 0;
  EXPECT_THROW(net::make_add_task(spec), InvalidArgument);
  spec = {};
  spec.test_sequences = 0;
  EXPECT_THROW(net::make_add_task(spec), InvalidArgument);
  spec = {};
  spec.lag_b = -1;
  EXPECT_THROW(net::make_add_task(spec), InvalidArgument);
}

// ---- the rules in float64 ----------------------------------------------------------------------

net::AddTaskOptions options_for(net::Method method, net::AlignAdaVariant variant = net::AlignAdaVariant::code) {
  net::AddTaskOptions o;
  o.method = method;
  o.align_ada = variant;
  o.seed = 13;
  return o;
}

std::vector<Matrix<double>> gradients_of(Backend& backend, RecurrentNet<double>& net) {
  std::vector<Matrix<double>> grads;
  for (nn::Parameter<double>* p : net.parameters()) grads.push_back(backend.download(p->grad.cview()));
  return grads;
}

std::vector<Matrix<double>> values_of(Backend& backend, RecurrentNet<double>& net) {
  std::vector<Matrix<double>> values;
  for (nn::Parameter<double>* p : net.parameters()) values.push_back(backend.download(p->value.cview()));
  return values;
}

// A net with random biases and initial state too (initialise() leaves them 0), so every term of
// the gradients is exercised.
void randomise_biases(Backend& backend, RecurrentNet<double>& net, test::TestRandom& rnd) {
  for (nn::Parameter<double>* p : net.parameters())
    if (p->value.rows() == 1 && p->name.find("weight") == std::string::npos)
      backend.copy(rnd.uniform_matrix_f64(1, p->value.cols(), -0.3, 0.3).cview(), p->value.view());
}

struct RuleFixture {
  std::unique_ptr<Backend> backend = make_cpu_backend(1);
  RecurrentNet<double> net{*backend, kSteps, kWidth, nn::Parameterisation::ntk};
  Matrix<double> X, e;

  explicit RuleFixture(test::TestRandom& rnd) {
    net.initialise(13);
    randomise_biases(*backend, net, rnd);
    X = rnd.uniform_matrix_f64(kRows, kSteps, 0.0, 1.0);
    e = rnd.uniform_matrix_f64(kRows, kSteps);
  }
  std::vector<Matrix<double>> backprop_gradients() {
    net.forward(X.cview());
    net.backward(e.cview());
    return gradients_of(*backend, net);
  }
  std::vector<Matrix<double>> rule_gradients(nn::RecurrentRule<double>& rule) {
    net.forward(X.cview());
    rule.compute_gradients(net, X.cview(), e.cview());
    return gradients_of(*backend, net);
  }
};

class RecurrentRulesAtStepZero : public ::testing::TestWithParam<net::AddTaskOptions> {};

TEST_P(RecurrentRulesAtStepZero, GiveBackpropThroughTimeBitForBit) {
  test::TestRandom rnd(test::test_seed());
  RuleFixture f(rnd);
  auto rule = nn::make_recurrent_rule<double>(*f.backend, GetParam(), f.net);
  const std::vector<Matrix<double>> by_rule = f.rule_gradients(*rule);
  const std::vector<Matrix<double>> by_bptt = f.backprop_gradients();
  const std::vector<nn::Parameter<double>*> params = f.net.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(same_bits(by_rule[i], by_bptt[i])) << params[i]->name;
}

INSTANTIATE_TEST_SUITE_P(Align, RecurrentRulesAtStepZero,
                         ::testing::Values(options_for(net::Method::align_zero),
                                           options_for(net::Method::align_ada, net::AlignAdaVariant::full)),
                         [](const ::testing::TestParamInfo<net::AddTaskOptions>& p) {
                           return p.param.method == net::Method::align_zero ? std::string("AlignZero")
                                                                             : std::string("AlignAdaFull");
                         });

// The recurrent net in plain float64 loops (NTK: s = 1/sqrt(n); one input per step).
struct Oracle {
  std::vector<double> w_ih, w_hh, b, h0, w_ho;  // w_hh row-major n x n (h_{t-1} W_hh)
  double b_o = 0.0;
  std::int64_t n = kWidth, T = kSteps, N = kRows;
  double s = 1.0 / std::sqrt(static_cast<double>(kWidth));

  Oracle(Backend& backend, RecurrentNet<double>& net) {
    auto host = [&](nn::Parameter<double>* p) {
      const Matrix<double> m = backend.download(p->value.cview());
      return std::vector<double>(m.data(), m.data() + m.size());
    };
    const std::vector<nn::Parameter<double>*> p = net.parameters();
    w_ih = host(p[0]);
    w_hh = host(p[1]);
    b = host(p[2]);
    h0 = host(p[3]);
    w_ho = host(p[4]);
    b_o = host(p[5])[0];
  }
  // h[i][t][k], t = 0..T (h[i][0] = h0).
  std::vector<std::vector<std::vector<double>>> states(const Matrix<double>& X) const {
    std::vector<std::vector<std::vector<double>>> h(N, std::vector<std::vector<double>>(T + 1, h0));
    for (std::int64_t i = 0; i < N; ++i)
      for (std::int64_t t = 1; t <= T; ++t)
        for (std::int64_t k = 0; k < n; ++k) {
          double z = X(i, t - 1) * w_ih[k] + b[k];
          for (std::int64_t j = 0; j < n; ++j) z += s * h[i][t - 1][j] * w_hh[j * n + k];
          h[i][t][k] = z > 0 ? z : 0.0;
        }
    return h;
  }
  // Gradients {w_ih, w_hh, b, h0, w_ho, b_o}. full_bptt: backprop; else the code's Align-ada at
  // step 0: each h_t gets only s W_hh delta_{t+1} of the full BPTT, the readout its live gradient.
  std::vector<std::vector<double>> gradients(const Matrix<double>& X, const Matrix<double>& e, bool full_bptt) const {
    const auto h = states(X);
    std::vector<std::vector<double>> g = {std::vector<double>(n, 0.0), std::vector<double>(n * n, 0.0),
                                          std::vector<double>(n, 0.0), std::vector<double>(n, 0.0),
                                          std::vector<double>(n, 0.0), std::vector<double>(1, 0.0)};
    for (std::int64_t i = 0; i < N; ++i) {
      std::vector<double> delta_next(n, 0.0);  // the full BPTT's delta_{t+1}
      for (std::int64_t t = T; t >= 0; --t) {
        std::vector<double> through_next(n, 0.0);  // s W_hh delta_{t+1}
        if (t < T)
          for (std::int64_t j = 0; j < n; ++j)
            for (std::int64_t k = 0; k < n; ++k) through_next[j] += s * w_hh[j * n + k] * delta_next[k];
        if (t == 0) {
          for (std::int64_t j = 0; j < n; ++j) g[3][j] += through_next[j];
          break;
        }
        std::vector<double> delta(n), used(n);
        for (std::int64_t k = 0; k < n; ++k) {
          const double relu = h[i][t][k] > 0 ? 1.0 : 0.0;
          delta[k] = relu * (s * w_ho[k] * e(i, t - 1) + through_next[k]);
          used[k] = full_bptt ? delta[k] : relu * through_next[k];
          g[4][k] += s * h[i][t][k] * e(i, t - 1);
        }
        g[5][0] += e(i, t - 1);
        for (std::int64_t k = 0; k < n; ++k) {
          g[0][k] += X(i, t - 1) * used[k];
          g[2][k] += used[k];
          for (std::int64_t j = 0; j < n; ++j) g[1][j * n + k] += s * h[i][t - 1][j] * used[k];
        }
        delta_next = delta;
      }
    }
    return g;
  }
};

void expect_oracle(const std::vector<Matrix<double>>& got, const std::vector<std::vector<double>>& want,
                   const std::vector<nn::Parameter<double>*>& params) {
  // Tolerance: the same sums in another order, a few ulps of their magnitude (all are O(1) here).
  for (std::size_t p = 0; p < want.size(); ++p)
    for (std::size_t k = 0; k < want[p].size(); ++k)
      EXPECT_NEAR(got[p].data()[k], want[p][k], 1e-12 * (1.0 + std::abs(want[p][k]))) << params[p]->name << " " << k;
}

TEST(RecurrentRules, BackpropThroughTimeMatchesTheOracle) {
  test::TestRandom rnd(test::test_seed());
  RuleFixture f(rnd);
  const Oracle oracle(*f.backend, f.net);
  expect_oracle(f.backprop_gradients(), oracle.gradients(f.X, f.e, true), f.net.parameters());
}

TEST(RecurrentRules, CodesAlignAdaSendsEachStateOnlyWhatCameThroughTheNextStep) {
  test::TestRandom rnd(test::test_seed());
  RuleFixture f(rnd);
  auto rule = nn::make_recurrent_rule<double>(*f.backend, options_for(net::Method::align_ada), f.net);
  const Oracle oracle(*f.backend, f.net);
  const std::vector<Matrix<double>> got = f.rule_gradients(*rule);
  expect_oracle(got, oracle.gradients(f.X, f.e, false), f.net.parameters());
  // ... which is not backprop's (the same-step readout term is missing).
  const std::vector<Matrix<double>> bptt = f.backprop_gradients();
  EXPECT_GT(std::abs(got[0].data()[0] - bptt[0].data()[0]) + std::abs(got[2].data()[1] - bptt[2].data()[1]), 1e-6);
}

// Moves every live parameter by a random amount (a training step's stand-in).
void perturb(Backend& backend, RecurrentNet<double>& net, test::TestRandom& rnd) {
  for (nn::Parameter<double>* p : net.parameters()) {
    Matrix<double> v = backend.download(p->value.cview());
    const Matrix<double> d = rnd.uniform_matrix_f64(v.rows(), v.cols(), -0.2, 0.2);
    for (std::int64_t k = 0; k < v.size(); ++k) v.data()[k] += d.data()[k];
    backend.copy(v.cview(), p->value.view());
  }
}

TEST(RecurrentRules, AlignZeroAfterAStepIsTheInitialNetsBpttFromTheLiveInitialState) {
  test::TestRandom rnd(test::test_seed());
  RuleFixture f(rnd);
  const std::vector<Matrix<double>> theta0 = values_of(*f.backend, f.net);
  auto rule = nn::make_recurrent_rule<double>(*f.backend, options_for(net::Method::align_zero), f.net);
  perturb(*f.backend, f.net, rnd);
  const std::vector<Matrix<double>> got = f.rule_gradients(*rule);

  RecurrentNet<double> initial(*f.backend, kSteps, kWidth, nn::Parameterisation::ntk);
  const std::vector<nn::Parameter<double>*> p0 = initial.parameters(), live = f.net.parameters();
  for (std::size_t i = 0; i < p0.size(); ++i) f.backend->copy(theta0[i].cview(), p0[i]->value.view());
  f.backend->copy(live[3]->value.cview(), p0[3]->value.view());  // the live h_0
  initial.forward(f.X.cview());
  initial.backward(f.e.cview());
  const std::vector<Matrix<double>> want = gradients_of(*f.backend, initial);
  for (std::size_t i = 0; i < p0.size(); ++i) EXPECT_TRUE(same_bits(got[i], want[i])) << live[i]->name;
}

TEST(RecurrentRules, AlignAdaKeepsTheLiveReadoutGradientAfterAStep) {
  test::TestRandom rnd(test::test_seed());
  for (const auto variant : {net::AlignAdaVariant::code, net::AlignAdaVariant::full}) {
    RuleFixture f(rnd);
    auto rule = nn::make_recurrent_rule<double>(*f.backend, options_for(net::Method::align_ada, variant), f.net);
    perturb(*f.backend, f.net, rnd);
    const std::vector<Matrix<double>> got = f.rule_gradients(*rule);
    const std::vector<Matrix<double>> bptt = f.backprop_gradients();
    EXPECT_TRUE(same_bits(got[4], bptt[4])) << net::to_string(variant);
    EXPECT_TRUE(same_bits(got[5], bptt[5])) << net::to_string(variant);
    // The recurrent weights' gradient is not the live BPTT's any more.
    EXPECT_FALSE(same_bits(got[1], bptt[1])) << net::to_string(variant);
  }
}

TEST(RecurrentRules, ReadoutOnlyTrainsTheReadoutAndTheInitialState) {
  auto backend = make_cpu_backend(1);
  RecurrentNet<double> net(*backend, kSteps, kWidth, nn::Parameterisation::ntk);
  auto rule = nn::make_recurrent_rule<double>(*backend, options_for(net::Method::last_layer), net);
  std::vector<std::string> names;
  for (nn::Parameter<double>* p : rule->trained_parameters(net)) names.push_back(p->name);
  EXPECT_EQ(names, (std::vector<std::string>{"readout.weight", "readout.bias", "rnn.initial_state"}));
}

TEST(RecurrentRules, OtherMethodsAreRefusedByName) {
  auto backend = make_cpu_backend(1);
  RecurrentNet<double> net(*backend, kSteps, kWidth, nn::Parameterisation::ntk);
  for (const auto m : {net::Method::fa, net::Method::dfa, net::Method::align_prop}) {
    try {
      nn::make_recurrent_rule<double>(*backend, options_for(m), net);
      ADD_FAILURE() << net::to_string(m) << " was accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("align-zero"), std::string::npos) << e.what();
    }
  }
}

// ---- training ----------------------------------------------------------------------------------

net::AddTaskData small_task() {
  net::AddTaskSpec spec;
  spec.steps = 20;
  spec.train_sequences = 60;
  spec.test_sequences = 20;
  return net::make_add_task(spec);
}

net::AddTaskOptions small_options(net::Method method) {
  net::AddTaskOptions o;
  o.method = method;
  o.width = 16;
  o.epochs = 6;
  o.batch_size = 10;
  o.learning_rate = 0.003;
  o.seed = 5;
  return o;
}

TEST(AddTaskTraining, EveryRuleLowersTheTestLossAndTheMinimumIsOverEpochs) {
  const net::AddTaskData data = small_task();
  auto backend = make_cpu_backend(2);
  for (const auto m : {net::Method::backprop, net::Method::align_zero, net::Method::align_ada, net::Method::last_layer}) {
    const net::AddTaskResult r = net::train_add_task(*backend, data, small_options(m));
    ASSERT_EQ(r.history.size(), 6u);
    double lowest = r.history[0].test_loss;
    for (const net::AddTaskRecord& rec : r.history) lowest = std::min(lowest, rec.test_loss);
    EXPECT_EQ(r.min_test_loss, lowest) << net::to_string(m);
    EXPECT_EQ(r.history[static_cast<std::size_t>(r.best_epoch - 1)].test_loss, lowest);
    EXPECT_LT(r.min_test_loss, r.initial_test_loss) << net::to_string(m);
    EXPECT_TRUE(std::isfinite(r.mean_prediction_test_loss));
  }
}

TEST(AddTaskTraining, TheSameSeedGivesTheSameBitsAtAnyThreadCount) {
  const net::AddTaskData data = small_task();
  auto one = make_cpu_backend(1), two = make_cpu_backend(2);
  const net::AddTaskResult a = net::train_add_task(*one, data, small_options(net::Method::align_ada));
  const net::AddTaskResult b = net::train_add_task(*two, data, small_options(net::Method::align_ada));
  ASSERT_EQ(a.parameters.size(), b.parameters.size());
  for (std::size_t i = 0; i < a.parameters.size(); ++i)
    EXPECT_EQ(std::memcmp(a.parameters[i].value.data(), b.parameters[i].value.data(),
                          sizeof(float) * static_cast<std::size_t>(a.parameters[i].value.size())),
              0)
        << a.parameters[i].name;
  for (std::size_t i = 0; i < a.history.size(); ++i) EXPECT_EQ(a.history[i].test_loss, b.history[i].test_loss);
}

TEST(AddTaskTraining, ReadoutOnlyLeavesTheRecurrentWeightsAtTheirDraws) {
  const net::AddTaskData data = small_task();
  auto backend = make_cpu_backend(1);
  const net::AddTaskResult r = net::train_add_task(*backend, data, small_options(net::Method::last_layer));
  RecurrentNet<float> fresh(*backend, 20, 16, nn::Parameterisation::ntk);
  fresh.initialise(5);
  const std::vector<nn::Parameter<float>*> p = fresh.parameters();
  for (std::size_t i = 0; i < 3; ++i) {  // input weight, recurrent weight, bias
    const Matrix<float> v = backend->download(p[i]->value.cview());
    EXPECT_EQ(std::memcmp(v.data(), r.parameters[i].value.data(), sizeof(float) * static_cast<std::size_t>(v.size())), 0)
        << p[i]->name;
  }
}

TEST(AddTaskTraining, TheBaselinesAreTheirClosedForms) {
  Matrix<float> Y = Matrix<float>::host(2, 3), p = Matrix<float>::host(1, 3);
  const float y[] = {0.5f, 1.0f, 0.25f, 0.75f, 0.5f, 1.0f};
  std::memcpy(Y.data(), y, sizeof y);
  p(0, 0) = 0.5f;
  p(0, 1) = 0.75f;
  p(0, 2) = 0.5f;
  // Row sums of squared differences: (0 + 1/16 + 1/16) and (1/16 + 1/16 + 1/4); their mean.
  EXPECT_DOUBLE_EQ(net::constant_prediction_loss(Y.cview(), p.cview()), (0.125 + 0.375) / 2.0);
}

TEST(AddTaskTraining, BadInputIsRefusedByName) {
  net::AddTaskData data = small_task();
  auto backend = make_cpu_backend(1);
  net::AddTaskOptions o = small_options(net::Method::backprop);
  o.method = net::Method::dfa;
  EXPECT_THROW(net::train_add_task(*backend, data, o), InvalidArgument);
  o = small_options(net::Method::backprop);
  o.width = 0;
  EXPECT_THROW(net::train_add_task(*backend, data, o), InvalidArgument);
  o = small_options(net::Method::backprop);
  o.learning_rate = -1.0;
  EXPECT_THROW(net::train_add_task(*backend, data, o), InvalidArgument);
  o = small_options(net::Method::backprop);
  data.test_inputs = Matrix<float>::host(20, 19);
  EXPECT_THROW(net::train_add_task(*backend, data, o), InvalidArgument);
  data = small_task();
  data.train_inputs(3, 4) = std::nanf("");
  EXPECT_THROW(net::train_add_task(*backend, data, o), InvalidArgument);
  data = small_task();
}

TEST(AddTaskTraining, ADivergedRunStopsAndKeepsTheEpochsBeforeIt) {
  const net::AddTaskData data = small_task();
  auto backend = make_cpu_backend(1);
  net::AddTaskOptions o = small_options(net::Method::backprop);
  o.learning_rate = 1e5;
  const net::AddTaskResult r = net::train_add_task(*backend, data, o);
  ASSERT_GT(r.diverged_epoch, 0);
  EXPECT_EQ(r.history.size(), static_cast<std::size_t>(r.diverged_epoch - 1));
  if (r.best_epoch == 0) EXPECT_TRUE(std::isnan(r.min_test_loss));
  const net::AddTaskResult fine = net::train_add_task(*backend, data, small_options(net::Method::backprop));
  EXPECT_EQ(fine.diverged_epoch, 0);
}

}  // namespace
}  // namespace lwnet
