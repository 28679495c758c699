// The few Fortran LAPACK/BLAS routines the CPU backend calls (factorisations and triangular solves,
// each on the calling thread; GEMM is lwnet's own, cpu_gemm.hpp), declared here so any
// BLAS/LAPACK (OpenBLAS, reference, MKL) links without its C headers. Character arguments carry
// the hidden length arguments gfortran appends. Every lwnet matrix is row-major: a row-major
// matrix is the column-major view of its transpose.
#pragma once

#include "cpu/cpu_isa.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "lwnet/error.hpp"
#include "lwnet/matrix.hpp"

extern "C" {
void strsm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m,
            const int* n, const float* alpha, const float* a, const int* lda, float* b, const int* ldb,
            std::size_t side_len, std::size_t uplo_len, std::size_t transa_len, std::size_t diag_len);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t uplo_len);
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w,
             float* work, const int* lwork, int* iwork, const int* liwork, int* info,
             std::size_t jobz_len, std::size_t uplo_len);
void dtrsm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m,
            const int* n, const double* alpha, const double* a, const int* lda, double* b, const int* ldb,
            std::size_t side_len, std::size_t uplo_len, std::size_t transa_len, std::size_t diag_len);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t uplo_len);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info,
             std::size_t jobz_len, std::size_t uplo_len);
}

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN


// BLAS/LAPACK take 32-bit integers (LP64).
inline int blas_int(std::int64_t v, const char* what) {
  if (v < 0 || v > std::numeric_limits<int>::max())
    throw InvalidArgument(std::string(what) + " = " + std::to_string(v) +
                          " exceeds the 32-bit BLAS/LAPACK index range");
  return static_cast<int>(v);
}

// The leading dimension to pass for a row-major view: a single row's is never used (lwnet lets
// it be anything), but BLAS/LAPACK insist on ld >= max(1, cols).
template <class T>
std::int64_t blas_ld(const MatrixView<T>& m) {
  return m.rows() <= 1 ? std::max<std::int64_t>(m.cols(), 1) : m.ld();
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
