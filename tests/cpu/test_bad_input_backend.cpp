// Bad input to the Backend primitives (CPU backend): each throws the documented exception type
// (InvalidArgument for caller errors, NumericalError for impossible numerics) with a message
// naming the operation, the argument and its shape — shape mismatches, empty matrices, NaN/Inf
// values, bad kernel parameters, ld < cols, outputs overlapping inputs, memory in the wrong
// space, and kernel values overflowing float32 (a matrix that is not positive definite:
// test_blas_solver.cpp, the Solver family).
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"

namespace lwnet::test {
namespace {

Matrix<float> filled(std::int64_t rows, std::int64_t cols, float value = 0.5f) {
  Matrix<float> m = Matrix<float>::host(rows, cols);
  std::fill(m.data(), m.data() + m.size(), value);
  return m;
}

class CpuBadInput : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> backend_ = make_cpu_backend();
  const GramParams gauss_ = GramParams::gaussian(1.0);
};

TEST_F(CpuBadInput, ShapeMismatchesNameTheArgumentAndShapes) {
  const Matrix<float> Z = filled(3, 2), X = filled(6, 2), B = filled(5, 1), B6 = filled(6, 1);
  Matrix<float> out = filled(3, 1), out32 = filled(3, 2), gram_out = filled(3, 5);
  Matrix<double> out_d = Matrix<double>::host(3, 1);
  Backend& b = *backend_;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.kernel_matmul(Z.cview(), X.cview(), B.cview(), gauss_, out.view()); },
                                           {"kernel_matmul", "B must have one row per row of X", "B 5x1", "X 6x2"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.kernel_matmul(Z.cview(), X.cview(), B.cview(), gauss_, out_d.view()); },
                                           {"kernel_matmul", "B 5x1"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { b.kernel_matmul(Z.cview(), X.cview(), B6.cview(), gauss_, out32.view()); }, {"out", "3x2"}));
  const Matrix<float> X3 = filled(6, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { b.kernel_matmul(Z.cview(), X3.cview(), B6.cview(), gauss_, out.view()); }, {"Z and X differ in columns", "Z 3x2", "X 6x3"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gram(Z.cview(), X.cview(), gauss_, gram_out.view()); },
                                           {"gram", "out must be Z.rows x X.rows", "out 3x5"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.squared_distances(Z.cview(), X3.cview(), gram_out.view()); },
                                           {"squared_distances", "Z 3x2", "X 6x3"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.kernel_pair_sum(Z.cview(), gauss_, X.cview(), gauss_); },
                                           {"kernel_pair_sum", "X 3x2", "Y 6x2"}));

  const Matrix<float> A23 = filled(2, 3), B45 = filled(4, 5);
  Matrix<float> C25 = filled(2, 5);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { b.blas().gemm(Transpose::no, Transpose::no, 1.0f, A23.cview(), B45.cview(), 0.0f, C25.view()); },
      {"gemm", "A 2x3", "B 4x5", "C 2x5"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { b.blas().gemm(Transpose::yes, Transpose::no, 1.0f, A23.cview(), B45.cview(), 0.0f, C25.view()); },
      {"A^T * B"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.column_dots(A23.cview(), B45.cview()); },
                                           {"column_dots", "A 2x3", "B 4x5"}));

  std::vector<std::int64_t> idx = {0, 7};
  Matrix<float> g2 = filled(2, 2), g3 = filled(3, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gather_rows(X.cview(), idx, g3.view()); }, {"gather_rows", "out 3x2"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gather_rows(X.cview(), idx, g2.view()); },
                                           {"index 7 at position 1 is outside [0, 6)"}));
  idx = {-1, 0};
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gather_rows(X.cview(), idx, g2.view()); }, {"index -1"}));

  const Matrix<float> omega = filled(3, 4), phase = filled(1, 4), phase2 = filled(2, 4);
  Matrix<float> features = filled(6, 4);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { b.random_fourier_features(X.cview(), omega.cview(), phase.cview(), 1.0, features.view()); },
      {"random_fourier_features", "omega 3x4", "X 6x2"}));
  const Matrix<float> omega2 = filled(2, 4);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { b.random_fourier_features(X.cview(), omega2.cview(), phase2.cview(), 1.0, features.view()); },
      {"phase 2x4"}));

  const Matrix<float> A34 = filled(3, 4);
  Matrix<float> dst = filled(3, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.copy(A34.cview(), dst.view()); },
                                           {"copy", "src and dst differ in shape", "src 3x4", "dst 3x3"}));
}

