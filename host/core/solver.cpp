// The Solver front end: validates every call once for all backends (layout, memory space, square
// factors, shapes, outputs apart from inputs), then calls the backend's *_impl. No value scans:
// a check that read the data would wait for the device.
#include "lwnet/solver.hpp"

#include <string>

#include "core/family_checks.hpp"

namespace lwnet {

namespace {

using detail::check_family_operand;
using detail::check_finite_scalar;
using detail::check_no_overlap;
using detail::check_square;
using detail::fail;
using detail::FamilyPlace;
using detail::named;

}  // namespace

void Solver::potrf(MatrixView<double> A) {
  const char* op = "potrf";
  check_family_operand(FamilyPlace{space(), device_index()}, op, "A", A);
  check_square(op, "A", A);
  potrf_impl(A);
}

void Solver::potrs(MatrixView<const double> L, MatrixView<double> B) {
  const char* op = "potrs";
  const FamilyPlace place{space(), device_index()};
  check_family_operand(place, op, "L", L);
  check_family_operand(place, op, "B", B);
  check_square(op, "L", L);
  if (B.rows() != L.rows()) fail(op, "B must have L.rows rows (L n x n, B n x k)", {named("L", L), named("B", B)});
  check_no_overlap(op, "B", B, "L", L);
  potrs_impl(L, B);
}

void Solver::trsm(Side side, Transpose trans, double alpha, MatrixView<const double> L, MatrixView<double> B) {
  const char* op = "trsm";
  const FamilyPlace place{space(), device_index()};
  check_family_operand(place, op, "L", L);
  check_family_operand(place, op, "B", B);
  check_square(op, "L", L);
  if (side == Side::left && B.rows() != L.rows())
    fail(op, "side left needs B.rows == L.rows (B = op(L)^-1 B)", {named("L", L), named("B", B)});
  if (side == Side::right && B.cols() != L.rows())
    fail(op, "side right needs B.cols == L.rows (B = B op(L)^-1)", {named("L", L), named("B", B)});
  check_finite_scalar(op, "alpha", alpha);
  check_no_overlap(op, "B", B, "L", L);
  trsm_impl(side, trans, alpha, L, B);
}

void Solver::syevd(MatrixView<const double> A, MatrixView<double> eigenvalues, MatrixView<double> eigenvectors) {
  const char* op = "syevd";
  const FamilyPlace place{space(), device_index()};
  check_family_operand(place, op, "A", A);
  check_family_operand(place, op, "eigenvalues", eigenvalues);
  check_family_operand(place, op, "eigenvectors", eigenvectors);
  if (A.rows() != A.cols() || eigenvalues.rows() != A.rows() || eigenvalues.cols() != 1 ||
      eigenvectors.rows() != A.rows() || eigenvectors.cols() != A.cols())
    fail(op, "shapes must be A (n x n), eigenvalues (n x 1), eigenvectors (n x n)",
         {named("A", A), named("eigenvalues", eigenvalues), named("eigenvectors", eigenvectors)});
  check_no_overlap(op, "eigenvectors", eigenvectors, "A", A);
  check_no_overlap(op, "eigenvalues", eigenvalues, "A", A);
  check_no_overlap(op, "eigenvalues", eigenvalues, "eigenvectors", eigenvectors);
  syevd_impl(A, eigenvalues, eigenvectors);
}

void Solver::log_det(MatrixView<const double> L, MatrixView<double> out) {
  const char* op = "log_det";
  const FamilyPlace place{space(), device_index()};
  check_family_operand(place, op, "L", L);
  check_family_operand(place, op, "out", out);
  check_square(op, "L", L);
  if (out.rows() != 1 || out.cols() != 1) fail(op, "out must be 1 x 1", {named("out", out)});
  check_no_overlap(op, "out", out, "L", L);
  log_det_impl(L, out);
}

}  // namespace lwnet
