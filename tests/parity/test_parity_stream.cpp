// The streamed K.B product on CUDA (copy stream, pinned staging, two buffer sets) against the
// float64 oracle and the CPU's in-place streaming, and a streaming backend over CUDA that trains
// the same network as the CPU backend. Budgets force many chunk pairs.
#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/stream.hpp"
#include "oracle.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

class CudaStream : public CudaParityTest {};

TEST_P(CudaStream, ChunkedProductMatchesTheOracleAndTheCpu) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 3000, m = 1700, d = 7, c = 4;
  const auto X = rng.uniform_matrix(n, d);
  const auto Z = rng.uniform_matrix(m, d);
  const auto B = rng.uniform_matrix(n, c);
  const GramParams params = GramParams::gaussian(0.6);
  const std::size_t budget = 200000;
  for (const bool same : {true, false}) {
    const MatrixView<const float> zv = same ? X.cview() : Z.cview();
    const StreamPlan plan = plan_streamed_kernel_matmul(zv.rows(), n, d, c, budget, same);
    ASSERT_GT(plan.z_chunks * plan.x_chunks, 20);
    Matrix<double> on_gpu = Matrix<double>::host(zv.rows(), c);
    Matrix<double> on_cpu = Matrix<double>::host(zv.rows(), c);
    kernel_matmul_streamed(gpu(), zv, X.cview(), B.cview(), params, on_gpu.view(), budget);
    kernel_matmul_streamed(cpu(), zv, X.cview(), B.cview(), params, on_cpu.view(), budget);
    const double tol =
        kernel_matmul_error(kernel_error_model(params, zv, X.cview()), max_abs_column_sum(B.cview()), n);
    EXPECT_TRUE(expect_close(on_gpu.cview(), oracle::kernel_matmul(zv, X.cview(), B.cview(), params), tol, 0.0));
    EXPECT_TRUE(expect_close(to_doubles(on_gpu.cview()), to_doubles(on_cpu.cview()), kParityFactor * tol, 0.0, c));
  }
}

TEST_P(CudaStream, StreamingBackendTrainsTheSameNetwork) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 900, d = 5;
  Matrix<float> X = rng.uniform_matrix(n, d);
  Labels labels;
  labels.num_classes = 3;
  for (std::int64_t i = 0; i < n; ++i) {
    labels.y.push_back(static_cast<int>(i % 3));
    X(i, 0) += 1.5f * static_cast<float>(i % 3);
  }
  kme::KmeOptions options;
  options.max_layers = 3;
  auto streaming = make_streaming_backend(make_backend(Device::parse(GetParam())), 300000);
  ASSERT_GT(plan_streamed_kernel_matmul(n, n, d, 4, 300000, true).x_chunks, 2);
  const std::vector<std::string> classes{"a", "b", "c"};
  const kme::KmeModel reference = kme::fit_kme(cpu(), X.cview(), labels, classes, options);
  const kme::KmeModel streamed = kme::fit_kme(*streaming, X.cview(), labels, classes, options);
  ASSERT_EQ(streamed.layers.size(), reference.layers.size());
  for (std::size_t l = 0; l < reference.layers.size(); ++l) {
    EXPECT_NEAR(streamed.layers[l].sigma, reference.layers[l].sigma, 1e-4 * reference.layers[l].sigma);
    EXPECT_EQ(streamed.layers[l].candidates_tried, reference.layers[l].candidates_tried);
  }
  EXPECT_TRUE(expect_close(to_doubles(streamed.train_outputs.cview()), to_doubles(reference.train_outputs.cview()),
                           1e-4, 1e-4));
}

}  // namespace

LWNET_INSTANTIATE_CUDA_SUITE(CudaStream);

}  // namespace lwnet::test
