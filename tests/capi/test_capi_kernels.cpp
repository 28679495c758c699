// The C API's kernel primitives give the C++ API's results bit for bit on the same data, and its
// views are checked, each refusal naming the argument.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "capi_test_data.hpp"

namespace lwnet::capi_test {
namespace {

void expect_refused(lwnet_status status, lwnet_status expected, const std::string& needle) {
  EXPECT_EQ(status, expected) << lwnet_status_string(status);
  EXPECT_NE(std::string(lwnet_last_error()).find(needle), std::string::npos)
      << "'" << lwnet_last_error() << "' lacks '" << needle << "'";
}

TEST(CApiKernels, GramEqualsTheCppApiBitwise) {
  CBackend backend;
  auto cpu = make_cpu_backend();
  const Matrix<float> X = standardized_wine(37);
  const Matrix<float> Z = standardized_wine(11);
  const GramParams params = GramParams::gaussian(1.7);
  const lwnet_kernel kernel = lwnet_kernel_gaussian(1.7);

  Matrix<float> expected = Matrix<float>::host(11, 37);
  cpu->gram(Z.cview(), X.cview(), params, expected.view());
  Matrix<float> got = Matrix<float>::host(11, 37);
  const lwnet_matrix z = view_of(Z), x = view_of(X), out = view_of(got);
  ASSERT_EQ(lwnet_gram(backend, &z, &x, &kernel, &out), LWNET_OK) << lwnet_last_error();
  EXPECT_TRUE(bitwise_equal(got.data(), expected.data(), got.size()));

  // The same view twice: exact self-pairs (a unit diagonal), as in C++.
  Matrix<float> self = Matrix<float>::host(37, 37);
  const lwnet_matrix self_out = view_of(self);
  ASSERT_EQ(lwnet_gram(backend, &x, &x, &kernel, &self_out), LWNET_OK) << lwnet_last_error();
  for (std::int64_t i = 0; i < 37; ++i) EXPECT_EQ(self(i, i), 1.0f);

  // A strided output view (ld > cols) receives the same values; the padding is untouched.
  std::vector<float> padded(11 * 40, -7.0f);
  lwnet_matrix strided = lwnet_matrix_host(padded.data(), 11, 37, LWNET_FLOAT32);
  strided.ld = 40;
  ASSERT_EQ(lwnet_gram(backend, &z, &x, &kernel, &strided), LWNET_OK) << lwnet_last_error();
  for (std::int64_t i = 0; i < 11; ++i) {
    EXPECT_TRUE(bitwise_equal(&padded[static_cast<std::size_t>(i * 40)], &expected(i, 0), 37));
    EXPECT_EQ(padded[static_cast<std::size_t>(i * 40 + 39)], -7.0f);
  }
}

// On a GPU backend the C API copies host views to the device and back: Gram and HSIC agree with
// the CPU's within float32 tile sums (spec 1.6). Skipped without a usable GPU.
TEST(CApiKernels, HostViewsOnAGpuBackendMatchTheCpu) {
  const CudaProbe probe = probe_cuda();
  if (!probe.usable()) GTEST_SKIP() << "no usable GPU: " << probe.reason;
  CBackend cpu;
  lwnet_backend* gpu = nullptr;
  ASSERT_EQ(lwnet_backend_create("cuda", &gpu), LWNET_OK) << lwnet_last_error();
  const Matrix<float> X = standardized_wine(178);
  const lwnet_matrix x = view_of(X);
  const lwnet_kernel kernel = lwnet_kernel_gaussian(2.5);
  Matrix<float> on_cpu = Matrix<float>::host(178, 178), on_gpu = Matrix<float>::host(178, 178);
  const lwnet_matrix cpu_out = view_of(on_cpu), gpu_out = view_of(on_gpu);
  ASSERT_EQ(lwnet_gram(cpu, &x, &x, &kernel, &cpu_out), LWNET_OK) << lwnet_last_error();
  ASSERT_EQ(lwnet_gram(gpu, &x, &x, &kernel, &gpu_out), LWNET_OK) << lwnet_last_error();
  for (std::int64_t i = 0; i < on_cpu.size(); ++i)  // 13 features: a few float32 roundings
    ASSERT_NEAR(on_gpu.data()[i], on_cpu.data()[i], 1e-5f) << "entry " << i;
  lwnet_hsic_result h_cpu{}, h_gpu{};
  ASSERT_EQ(lwnet_hsic_labels(cpu, &x, wine().labels.data(), 178, 3, &kernel, LWNET_HSIC_CODE, &h_cpu), LWNET_OK);
  ASSERT_EQ(lwnet_hsic_labels(gpu, &x, wine().labels.data(), 178, 3, &kernel, LWNET_HSIC_CODE, &h_gpu), LWNET_OK)
      << lwnet_last_error();
  EXPECT_NEAR(h_gpu.normalized, h_cpu.normalized, 1e-5 * std::abs(h_cpu.normalized));
  lwnet_backend_free(gpu);
}

// A backend on the caller's stream: here lwnet's own stream of device 0, read back through
// lwnet_backend_stream (a stream created on the device, as the call asks), so the test needs no
// CUDA runtime of its own. Both backends give the same Gram matrix bit for bit (the same kernels).
TEST(CApiKernels, ABackendOnTheCallersStreamMatchesLwnetsOwn) {
  const CudaProbe probe = probe_cuda();
  if (!probe.usable()) GTEST_SKIP() << "no usable GPU: " << probe.reason;
  lwnet_backend* own = nullptr;
  ASSERT_EQ(lwnet_backend_create("cuda:0", &own), LWNET_OK) << lwnet_last_error();
  void* stream = nullptr;
  ASSERT_EQ(lwnet_backend_stream(own, &stream), LWNET_OK) << lwnet_last_error();
  ASSERT_NE(stream, nullptr);
  lwnet_backend* callers = nullptr;
  ASSERT_EQ(lwnet_backend_create_on_stream(0, stream, &callers), LWNET_OK) << lwnet_last_error();
  void* same = nullptr;
  ASSERT_EQ(lwnet_backend_stream(callers, &same), LWNET_OK) << lwnet_last_error();
  EXPECT_EQ(same, stream);
  const Matrix<float> X = standardized_wine(178);
  const lwnet_matrix x = view_of(X);
  const lwnet_kernel kernel = lwnet_kernel_gaussian(2.5);
  Matrix<float> a = Matrix<float>::host(178, 178), b = Matrix<float>::host(178, 178);
  const lwnet_matrix a_out = view_of(a), b_out = view_of(b);
  ASSERT_EQ(lwnet_gram(own, &x, &x, &kernel, &a_out), LWNET_OK) << lwnet_last_error();
  ASSERT_EQ(lwnet_gram(callers, &x, &x, &kernel, &b_out), LWNET_OK) << lwnet_last_error();
  EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<std::size_t>(a.size())), 0);
  EXPECT_EQ(lwnet_backend_create_on_stream(0, nullptr, &callers), LWNET_INVALID_ARGUMENT) << "the legacy stream";
  lwnet_backend_free(callers);
  lwnet_backend_free(own);
}

