// The streamed K.B product (include/lwnet/stream.hpp): chunk plans that fit their budget and are
// the largest that do, a clear error when nothing fits, and results that match the float64
// oracle whether the data go in one chunk or in many, with self-pairs kept exact on the diagonal.
#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/stream.hpp"
#include "lwnet/transfer.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

TEST(Stream, PlanIsTheLargestThatFitsTheBudget) {
  for (const bool same_rows : {false, true}) {
    for (const std::size_t budget : {std::size_t{20000}, std::size_t{200000}, std::size_t{3000000}}) {
      const StreamPlan plan = plan_streamed_kernel_matmul(5000, 5000, 16, 3, budget, same_rows);
      EXPECT_LE(plan.bytes, budget);
      EXPECT_GE(plan.z_rows, 1);
      EXPECT_EQ(plan.z_chunks, (5000 + plan.z_rows - 1) / plan.z_rows);
      EXPECT_EQ(plan.x_chunks, (5000 + plan.x_rows - 1) / plan.x_rows);
      // Its own size as the budget gives the same plan; a byte less, smaller chunks.
      EXPECT_EQ(plan_streamed_kernel_matmul(5000, 5000, 16, 3, plan.bytes, same_rows).z_rows, plan.z_rows);
      EXPECT_LT(plan_streamed_kernel_matmul(5000, 5000, 16, 3, plan.bytes - 1, same_rows).z_rows, plan.z_rows);
      // A larger budget buys larger chunks until everything fits.
      if (plan.z_rows < 5000) {
        EXPECT_GT(plan_streamed_kernel_matmul(5000, 5000, 16, 3, budget * 2, same_rows).z_rows, plan.z_rows);
      }
    }
  }
  // Everything fits: one chunk each.
  const StreamPlan whole = plan_streamed_kernel_matmul(300, 400, 8, 2, std::size_t{1} << 30, false);
  EXPECT_EQ(whole.z_rows, 300);
  EXPECT_EQ(whole.x_rows, 400);
  EXPECT_EQ(whole.z_chunks * whole.x_chunks, 1);
}

TEST(Stream, BudgetBelowOneRowIsAClearError) {
  try {
    plan_streamed_kernel_matmul(100, 100, 784, 10, 1000, false);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("memory budget of 1000 bytes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(plan_streamed_kernel_matmul(0, 100, 3, 2, 1 << 20, false), InvalidArgument);
  EXPECT_THROW(plan_streamed_kernel_matmul(10, 11, 3, 2, 1 << 20, true), InvalidArgument);
}

// out from many chunks against the float64 oracle; with one chunk, bitwise the backend's product.
TEST(Stream, ChunkedProductMatchesTheOracle) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t m = 300, n = 700, d = 5, c = 3;
  const auto Z = rng.uniform_matrix(m, d);
  const auto X = rng.uniform_matrix(n, d);
  const auto B = rng.uniform_matrix(n, c);
  const GramParams params = GramParams::gaussian(0.7);
  auto backend = make_cpu_backend();
  const DMat expected = oracle::kernel_matmul(Z.cview(), X.cview(), B.cview(), params);
  const double tol = kernel_matmul_error(kernel_error_model(params, Z.cview(), X.cview()), max_abs_column_sum(B.cview()), n);

  const std::size_t small = 12000;  // a few dozen rows per chunk
  const StreamPlan plan = plan_streamed_kernel_matmul(m, n, d, c, small, false);
  ASSERT_GT(plan.z_chunks * plan.x_chunks, 4) << "the budget should force several chunk pairs";
  Matrix<double> out = Matrix<double>::host(m, c);
  std::int64_t reports = 0;
  double entries = 0.0;
  kernel_matmul_streamed(*backend, Z.cview(), X.cview(), B.cview(), params, out.view(), small,
                         [&](const StreamProgress& p) {
                           ++reports;
                           EXPECT_EQ(p.done, reports);
                           EXPECT_EQ(p.total, plan.z_chunks * plan.x_chunks);
                           entries = p.entries;
                         });
  EXPECT_EQ(reports, plan.z_chunks * plan.x_chunks);
  EXPECT_EQ(entries, static_cast<double>(m) * static_cast<double>(n));
  EXPECT_TRUE(expect_close(out.cview(), expected, tol, 0.0));

  Matrix<double> whole = Matrix<double>::host(m, c);
  Matrix<double> direct = Matrix<double>::host(m, c);
  kernel_matmul_streamed(*backend, Z.cview(), X.cview(), B.cview(), params, whole.view(), std::size_t{1} << 30);
  backend->kernel_matmul(Z.cview(), X.cview(), B.cview(), params, direct.view());
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < c; ++j) ASSERT_EQ(whole(i, j), direct(i, j)) << i << "," << j;
}

