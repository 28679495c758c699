// lwnet::net::train end to end on the CPU: backprop MLPs and conv nets learn held-out data, the
// same seed gives the same bits at any thread count, models save and load, options are checked.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/net.hpp"
#include "nn/network.hpp"
#include "net_test_data.hpp"
#include "test_data.hpp"

namespace lwnet {
namespace {

using test::accuracy;
using test::bars;
using test::blobs;
using test::Dataset;
using test::names;

void expect_learns(const net::NetOptions& options, const Dataset& train, const Dataset& test, double min_accuracy) {
  auto backend = make_cpu_backend(2);
  const net::NetModel model =
      net::train(*backend, train.X.cview(), train.labels, names(3), options, {test.X.cview(), &test.labels});
  ASSERT_EQ(static_cast<int>(model.history.size()), options.epochs);
  EXPECT_LT(model.history.back().loss, 0.6 * model.history.front().loss) << options.arch.str();
  EXPECT_GT(model.history.back().train_accuracy, model.history.front().train_accuracy);
  EXPECT_GE(model.history.back().test_accuracy, min_accuracy) << options.arch.str();
  // predict() agrees with the per-epoch evaluation of the final network.
  EXPECT_NEAR(accuracy(net::predict(*backend, model, test.X.cview()), test.labels), model.history.back().test_accuracy,
              1e-12);
}

TEST(NetTrain, BackpropMlpLearnsHeldOutData) {
  const Dataset train = blobs(600, 8, 1), test = blobs(300, 8, 2);
  net::NetOptions options;
  options.arch = net::Architecture::parse("dense:32x2");
  options.epochs = 8;
  options.batch_size = 50;
  expect_learns(options, train, test, 0.9);
  options.arch = net::Architecture::parse("dense:32x2:bn");
  options.optimizer = net::OptimizerKind::adam;
  options.learning_rate = 0.01;
  expect_learns(options, train, test, 0.9);
  options.arch = net::Architecture::parse("dense:64x1");
  options.optimizer = net::OptimizerKind::sgd;
  options.loss = net::LossKind::mse;
  options.momentum = 0.0;
  options.learning_rate = 1.0;
  expect_learns(options, train, test, 0.9);
}

TEST(NetTrain, BackpropConvNetLearnsHeldOutImages) {
  const Dataset train = bars(450, 3), test = bars(300, 4);
  net::NetOptions options;
  options.arch = net::Architecture::parse("conv:8:1,2");
  options.image = net::ImageShape{8, 8, 1};
  options.epochs = 20;
  options.learning_rate = 0.5;  // NTK-parameterised nets take large steps
  options.batch_size = 30;
  options.standardize = StandardizeMode::none;
  expect_learns(options, train, test, 0.85);
  options.arch = net::Architecture::parse("conv:8:1,2:bn");
  expect_learns(options, train, test, 0.85);
}

// The batch callback comes before every batch with its position, and throwing from it stops
// training at once (no epoch is finished, nothing is returned).
TEST(NetTrain, BatchCallbackStopsWithinAnEpoch) {
  const Dataset train = blobs(95, 4, 5);
  net::NetOptions options;
  options.arch = net::Architecture::parse("dense:8x1");
  options.epochs = 3;
  options.batch_size = 20;  // 95 rows: 5 batches
  auto backend = make_cpu_backend(1);
  std::vector<net::BatchProgress> seen;
  int epochs_reported = 0;
  const auto count_epochs = [&](const net::EpochRecord&) { ++epochs_reported; };
  net::train(*backend, train.X.cview(), train.labels, names(3), options, {}, count_epochs,
             [&](const net::BatchProgress& p) { seen.push_back(p); });
  ASSERT_EQ(seen.size(), 15u);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].epoch, static_cast<int>(i / 5) + 1);
    EXPECT_EQ(seen[i].batch, static_cast<std::int64_t>(i % 5) + 1);
    EXPECT_EQ(seen[i].batches, 5);
  }
  EXPECT_EQ(epochs_reported, 3);

  seen.clear();
  epochs_reported = 0;
  const auto stop_in_epoch_two = [&](const net::BatchProgress& p) {
    seen.push_back(p);
    if (p.epoch == 2 && p.batch == 3) throw Cancelled("stopped by the test");
  };
  EXPECT_THROW(net::train(*backend, train.X.cview(), train.labels, names(3), options, {}, count_epochs, stop_in_epoch_two),
               Cancelled);
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(epochs_reported, 1);
}

