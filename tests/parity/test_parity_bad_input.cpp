// Bad input specific to the CUDA backend: host memory given to it (and device memory given to the
// CPU backend) throws InvalidArgument naming the argument; its argument checks (non-finite values,
// shapes) run on device data like the CPU's. Skipped without a usable GPU.
#include <cmath>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

class CudaBadInput : public CudaParityTest {};

TEST_P(CudaBadInput, HostViewGivenToCudaBackend) {
  Matrix<float> host = Matrix<float>::host(4, 2);
  const Matrix<float> dev = to_gpu(host.cview());
  Matrix<float> out = gpu().allocate<float>(4, 4);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { gpu().gram(host.cview(), dev.cview(), GramParams::gaussian(1.0), out.view()); },
                                           {"gram", "Z is in host memory", "Z 4x2"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { gpu().column_sums(host.cview()); }, {"column_sums", "A is in host memory"}));
  // A host view that claims to be device memory is caught by the backend's own address check.
  const MatrixView<const float> lying(host.data(), 4, 2, 2, MemorySpace::cuda, dev.device());
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { gpu().column_sums(lying); }, {"column_sums", "A"}));
  // And the other way round: device memory given to the CPU backend.
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { cpu().column_sums(dev.cview()); }, {"A is in cuda:", "cpu backend"}));
  // Ops check the same way (labels are host values, X must be on the device).
  const Labels labels{{0, 1, 0, 1}, 2};
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { hsic_labels(gpu(), host.cview(), labels, GramParams::gaussian(1.0)); },
                                           {"X is in host memory"}));
}

TEST_P(CudaBadInput, DeviceDataChecks) {
  Matrix<float> host = Matrix<float>::host(5, 3);
  host(4, 2) = NAN;
  const Matrix<float> X = to_gpu(host.cview());
  const Matrix<float> B = gpu().allocate<float>(4, 1);
  Matrix<float> out = gpu().allocate<float>(5, 1);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { gpu().kernel_matmul(X.cview(), X.cview(), B.cview(), GramParams::gaussian(1.0), out.view()); },
                                           {"kernel_matmul", "B must have one row per row of X", "B 4x1 cuda:"}));
  const Matrix<float> B5 = to_gpu(Matrix<float>::host(5, 1).cview());
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { gpu().kernel_matmul(X.cview(), X.cview(), B5.cview(), GramParams::gaussian(1.0), out.view()); },
                                           {"kernel_matmul", "Z has 1 non-finite value"}));
  EXPECT_EQ(gpu().count_nonfinite(X.cview()), 1);
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaBadInput);

}  // namespace
}  // namespace lwnet::test
