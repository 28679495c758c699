// Row gather on the GPU: out.row(k) = X.row(indices[k]).
#pragma once

#include <cstdint>
#include <vector>

#include "common/cuda_context.cuh"
#include "lwnet/matrix.hpp"

namespace lwnet::cuda {

void gather_rows(const CudaContext& ctx, const MatrixView<const float>& X, const std::vector<std::int64_t>& indices,
                 const MatrixView<float>& out);

}  // namespace lwnet::cuda
