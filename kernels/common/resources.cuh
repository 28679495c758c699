// Move-only RAII owners of CUDA resources: device and pinned buffers, streams, events, the
// cuBLAS and cuSOLVER handles, and a guard that makes a device current for a scope.
// Destructors never throw.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <cstddef>
#include <utility>

#include "common/allocator.cuh"
#include "common/check.cuh"

namespace lwnet::cuda {

// Typed device storage, allocated and freed in stream order.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t count, cudaStream_t stream) : size_(count), stream_(stream) {
    if (count > 0) data_ = static_cast<T*>(device_allocate(count * sizeof(T), stream));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept { swap(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    DeviceBuffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~DeviceBuffer() { device_free(data_, stream_); }

  // An explicit deep copy, ordered on `stream`.
  DeviceBuffer clone(cudaStream_t stream) const {
    DeviceBuffer copy(size_, stream);
    if (size_ > 0)
      LWNET_CUDA_CHECK(cudaMemcpyAsync(copy.data_, data_, size_ * sizeof(T), cudaMemcpyDeviceToDevice, stream));
    return copy;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void swap(DeviceBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(stream_, o.stream_);
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
  cudaStream_t stream_ = nullptr;
};

// Typed page-locked host storage.
template <class T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(std::size_t count) : size_(count) {
    if (count > 0) data_ = static_cast<T*>(pinned_allocate(count * sizeof(T)));
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer(PinnedBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
  }
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    PinnedBuffer tmp(std::move(o));
    std::swap(data_, tmp.data_);
    std::swap(size_, tmp.size_);
    return *this;
  }
  ~PinnedBuffer() { pinned_free(data_); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

// Generic move-only owner of an opaque CUDA handle.
template <class Handle, class Traits>
class UniqueHandle {
 public:
  UniqueHandle() = default;
  explicit UniqueHandle(Handle h) : handle_(h) {}
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  UniqueHandle(UniqueHandle&& o) noexcept : handle_(std::exchange(o.handle_, Handle{})) {}
  UniqueHandle& operator=(UniqueHandle&& o) noexcept {
    if (this != &o) {
      reset();
      handle_ = std::exchange(o.handle_, Handle{});
    }
    return *this;
  }
  ~UniqueHandle() { reset(); }
  Handle get() const { return handle_; }
  void reset() noexcept {
    if (handle_ != Handle{}) Traits::destroy(handle_);
    handle_ = Handle{};
  }

 private:
  Handle handle_{};
};

struct StreamTraits {
  static void destroy(cudaStream_t s) noexcept { checks::ignore_error(cudaStreamDestroy(s)); }
};
struct EventTraits {
  static void destroy(cudaEvent_t e) noexcept { checks::ignore_error(cudaEventDestroy(e)); }
};
struct CublasTraits {
  static void destroy(cublasHandle_t h) noexcept { static_cast<void>(cublasDestroy(h)); }
};
struct CusolverTraits {
  static void destroy(cusolverDnHandle_t h) noexcept { static_cast<void>(cusolverDnDestroy(h)); }
};

// A non-blocking stream: nothing in lwnet uses the legacy default stream.
class Stream : public UniqueHandle<cudaStream_t, StreamTraits> {
 public:
  static Stream create() {
    cudaStream_t s = nullptr;
    LWNET_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    return Stream(s);
  }
  void synchronize() const { LWNET_CUDA_CHECK(cudaStreamSynchronize(get())); }

 private:
  using UniqueHandle::UniqueHandle;
};

class Event : public UniqueHandle<cudaEvent_t, EventTraits> {
 public:
  // Timing events for benchmarks; plain events (no timing) are cheaper for ordering.
  static Event create(bool timing = false) {
    cudaEvent_t e = nullptr;
    LWNET_CUDA_CHECK(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming));
    return Event(e);
  }
  void record(cudaStream_t stream) const { LWNET_CUDA_CHECK(cudaEventRecord(get(), stream)); }
  void synchronize() const { LWNET_CUDA_CHECK(cudaEventSynchronize(get())); }
  // Milliseconds from `start` to this event (both recorded with timing enabled).
  float elapsed_ms_since(const Event& start) const {
    float ms = 0.0f;
    LWNET_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), get()));
    return ms;
  }

 private:
  using UniqueHandle::UniqueHandle;
};

class CublasHandle : public UniqueHandle<cublasHandle_t, CublasTraits> {
 public:
  static CublasHandle create(cudaStream_t stream) {
    cublasHandle_t h = nullptr;
    LWNET_CUBLAS_CHECK(cublasCreate(&h));
    CublasHandle owner(h);
    LWNET_CUBLAS_CHECK(cublasSetStream(h, stream));
    // Plain float32 arithmetic: no TF32 tensor-core rounding behind the caller's back.
    LWNET_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_PEDANTIC_MATH));
    return owner;
  }

 private:
  using UniqueHandle::UniqueHandle;
};

class CusolverHandle : public UniqueHandle<cusolverDnHandle_t, CusolverTraits> {
 public:
  static CusolverHandle create(cudaStream_t stream) {
    cusolverDnHandle_t h = nullptr;
    LWNET_CUSOLVER_CHECK(cusolverDnCreate(&h));
    CusolverHandle owner(h);
    LWNET_CUSOLVER_CHECK(cusolverDnSetStream(h, stream));
    return owner;
  }

 private:
  using UniqueHandle::UniqueHandle;
};

// Makes `device` current for a scope and restores the previous device.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    LWNET_CUDA_CHECK(cudaGetDevice(&previous_));
    if (previous_ != device) LWNET_CUDA_CHECK(cudaSetDevice(device));
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
  ~DeviceGuard() { checks::ignore_error(cudaSetDevice(previous_)); }

 private:
  int previous_ = 0;
};

// DeviceGuard for deleters and destructors: never throws; ok() says whether `device` is current.
class NoThrowDeviceGuard {
 public:
  explicit NoThrowDeviceGuard(int device) noexcept {
    const cudaError_t got = cudaGetDevice(&previous_);
    checks::ignore_error(got);
    if (got != cudaSuccess) previous_ = -1;
    const cudaError_t set = previous_ == device ? cudaSuccess : cudaSetDevice(device);
    checks::ignore_error(set);
    ok_ = set == cudaSuccess;
  }
  NoThrowDeviceGuard(const NoThrowDeviceGuard&) = delete;
  NoThrowDeviceGuard& operator=(const NoThrowDeviceGuard&) = delete;
  ~NoThrowDeviceGuard() {
    if (previous_ >= 0) checks::ignore_error(cudaSetDevice(previous_));
  }
  bool ok() const { return ok_; }

 private:
  int previous_ = -1;
  bool ok_ = false;
};

}  // namespace lwnet::cuda
