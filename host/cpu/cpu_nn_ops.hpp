// Internal pieces of the CPU NnOps shared by cpu_nn_ops.cpp (the family), cpu_nn_conv.cpp (the
// 3x3 convolution lowering) and cpu_nn_kernel_losses.cpp (the kernel-matrix losses' steps).
// Arguments are already validated by the NnOps front end.
#pragma once

#include "cpu/cpu_isa.hpp"

#include "cpu/thread_pool.hpp"
#include "lwnet/matrix.hpp"
#include "lwnet/nn_ops.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

// cols ((N*Ho*Wo) x 9C) = the 3x3 patches of X (N x H*W*C), (ky, kx, c) order, zeros in the padding.
template <class T>
void im2col_3x3_host(ThreadPool& pool, MatrixView<const T> X, const Conv3x3Shape& shape, MatrixView<T> cols);

// dX (N x H*W*C) = every entry of dcols summed back into its pixel (the adjoint of im2col); overwrites dX.
template <class T>
void col2im_3x3_host(ThreadPool& pool, MatrixView<const T> dcols, const Conv3x3Shape& shape, MatrixView<T> dX);

// dst = src in dst's precision (float64 -> float32 rounds to nearest).
template <class Src, class Dst>
void convert_host(ThreadPool& pool, MatrixView<const Src> src, MatrixView<Dst> dst);

// out (m x m) = one arc-cosine (ReLU NNGP) step of K (NnOps::arc_cosine_step).
template <class T>
void arc_cosine_step_host(ThreadPool& pool, MatrixView<const T> K, double sw2, double sb2, MatrixView<T> out);

// dK = the gradient of sum(G .* arc_cosine_step(K)) (NnOps::arc_cosine_step_backward).
template <class T>
void arc_cosine_step_backward_host(ThreadPool& pool, MatrixView<const T> K, MatrixView<const T> G, double sw2,
                                   MatrixView<T> dK);

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
