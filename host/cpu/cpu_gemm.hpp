// Row-major GEMM on the calling thread: C (m x n, ldc) = alpha op(A) op(B) + beta C with op(A)
// m x k and op(B) k x n; beta == 0 ignores C's content (NaN included). Reentrant, so lwnet's pool
// runs one per tile at the same time. (Debian's serial OpenBLAS is not: its buffer pool has no
// lock, and concurrent sgemm calls were measured to return wrong products now and then.)
#pragma once

#include "cpu/cpu_isa.hpp"

#include <cstdint>

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

void row_major_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                    const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                    std::int64_t ldc);
void row_major_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
                    const double* A, std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C,
                    std::int64_t ldc);

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
