// CPU-vs-CUDA parity of the ops written once against Backend: hsic_labels (none, code, textbook),
// the general hsic, class_mean_embeddings with c in {1, 2, 10, 33, 70}, class_norms, the RFF op,
// and median_heuristic_sigma (the same seed draws the same subsample on both backends, so the
// medians agree up to float rounding).
#include <cmath>
#include <tuple>

#include <gtest/gtest.h>

#include "cases.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/ops.hpp"
#include "oracle.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

class CudaOpsParity : public CudaParityTest {};

TEST_P(CudaOpsParity, HsicLabelsBothVariants) {
  LWNET_SEEDED_RANDOM(rng);
  struct Case {
    std::int64_t n, d;
    int c;
    KernelKind kind;
  };
  for (const Case& k : {Case{7, 3, 2, KernelKind::gaussian}, Case{130, 16, 10, KernelKind::laplacian},
                        Case{1000, 40, 3, KernelKind::gaussian}, Case{1030, 784, 70, KernelKind::gaussian},
                        Case{257, 3, 33, KernelKind::polynomial}, Case{300, 1, 2, KernelKind::linear}}) {
    const GramParams p = scaled_kernel(k.kind, k.d);
    SCOPED_TRACE(::testing::Message() << "n " << k.n << " d " << k.d << " c " << k.c << " " << to_string(p));
    const Labels labels = rng.labels(k.n, k.c);
    const Matrix<float> X = rng.clustered(labels, k.d, 0.5);
    const DeviceStrided Xg = strided_on(gpu(), X.cview());
    const HsicErrorBound bound = hsic_labels_error(kernel_error_model(p, X.cview(), X.cview()),
                                                   kernel_error_model(squared_kernel(p), X.cview(), X.cview()), k.n);
    for (HsicNormalization norm : {HsicNormalization::none, HsicNormalization::code, HsicNormalization::textbook}) {
      SCOPED_TRACE(to_string(norm));
      const HsicResult c = hsic_labels(cpu(), X.cview(), labels, p, norm);
      const HsicResult g = hsic_labels(gpu(), Xg.view, labels, p, norm);
      EXPECT_TRUE(expect_close(g.hsic, c.hsic, kParityFactor * bound.hsic, 0.0)) << "hsic";
      EXPECT_EQ(g.constant_kernel, c.constant_kernel);
      if (norm == HsicNormalization::none) continue;
      EXPECT_TRUE(expect_close(g.norm_k, c.norm_k, kParityFactor * sqrt_error(c.norm_k * c.norm_k, bound.norm_sq), 0.0));
      EXPECT_TRUE(expect_close(g.norm_l, c.norm_l, 0.0, 1e-12)) << "closed form in float64 on both";
      const double tol = normalized_hsic_error(bound.hsic, c.norm_k, bound.norm_sq, c.norm_l, 0.0, c.normalized);
      EXPECT_TRUE(expect_close(g.normalized, c.normalized, kParityFactor * tol, 0.0)) << "normalized";
    }
  }
}

TEST_P(CudaOpsParity, GeneralHsic) {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [n, dx, dy] : {std::make_tuple(7, 3, 1), std::make_tuple(1000, 40, 3), std::make_tuple(300, 784, 16)}) {
    SCOPED_TRACE(::testing::Message() << "n " << n << " dx " << dx << " dy " << dy);
    const Matrix<float> X = rng.uniform_matrix(n, dx);
    Matrix<float> Y = rng.uniform_matrix(n, dy, -0.3, 0.3);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < std::min<std::int64_t>(dx, dy); ++k) Y(i, k) += X(i, k);
    const GramParams px = scaled_kernel(KernelKind::gaussian, dx);
    const GramParams py = scaled_kernel(KernelKind::laplacian, dy);
    const KernelErrorModel kx = kernel_error_model(px, X.cview(), X.cview());
    const KernelErrorModel ky = kernel_error_model(py, Y.cview(), Y.cview());
    const double h_err = hsic_general_error(kx, ky, n);
    const double k_sq_err = centred_norm_sq_error(kx, kernel_error_model(squared_kernel(px), X.cview(), X.cview()), n);
    const double l_sq_err = centred_norm_sq_error(ky, kernel_error_model(squared_kernel(py), Y.cview(), Y.cview()), n);
    const Matrix<float> Xg = to_gpu(X.cview()), Yg = to_gpu(Y.cview());
    for (HsicNormalization norm : {HsicNormalization::code, HsicNormalization::textbook}) {
      SCOPED_TRACE(to_string(norm));
      const HsicResult c = hsic(cpu(), X.cview(), px, Y.cview(), py, norm);
      const HsicResult g = hsic(gpu(), Xg.cview(), px, Yg.cview(), py, norm);
      EXPECT_TRUE(expect_close(g.hsic, c.hsic, kParityFactor * h_err, 0.0)) << "hsic";
      const double tol = normalized_hsic_error(h_err, c.norm_k, k_sq_err, c.norm_l, l_sq_err, c.normalized);
      EXPECT_TRUE(expect_close(g.normalized, c.normalized, kParityFactor * tol, 0.0)) << "normalized";
    }
  }
}