// Without a usable GPU (or without the CUDA backend) a backend on a stream is unavailable, with
// the reason; a CPU backend has no stream.
TEST(CApiKernels, StreamsAreRefusedWithTheReasonWhereThereIsNoCuda) {
  lwnet_backend* backend = nullptr;
  EXPECT_EQ(lwnet_backend_create_on_stream(-1, reinterpret_cast<void*>(0x10), &backend), LWNET_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lwnet_last_error()).find("negative"), std::string::npos) << lwnet_last_error();
  EXPECT_EQ(lwnet_backend_create_on_stream(0, reinterpret_cast<void*>(0x10), nullptr), LWNET_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lwnet_last_error()).find("out"), std::string::npos) << lwnet_last_error();
  CBackend cpu;
  void* stream = reinterpret_cast<void*>(0x10);
  EXPECT_EQ(lwnet_backend_stream(cpu, &stream), LWNET_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lwnet_last_error()).find("native_stream"), std::string::npos) << lwnet_last_error();
  EXPECT_EQ(lwnet_backend_stream(nullptr, &stream), LWNET_INVALID_ARGUMENT);
  const CudaProbe probe = probe_cuda();
  if (probe.usable()) return;  // the GPU test above covers the working path
  EXPECT_EQ(lwnet_backend_create_on_stream(0, reinterpret_cast<void*>(0x10), &backend), LWNET_UNAVAILABLE);
  EXPECT_NE(std::string(lwnet_last_error()).find("cannot use cuda:0"), std::string::npos) << lwnet_last_error();
  EXPECT_EQ(backend, nullptr);
}