TEST(Stream, SelfPairsStayExactOnTheDiagonalChunks) {
  // B = I: out(i, j) is k(x_i, x_j); the diagonal must be exactly 1 although X is cut in chunks.
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 200, d = 3;
  const auto X = rng.uniform_matrix(n, d);
  Matrix<float> identity = Matrix<float>::host(n, n);
  for (std::int64_t i = 0; i < n; ++i) identity(i, i) = 1.0f;
  auto backend = make_cpu_backend();
  const std::size_t budget = 40000;
  const StreamPlan plan = plan_streamed_kernel_matmul(n, n, d, n, budget, true);
  ASSERT_GT(plan.x_chunks, 2);
  Matrix<double> out = Matrix<double>::host(n, n);
  kernel_matmul_streamed(*backend, X.cview(), X.cview(), identity.cview(), GramParams::gaussian(0.01),
                         out.view(), budget);
  for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(out(i, i), 1.0) << "row " << i;
}

TEST(Stream, DeviceMatricesAndMismatchedShapesAreRejected) {
  auto backend = make_cpu_backend();
  Matrix<float> Z = Matrix<float>::host(4, 2);
  Matrix<float> X = Matrix<float>::host(5, 3);
  Matrix<float> B = Matrix<float>::host(5, 2);
  Matrix<double> out = Matrix<double>::host(4, 2);
  EXPECT_THROW(kernel_matmul_streamed(*backend, Z.cview(), X.cview(), B.cview(), GramParams::gaussian(1.0),
                                      out.view(), 1 << 20),
               InvalidArgument);
}

// A transfer queue that runs each copy as late as the fences allow: only when compute or the host
// waits for it. A pipeline that forgets a wait computes on stale chunks or refills a staging
// buffer before its copy has read it, and gets wrong sums.
class DeferredTransferQueue final : public TransferQueue {
 public:
  explicit DeferredTransferQueue(bool compute_waits = true) : compute_waits_(compute_waits) {}

  Matrix<float> allocate_staging_float(std::int64_t rows, std::int64_t cols) override {
    return Matrix<float>::host(rows, cols);
  }
  Matrix<double> allocate_staging_double(std::int64_t rows, std::int64_t cols) override {
    return Matrix<double>::host(rows, cols);
  }
  CopyFence copy(MatrixView<const float> src, MatrixView<float> dst) override { return defer(src, dst); }
  CopyFence copy(MatrixView<const double> src, MatrixView<double> dst) override { return defer(src, dst); }
  void compute_waits_for(CopyFence fence) override {
    if (compute_waits_) run_until(fence.ordinal);
    most_queued_at_compute = std::max(most_queued_at_compute, pending_.size());
  }
  void copies_wait_for_compute() override {}  // the CPU computes synchronously
  void host_waits_for(CopyFence fence) override { run_until(fence.ordinal); }
  void wait_all() noexcept override { run_until(issued_); }

  std::size_t most_queued_at_compute = 0;  // copies still pending when a compute started

 private:
  template <class T>
  CopyFence defer(MatrixView<const T> src, MatrixView<T> dst) {
    EXPECT_EQ(src.rows(), dst.rows());
    EXPECT_EQ(src.cols(), dst.cols());
    pending_.push_back([src, dst] {
      for (std::int64_t i = 0; i < src.rows(); ++i)
        for (std::int64_t j = 0; j < src.cols(); ++j) dst(i, j) = src(i, j);
    });
    return CopyFence{++issued_};
  }
  void run_until(std::uint64_t ordinal) {
    while (done_ < ordinal) {
      pending_.front()();
      pending_.pop_front();
      ++done_;
    }
  }

  bool compute_waits_;
  std::deque<std::function<void()>> pending_;
  std::uint64_t issued_ = 0;
  std::uint64_t done_ = 0;
};

