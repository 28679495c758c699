// CPU-vs-CUDA parity of trained networks: the same seed draws the same initial weights on both
// backends (counter-based draws), and one epoch of backprop (or of each learning rule) gives parameters within a float32
// tolerance of each other; the trained model predicts the same classes on both (up to ties).
//
// Tolerance: one epoch is a few dozen SGD steps of float32 arithmetic whose sums are ordered
// differently on each backend (cuBLAS vs OpenBLAS GEMM); each step amplifies earlier differences
// little at these learning rates, so parameters agree to ~1e-4 relative to their scale.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "lwnet/add_task.hpp"
#include "lwnet/alignment.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/net.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

class CudaNetParity : public CudaParityTest {};

struct Data {
  Matrix<float> X;
  Labels labels;
};

Data random_images(std::int64_t n, std::int64_t features, std::uint64_t seed) {
  TestRandom rnd(seed);
  Data d{rnd.uniform_matrix(n, features), {}};
  d.labels.num_classes = 4;
  for (std::int64_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(i % 4);
    d.labels.y.push_back(y);
    d.X(i, y) += 2.0f;  // a learnable signal
  }
  return d;
}

// Every parameter within 1e-4 of its largest entry (at least 1e-3).
void expect_parameters_close(const std::vector<net::NamedTensor>& cpu, const std::vector<net::NamedTensor>& gpu) {
  ASSERT_EQ(cpu.size(), gpu.size());
  for (std::size_t p = 0; p < cpu.size(); ++p) {
    const Matrix<float>& a = cpu[p].value;
    const Matrix<float>& b = gpu[p].value;
    double scale = 1e-3;
    for (std::int64_t k = 0; k < a.size(); ++k) scale = std::max(scale, std::abs(static_cast<double>(a.data()[k])));
    for (std::int64_t k = 0; k < a.size(); ++k)
      ASSERT_NEAR(a.data()[k], b.data()[k], 1e-4 * scale) << cpu[p].name << " entry " << k;
  }
}

// One epoch with the given method on dense and conv nets, with and without batch norm.
void expect_one_epoch_matches(Backend& cpu, Backend& gpu, net::Method method) {
  const Data data = random_images(200, 8 * 8 * 2, test_seed());
  const std::vector<std::string> classes{"a", "b", "c", "d"};
  for (const char* arch : {"dense:32x2", "dense:32x2:bn", "conv:8:1,2", "conv:8:2,1:bn"}) {
    SCOPED_TRACE(std::string(net::to_string(method)) + " " + arch);
    net::NetOptions options;
    options.method = method;
    options.arch = net::Architecture::parse(arch);
    options.image = net::ImageShape{8, 8, 2};
    options.epochs = 1;
    options.batch_size = 50;
    options.seed = 4;
    const net::NetModel on_cpu = net::train(cpu, data.X.cview(), data.labels, classes, options);
    const net::NetModel on_gpu = net::train(gpu, data.X.cview(), data.labels, classes, options);
    expect_parameters_close(on_cpu.parameters, on_gpu.parameters);
    EXPECT_NEAR(on_cpu.history[0].loss, on_gpu.history[0].loss, 1e-4 * std::abs(on_cpu.history[0].loss));
    // The CPU model evaluated on the GPU predicts what it predicts on the CPU.
    const Matrix<float> f_cpu = net::outputs(cpu, on_cpu, data.X.cview());
    const Matrix<float> f_gpu = net::outputs(gpu, on_cpu, data.X.cview());
    for (std::int64_t k = 0; k < f_cpu.size(); ++k)
      ASSERT_NEAR(f_cpu.data()[k], f_gpu.data()[k], 1e-4 * (1.0 + std::abs(f_cpu.data()[k])));
  }
}

TEST_P(CudaNetParity, OneEpochOfBackpropMatchesTheCpu) { expect_one_epoch_matches(cpu(), gpu(), net::Method::backprop); }

// Every learning rule of spec section 2.2 (issue 13): the frozen copy, the feedback matrices
// (drawn from counters on each backend) and the direct projections run on the GPU too.
TEST_P(CudaNetParity, OneEpochOfEveryLearningRuleMatchesTheCpu) {
  for (net::Method method : {net::Method::align_zero, net::Method::align_ada, net::Method::align_prop,
                             net::Method::fa, net::Method::dfa, net::Method::last_layer})
    expect_one_epoch_matches(cpu(), gpu(), method);
}

