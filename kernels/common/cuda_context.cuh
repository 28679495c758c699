// Everything one CUDA backend owns on its device: the stream all its work is queued on, the
// cuBLAS and cuSOLVER handles bound to that stream, and the device's properties. Shared (by
// shared_ptr) with every Matrix the backend allocates, so memory outlives the backend safely.
#pragma once

#include <cuda_runtime.h>

#include <memory>

#include "common/resources.cuh"

namespace lwnet::cuda {

class CudaContext {
 public:
  // The process-wide context of `device`, created on first use and shared by every backend on
  // that device: one stream per device orders all their work, so a matrix one backend wrote
  // can be read (and freed) by another without a race.
  static std::shared_ptr<CudaContext> shared(int device);

  explicit CudaContext(int device);
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_.get(); }
  cublasHandle_t cublas() const { return cublas_.get(); }
  cusolverDnHandle_t cusolver() const { return cusolver_.get(); }
  const cudaDeviceProp& properties() const { return properties_; }
  int sm_count() const { return properties_.multiProcessorCount; }
  void synchronize() const { stream_.synchronize(); }

 private:
  int device_;
  cudaDeviceProp properties_{};
  // Declaration order is destruction order reversed: handles go before the stream they use.
  Stream stream_;
  CublasHandle cublas_;
  CusolverHandle cusolver_;
};

}  // namespace lwnet::cuda
