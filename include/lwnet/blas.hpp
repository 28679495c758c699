// Blas: dense algebra in float32 and float64 over a backend's memory (reentrant Eigen GEMM tiles
// on lwnet's thread pool on the CPU, cuBLAS on the GPU), behind one validating front end
// (Backend::supports(OpFamily::blas)).
//
// Row-major views as everywhere in lwnet. float32 products accumulate in float32 (no TF32 on the
// GPU); results do not depend on the CPU thread count. Outputs must not overlap inputs.
#pragma once

#include <cstdint>

#include "lwnet/matrix.hpp"

namespace lwnet {

enum class Transpose { no, yes };

// A batch of equally shaped matrices: matrix b starts at first.data() + b * stride elements.
template <class T>
struct StridedBatch {
  MatrixView<T> first;
  std::int64_t stride = 0;  // elements; 0 repeats the same matrix for every batch entry
  std::int64_t count = 1;
};

class Blas {
 public:
  Blas() = default;
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;
  virtual ~Blas() = default;

  // C = alpha op(A) op(B) + beta C. beta == 0 ignores C's previous content.
  template <class T>
  void gemm(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A, MatrixView<const T> B,
            T beta, MatrixView<T> C);
  // The same product for every entry b of the batches: C_b = alpha op(A_b) op(B_b) + beta C_b.
  // C's batch entries must not overlap each other (C.stride >= one matrix).
  template <class T>
  void gemm_strided_batched(Transpose trans_a, Transpose trans_b, T alpha, StridedBatch<const T> A,
                            StridedBatch<const T> B, T beta, StridedBatch<T> C);
  // Y += alpha X (same shape).
  template <class T>
  void axpy(T alpha, MatrixView<const T> X, MatrixView<T> Y);
  // X *= alpha.
  template <class T>
  void scal(T alpha, MatrixView<T> X);

 protected:
#define LWNET_BLAS_IMPL(T)                                                                                  \
  virtual void gemm_impl(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A,              \
                         MatrixView<const T> B, T beta, MatrixView<T> C) = 0;                               \
  virtual void gemm_strided_batched_impl(Transpose trans_a, Transpose trans_b, T alpha,                     \
                                         StridedBatch<const T> A, StridedBatch<const T> B, T beta,          \
                                         StridedBatch<T> C) = 0;                                            \
  virtual void axpy_impl(T alpha, MatrixView<const T> X, MatrixView<T> Y) = 0;                              \
  virtual void scal_impl(T alpha, MatrixView<T> X) = 0;
  LWNET_BLAS_IMPL(float)
  LWNET_BLAS_IMPL(double)
#undef LWNET_BLAS_IMPL

  virtual MemorySpace space() const = 0;
  virtual int device_index() const { return 0; }
};

}  // namespace lwnet
