// Launchers for the Gram-family kernels (materialised tiles, the fused K.B product, pair sums, the
// Gaussian Gram gradient).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "common/cuda_context.cuh"
#include "common/resources.cuh"
#include "gram/tile.cuh"
#include "common/host_device.cuh"
#include "lwnet/detail/kernel_constants.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet::cuda {

// Squared row norms of X, accumulated in float64 and stored as float32 (one warp per row).
DeviceBuffer<float> row_sq_norms(const MatrixView<const float>& X, cudaStream_t stream);

// A tile operand for X: its norms when the kernel needs them (`norms` keeps them alive).
tile::Operand make_operand(const detail::KernelConstants& kc, const MatrixView<const float>& X,
                           DeviceBuffer<float>& norms, cudaStream_t stream);

// out (m x n) = tile op of every (Z row, X row) pair: a kernel matrix or squared distances.
void launch_gram(const CudaContext& ctx, const detail::KernelConstants& kc, const MatrixView<const float>& Z,
                 const MatrixView<const float>& X, const MatrixView<float>& out);

// out (m x c) = K(Z, X) B, K never stored.
template <class Out>
void launch_kernel_matmul(const CudaContext& ctx, const detail::KernelConstants& kc,
                          const MatrixView<const float>& Z, const MatrixView<const float>& X,
                          const MatrixView<const float>& B, const MatrixView<Out>& out);

// The float64 partial-sum slabs launch_kernel_matmul allocates for Z (m rows), X (n rows) and B
// (c columns) on this device (its split plan depends on the SM count).
std::size_t kernel_matmul_workspace_bytes(const CudaContext& ctx, std::int64_t m, std::int64_t n, std::int64_t c);

// sum_ij kx(x_i, x_j) ky(y_i, y_j); waits for the result.
double kernel_pair_sum(const CudaContext& ctx, const detail::KernelConstants& kx,
                       const MatrixView<const float>& X, const detail::KernelConstants& ky,
                       const MatrixView<const float>& Y);

// out (m x d) = sum_b (G_ab + G_ba) k(z_a, z_b) (z_b - z_a) / sigma^2 for the Gaussian kernel of width
// sigma on the rows of Z (m x d), G (m x m) (gram_gradient.cu). Queues the work; does not wait.
void gaussian_gram_gradient(const CudaContext& ctx, const MatrixView<const float>& Z, const MatrixView<const float>& G,
                            double sigma, const MatrixView<float>& out);

}  // namespace lwnet::cuda