// A network whose batch cannot fit in memory is refused before its first batch, in training and
// in prediction, with the batch and the memory named (instead of allocating until the OOM killer
// ends the process). 65536 channels on 28x28 images, 1024 rows: hundreds of GiB per batch.
TEST(NetTrain, ActivationsThatCannotFitAreRefusedUpFront) {
  const std::int64_t n = 1024, width = 65536;
  test::TestRandom rnd(9);
  Dataset data{Matrix<float>::host(n, 784), {}};
  data.labels.num_classes = 3;
  for (std::int64_t i = 0; i < n; ++i) {
    data.labels.y.push_back(static_cast<int>(i % 3));
    for (std::int64_t j = 0; j < 784; ++j) data.X(i, j) = static_cast<float>(rnd.normal());
  }
  net::NetOptions options;
  options.arch = net::Architecture::parse("conv:" + std::to_string(width) + ":1");
  options.image = net::ImageShape{28, 28, 1};
  options.batch_size = 1024;
  options.standardize = StandardizeMode::none;
  auto backend = make_cpu_backend(1);
  ASSERT_GT(backend->free_memory_bytes(), 0u) << "the CPU backend should know its free memory";
  ASSERT_LT(backend->free_memory_bytes(), std::size_t{300} << 30) << "a machine this large would run the batch";
  EXPECT_TRUE(test::throws_with<InvalidArgument>(
      [&] { net::train(*backend, data.X.cview(), data.labels, names(3), options); },
      {"train: a batch of 1024 rows needs about", "GiB of activations", "free on cpu", "lower the batch size"}));

  net::NetModel model;
  model.options = options;
  model.input_dim = 784;
  model.classes = names(3);
  model.parameters.push_back({"layer.1.weight", Matrix<float>::host(9, width)});
  model.parameters.push_back({"layer.1.bias", Matrix<float>::host(1, width)});
  model.parameters.push_back({"readout.weight", Matrix<float>::host(width, 3)});
  model.parameters.push_back({"readout.bias", Matrix<float>::host(1, 3)});
  EXPECT_TRUE(test::throws_with<InvalidArgument>([&] { net::predict(*backend, model, data.X.cview()); },
                                                 {"predict: a batch of 1024 rows needs about", "GiB of activations"}));
}

// A rule with a frozen copy (Align-zero, Align-ada, the alignment score's recorder) runs two
// networks on every batch: the check counts each copy. Nothing is allocated by the check, so a
// batch of millions of rows can be asked about; the margins (0.45 of the free memory for one copy,
// 1.35 for three) leave room for other processes changing what is free between the two calls.
TEST(NetTrain, TheMemoryCheckCountsEveryCopyOfTheNetwork) {
  auto backend = make_cpu_backend(1);
  net::NetOptions options;
  options.arch = net::Architecture::parse("dense:64x2");
  nn::Network<float> net(*backend, options, 10, 3);
  const auto per_row = static_cast<double>(net.activation_bytes(1, true));
  const auto rows = static_cast<std::int64_t>(0.45 * static_cast<double>(backend->free_memory_bytes()) / per_row);
  ASSERT_GT(rows, 1);
  EXPECT_NO_THROW(net.require_activation_memory(rows, true, "train", 1));
  EXPECT_TRUE(test::throws_with<InvalidArgument>([&] { net.require_activation_memory(rows, true, "train", 3); },
                                                 {"train: a batch of", "the frozen copy of the network runs on it too"}));
}

