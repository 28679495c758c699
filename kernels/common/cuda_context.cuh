// Everything one CUDA backend owns on its device: the stream all its work is queued on, the
// cuBLAS and cuSOLVER handles bound to that stream, and the device's properties. Shared (by
// shared_ptr) with every Matrix the backend allocates, so memory outlives the backend safely.
// The stream is lwnet's own (shared per device), or the caller's (lwnet/cuda.hpp), which the
// context uses but never destroys.
#pragma once

#include <cuda_runtime.h>

#include <memory>

#include "common/check.cuh"
#include "common/resources.cuh"

namespace lwnet::cuda {

class CudaContext {
 public:
  // The process-wide context of `device`, created on first use and shared by every backend on
  // that device: one stream per device orders all their work, so a matrix one backend wrote
  // can be read (and freed) by another without a race.
  static std::shared_ptr<CudaContext> shared(int device);

  explicit CudaContext(int device);
  // A context of its own (not shared) on the caller's `stream`, which must belong to `device` and
  // outlive the context. Throws InvalidArgument for a special handle (0, cudaStreamLegacy,
  // cudaStreamPerThread) or a stream of another device.
  CudaContext(int device, cudaStream_t stream);
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;
  // Synchronises the stream first: queued work may still use the handles' workspaces.
  ~CudaContext();

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_.get(); }
  cusolverDnHandle_t cusolver() const { return cusolver_.get(); }
  const cudaDeviceProp& properties() const { return properties_; }
  int sm_count() const { return properties_.multiProcessorCount; }
  void synchronize() const { LWNET_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  // The device's properties, its pool's settings and the handles bound to stream_.
  void initialise();

  int device_;
  cudaDeviceProp properties_{};
  // Declaration order is destruction order reversed: handles go before the stream they use.
  Stream owned_stream_;  // empty on the caller's stream
  cudaStream_t stream_ = nullptr;
  CublasHandle cublas_;
  CusolverHandle cusolver_;
};

}  // namespace lwnet::cuda
