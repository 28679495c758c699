// The CPU-vs-CUDA parity fixture (STYLE.md, "Tests"): parameterised over CUDA devices ("cuda:0"),
// it skips with lwnet::probe_cuda()'s reason when no GPU is usable, so on a machine without one
// every Cuda* test reports SKIPPED rather than passing silently. Suites are instantiated with the
// prefix "Cuda" (full names "Cuda/CudaXxx.Test/cuda0"), so --gtest_filter='Cuda*' selects them.
//
// Tolerances: each backend is within the bound of tests/common/tolerance.hpp of the exact value,
// so their difference is within twice that bound (kParityFactor).
#pragma once

#include <cctype>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "lwnet/backend.hpp"
#include "lwnet/device.hpp"
#include "test_data.hpp"

namespace lwnet::test {

constexpr double kParityFactor = 2.0;

class CudaParityTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const CudaProbe probe = probe_cuda();
    if (!probe.usable()) GTEST_SKIP() << "no usable CUDA device: " << probe.reason;
    const Device device = Device::parse(GetParam());
    if (device.index >= probe.device_count)
      GTEST_SKIP() << GetParam() << " is not present (" << probe.device_count << " CUDA devices)";
    gpu_ = make_backend(device);
    cpu_ = make_cpu_backend();
  }

  Backend& cpu() { return *cpu_; }
  Backend& gpu() { return *gpu_; }
  // A copy of a host matrix on the GPU, and back.
  template <class T>
  Matrix<T> to_gpu(MatrixView<const T> host) {
    return gpu_->upload(host);
  }
  template <class T>
  Matrix<T> to_host(const Matrix<T>& device) {
    return gpu_->download(device.cview());
  }

 private:
  std::unique_ptr<Backend> cpu_;
  std::unique_ptr<Backend> gpu_;
};

// A device copy of `host` inside a larger device buffer whose padding holds NaN (ld = cols + 5),
// as a view: a kernel that ignores ld or reads outside its view produces NaN.
struct DeviceStrided {
  Matrix<float> storage;
  MatrixView<const float> view;
};

inline DeviceStrided strided_on(Backend& gpu, MatrixView<const float> host) {
  const Padded<float> padded = padded_copy(host, 5);
  const std::int64_t ld = padded.view.ld();
  DeviceStrided d{gpu.allocate<float>(host.rows() + 2, ld), {}};
  gpu.copy(MatrixView<const float>::host(padded.buffer.data(), host.rows() + 2, ld), d.storage.view());
  d.view = MatrixView<const float>(d.storage.data() + ld + 1, host.rows(), host.cols(), ld, d.storage.space(),
                                   d.storage.device());
  return d;
}

// A device copy of a host matrix inside a NaN-padded device buffer (ld = cols + kParityPad, a
// padding row above and below), writable, and the way back with the padding (padding_untouched
// checks it): a kernel that ignores ld reads NaN, one that writes outside its view leaves a
// non-NaN in the padding.
constexpr std::int64_t kParityPad = 5;

template <class T>
struct OnDevice {
  Matrix<T> storage;
  MatrixView<T> view;
  MatrixView<const T> cview() const { return view; }
};

template <class T>
OnDevice<T> on_device(Backend& gpu, MatrixView<const T> host) {
  const Padded<T> padded = padded_copy(host, kParityPad);
  const std::int64_t ld = padded.view.ld();
  OnDevice<T> d{gpu.allocate<T>(host.rows() + 2, ld), {}};
  gpu.copy(MatrixView<const T>::host(padded.buffer.data(), host.rows() + 2, ld), d.storage.view());
  d.view = MatrixView<T>(d.storage.data() + ld + 1, host.rows(), host.cols(), ld, d.storage.space(), d.storage.device());
  return d;
}

template <class T>
Padded<T> on_host(Backend& gpu, const OnDevice<T>& d) {
  Padded<T> p(d.view.rows(), d.view.cols(), kParityPad);
  gpu.copy(d.storage.cview(), MatrixView<T>::host(p.buffer.data(), d.view.rows() + 2, d.view.ld()));
  return p;
}

struct DeviceName {
  std::string operator()(const ::testing::TestParamInfo<std::string>& param_info) const {
    std::string s;
    for (char ch : param_info.param)
      if (std::isalnum(static_cast<unsigned char>(ch))) s += ch;
    return s;
  }
};

}  // namespace lwnet::test

// Instantiates a CudaParityTest-derived suite on the CUDA devices under test.
#define LWNET_INSTANTIATE_CUDA_SUITE(suite) \
  INSTANTIATE_TEST_SUITE_P(Cuda, suite, ::testing::Values(std::string("cuda:0")), ::lwnet::test::DeviceName())