TEST_P(CudaOpsParity, ClassMeanEmbeddingsAndNorms) {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [m, n, d, c] : {std::make_tuple(1, 1000, 3, 1), std::make_tuple(65, 130, 16, 2),
                                   std::make_tuple(100, 1001, 40, 10), std::make_tuple(3, 1030, 784, 33),
                                   std::make_tuple(257, 700, 1, 70)}) {
    SCOPED_TRACE(::testing::Message() << "m " << m << " n " << n << " d " << d << " c " << c);
    const Labels labels = rng.labels(n, c);
    const Matrix<float> Z = rng.uniform_matrix(m, d);
    const Matrix<float> X = rng.uniform_matrix(n, d);
    const DeviceStrided Zg = strided_on(gpu(), Z.cview());
    const DeviceStrided Xg = strided_on(gpu(), X.cview());
    for (KernelKind kind : {KernelKind::gaussian, KernelKind::laplacian}) {
      const GramParams p = scaled_kernel(kind, d);
      SCOPED_TRACE(to_string(p));
      Matrix<float> expected = Matrix<float>::host(m, c);
      class_mean_embeddings(cpu(), Z.cview(), X.cview(), labels, p, expected.view());
      Matrix<float> out = gpu().allocate<float>(m, c);
      class_mean_embeddings(gpu(), Zg.view, Xg.view, labels, p, out.view());
      const KernelErrorModel model = kernel_error_model(p, Z.cview(), X.cview());
      const double tol = kParityFactor * (kernel_matmul_error(model, 1.0 + kU32, n) + kU32 * model.max_abs);
      EXPECT_TRUE(expect_close(to_host(out).cview(), expected.cview(), tol, kParityFactor * kU32)) << "embeddings";

      const std::vector<double> rho_c = class_norms(cpu(), X.cview(), labels, p);
      const std::vector<double> rho_g = class_norms(gpu(), Xg.view, labels, p);
      const auto counts = labels.class_counts();
      const KernelErrorModel xx = kernel_error_model(p, X.cview(), X.cview());
      ASSERT_EQ(rho_g.size(), rho_c.size());
      for (std::size_t j = 0; j < rho_c.size(); ++j) {
        const double nj = static_cast<double>(counts[j]);
        const double sq_error = nj * kernel_matmul_error(xx, nj, counts[j]);
        EXPECT_TRUE(expect_close(rho_g[j], rho_c[j], kParityFactor * sqrt_error(rho_c[j] * rho_c[j], sq_error), 0.0))
            << "rho of class " << j;
      }
    }
  }
}

TEST_P(CudaOpsParity, RffOpAndMedianHeuristic) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 1000;
  const std::int64_t d = 40;
  const Matrix<float> X = rng.uniform_matrix(n, d);
  const Matrix<float> Xg = to_gpu(X.cview());

  Rng map_rng(rng_seed);
  const RffMap map = make_rff_map(d, 200, map_rng);
  Matrix<float> expected = Matrix<float>::host(n, 200);
  random_fourier_features(cpu(), X.cview(), map, 2.0, expected.view());
  Matrix<float> out = gpu().allocate<float>(n, 200);
  random_fourier_features(gpu(), Xg.cview(), map, 2.0, out.view());
  double omega_max = 0.0;
  for (std::int64_t k = 0; k < map.omega.size(); ++k) omega_max = std::max(omega_max, std::fabs(static_cast<double>(map.omega.data()[k])));
  EXPECT_TRUE(expect_close(to_host(out).cview(), expected.cview(),
                           kParityFactor * rff_error(d, 200, static_cast<double>(d) * omega_max, 2.0), 0.0))
      << "RFF";

  // The same seed gives the same subsample, so the medians agree up to the distances' rounding.
  for (std::int64_t sample : {200, 1000, 5000}) {
    SCOPED_TRACE(::testing::Message() << "sample_size " << sample);
    Rng a(rng_seed), b(rng_seed), replica(rng_seed);
    const double c = median_heuristic_sigma(cpu(), X.cview(), a, sample);
    const double g = median_heuristic_sigma(gpu(), Xg.cview(), b, sample);
    const auto rows = replica.sample_without_replacement(n, std::min(n, sample));
    Matrix<float> sub = Matrix<float>::host(static_cast<std::int64_t>(rows.size()), d);
    for (std::size_t k = 0; k < rows.size(); ++k)
      for (std::int64_t j = 0; j < d; ++j) sub(static_cast<std::int64_t>(k), j) = X(rows[k], j);
    const oracle::Median o = oracle::median_pairwise_distance(sub.cview());
    const double tol = kParityFactor * median_distance_error(d, max_sq_norm(X.cview()), o.lower_middle_sq);
    EXPECT_TRUE(expect_close(g, c, tol, 0.0));
    EXPECT_TRUE(expect_close(c, o.median, tol / kParityFactor, 0.0)) << "the CPU's subsample is the replica's";
  }
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaOpsParity);

}  // namespace
}  // namespace lwnet::test