TEST(CApiKernels, HsicAgainstLabelsEqualsTheCppApiBitwise) {
  CBackend backend;
  auto cpu = make_cpu_backend();
  const Matrix<float> X = standardized_wine(178);
  const lwnet_matrix x = view_of(X);
  const lwnet_kernel kernel = lwnet_kernel_gaussian(2.5);
  for (const auto& [c_norm, norm] : {std::pair{LWNET_HSIC_NONE, HsicNormalization::none},
                                     std::pair{LWNET_HSIC_CODE, HsicNormalization::code},
                                     std::pair{LWNET_HSIC_TEXTBOOK, HsicNormalization::textbook}}) {
    const HsicResult expected = hsic_labels(*cpu, X.cview(), wine().encoded, GramParams::gaussian(2.5), norm);
    lwnet_hsic_result got{};
    ASSERT_EQ(lwnet_hsic_labels(backend, &x, wine().labels.data(), 178, 3, &kernel, c_norm, &got), LWNET_OK)
        << lwnet_last_error();
    EXPECT_EQ(std::memcmp(&got.hsic, &expected.hsic, sizeof(double)), 0);
    EXPECT_EQ(std::memcmp(&got.normalized, &expected.normalized, sizeof(double)), 0);
    EXPECT_EQ(std::memcmp(&got.norm_k, &expected.norm_k, sizeof(double)), 0);
    EXPECT_EQ(std::memcmp(&got.norm_l, &expected.norm_l, sizeof(double)), 0);
    EXPECT_EQ(got.constant_kernel, 0);
  }
}

