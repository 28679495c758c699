// The NnOps kernels' launchers (one per operation, instantiated for float and double in the
// nn_*.cu files) and the two loop shapes they share: every element of a matrix, and one warp per
// row. All launchers queue work on ctx.stream() and never wait; arguments are validated by the
// NnOps front end (host/core/nn_ops.cpp), except label values (nn_loss_optim.cu).
#pragma once

#include <cstdint>

#include "common/check.cuh"
#include "common/cuda_context.cuh"
#include "common/launch.cuh"
#include "lwnet/matrix.hpp"
#include "lwnet/nn_ops.hpp"

namespace lwnet::cuda::nn {

constexpr int kWarpSize = 32;

// A product that is never fused into a following addition: nvcc contracts a * b + c into one FMA
// by default, and so does g++ at -O3 -march=native (its C++ modes allow contraction), each where
// it chooses. Results of the two backends therefore agree to rounding, not bitwise; the parity
// tests' bounds allow for a contraction on either side.
__device__ inline float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ inline double mul_rn(double a, double b) { return __dmul_rn(a, b); }

// op(i, j) for every (i, j) of a rows x cols index space, grid-stride, 64-bit indices.
template <class Op>
__global__ void for_each_element_kernel(std::int64_t rows, std::int64_t cols, Op op) {
  const std::int64_t total = rows * cols;
  for (std::int64_t e = global_thread_index(); e < total; e += global_thread_count()) op(e / cols, e % cols);
}

template <class Op>
void launch_for_each_element(const CudaContext& ctx, const char* kernel, std::int64_t rows, std::int64_t cols,
                             Op op) {
  if (rows == 0 || cols == 0) return;
  const unsigned blocks = grid_stride_blocks(rows * cols, kDefaultBlockThreads, ctx.sm_count());
  for_each_element_kernel<<<blocks, kDefaultBlockThreads, 0, ctx.stream()>>>(rows, cols, op);
  LWNET_CUDA_CHECK_LAUNCH(kernel, ctx.stream());
}

// op(i, lane) for every row i, one warp per row (grid-stride over rows): every lane of a warp
// visits the same rows, so op may use full-warp shuffles.
template <class Op>
__global__ void for_each_row_warp_kernel(std::int64_t rows, Op op) {
  const int lane = static_cast<int>(threadIdx.x) % kWarpSize;
  const std::int64_t warps = global_thread_count() / kWarpSize;
  for (std::int64_t i = global_thread_index() / kWarpSize; i < rows; i += warps) op(i, lane);
}

template <class Op>
void launch_for_each_row_warp(const CudaContext& ctx, const char* kernel, std::int64_t rows, Op op) {
  if (rows == 0) return;
  constexpr int kWarpsPerBlock = kDefaultBlockThreads / kWarpSize;
  const unsigned blocks = grid_stride_blocks(rows, kWarpsPerBlock, ctx.sm_count());
  for_each_row_warp_kernel<<<blocks, kDefaultBlockThreads, 0, ctx.stream()>>>(rows, op);
  LWNET_CUDA_CHECK_LAUNCH(kernel, ctx.stream());
}

// ---- nn_elementwise.cu -------------------------------------------------------------------------
template <class T>
void launch_fill(const CudaContext& ctx, MatrixView<T> A, T value);
template <class T>
void launch_add_row_vector(const CudaContext& ctx, MatrixView<T> Y, MatrixView<const T> row);
template <class T>
void launch_activation_forward(const CudaContext& ctx, Activation f, MatrixView<const T> X, MatrixView<T> Y);
template <class T>
void launch_activation_backward(const CudaContext& ctx, Activation f, MatrixView<const T> Y, MatrixView<const T> dY,
                                MatrixView<T> dX);
template <class T>
void launch_sgd_update(const CudaContext& ctx, MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> velocity,
                       const SgdParams& p);
template <class T>
void launch_adam_update(const CudaContext& ctx, MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> m,
                        MatrixView<T> v, const AdamParams& p, std::int64_t step);

// ---- nn_norm_pool.cu ---------------------------------------------------------------------------
template <class T>
void launch_column_sums(const CudaContext& ctx, MatrixView<const T> A, T alpha, T beta, MatrixView<T> out);
template <class T>
void launch_batch_norm_forward(const CudaContext& ctx, MatrixView<const T> X, T epsilon, MatrixView<T> Y,
                               MatrixView<T> mean, MatrixView<T> inv_std);
template <class T>
void launch_batch_norm_backward(const CudaContext& ctx, MatrixView<const T> Y, MatrixView<const T> inv_std,
                                MatrixView<const T> dY, MatrixView<T> dX);
template <class T>
void launch_global_avg_pool_forward(const CudaContext& ctx, MatrixView<const T> X, std::int64_t channels,
                                    MatrixView<T> Y);
template <class T>
void launch_global_avg_pool_backward(const CudaContext& ctx, MatrixView<const T> dY, std::int64_t channels,
                                     MatrixView<T> dX);

// ---- nn_loss_optim.cu --------------------------------------------------------------------------
template <class T>
void launch_mse_loss(const CudaContext& ctx, MatrixView<const T> F, MatrixView<const T> targets, MatrixView<T> dF,
                     MatrixView<double> loss_sum);
template <class T>
void launch_softmax_cross_entropy(const CudaContext& ctx, MatrixView<const T> F, MatrixView<const std::int32_t> labels,
                                  MatrixView<T> dF, MatrixView<double> loss_sum);
template <class T>
void launch_count_correct(const CudaContext& ctx, MatrixView<const T> F, MatrixView<const std::int32_t> labels,
                          MatrixView<std::int64_t> correct);
template <class T>
void launch_argmax_rows(const CudaContext& ctx, MatrixView<const T> F, MatrixView<std::int32_t> predicted);

// ---- nn_conv_random.cu -------------------------------------------------------------------------
template <class T>
void launch_im2col_3x3(const CudaContext& ctx, MatrixView<const T> X, const Conv3x3Shape& shape, MatrixView<T> cols);
template <class T>
void launch_col2im_3x3(const CudaContext& ctx, MatrixView<const T> dcols, const Conv3x3Shape& shape,
                       MatrixView<T> dX);
template <class T>
void launch_fill_random(const CudaContext& ctx, MatrixView<T> A, const RandomDraw& draw);

// ---- nn_kernel_losses.cu -----------------------------------------------------------------------
template <class Src, class Dst>
void launch_convert(const CudaContext& ctx, MatrixView<const Src> src, MatrixView<Dst> dst);
template <class T>
void launch_arc_cosine_step(const CudaContext& ctx, MatrixView<const T> K, double sw2, double sb2, MatrixView<T> out);
template <class T>
void launch_arc_cosine_step_backward(const CudaContext& ctx, MatrixView<const T> K, MatrixView<const T> G, double sw2,
                                     MatrixView<T> dK);

}  // namespace lwnet::cuda::nn
