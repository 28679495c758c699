// The layer-wise trainers of spec sections 3 and 4 end to end on the CPU: --method dgl (greedy,
// one layer at a time on DGL_l) and --method hsic-bottleneck (every block on its nHSIC loss, then
// the format readout); the DGL gradient through a real layer against finite differences; the
// monitor of a backprop run; reproducibility; model files; option checks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/net.hpp"
#include "net_test_data.hpp"
#include "nn/dgl_loss.hpp"
#include "nn/network.hpp"
#include "nn/rule_parts.hpp"
#include "train/net/net_internal.hpp"

namespace lwnet {
namespace {

using test::accuracy;
using test::blobs;
using test::Dataset;
using test::names;

net::NetOptions dgl_options(const std::string& arch, int epochs) {
  net::NetOptions o = net::defaults_for(net::Method::dgl);
  o.arch = net::Architecture::parse(arch);
  o.epochs = epochs;
  o.batch_size = 40;
  return o;
}

net::NetOptions hsic_options(const std::string& arch, int epochs) {
  net::NetOptions o = net::defaults_for(net::Method::hsic_bottleneck);
  o.arch = net::Architecture::parse(arch);
  o.epochs = epochs;
  o.batch_size = 60;
  o.learning_rate = 0.05;
  o.hsic.readout_epochs = 30;
  o.hsic.readout_batch_size = 60;
  o.hsic.readout_learning_rate = 0.1;
  return o;
}

TEST(LayerWiseTrain, DglTrainsEachLayerInTurnAndLearnsHeldOutData) {
  const Dataset train = blobs(400, 8, 1), test = blobs(300, 8, 2);
  auto backend = make_cpu_backend(2);
  const net::NetOptions options = dgl_options("dense:32x3", 6);
  const net::NetModel model =
      net::train(*backend, train.X.cview(), train.labels, names(3), options, {test.X.cview(), &test.labels});
  ASSERT_EQ(static_cast<int>(model.history.size()), net::reported_epochs(options));
  ASSERT_EQ(net::reported_epochs(options), 18);
  for (int l = 0; l < 3; ++l) {
    const net::EpochRecord& first = model.history[static_cast<std::size_t>(6 * l)];
    const net::EpochRecord& last = model.history[static_cast<std::size_t>(6 * l + 5)];
    EXPECT_EQ(first.stage, "layer " + std::to_string(l + 1));
    EXPECT_LT(last.loss, first.loss) << "DGL_" << l + 1 << " falls while its layer trains";
    ASSERT_EQ(last.layer_losses.size(), 3u);
    EXPECT_EQ(last.layer_losses[static_cast<std::size_t>(l)], last.loss);
    EXPECT_TRUE(std::isnan(last.layer_losses[static_cast<std::size_t>((l + 1) % 3)]));
  }
  EXPECT_GE(model.history.back().test_accuracy, 0.9);
  // The model's readout is the last epoch's least-squares readout: predict() agrees with it.
  EXPECT_NEAR(accuracy(net::predict(*backend, model, test.X.cview()), test.labels), model.history.back().test_accuracy,
              1e-12);
}

TEST(LayerWiseTrain, DglTrainsAConvNet) {
  const Dataset train = test::bars(300, 3), test = test::bars(300, 4);
  auto backend = make_cpu_backend(2);
  net::NetOptions options = dgl_options("conv:8:1,2", 5);
  options.image = net::ImageShape{8, 8, 1};
  options.standardize = StandardizeMode::none;
  options.learning_rate = 0.01;
  const net::NetModel model =
      net::train(*backend, train.X.cview(), train.labels, names(3), options, {test.X.cview(), &test.labels});
  EXPECT_LT(model.history[4].loss, model.history[0].loss);
  EXPECT_LT(model.history[9].loss, model.history[5].loss);
  EXPECT_GE(model.history.back().test_accuracy, 0.6) << "chance is 1/3";
}

// The gradient a dgl step gives layer 1's weights (DGL_1 through the arc-cosine step of layer 2,
// back through ReLU and batch norm) against central differences of DGL_1 in those weights.
TEST(LayerWiseTrain, DglWeightGradientMatchesFiniteDifferences) {
  for (const char* arch : {"dense:6x2", "dense:6x2:bn"}) {
    auto backend = make_cpu_backend(1);
    net::NetOptions options = dgl_options(arch, 1);
    const std::int64_t m = 10;
    nn::Network<float> net(*backend, options, 4, 3);
    net.initialise(7);
    test::TestRandom rnd(9);
    Matrix<float> X = Matrix<float>::host(m, 4);
    for (std::int64_t k = 0; k < X.size(); ++k) X.data()[k] = static_cast<float>(std::round(rnd.normal() * 64) / 64);
    Matrix<double> Y = Matrix<double>::host(m, 3);
    for (std::int64_t i = 0; i < m; ++i)
      for (int j = 0; j < 3; ++j) Y(i, j) = (i % 3 == j ? 1.0 : 0.0) - (j == 0 ? 0.4 : 0.3);
    nn::DglLoss loss(*backend, options.dgl);
    const nn::HiddenBlock<float>& block = net.blocks()[0];
    Matrix<float> dh = Matrix<float>::host(m, 6);
    loss.evaluate(net.forward_hidden(X.cview(), 1), Y.cview(), 1, dh.view());
    block.linear->backward_parameters(nn::through_block_tail(block, dh.cview()));
    const Matrix<float> grad = backend->download(block.linear->weight().grad.cview());
    Matrix<float>& W = block.linear->weight().value;
    const float step = 1.0f / 1024.0f;
    double worst = 0.0, scale = 0.0;
    for (std::int64_t k = 0; k < W.size(); ++k) {
      const float keep = W.data()[k];
      W.data()[k] = keep + step;
      const double up = loss.evaluate(net.forward_hidden(X.cview(), 1), Y.cview(), 1, {}).loss;
      W.data()[k] = keep - step;
      const double down = loss.evaluate(net.forward_hidden(X.cview(), 1), Y.cview(), 1, {}).loss;
      W.data()[k] = keep;
      const double fd = (up - down) / (2.0 * step);
      worst = std::max(worst, std::fabs(fd - grad.data()[k]));
      scale = std::max(scale, std::fabs(fd));
    }
    EXPECT_GT(scale, 1e-2) << arch;
    // Float32 forward passes: the loss carries ~1e-7 relative noise, and the step is 1/1024 (small enough that no ReLU changes side).
    EXPECT_LT(worst, 1e-3 * scale) << arch << ": largest |finite difference - gradient| " << worst << " of " << scale;
  }
}

TEST(LayerWiseTrain, HsicBottleneckLowersEveryBlocksLossThenTrainsTheReadout) {
  const Dataset train = blobs(360, 8, 3), test = blobs(300, 8, 4);
  auto backend = make_cpu_backend(2);
  const net::NetOptions options = hsic_options("dense:16x3:bn", 8);
  const net::NetModel model =
      net::train(*backend, train.X.cview(), train.labels, names(3), options, {test.X.cview(), &test.labels});
  ASSERT_EQ(static_cast<int>(model.history.size()), 8 + 30);
  const net::EpochRecord& first = model.history.front();
  const net::EpochRecord& hidden_last = model.history[7];
  EXPECT_EQ(first.stage, "hidden layers");
  ASSERT_EQ(first.layer_losses.size(), 3u);
  for (std::size_t l = 0; l < 3; ++l) EXPECT_LT(hidden_last.layer_losses[l], first.layer_losses[l]) << "block " << l + 1;
  EXPECT_TRUE(std::isnan(first.test_accuracy));  // no readout yet
  EXPECT_EQ(model.history.back().stage, "readout");
  EXPECT_LT(model.history.back().loss, model.history[8].loss);
  EXPECT_GE(model.history.back().test_accuracy, 0.9);
  EXPECT_NEAR(accuracy(net::predict(*backend, model, test.X.cview()), test.labels), model.history.back().test_accuracy,
              1e-12);
}

// The code's hsic-solve: the last block has one unit per class and no readout is trained; each
// class is read from the unit that responds most to it on the training set. Nothing makes one
// unit specialise per class, so the outcome depends on the seed (here 4 of 8 seeds reach 0.82 to
// 0.98, the others 0.30 to 0.66): the test asks that 3 of 8 seeds reach 0.8, chance being 1/3.
TEST(LayerWiseTrain, UnformattedHsicBottleneckReadsClassesFromTheLastBlocksUnits) {
  const Dataset train = blobs(360, 8, 3), test = blobs(300, 8, 4);
  auto backend = make_cpu_backend(2);
  net::NetOptions options = hsic_options("dense:16x3:bn", 10);
  options.hsic.unformatted = true;
  options.hsic.beta = 1000.0;  // the spec's FMNIST value: the label term must dominate for 3 units
  options.learning_rate = 0.01;
  int good_seeds = 0;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    options.seed = seed;
    const net::NetModel model =
        net::train(*backend, train.X.cview(), train.labels, names(3), options, {test.X.cview(), &test.labels});
    ASSERT_EQ(model.history.size(), 10u) << "no readout epochs";
    ASSERT_EQ(model.parameters[4].name, "layer.3.weight");
    EXPECT_EQ(model.parameters[4].value.cols(), 3) << "one unit per class";
    // The readout is a permutation: every class reads exactly one unit.
    const Matrix<float>& P = model.parameters[6].value;
    ASSERT_EQ(model.parameters[6].name, "readout.weight");
    for (std::int64_t cls = 0; cls < 3; ++cls) {
      double column = 0.0;
      for (std::int64_t u = 0; u < 3; ++u) {
        EXPECT_TRUE(P(u, cls) == 0.0f || P(u, cls) == 1.0f);
        column += P(u, cls);
      }
      EXPECT_EQ(column, 1.0);
    }
    EXPECT_NEAR(accuracy(net::predict(*backend, model, test.X.cview()), test.labels),
                model.history.back().test_accuracy, 1e-12);
    good_seeds += model.history.back().test_accuracy >= 0.8;
    if (seed == 0) {
      const std::string path = ::testing::TempDir() + "lwnet_hsic_unformatted.safetensors";
      net::save_model(model, path);
      const net::NetModel loaded = net::load_model(path);
      std::remove(path.c_str());
      EXPECT_TRUE(loaded.options.hsic.unformatted);
      EXPECT_EQ(net::predict(*backend, loaded, test.X.cview()), net::predict(*backend, model, test.X.cview()));
    }
  }
  EXPECT_GE(good_seeds, 3);
}

TEST(LayerWiseTrain, BothMethodsAreBitwiseReproducibleAcrossThreadCounts) {
  const Dataset train = blobs(150, 6, 5);
  for (const net::NetOptions& options : {dgl_options("dense:12x2:bn", 2), hsic_options("dense:12x2:bn", 2)}) {
    std::vector<net::NetModel> models;
    for (int threads : {1, 2}) {
      auto backend = make_cpu_backend(threads);
      models.push_back(net::train(*backend, train.X.cview(), train.labels, names(3), options));
    }
    net::NetOptions other = options;
    other.seed = 1;
    auto backend = make_cpu_backend(2);
    models.push_back(net::train(*backend, train.X.cview(), train.labels, names(3), other));
    ASSERT_EQ(models[0].parameters.size(), models[1].parameters.size());
    for (std::size_t p = 0; p < models[0].parameters.size(); ++p)
      EXPECT_TRUE(test::same_bits(models[0].parameters[p].value, models[1].parameters[p].value))
          << net::to_string(options.method) << " " << models[0].parameters[p].name;
    EXPECT_FALSE(test::same_bits(models[0].parameters[0].value, models[2].parameters[0].value))
        << "another seed, other weights";
  }
}

TEST(LayerWiseTrain, TheMonitorReportsDglOfEveryLayerOfABackpropRun) {
  const Dataset train = blobs(200, 6, 6);
  net::NetOptions options;
  options.arch = net::Architecture::parse("dense:16x3");
  options.epochs = 3;
  options.batch_size = 20;
  options.dgl.monitor = true;
  auto backend = make_cpu_backend(2);
  const net::NetModel model = net::train(*backend, train.X.cview(), train.labels, names(3), options);
  for (const net::EpochRecord& r : model.history) {
    ASSERT_EQ(r.layer_losses.size(), 3u);
    for (double v : r.layer_losses) EXPECT_TRUE(std::isfinite(v));
  }
  // The monitor's number for the last layer is DGL_3 of the trained network on the first batches.
  nn::Network<float> net(*backend, options, 6, 3);
  const std::vector<nn::Parameter<float>*> params = net.parameters();
  for (std::size_t p = 0; p < params.size(); ++p)
    backend->copy(model.parameters[p].value.cview(), params[p]->value.view());
  Matrix<float> X = Matrix<float>::host(200, 6);
  std::copy(train.X.data(), train.X.data() + X.size(), X.data());
  model.statistics.apply(X.view());
  nn::DglLoss loss(*backend, options.dgl);
  double sum = 0.0;
  for (int b = 0; b < net::kMonitorBatches; ++b) {
    Matrix<double> Y = Matrix<double>::host(20, 3);
    for (std::int64_t i = 0; i < 20; ++i)
      for (int j = 0; j < 3; ++j) Y(i, j) = (train.labels.y[static_cast<std::size_t>(b * 20 + i)] == j) ? 1.0 : 0.0;
    for (int j = 0; j < 3; ++j) {
      double mean = 0.0;
      for (std::int64_t i = 0; i < 20; ++i) mean += Y(i, j) / 20.0;
      for (std::int64_t i = 0; i < 20; ++i) Y(i, j) -= mean;
    }
    sum += loss.evaluate(net.forward_hidden(X.cview().row_range(b * 20, 20), 3), Y.cview(), 0, {}).loss;
  }
  EXPECT_NEAR(model.history.back().layer_losses[2], sum / net::kMonitorBatches, 1e-9 * std::fabs(sum));
}

TEST(LayerWiseTrain, ModelFilesKeepTheMethodAndItsNumbers) {
  const Dataset train = blobs(120, 5, 7);
  auto backend = make_cpu_backend(1);
  net::NetOptions options = dgl_options("dense:8x2", 1);
  options.dgl.noise = 0.25;
  options.dgl.center_targets = false;
  const net::NetModel model = net::train(*backend, train.X.cview(), train.labels, names(3), options);
  const std::string path = ::testing::TempDir() + "lwnet_dgl_model.safetensors";
  net::save_model(model, path);
  const net::NetModel loaded = net::load_model(path);
  std::remove(path.c_str());
  EXPECT_EQ(loaded.options.method, net::Method::dgl);
  EXPECT_EQ(loaded.options.init, net::Init::torch);
  EXPECT_EQ(loaded.options.dgl.noise, 0.25);
  EXPECT_FALSE(loaded.options.dgl.center_targets);
  EXPECT_EQ(net::predict(*backend, loaded, train.X.cview()), net::predict(*backend, model, train.X.cview()));
}

TEST(LayerWiseTrain, OptionsThatCannotWorkAreRefused) {
  const Dataset train = blobs(60, 4, 8);
  auto backend = make_cpu_backend(1);
  auto refused = [&](net::NetOptions o, const std::string& needle) {
    try {
      net::train(*backend, train.X.cview(), train.labels, names(3), o);
      ADD_FAILURE() << "accepted; expected an error with '" << needle << "'";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  refused(dgl_options("dense:8x0", 1), "at least one");
  net::NetOptions o = dgl_options("dense:8x1", 1);
  o.dgl.monitor = true;
  refused(o, "--dgl-monitor");
  o = dgl_options("dense:8x1", 1);
  o.dgl.noise = 0.0;
  refused(o, "--dgl-noise");
  o = hsic_options("dense:8x1", 1);
  o.hsic.sigma = -1.0;
  refused(o, "--hsic-sigma");
  o = hsic_options("dense:8x1", 1);
  o.hsic.readout_batch_size = 0;
  refused(o, "--readout-batch-size");
}

TEST(LayerWiseTrain, TorchInitDrawsWeightsAndBiasesFromTheFanInUniform) {
  auto backend = make_cpu_backend(1);
  net::NetOptions options = dgl_options("dense:64x1", 1);
  nn::Network<float> net(*backend, options, 100, 3);
  net.initialise(3);
  const float bound = 0.1f;  // 1/sqrt(100)
  for (nn::Parameter<float>* p : net.parameters()) {
    double sum_sq = 0.0;
    const Matrix<float> v = backend->download(p->value.cview());
    for (std::int64_t k = 0; k < v.size(); ++k) {
      const float fan_in_bound = p->name.rfind("readout", 0) == 0 ? 0.125f : bound;  // readout fan-in 64
      ASSERT_LE(std::fabs(v.data()[k]), fan_in_bound) << p->name;
      sum_sq += static_cast<double>(v.data()[k]) * v.data()[k];
    }
    const double bound_p = p->name.rfind("readout", 0) == 0 ? 0.125 : 0.1;
    if (v.size() >= 64) {  // U(-b, b) has variance b^2 / 3
      EXPECT_NEAR(sum_sq / static_cast<double>(v.size()), bound_p * bound_p / 3.0, 0.35 * bound_p * bound_p / 3.0)
          << p->name;
    }
  }
  EXPECT_EQ(net.blocks()[0].linear->scale(), 1.0f) << "no forward scale";
}

}  // namespace
}  // namespace lwnet
