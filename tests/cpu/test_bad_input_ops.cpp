// Bad input to the ops (ops.hpp) on the CPU: labels out of range, of the wrong count or with no
// classes; a single class under normalised HSIC; a class with no samples for the class-wise
// embeddings and norms; mismatched or non-square HSIC inputs; bad RFF maps, widths and median
// sample sizes. Each throws InvalidArgument naming the operation and the offending value.
#include <cmath>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

class CpuOpsBadInput : public ::testing::Test {
 protected:
  CpuOpsBadInput() : X_(TestRandom(7).uniform_matrix(5, 2)) {}
  std::unique_ptr<Backend> backend_ = make_cpu_backend();
  Matrix<float> X_;  // 5 samples
  const GramParams gauss_ = GramParams::gaussian(1.0);
};

TEST_F(CpuOpsBadInput, LabelsOutOfRangeOrWrongCount) {
  Backend& b = *backend_;
  const Labels too_big{{0, 1, 2, 0, 3}, 3};
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic_labels(b, X_.cview(), too_big, gauss_); },
                                           {"hsic_labels", "label 3 of sample 4 is outside [0, 3)"}));
  const Labels negative{{0, -1, 1, 0, 1}, 2};
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic_labels(b, X_.cview(), negative, gauss_); },
                                           {"label -1 of sample 1"}));
  const Labels short_labels{{0, 1, 0, 1}, 2};
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic_labels(b, X_.cview(), short_labels, gauss_); },
                                           {"hsic_labels", "4 labels for 5 samples"}));
  Matrix<float> out = Matrix<float>::host(5, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { class_mean_embeddings(b, X_.cview(), X_.cview(), short_labels, gauss_, out.view()); },
      {"class_mean_embeddings", "4 labels for 5 samples"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { class_norms(b, X_.cview(), too_big, gauss_); },
                                           {"class_norms", "label 3 of sample 4"}));
  const Labels no_classes{{0, 0, 0, 0, 0}, 0};
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic_labels(b, X_.cview(), no_classes, gauss_); },
                                           {"hsic_labels", "num_classes 0"}));
}

TEST_F(CpuOpsBadInput, SingleClassWithNormalisedHsic) {
  Backend& b = *backend_;
  const Labels one_class{{0, 0, 0, 0, 0}, 1};
  const Labels one_of_two{{1, 1, 1, 1, 1}, 2};  // class 0 declared but empty: still a single class
  for (HsicNormalization norm : {HsicNormalization::code, HsicNormalization::textbook}) {
    EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic_labels(b, X_.cview(), one_class, gauss_, norm); },
                                             {"hsic_labels", "at least two classes"}));
    EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic_labels(b, X_.cview(), one_of_two, gauss_, norm); },
                                             {"at least two classes"}));
  }
  // Unnormalised HSIC is defined (and 0: every centred label vector is 0).
  const HsicResult r = hsic_labels(b, X_.cview(), one_class, gauss_, HsicNormalization::none);
  EXPECT_NEAR(r.hsic, 0.0, 1e-5);
}

TEST_F(CpuOpsBadInput, ClassWithNoSamples) {
  Backend& b = *backend_;
  const Labels missing{{0, 1, 0, 1, 1}, 3};  // class 2 has no samples
  Matrix<float> out = Matrix<float>::host(5, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { class_mean_embeddings(b, X_.cview(), X_.cview(), missing, gauss_, out.view()); },
      {"class_mean_embeddings", "class 2 of 3 has no samples"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { class_norms(b, X_.cview(), missing, gauss_); },
                                           {"class_norms", "class 2 of 3 has no samples"}));
}

TEST_F(CpuOpsBadInput, EmbeddingOutputShape) {
  const Labels labels{{0, 1, 0, 1, 1}, 2};
  Matrix<float> out = Matrix<float>::host(5, 3);  // c = 2
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { class_mean_embeddings(*backend_, X_.cview(), X_.cview(), labels, gauss_, out.view()); },
      {"out", "5x3"}));
  const Matrix<float> Z3 = Matrix<float>::host(4, 3);  // d = 3 vs 2
  Matrix<float> out42 = Matrix<float>::host(4, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { class_mean_embeddings(*backend_, Z3.cview(), X_.cview(), labels, gauss_, out42.view()); },
      {"Z 4x3", "X 5x2"}));
}

TEST_F(CpuOpsBadInput, HsicShapes) {
  Backend& b = *backend_;
  const Matrix<float> Y4 = Matrix<float>::host(4, 1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic(b, X_.cview(), gauss_, Y4.cview(), gauss_); },
                                           {"hsic", "X 5x2", "Y 4x1"}));
  const Matrix<float> empty = Matrix<float>::host(0, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic(b, empty.cview(), gauss_, empty.cview(), gauss_); },
                                           {"hsic", "X is empty"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic_labels(b, empty.cview(), Labels{{}, 2}, gauss_); },
                                           {"hsic_labels", "X is empty"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic(b, X_.cview(), GramParams::gaussian(0.0), X_.cview(), gauss_); },
                                           {"hsic", "sigma"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { hsic_labels(b, X_.cview(), Labels{{0, 1, 0, 1, 0}, 2}, GramParams::laplacian(std::nan(""))); },
      {"hsic_labels", "sigma"}));

  const Matrix<float> K = Matrix<float>::host(4, 4), K35 = Matrix<float>::host(3, 5);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic_from_grams(b, K.cview(), K35.cview()); },
                                           {"hsic_from_grams", "square", "L 3x5"}));
  Matrix<float> bad = Matrix<float>::host(4, 4);
  bad(1, 2) = NAN;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic_from_grams(b, K.cview(), bad.cview()); },
                                           {"hsic_from_grams", "finite"}));
}

TEST_F(CpuOpsBadInput, RffAndMedianArguments) {
  Rng rng(1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { make_rff_map(0, 10, rng); }, {"make_rff_map", "d 0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { make_rff_map(3, 0, rng); }, {"make_rff_map", "features 0"}));
  const RffMap map = make_rff_map(2, 8, rng);
  Matrix<float> out = Matrix<float>::host(5, 8);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { random_fourier_features(*backend_, X_.cview(), map, -1.0, out.view()); },
                                           {"random_fourier_features", "sigma"}));
  const RffMap wrong_d = make_rff_map(3, 8, rng);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { random_fourier_features(*backend_, X_.cview(), wrong_d, 1.0, out.view()); }, {"omega 3x8", "X 5x2"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { median_heuristic_sigma(*backend_, X_.cview(), rng, 0); },
                                           {"median_heuristic_sigma", "sample_size must be >= 1, got 0"}));
  const Matrix<float> empty = Matrix<float>::host(0, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { median_heuristic_sigma(*backend_, empty.cview(), rng); },
                                           {"median_heuristic_sigma", "X is empty"}));
}

}  // namespace
}  // namespace lwnet::test
