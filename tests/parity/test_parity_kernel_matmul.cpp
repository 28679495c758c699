// CPU-vs-CUDA parity of the fused K(Z, X) B (float and double outputs) for all four kernels, with
// c in {1, 2, 10, 33, 70} (the CUDA kernel takes classes 32 at a time), d in {1, 3, 16, 40, 784},
// single-row queries (m = 1, where the GPU splits the X range), n >= 1000 and sizes that are not
// multiples of 64; the GPU result is deterministic (bitwise equal on a repeat) and gives exact
// self-pairs through B = I; and the streamed pair sum.
#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "cases.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

const Shape kParityMatmulShapes[] = {{1, 1, 1, 1},       {1, 1000, 3, 2},     {3, 7, 3, 33},
                                     {65, 130, 16, 10},  {100, 1001, 40, 70}, {70, 1030, 784, 33},
                                     {257, 1100, 1, 2},  {1, 1050, 784, 70},  {130, 200, 16, 1},
                                     {2100, 260, 40, 5}};


class CudaKernelMatmulParity : public CudaParityTest {};

TEST_P(CudaKernelMatmulParity, AllKindsAndClassCounts) {
  LWNET_SEEDED_RANDOM(rng);
  for (const Shape& s : kParityMatmulShapes) {
    const Matrix<float> Z = rng.uniform_matrix(s.m, s.d);
    const Matrix<float> X = rng.uniform_matrix(s.n, s.d);
    const Matrix<float> B = rng.uniform_matrix(s.n, s.c);
    const DeviceStrided Zg = strided_on(gpu(), Z.cview());
    const DeviceStrided Xg = strided_on(gpu(), X.cview());
    const DeviceStrided Bg = strided_on(gpu(), B.cview());
    for (KernelKind kind : kAllKernels) {
      const GramParams p = scaled_kernel(kind, s.d);
      SCOPED_TRACE(::testing::Message() << name_of(s) << " " << to_string(p));
      Matrix<double> expected = Matrix<double>::host(s.m, s.c);
      cpu().kernel_matmul(Z.cview(), X.cview(), B.cview(), p, expected.view());
      Matrix<double> out_d = gpu().allocate<double>(s.m, s.c);
      Matrix<float> out_f = gpu().allocate<float>(s.m, s.c);
      gpu().kernel_matmul(Zg.view, Xg.view, Bg.view, p, out_d.view());
      gpu().kernel_matmul(Zg.view, Xg.view, Bg.view, p, out_f.view());
      const double tol =
          kParityFactor * kernel_matmul_error(kernel_error_model(p, Z.cview(), X.cview()), max_abs_column_sum(B.cview()), s.n);
      EXPECT_TRUE(expect_close(to_host(out_d).cview(), expected.cview(), tol, 0.0)) << "double output";
      EXPECT_TRUE(expect_close(to_host(out_f).cview(), expected.cview(), tol, kU32)) << "float output";
    }
  }
}

TEST_P(CudaKernelMatmulParity, RepeatIsBitwiseIdentical) {
  LWNET_SEEDED_RANDOM(rng);
  for (const Shape& s : {Shape{1, 5000, 3, 5}, Shape{300, 2000, 40, 70}}) {
    SCOPED_TRACE(name_of(s));
    const Matrix<float> Zg = to_gpu(rng.uniform_matrix(s.m, s.d).cview());
    const Matrix<float> Xg = to_gpu(rng.uniform_matrix(s.n, s.d).cview());
    const Matrix<float> Bg = to_gpu(rng.uniform_matrix(s.n, s.c).cview());
    const GramParams p = scaled_kernel(KernelKind::gaussian, s.d);
    Matrix<double> first = gpu().allocate<double>(s.m, s.c);
    Matrix<double> second = gpu().allocate<double>(s.m, s.c);
    gpu().kernel_matmul(Zg.cview(), Xg.cview(), Bg.cview(), p, first.view());
    gpu().kernel_matmul(Zg.cview(), Xg.cview(), Bg.cview(), p, second.view());
    const Matrix<double> a = to_host(first);
    const Matrix<double> b = to_host(second);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * sizeof(double)), 0);
  }
}

