// The CPU backend: the reference implementation every CUDA kernel is tested against, and the CPU
// baseline users compare with. Tiled, spread over the cores by its own thread pool
// (thread_pool.hpp), BLAS/LAPACK for dense algebra.
//
// Results do not depend on the thread count: every tile value is computed by lwnet's own loops
// (no BLAS inside the kernels) and every partial sum is combined in a fixed order.
#pragma once

#include "cpu/cpu_isa.hpp"

#include <memory>
#include <string>

#include "cpu/cpu_families.hpp"
#include "cpu/thread_pool.hpp"
#include "lwnet/backend.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

class CpuBackend : public Backend {
 public:
  explicit CpuBackend(int threads);

  Device device() const override { return Device::cpu(); }
  std::string description() const override;
  std::size_t free_memory_bytes() const override;
  void synchronize() override {}
  int threads() const { return threads_; }
  ThreadPool& pool() { return *pool_; }

 protected:
  Blas* blas_family() override { return blas_.get(); }
  Solver* solver_family() override { return solver_.get(); }
  NnOps* nn_family() override { return nn_.get(); }
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
  void kernel_matmul_with_squares_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                       MatrixView<const float> B, const GramParams& params,
                                       MatrixView<double> out, MatrixView<double> sq_sums) override;
  void gaussian_matmul_widths_impl(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                                   const std::vector<double>& sigmas,
                                   const std::vector<MatrixView<double>>& outs) override;
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
  // Bytes the symmetric K(X, X) B path may keep (cpu_symmetric_sums.hpp).
  std::int64_t symmetric_store_limit() const;

  int threads_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<Blas> blas_;
  std::unique_ptr<Solver> solver_;
  std::unique_ptr<NnOps> nn_;
};

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