// The local kernel losses (spec sections 3 and 4): one epoch per layer of dgl (float64 Cholesky
// solves on cuSOLVER, the arc-cosine steps, the least-squares readout) and one epoch of the HSIC
// bottleneck with two readout epochs (Gaussian Gram matrices, the Sherman-Morrison solves and
// gaussian_gram_gradient), dense and conv, on the CPU and the GPU. The float64 batch algebra
// rounds differently on each backend (cuBLAS/cuSOLVER vs OpenBLAS/LAPACK), so the same tolerance
// as backprop's: parameters within 1e-4 of their scale, losses within 1e-4.
TEST_P(CudaNetParity, OneEpochOfTheLocalKernelLossesMatchesTheCpu) {
  const Data data = random_images(192, 8 * 8 * 2, test_seed());
  const std::vector<std::string> classes{"a", "b", "c", "d"};
  for (net::Method method : {net::Method::dgl, net::Method::hsic_bottleneck})
    for (const char* arch : {"dense:32x2:bn", "conv:8:1,2"}) {
      SCOPED_TRACE(std::string(net::to_string(method)) + " " + arch);
      net::NetOptions options = net::defaults_for(method);
      options.arch = net::Architecture::parse(arch);
      options.image = net::ImageShape{8, 8, 2};
      options.epochs = 1;
      options.batch_size = 64;
      options.seed = 5;
      options.hsic.readout_epochs = 2;
      options.learning_rate = method == net::Method::dgl ? 1e-3 : 1e-2;
      const net::NetModel on_cpu = net::train(cpu(), data.X.cview(), data.labels, classes, options);
      const net::NetModel on_gpu = net::train(gpu(), data.X.cview(), data.labels, classes, options);
      expect_parameters_close(on_cpu.parameters, on_gpu.parameters);
      ASSERT_EQ(on_cpu.history.size(), on_gpu.history.size());
      for (std::size_t e = 0; e < on_cpu.history.size(); ++e) {
        EXPECT_NEAR(on_cpu.history[e].loss, on_gpu.history[e].loss, 1e-4 * (1.0 + std::abs(on_cpu.history[e].loss)))
            << "epoch " << e + 1;
        for (std::size_t l = 0; l < on_cpu.history[e].layer_losses.size(); ++l) {
          if (std::isnan(on_cpu.history[e].layer_losses[l])) continue;  // a layer dgl did not train then
          EXPECT_NEAR(on_cpu.history[e].layer_losses[l], on_gpu.history[e].layer_losses[l],
                      1e-4 * (1.0 + std::abs(on_cpu.history[e].layer_losses[l])));
        }
      }
    }
}

// The Add task's recurrent net (spec 2.3), a short run per rule: BPTT, the frozen copy's BPTT and
// Align-ada's per-step signals on the GPU. 2 epochs of 6 steps over 30-step sequences at lr 0.001:
// as above, parameters within 1e-4 of their scale.
TEST_P(CudaNetParity, TwoEpochsOfTheAddTaskMatchTheCpu) {
  net::AddTaskSpec spec;
  spec.steps = 30;
  const net::AddTaskData data = net::make_add_task(spec);
  for (net::Method method :
       {net::Method::backprop, net::Method::align_zero, net::Method::align_ada, net::Method::last_layer}) {
    SCOPED_TRACE(net::to_string(method));
    net::AddTaskOptions options;
    options.method = method;
    options.width = 32;
    options.epochs = 2;
    const net::AddTaskResult on_cpu = net::train_add_task(cpu(), data, options);
    const net::AddTaskResult on_gpu = net::train_add_task(gpu(), data, options);
    expect_parameters_close(on_cpu.parameters, on_gpu.parameters);
    EXPECT_NEAR(on_cpu.min_test_loss, on_gpu.min_test_loss, 1e-4 * on_cpu.min_test_loss);
  }
}

// The alignment score (spec 2.4): the recorder's frozen backward and the noise projections (the
// same counter-based noise on both backends) give the same scores. Each score is a ratio of sums
// of ~1e5 products computed in double from float32 projections: 1e-3 absolute.
TEST_P(CudaNetParity, AlignmentScoresMatchTheCpu) {
  const Data data = random_images(200, 8 * 8 * 2, test_seed());
  const std::vector<std::string> classes{"a", "b", "c", "d"};
  net::NetOptions options;
  options.arch = net::Architecture::parse("conv:8:1,2:bn");
  options.image = net::ImageShape{8, 8, 2};
  options.epochs = 1;
  options.batch_size = 50;
  options.momentum = 0.0;
  options.loss = net::LossKind::mse;
  net::AlignmentOptions alignment;
  alignment.draws = 5;
  const net::AlignmentResult on_cpu =
      net::alignment_scores(cpu(), data.X.cview(), data.labels, classes, options, alignment);
  const net::AlignmentResult on_gpu =
      net::alignment_scores(gpu(), data.X.cview(), data.labels, classes, options, alignment);
  ASSERT_EQ(on_cpu.layers.size(), on_gpu.layers.size());
  for (std::size_t l = 0; l < on_cpu.layers.size(); ++l) {
    EXPECT_NEAR(on_cpu.layers[l].score, on_gpu.layers[l].score, 1e-3) << on_cpu.layers[l].layer;
    EXPECT_NEAR(on_cpu.layers[l].shuffled_score, on_gpu.layers[l].shuffled_score, 1e-3) << on_cpu.layers[l].layer;
  }
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaNetParity);

}  // namespace
}  // namespace lwnet::test