// B = I (c = n = 300 classes: ten 32-class passes) exposes the fused path's own kernel values.
TEST_P(CudaKernelMatmulParity, IdentityBShowsExactSelfPairs) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 300;
  const std::int64_t first = 37;
  Matrix<float> I = Matrix<float>::host(n, n);
  for (std::int64_t i = 0; i < n; ++i) I(i, i) = 1.0f;
  const Matrix<float> Ig = to_gpu(I.cview());
  for (std::int64_t d : {3, 784}) {
    SCOPED_TRACE(::testing::Message() << "d " << d);
    const Matrix<float> Xg = to_gpu(rng.uniform_matrix(n, d, 99.0, 101.0).cview());
    const GramParams p = GramParams::gaussian(1.0);
    Matrix<float> same = gpu().allocate<float>(n, n);
    gpu().kernel_matmul(Xg.cview(), Xg.cview(), Ig.cview(), p, same.view());
    const Matrix<float> s = to_host(same);
    for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(s(i, i), 1.0f) << "Z == X, row " << i;
    const MatrixView<const float> Zg = Xg.cview().row_range(first, 250);
    Matrix<double> shifted = gpu().allocate<double>(250, n);
    gpu().kernel_matmul(Zg, Xg.cview(), Ig.cview(), p, shifted.view());
    const Matrix<double> sh = to_host(shifted);
    for (std::int64_t a = 0; a < 250; ++a) ASSERT_EQ(sh(a, a + first), 1.0) << "Z = X[37:], row " << a;
  }
}

TEST_P(CudaKernelMatmulParity, KernelPairSum) {
  LWNET_SEEDED_RANDOM(rng);
  struct Case {
    std::int64_t n, dx, dy;
    KernelKind kx, ky;
  };
  for (const Case& c : {Case{1, 1, 1, KernelKind::gaussian, KernelKind::gaussian},
                        Case{7, 3, 2, KernelKind::gaussian, KernelKind::linear},
                        Case{130, 40, 16, KernelKind::laplacian, KernelKind::polynomial},
                        Case{1030, 784, 3, KernelKind::gaussian, KernelKind::laplacian},
                        Case{1100, 2, 1, KernelKind::polynomial, KernelKind::gaussian}}) {
    const GramParams px = scaled_kernel(c.kx, c.dx);
    const GramParams py = scaled_kernel(c.ky, c.dy);
    SCOPED_TRACE(::testing::Message() << "n " << c.n << " " << to_string(px) << " x " << to_string(py));
    const Matrix<float> X = rng.uniform_matrix(c.n, c.dx);
    const Matrix<float> Y = rng.uniform_matrix(c.n, c.dy);
    const double expected = cpu().kernel_pair_sum(X.cview(), px, Y.cview(), py);
    const DeviceStrided Xg = strided_on(gpu(), X.cview());
    const DeviceStrided Yg = strided_on(gpu(), Y.cview());
    const double actual = gpu().kernel_pair_sum(Xg.view, px, Yg.view, py);
    const double tol = kParityFactor * pair_sum_error(kernel_error_model(px, X.cview(), X.cview()),
                                                      kernel_error_model(py, Y.cview(), Y.cview()), c.n);
    EXPECT_TRUE(expect_close(actual, expected, tol, 0.0));
  }
}

