// The few Fortran BLAS/LAPACK routines the CPU backend calls, declared here so any BLAS/LAPACK
// (OpenBLAS, reference, MKL) links without its C headers. Character arguments carry the hidden
// length arguments gfortran appends. Also: row-major wrappers (every lwnet matrix is row-major;
// a row-major matrix is the column-major view of its transpose).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "lwnet/error.hpp"

extern "C" {
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
            const float* beta, float* c, const int* ldc, std::size_t transa_len, std::size_t transb_len);
void strsm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m,
            const int* n, const float* alpha, const float* a, const int* lda, float* b, const int* ldb,
            std::size_t side_len, std::size_t uplo_len, std::size_t transa_len, std::size_t diag_len);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t uplo_len);
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w,
             float* work, const int* lwork, int* iwork, const int* liwork, int* info,
             std::size_t jobz_len, std::size_t uplo_len);
}

namespace lwnet::cpu {


// BLAS/LAPACK take 32-bit integers (LP64).
inline int blas_int(std::int64_t v, const char* what) {
  if (v < 0 || v > std::numeric_limits<int>::max())
    throw InvalidArgument(std::string(what) + " = " + std::to_string(v) +
                          " exceeds the 32-bit BLAS/LAPACK index range");
  return static_cast<int>(v);
}

// Row-major C (m x n, ldc) = alpha op(A) op(B) + beta C, op(A) m x k, op(B) k x n.
// Column-major, that is C^T = op(B)^T op(A)^T: swap the operands.
inline void row_major_sgemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
                            std::int64_t k, float alpha, const float* A, std::int64_t lda,
                            const float* B, std::int64_t ldb, float beta, float* C,
                            std::int64_t ldc) {
  const int mi = blas_int(m, "gemm m");
  const int ni = blas_int(n, "gemm n");
  const int ki = blas_int(k, "gemm k");
  const int ldai = blas_int(lda, "gemm lda");
  const int ldbi = blas_int(ldb, "gemm ldb");
  const int ldci = blas_int(ldc, "gemm ldc");
  const char ta = trans_a ? 'T' : 'N';
  const char tb = trans_b ? 'T' : 'N';
  sgemm_(&tb, &ta, &ni, &mi, &ki, &alpha, B, &ldbi, A, &ldai, &beta, C, &ldci, 1, 1);
}

}  // namespace lwnet::cpu