TEST(CApiKernels, HsicBetweenTwoKernelsEqualsTheCppApiBitwise) {
  CBackend backend;
  auto cpu = make_cpu_backend();
  const Matrix<float> all = standardized_wine(60);
  Matrix<float> X = Matrix<float>::host(60, 7);
  Matrix<float> Y = Matrix<float>::host(60, 6);
  for (std::int64_t i = 0; i < 60; ++i)
    for (std::int64_t j = 0; j < 13; ++j) (j < 7 ? X(i, j) : Y(i, j - 7)) = all(i, j);
  const HsicResult expected = hsic(*cpu, X.cview(), GramParams::gaussian(1.5), Y.cview(), GramParams::laplacian(3.0),
                                   HsicNormalization::code);
  const lwnet_matrix x = view_of(X), y = view_of(Y);
  const lwnet_kernel kx = lwnet_kernel_gaussian(1.5), ky = lwnet_kernel_laplacian(3.0);
  lwnet_hsic_result got{};
  ASSERT_EQ(lwnet_hsic(backend, &x, &kx, &y, &ky, LWNET_HSIC_CODE, &got), LWNET_OK) << lwnet_last_error();
  EXPECT_EQ(std::memcmp(&got.hsic, &expected.hsic, sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(&got.normalized, &expected.normalized, sizeof(double)), 0);
  EXPECT_GT(got.normalized, 0.0);
}

TEST(CApiKernels, ClassMeanEmbeddingsAndMedianSigmaEqualTheCppApi) {
  CBackend backend;
  auto cpu = make_cpu_backend();
  const Matrix<float> X = standardized_wine(178);
  const Matrix<float> Z = standardized_wine(9);
  const GramParams params = GramParams::polynomial(3, 0.5, 1.0);
  Matrix<float> expected = Matrix<float>::host(9, 3);
  class_mean_embeddings(*cpu, Z.cview(), X.cview(), wine().encoded, params, expected.view());
  Matrix<float> got = Matrix<float>::host(9, 3);
  const lwnet_matrix x = view_of(X), z = view_of(Z), out = view_of(got);
  const lwnet_kernel kernel = lwnet_kernel_polynomial(3, 0.5, 1.0);
  ASSERT_EQ(lwnet_class_mean_embeddings(backend, &z, &x, wine().labels.data(), 178, 3, &kernel, &out), LWNET_OK)
      << lwnet_last_error();
  EXPECT_TRUE(bitwise_equal(got.data(), expected.data(), got.size()));

  Rng rng(11);
  const double expected_sigma = median_heuristic_sigma(*cpu, X.cview(), rng, 50);
  double sigma = 0.0;
  ASSERT_EQ(lwnet_median_sigma(backend, &x, 11, 50, &sigma), LWNET_OK) << lwnet_last_error();
  EXPECT_EQ(sigma, expected_sigma);
}

TEST(CApiViews, EveryBadViewIsRefusedNamingTheArgument) {
  CBackend backend;
  const Matrix<float> X = standardized_wine(8);
  Matrix<float> out = Matrix<float>::host(8, 8);
  const lwnet_matrix good = view_of(X), good_out = view_of(out);
  const lwnet_kernel kernel = lwnet_kernel_gaussian(1.0);
  const auto gram_with_x = [&](lwnet_matrix x) { return lwnet_gram(backend, &good, &x, &kernel, &good_out); };

  expect_refused(lwnet_gram(backend, &good, nullptr, &kernel, &good_out), LWNET_INVALID_ARGUMENT,
                 "lwnet_gram: X: the view is NULL");
  lwnet_matrix bad = good;
  bad.data = nullptr;
  expect_refused(gram_with_x(bad), LWNET_INVALID_ARGUMENT, "X: data is NULL");
  bad = good;
  bad.rows = -1;
  expect_refused(gram_with_x(bad), LWNET_INVALID_ARGUMENT, "X: negative size -1x13");
  bad = good;
  bad.ld = 12;
  expect_refused(gram_with_x(bad), LWNET_INVALID_ARGUMENT, "X: leading dimension 12 is less than its 13 columns");
  bad = good;
  bad.dtype = LWNET_FLOAT64;
  expect_refused(gram_with_x(bad), LWNET_INVALID_ARGUMENT, "X: float64 given, float32 needed");
  bad = good;
  bad.dtype = LWNET_INT32;
  expect_refused(gram_with_x(bad), LWNET_INVALID_ARGUMENT, "X: int32 given");
  bad = good;
  bad.memory = LWNET_MEMORY_CUDA;
  expect_refused(gram_with_x(bad), LWNET_INVALID_ARGUMENT, "X: cuda:0 memory, which the cpu backend cannot use");
  bad = good;
  bad.memory = static_cast<lwnet_memory>(7);
  expect_refused(gram_with_x(bad), LWNET_INVALID_ARGUMENT, "X: unknown memory 7");
  bad = good;
  bad.device = 2;
  expect_refused(gram_with_x(bad), LWNET_INVALID_ARGUMENT, "X: host memory with device 2");
  bad = good;
  bad.rows = std::numeric_limits<int64_t>::max() / 8;
  bad.ld = 64;
  expect_refused(gram_with_x(bad), LWNET_INVALID_ARGUMENT, "exceed the address space");
  lwnet_matrix wrong_out = good_out;
  wrong_out.cols = 7;
  expect_refused(lwnet_gram(backend, &good, &good, &kernel, &wrong_out), LWNET_INVALID_ARGUMENT,
                 "out: must be 8x8 (rows of Z x rows of X), got 8x7");
}

TEST(CApiKernels, BadKernelsAndLabelsAreRefused) {
  CBackend backend;
  const Matrix<float> X = standardized_wine(8);
  const lwnet_matrix x = view_of(X);
  lwnet_hsic_result r{};
  const std::vector<int32_t> labels = {0, 1, 0, 1, 0, 1, 0, 1};
  lwnet_kernel kernel = lwnet_kernel_gaussian(-1.0);
  expect_refused(lwnet_hsic_labels(backend, &x, labels.data(), 8, 2, &kernel, LWNET_HSIC_CODE, &r),
                 LWNET_INVALID_ARGUMENT, "sigma");
  kernel = lwnet_kernel_gaussian(1.0);
  kernel.kind = static_cast<lwnet_kernel_kind>(9);
  expect_refused(lwnet_hsic_labels(backend, &x, labels.data(), 8, 2, &kernel, LWNET_HSIC_CODE, &r),
                 LWNET_INVALID_ARGUMENT, "kernel: unknown kernel kind 9");
  kernel = lwnet_kernel_gaussian(1.0);
  expect_refused(lwnet_hsic_labels(backend, &x, labels.data(), 7, 2, &kernel, LWNET_HSIC_CODE, &r),
                 LWNET_INVALID_ARGUMENT, "labels: 7 labels for the 8 rows of X");
  const std::vector<int32_t> outside = {0, 1, 0, 1, 0, 1, 0, 2};
  expect_refused(lwnet_hsic_labels(backend, &x, outside.data(), 8, 2, &kernel, LWNET_HSIC_CODE, &r),
                 LWNET_INVALID_ARGUMENT, "outside");
  expect_refused(lwnet_hsic_labels(backend, &x, labels.data(), 8, 2, &kernel, static_cast<lwnet_hsic_normalization>(5), &r),
                 LWNET_INVALID_ARGUMENT, "normalization: unknown value 5");
  expect_refused(lwnet_hsic_labels(backend, &x, nullptr, 8, 2, &kernel, LWNET_HSIC_CODE, &r), LWNET_INVALID_ARGUMENT,
                 "labels is NULL");
  expect_refused(lwnet_hsic_labels(nullptr, &x, labels.data(), 8, 2, &kernel, LWNET_HSIC_CODE, &r),
                 LWNET_INVALID_ARGUMENT, "backend is NULL");
  Matrix<float> nan = standardized_wine(8);
  nan(3, 4) = std::numeric_limits<float>::quiet_NaN();
  const lwnet_matrix x_nan = view_of(nan);
  expect_refused(lwnet_hsic_labels(backend, &x_nan, labels.data(), 8, 2, &kernel, LWNET_HSIC_CODE, &r),
                 LWNET_INVALID_ARGUMENT, "non-finite");
}

}  // namespace
}  // namespace lwnet::capi_test
