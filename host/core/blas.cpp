// The Blas front end: validates every call once for all backends (layout, memory space, shapes,
// batch counts and strides, finite scalars, outputs apart from inputs), then calls the backend's
// *_impl. A batched view is refused by every operation but gemm_strided_batched (check_layout).
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

// The checks of one operand of gemm_strided_batched: count and stride, one entry's layout and
// place, an output's entries apart from each other, and the whole batch addressable (so that
// byte_range may span it).
template <class T>
void check_batch(const FamilyPlace& place, const char* op, const char* name, const MatrixView<T>& m,
                 bool is_output) {
  if (m.batch_count() < 1)
    fail(op, std::string(name) + "'s batch_count must be at least 1, got " + std::to_string(m.batch_count()));
  if (m.batch_stride() < 0)
    fail(op, std::string(name) + "'s batch_stride must not be negative, got " + std::to_string(m.batch_stride()));
  check_family_operand(place, op, name, m.batch(0));
  const std::int64_t one = element_extent(m);
  if (is_output && m.batch_count() > 1 && m.batch_stride() < one)
    fail(op,
         std::string(name) + "'s batch entries overlap: stride " + std::to_string(m.batch_stride()) + " < the " +
             std::to_string(one) + " elements one entry spans (an output needs stride >= (rows - 1) * ld + cols)",
         {named(name, m)});
  if (m.batch_stride() > 0 &&
      m.batch_count() - 1 > (std::numeric_limits<std::int64_t>::max() - one) / m.batch_stride())
    fail(op,
         std::string(name) + " spans more elements than can be addressed (stride " +
             std::to_string(m.batch_stride()) + ", count " + std::to_string(m.batch_count()) + ")",
         {named(name, m)});
}

// An input of C's batch: as given, or (batch_count 1) broadcast as stride 0.
template <class T>
MatrixView<T> input_batch(const char* op, const char* name, const MatrixView<T>& m, std::int64_t count) {
  if (m.batch_count() == count) return m;
  if (m.batch_count() == 1) return m.batched(count, 0);
  fail(op,
       std::string(name) + " has batch_count " + std::to_string(m.batch_count()) + " but C has " +
           std::to_string(count) + " (an input has C's batch_count, or 1 to use one matrix for every entry)",
       {named(name, m)});
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
void Blas::gemm_strided_batched(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A,
                                MatrixView<const T> B, T beta, MatrixView<T> C) {
  const char* op = "gemm_strided_batched";
  const FamilyPlace place{space(), device_index()};
  check_batch(place, op, "A", A, false);
  check_batch(place, op, "B", B, false);
  check_batch(place, op, "C", C, true);
  const std::int64_t count = C.batch_count();
  const MatrixView<const T> a = input_batch(op, "A", A, count);
  const MatrixView<const T> b = input_batch(op, "B", B, count);
  check_chain(op, trans_a, trans_b, A.batch(0), B.batch(0), C.batch(0));
  check_finite_scalar(op, "alpha", alpha);
  check_finite_scalar(op, "beta", beta);
  check_no_overlap(op, "C", C, "A", a);
  check_no_overlap(op, "C", C, "B", b);
  gemm_strided_batched_impl(trans_a, trans_b, alpha, a, b, beta, C);
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
  template void Blas::gemm_strided_batched<T>(Transpose, Transpose, T, MatrixView<const T>,                   \
                                              MatrixView<const T>, T, MatrixView<T>);                         \
  template void Blas::axpy<T>(T, MatrixView<const T>, MatrixView<T>);                                         \
  template void Blas::scal<T>(T, MatrixView<T>);
LWNET_INSTANTIATE_BLAS(float)
LWNET_INSTANTIATE_BLAS(double)
#undef LWNET_INSTANTIATE_BLAS

}  // namespace lwnet