TEST_F(CpuBadInput, EmptyMatrices) {
  const Matrix<float> X = filled(4, 2), empty_rows = filled(0, 2), empty_cols = filled(4, 0);
  Matrix<float> out = filled(4, 4), out0 = filled(0, 4);
  Backend& b = *backend_;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gram(empty_rows.cview(), X.cview(), gauss_, out0.view()); },
                                           {"gram", "Z is empty", "0x2"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.kernel_matmul(X.cview(), X.cview(), empty_cols.cview(), gauss_, out0.view()); },
                                           {"kernel_matmul", "B is empty", "4x0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.column_sums(empty_rows.cview()); }, {"column_sums", "A is empty"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.median_pairwise_distance(empty_rows.cview()); },
                                           {"median_pairwise_distance", "X is empty"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.kernel_pair_sum(empty_rows.cview(), gauss_, empty_rows.cview(), gauss_); },
                                           {"kernel_pair_sum", "X is empty"}));
}

TEST_F(CpuBadInput, NonFiniteValues) {
  Matrix<float> Z = filled(3, 2), X = filled(4, 2), B = filled(4, 2);
  Matrix<float> out = filled(3, 4), kb = filled(3, 2);
  X(2, 1) = std::numeric_limits<float>::quiet_NaN();
  B(0, 0) = INFINITY;
  B(3, 1) = -INFINITY;
  Backend& b = *backend_;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gram(Z.cview(), X.cview(), gauss_, out.view()); },
                                           {"gram", "X has 1 non-finite value (NaN or Inf)", "X 4x2"}));
  Matrix<float> out43 = filled(4, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.squared_distances(X.cview(), Z.cview(), out43.view()); },
                                           {"squared_distances", "Z has 1 non-finite value"}));
  const Matrix<float> Xok = filled(4, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.kernel_matmul(Z.cview(), Xok.cview(), B.cview(), gauss_, kb.view()); },
                                           {"kernel_matmul", "B has 2 non-finite values"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.kernel_pair_sum(Xok.cview(), gauss_, X.cview(), gauss_); },
                                           {"kernel_pair_sum", "Y has 1 non-finite value"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.median_pairwise_distance(X.cview()); },
                                           {"median_pairwise_distance", "X has 1"}));

  // The families never scan values (their callers are training steps); their scalars are checked.
  Matrix<float> C = filled(3, 4);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { b.blas().gemm(Transpose::no, Transpose::yes, NAN, Z.cview(), Xok.cview(), 0.0f, C.view()); }, {"alpha"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { b.blas().gemm(Transpose::no, Transpose::yes, 1.0f, Z.cview(), Xok.cview(), INFINITY, C.view()); }, {"beta"}));

  const Matrix<float> omega = filled(2, 3), phase = filled(1, 3);
  Matrix<float> omega_bad = filled(2, 3);
  omega_bad(1, 2) = NAN;
  Matrix<float> feats = filled(4, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { b.random_fourier_features(Xok.cview(), omega_bad.cview(), phase.cview(), 1.0, feats.view()); },
      {"random_fourier_features", "omega has 1"}));
}

TEST_F(CpuBadInput, KernelParameters) {
  const Matrix<float> X = filled(4, 2);
  Matrix<float> out = filled(4, 4);
  Matrix<float> kb = filled(4, 1);
  const Matrix<float> B = filled(4, 1);
  Backend& b = *backend_;
  for (double sigma : {0.0, -1.0, std::nan(""), static_cast<double>(INFINITY), 1e-20}) {
    SCOPED_TRACE(::testing::Message() << "sigma " << sigma);
    EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gram(X.cview(), X.cview(), GramParams::gaussian(sigma), out.view()); },
                                             {"gram", "sigma"}));
    EXPECT_TRUE(throws_with<InvalidArgument>(
        [&] { b.kernel_matmul(X.cview(), X.cview(), B.cview(), GramParams::laplacian(sigma), kb.view()); },
        {"kernel_matmul", "sigma"}));
    EXPECT_TRUE(throws_with<InvalidArgument>(
        [&] { b.kernel_pair_sum(X.cview(), GramParams::linear(), X.cview(), GramParams::gaussian(sigma)); },
        {"kernel_pair_sum", "sigma"}));
    const Matrix<float> omega = filled(2, 3), phase = filled(1, 3);
    Matrix<float> feats = filled(4, 3);
    EXPECT_TRUE(throws_with<InvalidArgument>(
        [&] { b.random_fourier_features(X.cview(), omega.cview(), phase.cview(), sigma, feats.view()); },
        {"random_fourier_features", "sigma"}));
  }
  for (int degree : {0, -2, GramParams::kMaxPolynomialDegree + 1}) {
    EXPECT_TRUE(throws_with<InvalidArgument>(
        [&] { b.gram(X.cview(), X.cview(), GramParams::polynomial(degree), out.view()); },
        {"gram", "polynomial degree", std::to_string(degree)}));
  }
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { b.gram(X.cview(), X.cview(), GramParams::polynomial(2, std::nan(""), 1.0), out.view()); }, {"gamma"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([] { validate(GramParams::gaussian(-3.0), "my_caller"); },
                                           {"my_caller", "sigma", "-3"}));
}

