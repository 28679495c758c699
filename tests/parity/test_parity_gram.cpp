// CPU-vs-CUDA parity of the materialised kernels: squared_distances and gram for all four kinds on
// sizes that are not multiples of the 64-row CUDA tiles, d in {1, 3, 16, 40, 784} (d = 40 and 784
// span several 16-feature stages), n >= 1000; strided (ld > cols) device views; and the
// self-pair exactness on the GPU: Gaussian Gram diagonal exactly 1, distances exactly 0, also
// when Z is a row_range of X.
#include <cmath>

#include <gtest/gtest.h>

#include "cases.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

const Shape kParityGramShapes[] = {{1, 1, 1, 1},     {3, 7, 3, 1},      {65, 130, 16, 1},
                                   {100, 1001, 40, 1}, {257, 1030, 784, 1}, {1, 1000, 3, 1}};

class CudaGramParity : public CudaParityTest {};

TEST_P(CudaGramParity, GramAllKinds) {
  LWNET_SEEDED_RANDOM(rng);
  for (const Shape& s : kParityGramShapes) {
    const Matrix<float> Z = rng.uniform_matrix(s.m, s.d);
    const Matrix<float> X = rng.uniform_matrix(s.n, s.d);
    const DeviceStrided Zg = strided_on(gpu(), Z.cview());
    const DeviceStrided Xg = strided_on(gpu(), X.cview());
    for (KernelKind kind : kAllKernels) {
      const GramParams p = scaled_kernel(kind, s.d);
      SCOPED_TRACE(::testing::Message() << name_of(s) << " " << to_string(p));
      Matrix<float> expected = Matrix<float>::host(s.m, s.n);
      cpu().gram(Z.cview(), X.cview(), p, expected.view());
      Matrix<float> out = gpu().allocate<float>(s.m, s.n);
      gpu().gram(Zg.view, Xg.view, p, out.view());
      const double tol = kParityFactor * kernel_error_model(p, Z.cview(), X.cview()).entry;
      EXPECT_TRUE(expect_close(to_host(out).cview(), expected.cview(), tol, 0.0));
    }
  }
}

TEST_P(CudaGramParity, SquaredDistances) {
  LWNET_SEEDED_RANDOM(rng);
  for (const Shape& s : kParityGramShapes) {
    SCOPED_TRACE(name_of(s));
    const Matrix<float> Z = rng.uniform_matrix(s.m, s.d);
    const Matrix<float> X = rng.uniform_matrix(s.n, s.d);
    const DeviceStrided Zg = strided_on(gpu(), Z.cview());
    const DeviceStrided Xg = strided_on(gpu(), X.cview());
    Matrix<float> expected = Matrix<float>::host(s.m, s.n);
    cpu().squared_distances(Z.cview(), X.cview(), expected.view());
    Matrix<float> out = gpu().allocate<float>(s.m, s.n);
    gpu().squared_distances(Zg.view, Xg.view, out.view());
    const Matrix<float> got = to_host(out);
    const double tol = kParityFactor * sq_distance_error(s.d, max_sq_norm(Z.cview()), max_sq_norm(X.cview()));
    EXPECT_TRUE(expect_close(got.cview(), expected.cview(), tol, 0.0));
    for (std::int64_t k = 0; k < got.size(); ++k) ASSERT_GE(got.data()[k], 0.0f) << "entry " << k;
  }
}

// Rows far from the origin make the norms identity cancel (test_gram.cpp): self-pairs must still
// give exactly 0 and 1 on the GPU, for Z == X and for Z a row_range of X.
TEST_P(CudaGramParity, SelfPairsAreExact) {
  LWNET_SEEDED_RANDOM(rng);
  for (std::int64_t d : {3, 40, 784}) {
    SCOPED_TRACE(::testing::Message() << "d " << d);
    const std::int64_t n = 300;
    const std::int64_t first = 37;
    const Matrix<float> X = rng.uniform_matrix(n, d, 99.0, 101.0);
    const Matrix<float> Xg = to_gpu(X.cview());
    const GramParams p = GramParams::gaussian(std::sqrt(static_cast<double>(d)));
    Matrix<float> K = gpu().allocate<float>(n, n);
    gpu().gram(Xg.cview(), Xg.cview(), p, K.view());
    const Matrix<float> k = to_host(K);
    for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(k(i, i), 1.0f) << "Gaussian Gram diagonal " << i;

    const MatrixView<const float> Zg = Xg.cview().row_range(first, 250);
    Matrix<float> K2 = gpu().allocate<float>(250, n);
    Matrix<float> D2 = gpu().allocate<float>(250, n);
    gpu().gram(Zg, Xg.cview(), p, K2.view());
    gpu().squared_distances(Zg, Xg.cview(), D2.view());
    const Matrix<float> k2 = to_host(K2);
    const Matrix<float> d2 = to_host(D2);
    for (std::int64_t a = 0; a < 250; ++a) {
      ASSERT_EQ(k2(a, a + first), 1.0f) << "Z = X[37:], row " << a;
      ASSERT_EQ(d2(a, a + first), 0.0f) << "Z = X[37:], row " << a;
    }
  }
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaGramParity);

}  // namespace
}  // namespace lwnet::test
