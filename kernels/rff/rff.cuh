// Random Fourier features on the GPU: one cuBLAS GEMM, then sqrt(2/D) cos(. + phase) in place.
#pragma once

#include "common/cuda_context.cuh"
#include "lwnet/matrix.hpp"

namespace lwnet::cuda {

void random_fourier_features(const CudaContext& ctx, const MatrixView<const float>& X,
                             const MatrixView<const float>& omega, const MatrixView<const float>& phase,
                             double sigma, const MatrixView<float>& out);

}  // namespace lwnet::cuda