TEST_F(CpuBadInput, LeadingDimensionAndExtents) {
  std::vector<float> buf(64, 0.5f);
  const MatrixView<const float> short_ld(buf.data(), 3, 4, 2);  // ld 2 < cols 4
  const MatrixView<const float> X = MatrixView<const float>::host(buf.data(), 3, 4);
  Matrix<float> out = filled(3, 3);
  Backend& b = *backend_;
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gram(short_ld, X, gauss_, out.view()); },
                                           {"gram", "Z has leading dimension 2 < cols 4"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.column_sums(short_ld); }, {"column_sums", "leading dimension 2"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.count_nonfinite(short_ld); }, {"count_nonfinite", "leading dimension"}));
  const MatrixView<const float> negative(buf.data(), -1, 4, 4);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.column_sums(negative); }, {"negative extent"}));
  const MatrixView<const float> no_data(nullptr, 2, 2, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.column_sums(no_data); }, {"A has no data"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.allocate<float>(-1, 3); }, {"allocate", "negative shape"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.allocate<float>(std::int64_t{1} << 40, std::int64_t{1} << 40); },
                                           {"allocate", "overflow"}));
}

TEST_F(CpuBadInput, OutputsOverlappingInputs) {
  std::vector<float> buf(200, 0.5f);
  Backend& b = *backend_;
  const MatrixView<const float> X = MatrixView<const float>::host(buf.data(), 6, 2);
  const MatrixView<float> out_on_x(buf.data() + 4, 6, 6, 6);  // starts inside X
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gram(X, X, gauss_, out_on_x); }, {"gram", "out overlaps Z"}));
  const MatrixView<const float> Bv(buf.data() + 100, 6, 1, 1);
  const MatrixView<float> kb_on_b(buf.data() + 102, 6, 1, 1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.kernel_matmul(X, X, Bv, gauss_, kb_on_b); },
                                           {"kernel_matmul", "out overlaps B"}));
  const MatrixView<float> gathered(buf.data() + 2, 3, 2, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.gather_rows(X, {0, 1, 2}, gathered); }, {"gather_rows", "out overlaps X"}));
  const MatrixView<const float> A(buf.data(), 2, 2, 2);
  const MatrixView<float> C(buf.data() + 3, 2, 2, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { b.blas().gemm(Transpose::no, Transpose::no, 1.0f, A, A, 0.0f, C); },
                                           {"gemm", "C overlaps A"}));
}

TEST_F(CpuBadInput, MemoryInTheWrongSpace) {
  // A view that claims to be CUDA memory: the CPU backend refuses it before touching it.
  float* fake = reinterpret_cast<float*>(std::uintptr_t{0x1000});
  const MatrixView<const float> device_view(fake, 4, 2, 2, MemorySpace::cuda, 0);
  const Matrix<float> X = filled(4, 2);
  Matrix<float> out = filled(4, 4);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { backend_->gram(device_view, X.cview(), gauss_, out.view()); },
                                           {"gram", "Z is in cuda:0 memory but the cpu backend needs host memory",
                                            "Z 4x2 cuda:0"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { backend_->column_sums(device_view); }, {"A is in cuda:0"}));
}

TEST_F(CpuBadInput, KernelValuesOverflowingFloat32) {
  Backend& b = *backend_;
  const Matrix<float> big = filled(4, 2, 1e20f);  // a.b = 2e40 > FLT_MAX
  Matrix<float> out = filled(4, 4);
  EXPECT_TRUE(throws_with<NumericalError>([&] { b.gram(big.cview(), big.cview(), GramParams::linear(), out.view()); },
                                          {"gram", "overflow float32", "linear"}));
  const Matrix<float> X = filled(4, 2, 3.0f);  // (9 + 9 + 1)^64 overflows float32
  const Matrix<float> B = filled(4, 1, 1.0f);
  Matrix<double> kb = Matrix<double>::host(4, 1);
  EXPECT_TRUE(throws_with<NumericalError>(
      [&] { b.kernel_matmul(X.cview(), X.cview(), B.cview(), GramParams::polynomial(64), kb.view()); },
      {"kernel_matmul", "not finite", "polynomial(degree=64"}));
  EXPECT_TRUE(throws_with<NumericalError>(
      [&] { b.kernel_pair_sum(X.cview(), GramParams::polynomial(64), X.cview(), GramParams::linear()); },
      {"kernel_pair_sum", "not finite"}));
}

TEST_F(CpuBadInput, MedianRowLimit) {
  const Matrix<float> X = filled(8193, 1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { backend_->median_pairwise_distance(X.cview()); },
                                           {"median_pairwise_distance", "8192", "X 8193x1"}));
}

}  // namespace
}  // namespace lwnet::test