// The same seed gives bitwise the same parameters, whatever the CPU thread count; another seed
// gives other parameters.
TEST(NetTrain, BitwiseReproducibleAcrossThreadCounts) {
  const Dataset train = bars(120, 5);
  for (const char* arch : {"dense:48x2:bn", "conv:6:2,1:bn"}) {
    net::NetOptions options;
    options.arch = net::Architecture::parse(arch);
    options.image = net::ImageShape{8, 8, 1};
    options.epochs = 2;
    options.batch_size = 40;
    options.seed = 9;
    std::vector<net::NetModel> models;
    for (int threads : {1, 2, 3}) {
      auto backend = make_cpu_backend(threads);
      models.push_back(net::train(*backend, train.X.cview(), train.labels, names(3), options));
    }
    options.seed = 10;
    auto backend = make_cpu_backend(2);
    const net::NetModel other = net::train(*backend, train.X.cview(), train.labels, names(3), options);
    for (std::size_t p = 0; p < models[0].parameters.size(); ++p) {
      const Matrix<float>& ref = models[0].parameters[p].value;
      for (std::size_t m = 1; m < models.size(); ++m) {
        const Matrix<float>& v = models[m].parameters[p].value;
        for (std::int64_t k = 0; k < ref.size(); ++k)
          ASSERT_EQ(ref.data()[k], v.data()[k]) << arch << " " << models[0].parameters[p].name << " threads run " << m;
      }
    }
    EXPECT_NE(models[0].parameters[0].value.data()[0], other.parameters[0].value.data()[0]);
  }
}

TEST(NetModelFile, SaveLoadRoundTripPredictsTheSame) {
  const Dataset train = bars(90, 6);
  net::NetOptions options;
  options.arch = net::Architecture::parse("conv:4:1,2:bn");
  options.image = net::ImageShape{8, 8, 1};
  options.epochs = 1;
  options.batch_size = 30;
  auto backend = make_cpu_backend(1);
  const net::NetModel model = net::train(*backend, train.X.cview(), train.labels, names(3), options);
  const std::string path = ::testing::TempDir() + "/lwnet_net_model.safetensors";
  net::save_model(model, path);
  EXPECT_EQ(model_format(path), "lwnet.net");
  const net::NetModel loaded = net::load_model(path);
  EXPECT_EQ(loaded.options.arch.str(), "conv:4:1,2:bn");
  EXPECT_EQ(loaded.options.image.str(), "8x8x1");
  EXPECT_EQ(loaded.classes, model.classes);
  const Matrix<float> a = net::outputs(*backend, model, train.X.cview());
  const Matrix<float> b = net::outputs(*backend, loaded, train.X.cview());
  for (std::int64_t k = 0; k < a.size(); ++k) ASSERT_EQ(a.data()[k], b.data()[k]);
  EXPECT_THROW(kme::load_model(path), IoError);  // the closed-form loader refuses a net model
  std::remove(path.c_str());
}