TEST(Stream, DoubleBufferedCopiesRespectEveryFence) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 500, m = 230, d = 4, c = 3;
  const auto X = rng.uniform_matrix(n, d);
  const auto Z = rng.uniform_matrix(m, d);
  const auto B = rng.uniform_matrix(n, c);
  const GramParams params = GramParams::gaussian(0.5);
  auto backend = make_cpu_backend();
  const std::size_t budget = 9000;  // a few dozen rows per chunk
  for (const bool same : {true, false}) {
    const MatrixView<const float> zv = same ? X.cview() : Z.cview();
    const StreamPlan plan = plan_streamed_kernel_matmul(zv.rows(), n, d, c, budget, same);
    ASSERT_GT(plan.z_chunks * plan.x_chunks, 8);
    // The in-place CPU path uses the same chunks in the same order: the sums agree bit for bit.
    Matrix<double> in_place = Matrix<double>::host(zv.rows(), c);
    kernel_matmul_streamed(*backend, zv, X.cview(), B.cview(), params, in_place.view(), budget);
    Matrix<double> copied = Matrix<double>::host(zv.rows(), c);
    DeferredTransferQueue queue;
    std::int64_t reports = 0;
    kernel_matmul_streamed(*backend, queue, zv, X.cview(), B.cview(), params, copied.view(), budget,
                           [&](const StreamProgress&) { ++reports; });
    EXPECT_EQ(reports, plan.z_chunks * plan.x_chunks);
    EXPECT_GE(queue.most_queued_at_compute, 2u) << "the next pair's chunks are queued before this pair computes";
    for (std::int64_t i = 0; i < zv.rows(); ++i)
      for (std::int64_t j = 0; j < c; ++j) ASSERT_EQ(copied(i, j), in_place(i, j)) << i << "," << j << " same " << same;
    const DMat expected = oracle::kernel_matmul(zv, X.cview(), B.cview(), params);
    EXPECT_TRUE(expect_close(copied.cview(), expected,
                             kernel_matmul_error(kernel_error_model(params, zv, X.cview()), max_abs_column_sum(B.cview()), n),
                             0.0));
  }
  // The check has teeth: when compute does not wait for its copies, the sums are wrong.
  Matrix<double> careless = Matrix<double>::host(n, c);
  DeferredTransferQueue no_waits(false);
  bool wrong = false;
  try {
    kernel_matmul_streamed(*backend, no_waits, X.cview(), X.cview(), B.cview(), params, careless.view(), budget);
    const DMat expected = oracle::kernel_matmul(X.cview(), X.cview(), B.cview(), params);
    for (std::int64_t i = 0; i < n && !wrong; ++i)
      for (std::int64_t j = 0; j < c; ++j) wrong = wrong || std::abs(careless(i, j) - expected(i, j)) > 1e-3;
  } catch (const Error&) {
    wrong = true;  // stale chunks may hold non-finite garbage, which the backend rejects
  }
  EXPECT_TRUE(wrong);
}

// A streaming backend over the CPU: the same network as the CPU backend, every product in chunks.
// The pipeline copies rows itself, so it must refuse a batched view rather than stream its first
// entry; the host path refuses it too.
TEST(Stream, BatchedViewsAreRejectedOnBothPaths) {
  auto backend = make_cpu_backend();
  std::vector<float> z(16, 0.5f);
  const MatrixView<const float> Z = MatrixView<const float>::host(z.data(), 4, 2).batched(2, 8);
  const Matrix<float> X = Matrix<float>::host(5, 2);
  const Matrix<float> B = Matrix<float>::host(5, 2);
  Matrix<double> out = Matrix<double>::host(4, 2);
  const GramParams params = GramParams::gaussian(1.0);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { kernel_matmul_streamed(*backend, Z, X.cview(), B.cview(), params, out.view(), 1 << 20); },
      {"kernel_matmul_streamed", "Z is a batch of 2"}));
  DeferredTransferQueue queue;
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { kernel_matmul_streamed(*backend, queue, Z, X.cview(), B.cview(), params, out.view(), 1 << 20); },
      {"kernel_matmul_streamed", "Z is a batch of 2"}));
}

