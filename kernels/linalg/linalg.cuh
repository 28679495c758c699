// Dense algebra on the GPU: cuBLAS GEMM and triangular solves, cuSOLVER Cholesky and
// symmetric eigen-decomposition, for row-major matrices (passed as column-major transposes).
#pragma once

#include <cstdint>

#include "common/cuda_context.cuh"
#include "lwnet/matrix.hpp"

namespace lwnet::cuda {

// Row-major C (m x n) = alpha op(A) op(B) + beta C.
void row_major_sgemm(const CudaContext& ctx, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
                     std::int64_t k, float alpha, const float* A, std::int64_t lda, const float* B,
                     std::int64_t ldb, float beta, float* C, std::int64_t ldc);

void cholesky(const CudaContext& ctx, const MatrixView<float>& A);
void cholesky_solve(const CudaContext& ctx, const MatrixView<const float>& L, const MatrixView<float>& B);
void symmetric_eigen(const CudaContext& ctx, const MatrixView<const float>& A, const MatrixView<float>& eigenvalues,
                     const MatrixView<float>& eigenvectors);

}  // namespace lwnet::cuda
