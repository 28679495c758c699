// Blas: dense algebra in float32 and float64 over a backend's memory (reentrant Eigen GEMM tiles
// on lwnet's thread pool on the CPU, cuBLAS on the GPU), behind one validating front end
// (Backend::supports(OpFamily::blas)).
//
// Row-major views as everywhere in lwnet. float32 products accumulate in float32 (no TF32 on the
// GPU); results do not depend on the CPU thread count. Outputs must not overlap inputs. Only
// gemm_strided_batched takes batched views; the others refuse them.
#pragma once

#include "lwnet/export.h"

#include <cstdint>

#include "lwnet/matrix.hpp"

namespace lwnet {

enum class Transpose { no, yes };

class LWNET_API Blas {
 public:
  Blas() = default;
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;
  virtual ~Blas() = default;

  // C = alpha op(A) op(B) + beta C. beta == 0 ignores C's previous content.
  template <class T>
  void gemm(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A, MatrixView<const T> B,
            T beta, MatrixView<T> C);
  // The same product for every entry b of C's batch (MatrixView::batched):
  //   C.batch(b) = alpha op(A.batch(b)) op(B.batch(b)) + beta C.batch(b),  b < C.batch_count().
  // A and B each have C's batch_count, or batch_count 1: a plain view is broadcast, the same
  // matrix for every entry (as is an input with stride 0). Strides are not negative; C's entries
  // do not overlap each other (C.batch_stride() >= (rows - 1) * ld + cols when count > 1), and no
  // entry of C overlaps any entry of A or B (compared over each batch's whole address range).
  template <class T>
  void gemm_strided_batched(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A,
                            MatrixView<const T> B, T beta, MatrixView<T> C);
  // Y += alpha X (same shape).
  template <class T>
  void axpy(T alpha, MatrixView<const T> X, MatrixView<T> Y);
  // X *= alpha.
  template <class T>
  void scal(T alpha, MatrixView<T> X);

 protected:
  // Arguments arrive validated. gemm_strided_batched_impl's A and B have C's batch_count (a
  // broadcast input as stride 0); the other *_impl get plain views.
#define LWNET_BLAS_IMPL(T)                                                                                  \
  virtual void gemm_impl(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A,              \
                         MatrixView<const T> B, T beta, MatrixView<T> C) = 0;                               \
  virtual void gemm_strided_batched_impl(Transpose trans_a, Transpose trans_b, T alpha,                     \
                                         MatrixView<const T> A, MatrixView<const T> B, T beta,              \
                                         MatrixView<T> C) = 0;                                              \
  virtual void axpy_impl(T alpha, MatrixView<const T> X, MatrixView<T> Y) = 0;                              \
  virtual void scal_impl(T alpha, MatrixView<T> X) = 0;
  LWNET_BLAS_IMPL(float)
  LWNET_BLAS_IMPL(double)
#undef LWNET_BLAS_IMPL

  virtual MemorySpace space() const = 0;
  virtual int device_index() const { return 0; }
};

}  // namespace lwnet
