// CPU-vs-CUDA parity of random_fourier_features (the dense algebra's parity is in
// test_parity_blas_solver.cpp).
#include <cmath>
#include <tuple>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"
#include "oracle.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

class CudaRffParity : public CudaParityTest {};

TEST_P(CudaRffParity, RandomFourierFeatures) {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [n, d, features] : {std::make_tuple(1, 1, 1), std::make_tuple(7, 3, 16), std::make_tuple(1000, 40, 200),
                                       std::make_tuple(65, 784, 130)}) {
    SCOPED_TRACE(::testing::Message() << "n " << n << " d " << d << " D " << features);
    const Matrix<float> X = rng.uniform_matrix(n, d);
    Rng map_rng(rng_seed + static_cast<std::uint64_t>(n));
    const RffMap map = make_rff_map(d, features, map_rng);
    const double sigma = std::sqrt(static_cast<double>(d));
    Matrix<float> expected = Matrix<float>::host(n, features);
    cpu().random_fourier_features(X.cview(), map.omega.cview(), map.phase.cview(), sigma, expected.view());
    Matrix<float> out = gpu().allocate<float>(n, features);
    const Matrix<float> omega = to_gpu(map.omega.cview()), phase = to_gpu(map.phase.cview());
    gpu().random_fourier_features(strided_on(gpu(), X.cview()).view, omega.cview(), phase.cview(), sigma, out.view());
    // max_j sum_k |x_k omega_kj| <= d max|omega| for |x| <= 1.
    double omega_max = 0.0;
    for (std::int64_t k = 0; k < map.omega.size(); ++k) omega_max = std::max(omega_max, std::fabs(static_cast<double>(map.omega.data()[k])));
    const double tol = kParityFactor * rff_error(d, features, static_cast<double>(d) * omega_max, sigma);
    EXPECT_TRUE(expect_close(to_host(out).cview(), expected.cview(), tol, 0.0));
  }
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaRffParity);

}  // namespace
}  // namespace lwnet::test