// The layer's and the HSIC's forms: K(X, X) W with one-hot W (the CPU groups rows by class and
// evaluates each pair once), with the row sums of K^2 beside it, and several Gaussian widths in
// one call (the CPU shares the distances; the CUDA backend runs one product per width).
TEST_P(CudaKernelMatmulParity, GroupedSquaresAndWidths) {
  LWNET_SEEDED_RANDOM(rng);
  for (const Shape& s : {Shape{1030, 1030, 10, 10}, Shape{70, 2100, 40, 3}, Shape{300, 300, 784, 4}}) {
    SCOPED_TRACE(name_of(s));
    const Matrix<float> X = rng.uniform_matrix(s.n, s.d);
    const Matrix<float> Z = s.m == s.n ? Matrix<float>::host(0, 0) : rng.uniform_matrix(s.m, s.d);
    const MatrixView<const float> Zc = s.m == s.n ? X.cview() : Z.cview();
    const Labels labels = rng.labels(s.n, static_cast<int>(s.c));
    Matrix<float> W = Matrix<float>::host(s.n, s.c);
    for (std::int64_t i = 0; i < s.n; ++i) W(i, labels.y[static_cast<std::size_t>(i)]) = 1.0f;
    const Matrix<float> Xg = to_gpu(X.cview());
    const Matrix<float> Zg = s.m == s.n ? Matrix<float>::host(0, 0) : to_gpu(Z.cview());
    const MatrixView<const float> Zgc = s.m == s.n ? Xg.cview() : Zg.cview();
    const Matrix<float> Wg = to_gpu(W.cview());
    const GramParams p = scaled_kernel(KernelKind::gaussian, s.d);
    const KernelErrorModel model = kernel_error_model(p, Zc, X.cview());
    const double tol = kParityFactor * kernel_matmul_error(model, max_abs_column_sum(W.cview()), s.n);
    const double sq_tol = 2.0 * kParityFactor * model.max_abs * kernel_matmul_error(model, static_cast<double>(s.n), s.n);

    Matrix<double> out_c = Matrix<double>::host(s.m, s.c), sq_c = Matrix<double>::host(s.m, 1);
    cpu().kernel_matmul_with_squares(Zc, X.cview(), W.cview(), p, out_c.view(), sq_c.view());
    Matrix<double> out_g = gpu().allocate<double>(s.m, s.c), sq_g = gpu().allocate<double>(s.m, 1);
    gpu().kernel_matmul_with_squares(Zgc, Xg.cview(), Wg.cview(), p, out_g.view(), sq_g.view());
    EXPECT_TRUE(expect_close(to_host(out_g).cview(), out_c.cview(), tol, 0.0)) << "K W";
    EXPECT_TRUE(expect_close(to_host(sq_g).cview(), sq_c.cview(), sq_tol, 0.0)) << "row sums of K^2";

    const std::vector<double> sigmas = {p.sigma * 3.0, p.sigma, p.sigma / 4.0};
    std::vector<Matrix<double>> outs_c, outs_g;
    std::vector<MatrixView<double>> views_c, views_g;
    for (std::size_t w = 0; w < sigmas.size(); ++w) {
      outs_c.push_back(Matrix<double>::host(s.m, s.c));
      outs_g.push_back(gpu().allocate<double>(s.m, s.c));
    }
    for (std::size_t w = 0; w < sigmas.size(); ++w) views_c.push_back(outs_c[w].view()), views_g.push_back(outs_g[w].view());
    cpu().gaussian_matmul_widths(Zc, X.cview(), W.cview(), sigmas, views_c);
    gpu().gaussian_matmul_widths(Zgc, Xg.cview(), Wg.cview(), sigmas, views_g);
    for (std::size_t w = 0; w < sigmas.size(); ++w) {
      const double width_tol =
          kParityFactor * kernel_matmul_error(kernel_error_model(GramParams::gaussian(sigmas[w]), Zc, X.cview()),
                                              max_abs_column_sum(W.cview()), s.n);
      EXPECT_TRUE(expect_close(to_host(outs_g[w]).cview(), outs_c[w].cview(), width_tol, 0.0)) << "sigma " << sigmas[w];
    }
  }
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaKernelMatmulParity);

}  // namespace
}  // namespace lwnet::test