TEST(Stream, StreamingBackendTrainsTheSameNetwork) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 240, d = 3;
  Matrix<float> X = rng.uniform_matrix(n, d);
  Labels labels;
  labels.num_classes = 3;
  for (std::int64_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(i % 3);
    labels.y.push_back(y);
    X(i, 0) += 1.5f * static_cast<float>(y);  // separable along the first feature, noisy elsewhere
  }
  kme::KmeOptions options;
  options.max_layers = 3;
  auto cpu = make_cpu_backend();
  auto streaming = make_streaming_backend(make_cpu_backend(), 6000);
  EXPECT_EQ(streaming->memory_space(), MemorySpace::host);
  EXPECT_EQ(streaming->device(), Device::cpu());
  EXPECT_NE(streaming->description().find("streamed"), std::string::npos);
  ASSERT_GT(plan_streamed_kernel_matmul(n, n, d, 3, 6000, true).x_chunks, 2);
  const std::vector<std::string> classes{"a", "b", "c"};
  const kme::KmeModel direct = kme::fit_kme(*cpu, X.cview(), labels, classes, options);
  const kme::KmeModel streamed = kme::fit_kme(*streaming, X.cview(), labels, classes, options);
  ASSERT_GE(direct.layers.size(), 1u);
  ASSERT_EQ(streamed.layers.size(), direct.layers.size());
  for (std::size_t l = 0; l < direct.layers.size(); ++l) {
    // Each layer's width comes from the median of the previous layer's float32 outputs, whose
    // float64 sums are grouped differently: the widths agree to float32 noise (1e-4 relative),
    // and the same candidate is accepted.
    EXPECT_NEAR(streamed.layers[l].sigma, direct.layers[l].sigma, 1e-4 * direct.layers[l].sigma) << "layer " << l;
    EXPECT_EQ(streamed.layers[l].candidates_tried, direct.layers[l].candidates_tried) << "layer " << l;
    EXPECT_NEAR(streamed.layers[l].hsic, direct.layers[l].hsic, 1e-4) << "layer " << l;
  }
  EXPECT_TRUE(expect_close(to_doubles(streamed.train_outputs.cview()), to_doubles(direct.train_outputs.cview()), 1e-4,
                           1e-4));
  EXPECT_THROW(make_streaming_backend(nullptr, 1000), InvalidArgument);
  EXPECT_THROW(make_streaming_backend(make_cpu_backend(), 0), InvalidArgument);
}

TEST(Stream, DefaultBudgetIsMostOfTheFreeMemory) {
  auto backend = make_cpu_backend();
  const std::size_t free_bytes = backend->free_memory_bytes();
  ASSERT_GT(free_bytes, 0u) << "the CPU backend reports its available memory";
  // 4/5 of what is free when the budget reads it; other processes move the free memory (page
  // cache included) between the two readings, so allow a tenth of it.
  const double budget = static_cast<double>(default_memory_budget(*backend));
  EXPECT_NEAR(budget, 0.8 * static_cast<double>(free_bytes), 0.1 * static_cast<double>(free_bytes));
}

}  // namespace
}  // namespace lwnet::test

namespace lwnet {
namespace {

// The planner asks the device for the product's scratch (Backend::workspace_bytes) instead of
// copying the kernels' constants: a CPU backend reports the default bound, so both overloads plan
// the same chunks, and the plan's bytes include that scratch.
TEST(StreamPlanWorkspace, PlannerAsksTheDevice) {
  auto cpu = make_cpu_backend(1);
  const WorkspaceShape shape{1000, 100000, 16, 10};
  // 25 splits of 4096 rows, each a 1000 x 10 float64 slab.
  EXPECT_EQ(cpu->workspace_bytes(WorkspaceOp::kernel_matmul, shape), std::size_t{25} * 1000 * 10 * 8);
  EXPECT_EQ(Backend::default_workspace_bytes(WorkspaceOp::kernel_matmul, WorkspaceShape{200000, 200000, 16, 10}),
            std::size_t{1} << 28);  // capped
  for (std::size_t budget : {std::size_t{1} << 20, std::size_t{64} << 20, std::size_t{1} << 30}) {
    const StreamPlan asked = plan_streamed_kernel_matmul(*cpu, 200000, 200000, 16, 10, budget, true);
    const StreamPlan assumed = plan_streamed_kernel_matmul(200000, 200000, 16, 10, budget, true);
    EXPECT_EQ(asked.z_rows, assumed.z_rows);
    EXPECT_EQ(asked.bytes, assumed.bytes);
    EXPECT_LE(asked.bytes, budget);
    EXPECT_GE(asked.bytes, cpu->workspace_bytes(WorkspaceOp::kernel_matmul,
                                                WorkspaceShape{asked.z_rows, asked.x_rows, 16, 10}));
  }
}

}  // namespace
}  // namespace lwnet
