// The CUDA backend: lwnet's primitives as custom kernels (fused Gram reductions) plus cuBLAS,
// cuSOLVER and CUB. All work is queued on one stream (lwnet's non-blocking stream of the device,
// or the caller's); the host waits only where it needs a value (a scalar, a reduction, a copy to
// host memory).
#pragma once

#include <cuda_runtime.h>

#include <memory>
#include <string>

#include "common/cuda_context.cuh"
#include "lwnet/backend.hpp"

namespace lwnet::cuda {

class CudaBackend final : public Backend {
 public:
  // On lwnet's stream of `device`, shared with every other such backend of the device.
  explicit CudaBackend(int device);
  // On the caller's `stream`, which lwnet never destroys (lwnet/cuda.hpp).
  CudaBackend(int device, cudaStream_t stream);

  cudaStream_t stream() const { return context_->stream(); }

  Device device() const override { return Device::cuda(context_->device()); }
  std::string description() const override;
  std::string memory_error(const void* data) const override;
  std::size_t free_memory_bytes() const override;
  void synchronize() override;
  std::size_t workspace_bytes(WorkspaceOp op, const WorkspaceShape& shape) const override;
  std::unique_ptr<TransferQueue> make_transfer_queue() override;

 protected:
  Blas* blas_family() override { return blas_.get(); }
  Solver* solver_family() override { return solver_.get(); }
  NnOps* nn_family() override { return nn_.get(); }
  lwnet::Event record_event_impl() override;  // not cuda::Event, the RAII owner
  void wait_impl(const lwnet::Event& event) override;
  Allocation allocate_bytes(std::size_t bytes) override;
  void copy_rows(void* dst, std::size_t dst_pitch, MemorySpace dst_space, const void* src,
                 std::size_t src_pitch, MemorySpace src_space, std::size_t row_bytes,
                 std::size_t rows) override;

  void squared_distances_impl(MatrixView<const float> Z, MatrixView<const float> X,
                              MatrixView<float> out) override;
  void gram_impl(MatrixView<const float> Z, MatrixView<const float> X, const GramParams& params,
                 MatrixView<float> out) override;
  void kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X,
                          MatrixView<const float> B, const GramParams& params,
                          MatrixView<float> out) override;
  void kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X,
                          MatrixView<const float> B, const GramParams& params,
                          MatrixView<double> out) override;
  double kernel_pair_sum_impl(MatrixView<const float> X, const GramParams& x_params,
                              MatrixView<const float> Y, const GramParams& y_params) override;
  void gaussian_gram_gradient_impl(MatrixView<const float> Z, MatrixView<const float> G, double sigma,
                                   MatrixView<float> out) override;
  void knn_impl(MatrixView<const float> queries, MatrixView<const float> reference, int k,
                MatrixView<std::int64_t> indices, MatrixView<float> sq_distances) override;
  std::vector<double> column_sums_impl(MatrixView<const float> A) override;
  std::vector<double> column_sums_impl(MatrixView<const double> A) override;
  std::vector<double> column_dots_impl(MatrixView<const float> A, MatrixView<const float> B) override;
  std::vector<double> column_dots_impl(MatrixView<const double> A, MatrixView<const double> B) override;
  std::int64_t count_nonfinite_impl(MatrixView<const float> A) override;
  std::int64_t count_nonfinite_impl(MatrixView<const double> A) override;
  double median_pairwise_distance_impl(MatrixView<const float> X) override;
  void gather_rows_impl(MatrixView<const float> X, const std::vector<std::int64_t>& indices,
                        MatrixView<float> out) override;
  void random_fourier_features_impl(MatrixView<const float> X, MatrixView<const float> omega,
                                    MatrixView<const float> phase, double sigma,
                                    MatrixView<float> out) override;

 private:
  explicit CudaBackend(std::shared_ptr<CudaContext> context);

  std::shared_ptr<CudaContext> context_;
  std::unique_ptr<Blas> blas_;
  std::unique_ptr<Solver> solver_;
  std::unique_ptr<NnOps> nn_;
};

}  // namespace lwnet::cuda
