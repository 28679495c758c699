// Validation levels: at Validation::metadata a Backend call reads no values (NaN passes the front
// end and no device wait happens), at full it refuses them; the algorithms' public entry points
// refuse non-finite inputs at either level. Shape checks hold at both.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"

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

}  // namespace
}  // namespace lwnet
