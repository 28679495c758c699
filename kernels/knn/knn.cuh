// Fused k nearest neighbours on the GPU: no m x n distance buffer.
#pragma once

#include <cstdint>

#include "common/cuda_context.cuh"
#include "lwnet/matrix.hpp"

namespace lwnet::cuda {

void knn(const CudaContext& ctx, const MatrixView<const float>& queries, const MatrixView<const float>& reference,
         int k, const MatrixView<std::int64_t>& indices, const MatrixView<float>& sq_distances);

}  // namespace lwnet::cuda
