// Status checks and move-only owners for the variants' own CUDA resources. The library's
// kernels/common/ equivalents are private to lwnet::cuda, so the bench keeps a small copy of
// the idea: every CUDA and cuBLAS status is checked and a failure throws lwnet::CudaError naming
// the call, file:line and the library's error text. Destructors never throw.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <utility>

#include "lwnet/error.hpp"

namespace lwnet::bench {

[[noreturn]] inline void throw_cuda(cudaError_t status, const char* expr, const char* file, int line) {
  throw CudaError(std::string(expr) + " failed at " + file + ":" + std::to_string(line) + ": " +
                  cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

[[noreturn]] inline void throw_cublas(cublasStatus_t status, const char* expr, const char* file, int line) {
  throw CudaError(std::string(expr) + " failed at " + file + ":" + std::to_string(line) + ": " +
                  cublasGetStatusName(status) + " (" + cublasGetStatusString(status) + ")");
}

}  // namespace lwnet::bench

#define LWNET_BENCH_CUDA_CHECK(expr)                                                         \
  do {                                                                                       \
    const cudaError_t lwnet_bench_status_ = (expr);                                          \
    if (lwnet_bench_status_ != cudaSuccess)                                                  \
      ::lwnet::bench::throw_cuda(lwnet_bench_status_, #expr, __FILE__, __LINE__);            \
  } while (0)

#define LWNET_BENCH_CUBLAS_CHECK(expr)                                                       \
  do {                                                                                       \
    const cublasStatus_t lwnet_bench_status_ = (expr);                                       \
    if (lwnet_bench_status_ != CUBLAS_STATUS_SUCCESS)                                        \
      ::lwnet::bench::throw_cublas(lwnet_bench_status_, #expr, __FILE__, __LINE__);          \
  } while (0)

// After a kernel launch: the launch's own error (bad configuration, no kernel image), cleared so
// it is not blamed on a later call. `kernel` is a string literal naming the kernel.
#define LWNET_BENCH_CHECK_LAUNCH(kernel)                                                     \
  do {                                                                                       \
    const cudaError_t lwnet_bench_status_ = cudaGetLastError();                              \
    if (lwnet_bench_status_ != cudaSuccess)                                                  \
      ::lwnet::bench::throw_cuda(lwnet_bench_status_, "launch of " kernel, __FILE__, __LINE__); \
  } while (0)

namespace lwnet::bench {

// Uninitialised device storage for `count` elements of T (cudaMalloc: allocated once per
// variant, outside the timed region).
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(std::size_t count) : count_(count) {
    if (count > 0) LWNET_BENCH_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)));
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& other) noexcept { swap(other); }
  DeviceArray& operator=(DeviceArray&& other) noexcept {
    DeviceArray tmp(std::move(other));
    swap(tmp);
    return *this;
  }
  ~DeviceArray() {
    if (data_ != nullptr && cudaFree(data_) != cudaSuccess) static_cast<void>(cudaGetLastError());
  }

  T* data() const { return data_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  void swap(DeviceArray& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
  }
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

// A non-blocking stream: nothing here uses the legacy default stream.
class Stream {
 public:
  Stream() { LWNET_BENCH_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (cudaStreamDestroy(stream_) != cudaSuccess) static_cast<void>(cudaGetLastError());
  }
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  Event() { LWNET_BENCH_CUDA_CHECK(cudaEventCreate(&event_)); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& other) noexcept { std::swap(event_, other.event_); }
  Event& operator=(Event&&) = delete;
  ~Event() {
    if (event_ != nullptr && cudaEventDestroy(event_) != cudaSuccess) static_cast<void>(cudaGetLastError());
  }
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

// A cuBLAS handle bound to one stream, in default math mode: each call states its own compute
// type (TF32 or pedantic float32), so no handle-wide setting can change a call's precision.
class CublasHandle {
 public:
  explicit CublasHandle(cudaStream_t stream) {
    LWNET_BENCH_CUBLAS_CHECK(cublasCreate(&handle_));
    try {
      LWNET_BENCH_CUBLAS_CHECK(cublasSetStream(handle_, stream));
      LWNET_BENCH_CUBLAS_CHECK(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH));
    } catch (...) {
      cublasDestroy(handle_);
      throw;
    }
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  ~CublasHandle() { static_cast<void>(cublasDestroy(handle_)); }
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

}  // namespace lwnet::bench
