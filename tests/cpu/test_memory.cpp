// Memory on the CPU backend: allocate, upload/download round trips from strided views, copy
// between views of different leading dimensions (writing nothing outside the destination), empty
// shapes, the backend's identity (device, memory space, description), and Matrix's move semantics.
#include <cmath>

#include <gtest/gtest.h>

#include "lwnet/backend.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

TEST(CpuMemory, UploadDownloadAndCopyRespectLeadingDimensions) {
  LWNET_SEEDED_RANDOM(rng);
  auto backend = make_cpu_backend();
  const auto src = padded_copy(rng.uniform_matrix(7, 5).cview(), 4);
  const Matrix<float> up = backend->upload(src.cview());
  ASSERT_EQ(up.rows(), 7);
  ASSERT_EQ(up.cols(), 5);
  EXPECT_EQ(up.space(), MemorySpace::host);
  const Matrix<float> down = backend->download(up.cview());
  Padded<float> dst(7, 5, 2);
  backend->copy(down.cview(), dst.view);
  for (std::int64_t i = 0; i < 7; ++i)
    for (std::int64_t j = 0; j < 5; ++j) {
      EXPECT_EQ(up(i, j), src.view(i, j));
      EXPECT_EQ(down(i, j), src.view(i, j));
      EXPECT_EQ(dst.view(i, j), src.view(i, j));
    }
  EXPECT_TRUE(padding_untouched(dst));
}

TEST(CpuMemory, EmptyShapesAndDoubles) {
  auto backend = make_cpu_backend();
  const Matrix<float> empty = backend->allocate<float>(0, 5);
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.rows(), 0);
  EXPECT_EQ(empty.cols(), 5);
  const Matrix<float> copy = backend->upload(empty.cview());  // copying nothing is fine
  EXPECT_TRUE(copy.empty());
  Matrix<double> d = Matrix<double>::host(2, 2);
  d(1, 0) = 3.25;
  const Matrix<double> up = backend->upload(d.cview());
  EXPECT_EQ(up(1, 0), 3.25);
  EXPECT_EQ(up(0, 0), 0.0);
}

TEST(CpuMemory, BackendIdentity) {
  auto backend = make_cpu_backend(3);
  EXPECT_EQ(backend->device(), Device::cpu());
  EXPECT_EQ(backend->memory_space(), MemorySpace::host);
  EXPECT_NE(backend->description().find("cpu"), std::string::npos) << backend->description();
  EXPECT_NE(backend->description().find("3 threads"), std::string::npos) << backend->description();
  EXPECT_EQ(backend->memory_error(nullptr), "");
  backend->synchronize();
}

TEST(CpuMemory, MatrixMovesItsStorage) {
  Matrix<float> a = Matrix<float>::host(3, 2);
  a(2, 1) = 5.0f;
  const float* storage = a.data();
  Matrix<float> b(std::move(a));
  EXPECT_EQ(b.data(), storage);
  EXPECT_EQ(b(2, 1), 5.0f);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  Matrix<float> c;
  c = std::move(b);
  EXPECT_EQ(c.data(), storage);
  EXPECT_EQ(c.rows(), 3);
  const MatrixView<const float> v = c.cview().block(1, 1, 2, 1);
  EXPECT_EQ(v(1, 0), 5.0f);
  EXPECT_EQ(v.ld(), 2);
  EXPECT_EQ(describe(v), "2x1");
}

}  // namespace
}  // namespace lwnet::test
