// The Blas front end: validates every call once for all backends (layout, memory space, shapes,
// batch strides, finite scalars, outputs apart from inputs), then calls the backend's *_impl.
// No value scans: a check that read the data would wait for the device.
#include "lwnet/blas.hpp"

#include <limits>
#include <string>

#include "core/family_checks.hpp"

namespace lwnet {

namespace {

using detail::check_family_operand;
using detail::check_finite_scalar;
using detail::check_no_overlap;
using detail::element_extent;
using detail::fail;
using detail::FamilyPlace;
using detail::named;

// C (m x n) = op(A) (m x k) op(B) (k x n).
template <class T>
void check_chain(const char* op, Transpose trans_a, Transpose trans_b, const MatrixView<const T>& A,
                 const MatrixView<const T>& B, const MatrixView<T>& C) {
  const auto a_rows = trans_a == Transpose::no ? A.rows() : A.cols();
  const auto a_cols = trans_a == Transpose::no ? A.cols() : A.rows();
  const auto b_rows = trans_b == Transpose::no ? B.rows() : B.cols();
  const auto b_cols = trans_b == Transpose::no ? B.cols() : B.rows();
  if (a_cols != b_rows || C.rows() != a_rows || C.cols() != b_cols)
    fail(op, std::string("shapes do not chain: C = ") + (trans_a == Transpose::yes ? "A^T" : "A") + " * " +
             (trans_b == Transpose::yes ? "B^T" : "B"),
         {named("A", A), named("B", B), named("C", C)});
}

// The checks of one batch; returns a one-row view spanning all its entries (for overlap checks:
// conservative, two interleaved batches count as overlapping).
template <class T>
MatrixView<T> check_batch(const FamilyPlace& place, const char* op, const char* name, const StridedBatch<T>& batch,
                          bool is_output) {
  check_family_operand(place, op, name, batch.first);
  if (batch.count < 1)
    fail(op, std::string(name) + ".count must be at least 1, got " + std::to_string(batch.count));
  if (batch.stride < 0)
    fail(op, std::string(name) + ".stride must not be negative, got " + std::to_string(batch.stride));
  const std::int64_t one = element_extent(batch.first);
  if (is_output && batch.count > 1 && batch.stride < one)
    fail(op,
         std::string(name) + "'s batch entries overlap: stride " + std::to_string(batch.stride) +
             " < the " + std::to_string(one) + " elements one entry spans (an output needs stride >= (rows - 1) * ld + cols)",
         {named(name, batch.first)});
  if (batch.stride > 0 && batch.count - 1 > (std::numeric_limits<std::int64_t>::max() - one) / batch.stride)
    fail(op, std::string(name) + " spans more elements than can be addressed (stride " +
                 std::to_string(batch.stride) + ", count " + std::to_string(batch.count) + ")",
         {named(name, batch.first)});
  const std::int64_t span = (batch.count - 1) * batch.stride + one;
  return MatrixView<T>(batch.first.data(), 1, span, span, batch.first.space(), batch.first.device());
}

}  // namespace

template <class T>
void Blas::gemm(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A, MatrixView<const T> B,
                T beta, MatrixView<T> C) {
  const char* op = "gemm";
  const FamilyPlace place{space(), device_index()};
  check_family_operand(place, op, "A", A);
  check_family_operand(place, op, "B", B);
  check_family_operand(place, op, "C", C);
  check_chain(op, trans_a, trans_b, A, B, C);
  check_finite_scalar(op, "alpha", alpha);
  check_finite_scalar(op, "beta", beta);
  check_no_overlap(op, "C", C, "A", A);
  check_no_overlap(op, "C", C, "B", B);
  gemm_impl(trans_a, trans_b, alpha, A, B, beta, C);
}

template <class T>
void Blas::gemm_strided_batched(Transpose trans_a, Transpose trans_b, T alpha, StridedBatch<const T> A,
                                StridedBatch<const T> B, T beta, StridedBatch<T> C) {
  const char* op = "gemm_strided_batched";
  const FamilyPlace place{space(), device_index()};
  const MatrixView<const T> a_span = check_batch(place, op, "A", A, false);
  const MatrixView<const T> b_span = check_batch(place, op, "B", B, false);
  const MatrixView<T> c_span = check_batch(place, op, "C", C, true);
  if (A.count != C.count || B.count != C.count)
    fail(op, "A, B and C must have the same count, got " + std::to_string(A.count) + ", " +
                 std::to_string(B.count) + " and " + std::to_string(C.count));
  check_chain(op, trans_a, trans_b, A.first, B.first, C.first);
  check_finite_scalar(op, "alpha", alpha);
  check_finite_scalar(op, "beta", beta);
  check_no_overlap(op, "C", c_span, "A", a_span);
  check_no_overlap(op, "C", c_span, "B", b_span);
  gemm_strided_batched_impl(trans_a, trans_b, alpha, A, B, beta, C);
}

template <class T>
void Blas::axpy(T alpha, MatrixView<const T> X, MatrixView<T> Y) {
  const char* op = "axpy";
  const FamilyPlace place{space(), device_index()};
  check_family_operand(place, op, "X", X);
  check_family_operand(place, op, "Y", Y);
  if (X.rows() != Y.rows() || X.cols() != Y.cols()) fail(op, "X and Y differ in shape", {named("X", X), named("Y", Y)});
  check_finite_scalar(op, "alpha", alpha);
  check_no_overlap(op, "Y", Y, "X", X);
  axpy_impl(alpha, X, Y);
}

template <class T>
void Blas::scal(T alpha, MatrixView<T> X) {
  const char* op = "scal";
  const FamilyPlace place{space(), device_index()};
  check_family_operand(place, op, "X", X);
  check_finite_scalar(op, "alpha", alpha);
  scal_impl(alpha, X);
}

#define LWNET_INSTANTIATE_BLAS(T)                                                                             \
  template void Blas::gemm<T>(Transpose, Transpose, T, MatrixView<const T>, MatrixView<const T>, T,           \
                              MatrixView<T>);                                                                 \
  template void Blas::gemm_strided_batched<T>(Transpose, Transpose, T, StridedBatch<const T>,                 \
                                              StridedBatch<const T>, T, StridedBatch<T>);                     \
  template void Blas::axpy<T>(T, MatrixView<const T>, MatrixView<T>);                                         \
  template void Blas::scal<T>(T, MatrixView<T>);
LWNET_INSTANTIATE_BLAS(float)
LWNET_INSTANTIATE_BLAS(double)
#undef LWNET_INSTANTIATE_BLAS

}  // namespace lwnet
