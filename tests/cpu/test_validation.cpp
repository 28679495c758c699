// Validation levels: at Validation::metadata a Backend call reads no values (NaN passes the front
// end and no device wait happens), at full it refuses them; the algorithms' public entry points
// refuse non-finite inputs at either level. Shape checks hold at both, among them the refusal of a
// batched view by every operation that takes one matrix.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/nn_ops.hpp"
#include "lwnet/ops.hpp"
#include "lwnet/solver.hpp"

namespace lwnet {
namespace {

Matrix<float> with_nan(std::int64_t rows, std::int64_t cols) {
  Matrix<float> m = Matrix<float>::host(rows, cols);
  m(rows - 1, cols - 1) = std::nanf("");
  return m;
}

TEST(BackendValidation, TestBinariesDefaultToFull) {
  EXPECT_EQ(default_validation(), Validation::full);
  EXPECT_EQ(make_cpu_backend(1)->validation(), Validation::full);
}

TEST(BackendValidation, MetadataLevelReadsNoValuesButChecksShapes) {
  auto backend = make_cpu_backend(1);
  const Matrix<float> Z = with_nan(4, 3);
  const Matrix<float> X = Matrix<float>::host(5, 3);
  Matrix<float> out = Matrix<float>::host(4, 5);
  const GramParams params = GramParams::gaussian(1.0);
  EXPECT_THROW(backend->gram(Z.cview(), X.cview(), params, out.view()), InvalidArgument);
  backend->set_validation(Validation::metadata);
  EXPECT_NO_THROW(backend->gram(Z.cview(), X.cview(), params, out.view()));
  Matrix<float> wrong = Matrix<float>::host(4, 4);
  EXPECT_THROW(backend->gram(Z.cview(), X.cview(), params, wrong.view()), InvalidArgument);
}

TEST(BackendValidation, EntryPointsRefuseNonFiniteAtEveryLevel) {
  for (Validation level : {Validation::metadata, Validation::full}) {
    auto backend = make_cpu_backend(1);
    backend->set_validation(level);
    const Matrix<float> X = with_nan(6, 2);
    Labels labels{{0, 1, 0, 1, 0, 1}, 2};
    try {
      hsic_labels(*backend, X.cview(), labels, GramParams::gaussian(1.0));
      ADD_FAILURE() << "hsic_labels accepted NaN";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
    }
    EXPECT_THROW(backend->require_finite("op", "X", X.cview()), InvalidArgument);
  }
}

// A batched view (MatrixView::batched) passed where one matrix is expected is refused with the
// argument's name, by the Backend, its copies and every operation family, at either level.
TEST(BackendValidation, OperationsTakingOneMatrixRefuseABatch) {
  auto backend = make_cpu_backend(1);
  backend->set_validation(Validation::metadata);
  const Matrix<float> Z = Matrix<float>::host(4, 3);
  const Matrix<float> X = Matrix<float>::host(10, 3);
  Matrix<float> out = Matrix<float>::host(4, 5);
  const GramParams params = GramParams::gaussian(1.0);
  const MatrixView<const float> X_batch = X.cview().row_range(0, 5).batched(2, 15);
  const auto refused = [](auto&& call, const std::string& needle) {
    try {
      call();
      ADD_FAILURE() << "accepted a batch: " << needle;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  refused([&] { backend->gram(Z.cview(), X_batch, params, out.view()); }, "gram: X is a batch of 2 matrices");
  refused([&] { backend->gram(Z.cview(), X.cview().row_range(0, 5), params, out.view().batched(2, 0)); },
          "gram: out is a batch of 2 matrices");
  refused([&] { backend->kernel_matmul(Z.cview(), X_batch, X.cview().row_range(0, 5), params, out.view()); },
          "kernel_matmul: X is a batch");
  refused([&] { backend->count_nonfinite(X_batch); }, "count_nonfinite: A is a batch");
  refused([&] { backend->upload(X_batch); }, "copy: src is a batch of 2 matrices");
  Matrix<float> dst = Matrix<float>::host(5, 3);
  refused([&] { backend->copy(X.cview().row_range(0, 5), dst.view().batched(3, 0)); }, "copy: dst is a batch of 3");
  refused([&] { backend->nn().fill(out.view().batched(2, 20), 1.0f); }, "is a batch of 2 matrices");
  Matrix<double> S = Matrix<double>::host(3, 3);
  refused([&] { backend->solver().potrf(S.view().batched(2, 9)); }, "potrf: A is a batch of 2 matrices");
  refused([&] { (void)hsic_labels(*backend, X_batch, Labels{{0, 1, 0, 1, 0}, 2}, params); }, "X is a batch");
  // The same view's single entries pass.
  EXPECT_NO_THROW(backend->gram(Z.cview(), X_batch.batch(1), params, out.view()));
}

}  // namespace
}  // namespace lwnet