TEST(NetOptionsParse, ArchitecturesAndTheirErrors) {
  EXPECT_EQ(net::Architecture::parse("dense:256x2").str(), "dense:256x2");
  EXPECT_EQ(net::Architecture::parse("conv:64:1,2,2:bn").str(), "conv:64:1,2,2:bn");
  EXPECT_EQ(net::Architecture::parse("conv:64:1,2,2:bn").strides, (std::vector<int>{1, 2, 2}));
  EXPECT_EQ(net::Architecture::parse("dense:10x0").depth, 0);
  for (const char* bad : {"dense:0x2", "dense:8", "dense:8x", "dense:x2", "conv:8:", "conv:8:0", "conv:8:1,,2",
                          "dense:8x2:bn:bn", "mlp:3", "", "dense:8x2:BN", "conv:8", "dense:99999999x1",
                          "dense:8x0:bn", "dense:-8x2"}) {
    try {
      net::Architecture::parse(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("--arch"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(net::ImageShape::parse("28x28x1").features(), 784);
  for (const char* bad : {"28x28", "0x1x1", "axbxc", "28x28x1x1", ""})
    EXPECT_THROW(net::ImageShape::parse(bad), InvalidArgument) << bad;
}

TEST(NetTrain, RefusesBadOptionsAndData) {
  const Dataset train = blobs(30, 4, 1);
  auto backend = make_cpu_backend(1);
  auto refuses = [&](const net::NetOptions& o, const char* what) {
    try {
      net::train(*backend, train.X.cview(), train.labels, names(3), o);
      ADD_FAILURE() << "accepted " << what;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  net::NetOptions o;
  o.epochs = 0;
  refuses(o, "--epochs");
  o = {};
  o.batch_size = 0;
  refuses(o, "--batch-size");
  o = {};
  o.learning_rate = std::nan("");
  refuses(o, "--lr");
  o = {};
  o.momentum = 1.0;
  refuses(o, "--momentum");
  o = {};
  o.arch = net::Architecture::parse("conv:4:1");
  refuses(o, "image");
  o.image = net::ImageShape{3, 3, 1};
  refuses(o, "image shape");
  Matrix<float> bad = Matrix<float>::host(30, 4);
  bad(3, 2) = std::nanf("");
  EXPECT_THROW(net::train(*backend, bad.cview(), train.labels, names(3), net::NetOptions{}), InvalidArgument);
}

// A learning rate far too large ends in a NumericalError naming the epoch, never NaN weights.
TEST(NetTrain, DivergenceIsAnErrorNotNaNWeights) {
  const Dataset train = blobs(60, 4, 2);
  auto backend = make_cpu_backend(1);
  net::NetOptions o;
  o.arch = net::Architecture::parse("dense:16x3");
  o.loss = net::LossKind::mse;
  o.learning_rate = 1e6;
  o.epochs = 20;
  EXPECT_THROW(net::train(*backend, train.X.cview(), train.labels, names(3), o), NumericalError);
}

}  // namespace
}  // namespace lwnet

namespace lwnet {
namespace {

// Batches of as equal sizes as possible: a batch-norm net never sees a lone row (it would
// normalise it to zeros and predict from the readout's bias alone), in training or prediction.
TEST(NetBatches, BatchNormNetsNeverSeeALoneRow) {
  const Dataset train = blobs(101, 4, 3);
  auto backend = make_cpu_backend(1);
  net::NetOptions o;
  o.arch = net::Architecture::parse("dense:16x1:bn");
  o.batch_size = 100;
  o.epochs = 3;
  const net::NetModel model = net::train(*backend, train.X.cview(), train.labels, names(3), o);
  // Row 100 predicted alone would be a lone row; predicted with the rest it is in a batch of 50.
  const std::vector<int> together = net::predict(*backend, model, train.X.cview());
  const Matrix<float> last_two = [&] {
    Matrix<float> m = Matrix<float>::host(2, 4);
    for (std::int64_t j = 0; j < 4; ++j) {
      m(0, j) = train.X(99, j);
      m(1, j) = train.X(100, j);
    }
    return m;
  }();
  EXPECT_EQ(net::predict(*backend, model, last_two.cview()).size(), 2u);
  EXPECT_EQ(together.size(), 101u);
  try {
    net::predict(*backend, model, last_two.cview().row_range(1, 1));
    ADD_FAILURE() << "a batch-norm net predicted a single row";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("single row"), std::string::npos) << e.what();
  }
  // A net without batch normalisation predicts one row exactly as within a batch.
  o.arch = net::Architecture::parse("dense:16x1");
  const net::NetModel plain = net::train(*backend, train.X.cview(), train.labels, names(3), o);
  const Matrix<float> all = net::outputs(*backend, plain, train.X.cview());
  const Matrix<float> one = net::outputs(*backend, plain, train.X.cview().row_range(100, 1));
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(one(0, j), all(100, j), 1e-5f * (1.0f + std::abs(all(100, j))));
}

TEST(NetTrain, RefusesArchitecturesBuiltInCodeThatTheParserWouldRefuse) {
  const Dataset train = blobs(30, 4, 1);
  auto backend = make_cpu_backend(1);
  net::NetOptions o;
  o.arch.kind = net::Architecture::Kind::conv;
  o.arch.strides = {0};
  o.image = net::ImageShape{2, 2, 1};
  EXPECT_THROW(net::train(*backend, train.X.cview(), train.labels, names(3), o), InvalidArgument);
  o = {};
  o.arch.depth = -3;
  EXPECT_THROW(net::train(*backend, train.X.cview(), train.labels, names(3), o), InvalidArgument);
  // A test set with a class the training set lacks is named, before any training.
  Labels test_labels{{0, 1, 3}, 4};
  Matrix<float> test_X = Matrix<float>::host(3, 4);
  o = {};
  try {
    net::train(*backend, train.X.cview(), train.labels, names(3), o, {test_X.cview(), &test_labels});
    ADD_FAILURE() << "accepted a test label outside the training classes";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("test label 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lwnet
