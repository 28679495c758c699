// The streamed K.B product (include/lwnet/stream.hpp): chunk plans that fit their budget and are
// the largest that do, a clear error when nothing fits, and results that match the float64
// oracle whether the data go in one chunk or in many, with self-pairs kept exact on the diagonal.
#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/stream.hpp"
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

TEST(Stream, DefaultBudgetIsMostOfTheFreeMemory) {
  auto backend = make_cpu_backend();
  const std::size_t free_bytes = backend->free_memory_bytes();
  ASSERT_GT(free_bytes, 0u) << "the CPU backend reports its available memory";
  EXPECT_EQ(default_memory_budget(*backend), free_bytes / 5 * 4);
}

}  // namespace
}  // namespace lwnet::test
