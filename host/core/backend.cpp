// The Backend front end: every public primitive validates its arguments here, once for all
// backends, then calls the backend's *_impl.
#include "lwnet/backend.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "core/validate.hpp"
#include "lwnet/error.hpp"

namespace lwnet {

namespace {

using detail::check_layout;
using detail::check_no_overlap;
using detail::check_nonempty;
using detail::fail;
using detail::named;

template <class T>
void check_space(const Backend& backend, const char* op, const char* name, const MatrixView<T>& m) {
  const Device d = backend.device();
  const bool ok = m.space() == backend.memory_space() &&
                  (m.space() == MemorySpace::host || m.device() == d.index);
  if (!ok) {
    fail(op,
         std::string(name) + " is in " + to_string(m.space()) +
             (m.space() == MemorySpace::cuda ? ":" + std::to_string(m.device()) : std::string()) +
             " memory but the " + d.str() + " backend needs " +
             (backend.memory_space() == MemorySpace::cuda ? "memory on " + d.str() : std::string("host memory")) +
             "; copy it with Backend::upload first",
         {named(name, m)});
  }
  if (!m.empty() && backend.validation() == Validation::full) {
    const std::string why = backend.memory_error(m.data());
    if (!why.empty()) fail(op, std::string(name) + ": " + why, {named(name, m)});
  }
}

// Layout, memory space and non-emptiness of one input or output.
template <class T>
void check_operand(const Backend& backend, const char* op, const char* name, const MatrixView<T>& m) {
  check_nonempty(op, name, m);
  check_space(backend, op, name, m);
}

}  // namespace

Validation default_validation() {
  static const Validation level = [] {
    if (const char* env = std::getenv("LWNET_VALIDATION")) {
      if (std::string(env) == "full") return Validation::full;
      if (std::string(env) == "metadata") return Validation::metadata;
    }
#ifdef NDEBUG
    return Validation::metadata;
#else
    return Validation::full;
#endif
  }();
  return level;
}

const char* to_string(OpFamily family) {
  switch (family) {
    case OpFamily::kernel: return "kernel";
    case OpFamily::blas: return "blas";
    case OpFamily::solver: return "solver";
    case OpFamily::nn: return "nn";
  }
  return "unknown";
}

// ---- memory planning ----------------------------------------------------------------------------

std::size_t Backend::default_workspace_bytes(WorkspaceOp op, const WorkspaceShape& shape) {
  (void)op;  // kernel_matmul is the only operation planned so far
  constexpr std::size_t kMaxPartialBytes = std::size_t{1} << 28;
  constexpr std::int64_t kRowsPerSplit = 4096;
  const auto m = static_cast<std::size_t>(std::max<std::int64_t>(shape.m, 0));
  const auto c = static_cast<std::size_t>(std::max<std::int64_t>(shape.c, 0));
  const auto splits = static_cast<std::size_t>((std::max<std::int64_t>(shape.n, 1) + kRowsPerSplit - 1) / kRowsPerSplit);
  return std::min(kMaxPartialBytes, splits * m * c * sizeof(double));
}

// ---- operation families -----------------------------------------------------------------------

bool Backend::supports(OpFamily family) const {
  auto& self = const_cast<Backend&>(*this);  // the family getters do not change the backend
  switch (family) {
    case OpFamily::kernel: return true;
    case OpFamily::blas: return self.blas_family() != nullptr;
    case OpFamily::solver: return self.solver_family() != nullptr;
    case OpFamily::nn: return self.nn_family() != nullptr;
  }
  return false;
}

namespace {
template <class Family>
Family& require_family(const Backend& backend, Family* family, OpFamily which) {
  if (family == nullptr)
    throw Unavailable(std::string("the ") + backend.device().str() + " backend has no " + to_string(which) +
                      " operations (Backend::supports(OpFamily::" + to_string(which) + ") is false)");
  return *family;
}
}  // namespace

Blas& Backend::blas() { return require_family(*this, blas_family(), OpFamily::blas); }
Solver& Backend::solver() { return require_family(*this, solver_family(), OpFamily::solver); }
NnOps& Backend::nn() { return require_family(*this, nn_family(), OpFamily::nn); }

// ---- memory ---------------------------------------------------------------------------------

Backend::Allocation Backend::allocate_checked(std::int64_t rows, std::int64_t cols,
                                              std::size_t elem_size) {
  if (rows < 0 || cols < 0)
    throw InvalidArgument("allocate: negative shape " + std::to_string(rows) + "x" + std::to_string(cols));
  const auto max_elems = std::numeric_limits<std::int64_t>::max() / static_cast<std::int64_t>(elem_size);
  if (cols != 0 && rows > max_elems / cols)
    throw InvalidArgument("allocate: " + std::to_string(rows) + "x" + std::to_string(cols) +
                          " elements overflow the addressable size");
  const auto bytes = static_cast<std::size_t>(rows * cols) * elem_size;
  if (bytes == 0) return {};
  return allocate_bytes(bytes);
}

void Backend::copy_bytes(const CopyRegion& src, const CopyRegion& dst, std::size_t elem_size) {
  const char* op = "copy";
  const MatrixView<const char> src_view =
      MatrixView<const char>(static_cast<const char*>(src.data), src.rows, src.cols, src.ld, src.space, src.device)
          .batched(src.batch_count, src.batch_stride);
  const MatrixView<const char> dst_view =
      MatrixView<const char>(static_cast<const char*>(dst.data), dst.rows, dst.cols, dst.ld, dst.space, dst.device)
          .batched(dst.batch_count, dst.batch_stride);
  check_layout(op, "src", src_view);
  check_layout(op, "dst", dst_view);
  if (src.rows != dst.rows || src.cols != dst.cols)
    fail(op, "src and dst differ in shape", {named("src", src_view), named("dst", dst_view)});
  if (src.space != MemorySpace::host) check_space(*this, op, "src", src_view);
  if (dst.space != MemorySpace::host) check_space(*this, op, "dst", dst_view);
  if (src.rows == 0 || src.cols == 0) return;
  copy_rows(const_cast<void*>(dst.data), static_cast<std::size_t>(dst.ld) * elem_size, dst.space,
            src.data, static_cast<std::size_t>(src.ld) * elem_size, src.space,
            static_cast<std::size_t>(src.cols) * elem_size, static_cast<std::size_t>(src.rows));
}

// ---- value checks -----------------------------------------------------------------------------

namespace {

template <class T>
void check_finite(const char* op, const char* name, const MatrixView<const T>& m, std::int64_t bad) {
  if (bad != 0)
    fail(op, std::string(name) + " has " + std::to_string(bad) + " non-finite value" +
                 (bad == 1 ? "" : "s") + " (NaN or Inf)",
         {named(name, m)});
}

// check_finite at Validation::full; nothing (and no wait for the device) at metadata.
template <class T>
void scan_finite(Backend& backend, const char* op, const char* name, const MatrixView<const T>& m) {
  if (backend.validation() == Validation::full) check_finite(op, name, m, backend.count_nonfinite(m));
}

void check_result_finite(const char* op, double value, const GramParams& params) {
  if (!std::isfinite(value))
    throw NumericalError(std::string(op) + ": result is not finite for " + to_string(params) +
                         "; the kernel values overflow float32 (scale the data or the kernel)");
}

}  // namespace

void Backend::require_finite(const char* op, const char* name, MatrixView<const float> A) {
  check_finite(op, name, A, count_nonfinite(A));
}

void Backend::require_finite(const char* op, const char* name, MatrixView<const double> A) {
  check_finite(op, name, A, count_nonfinite(A));
}

// ---- kernel primitives ------------------------------------------------------------------------

namespace {

// The shared checks of the materialised pairwise primitives: out (m x n) from Z (m x d), X (n x d).
void check_pairwise(Backend& backend, const char* op, const MatrixView<const float>& Z,
                    const MatrixView<const float>& X, const MatrixView<float>& out) {
  check_operand(backend, op, "Z", Z);
  check_operand(backend, op, "X", X);
  check_operand(backend, op, "out", out);
  if (Z.cols() != X.cols())
    fail(op, "Z and X differ in columns", {named("Z", Z), named("X", X)});
  if (out.rows() != Z.rows() || out.cols() != X.rows())
    fail(op, "out must be Z.rows x X.rows", {named("Z", Z), named("X", X), named("out", out)});
  check_no_overlap(op, "out", out, "Z", Z);
  check_no_overlap(op, "out", out, "X", X);
  scan_finite(backend, op, "Z", Z);
  scan_finite(backend, op, "X", X);
}

}  // namespace

void Backend::squared_distances(MatrixView<const float> Z, MatrixView<const float> X,
                                MatrixView<float> out) {
  check_pairwise(*this, "squared_distances", Z, X, out);
  squared_distances_impl(Z, X, out);
}

void Backend::gram(MatrixView<const float> Z, MatrixView<const float> X, const GramParams& params,
                   MatrixView<float> out) {
  const char* op = "gram";
  validate(params, op);
  check_pairwise(*this, op, Z, X, out);
  gram_impl(Z, X, params, out);
  if (validation() != Validation::full) return;
  const auto bad = count_nonfinite_impl(MatrixView<const float>(out));
  if (bad != 0)
    throw NumericalError(std::string(op) + ": " + std::to_string(bad) + " kernel values overflow float32 for " +
                         to_string(params) + " (scale the data or the kernel)");
}

template <class Out>
void Backend::check_kernel_matmul_arguments(const char* op, MatrixView<const float> Z, MatrixView<const float> X,
                                            MatrixView<const float> B, const GramParams& params,
                                            MatrixView<Out> out) {
  validate(params, op);
  check_operand(*this, op, "Z", Z);
  check_operand(*this, op, "X", X);
  check_operand(*this, op, "B", B);
  check_operand(*this, op, "out", out);
  if (Z.cols() != X.cols())
    fail(op, "Z and X differ in columns", {named("Z", Z), named("X", X), named("B", B), named("out", out)});
  if (B.rows() != X.rows())
    fail(op, "B must have one row per row of X", {named("Z", Z), named("X", X), named("B", B), named("out", out)});
  if (out.rows() != Z.rows() || out.cols() != B.cols())
    fail(op, "out must be Z.rows x B.cols", {named("Z", Z), named("X", X), named("B", B), named("out", out)});
  check_no_overlap(op, "out", out, "Z", Z);
  check_no_overlap(op, "out", out, "X", X);
  check_no_overlap(op, "out", out, "B", B);
  scan_finite(*this, op, "Z", Z);
  scan_finite(*this, op, "X", X);
  scan_finite(*this, op, "B", B);
}

template <class Out>
void Backend::check_kernel_matmul_output(const char* op, const GramParams& params, MatrixView<Out> out) {
  if (validation() != Validation::full) return;
  const auto bad = count_nonfinite_impl(MatrixView<const Out>(out));
  if (bad != 0)
    throw NumericalError(std::string(op) + ": " + std::to_string(bad) + " output values are not finite for " +
                         to_string(params) + " (kernel values overflow float32; scale the data, B or the kernel)");
}

template <class Out>
void Backend::checked_kernel_matmul(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                                    const GramParams& params, MatrixView<Out> out) {
  const char* op = "kernel_matmul";
  check_kernel_matmul_arguments(op, Z, X, B, params, out);
  kernel_matmul_impl(Z, X, B, params, out);
  check_kernel_matmul_output(op, params, out);
}

void Backend::kernel_matmul(MatrixView<const float> Z, MatrixView<const float> X,
                            MatrixView<const float> B, const GramParams& params,
                            MatrixView<float> out) {
  checked_kernel_matmul(Z, X, B, params, out);
}

void Backend::kernel_matmul(MatrixView<const float> Z, MatrixView<const float> X,
                            MatrixView<const float> B, const GramParams& params,
                            MatrixView<double> out) {
  checked_kernel_matmul(Z, X, B, params, out);
}

void Backend::kernel_matmul_with_squares(MatrixView<const float> Z, MatrixView<const float> X,
                                         MatrixView<const float> B, const GramParams& params,
                                         MatrixView<double> out, MatrixView<double> sq_sums) {
  const char* op = "kernel_matmul_with_squares";
  check_kernel_matmul_arguments(op, Z, X, B, params, out);
  validate(squared_kernel(params), std::string(op) + " (the squared kernel " + to_string(squared_kernel(params)) + ")");
  check_operand(*this, op, "sq_sums", sq_sums);
  if (sq_sums.rows() != Z.rows() || sq_sums.cols() != 1)
    fail(op, "sq_sums must be Z.rows x 1", {named("Z", Z), named("sq_sums", sq_sums)});
  check_no_overlap(op, "sq_sums", sq_sums, "out", MatrixView<const double>(out));
  check_no_overlap(op, "sq_sums", sq_sums, "Z", Z);
  check_no_overlap(op, "sq_sums", sq_sums, "X", X);
  check_no_overlap(op, "sq_sums", sq_sums, "B", B);
  kernel_matmul_with_squares_impl(Z, X, B, params, out, sq_sums);
  check_kernel_matmul_output(op, params, out);
  check_kernel_matmul_output(op, params, sq_sums);
}

void Backend::gaussian_matmul_widths(MatrixView<const float> Z, MatrixView<const float> X,
                                     MatrixView<const float> B, const std::vector<double>& sigmas,
                                     const std::vector<MatrixView<double>>& outs) {
  const char* op = "gaussian_matmul_widths";
  if (sigmas.empty() || sigmas.size() != outs.size())
    fail(op, std::to_string(sigmas.size()) + " widths for " + std::to_string(outs.size()) +
                 " outputs (need one output per width, at least one)");
  for (std::size_t w = 0; w < sigmas.size(); ++w) {
    check_kernel_matmul_arguments(op, Z, X, B, GramParams::gaussian(sigmas[w]), outs[w]);
    for (std::size_t v = 0; v < w; ++v)
      check_no_overlap(op, "an output", outs[w], "another output", MatrixView<const double>(outs[v]));
  }
  gaussian_matmul_widths_impl(Z, X, B, sigmas, outs);
  for (std::size_t w = 0; w < sigmas.size(); ++w)
    check_kernel_matmul_output(op, GramParams::gaussian(sigmas[w]), outs[w]);
}

void Backend::gaussian_matmul_widths_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                          MatrixView<const float> B, const std::vector<double>& sigmas,
                                          const std::vector<MatrixView<double>>& outs) {
  for (std::size_t w = 0; w < sigmas.size(); ++w) kernel_matmul_impl(Z, X, B, GramParams::gaussian(sigmas[w]), outs[w]);
}

void Backend::kernel_matmul_with_squares_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                              MatrixView<const float> B, const GramParams& params,
                                              MatrixView<double> out, MatrixView<double> sq_sums) {
  // Two passes: K B, then K_sq 1 (for the kernels lwnet offers, K_ij^2 is the same kernel with
  // another parameter, squared_kernel()).
  kernel_matmul_impl(Z, X, B, params, out);
  Matrix<float> ones_host = Matrix<float>::host(X.rows(), 1);
  std::fill(ones_host.data(), ones_host.data() + X.rows(), 1.0f);
  const Matrix<float> ones = upload(ones_host.cview());
  kernel_matmul_impl(Z, X, ones.cview(), squared_kernel(params), sq_sums);
}

double Backend::kernel_pair_sum(MatrixView<const float> X, const GramParams& x_params,
                                MatrixView<const float> Y, const GramParams& y_params) {
  const char* op = "kernel_pair_sum";
  validate(x_params, op);
  validate(y_params, op);
  check_operand(*this, op, "X", X);
  check_operand(*this, op, "Y", Y);
  if (X.rows() != Y.rows())
    fail(op, "X and Y must have the same number of rows (one per sample)", {named("X", X), named("Y", Y)});
  scan_finite(*this, op, "X", X);
  scan_finite(*this, op, "Y", Y);
  const double sum = kernel_pair_sum_impl(X, x_params, Y, y_params);
  check_result_finite(op, sum, x_params);
  return sum;
}

void Backend::gaussian_gram_gradient(MatrixView<const float> Z, MatrixView<const float> G, double sigma,
                                     MatrixView<float> out) {
  const char* op = "gaussian_gram_gradient";
  const GramParams params = GramParams::gaussian(sigma);
  validate(params, op);
  check_operand(*this, op, "Z", Z);
  check_operand(*this, op, "G", G);
  check_operand(*this, op, "out", out);
  if (G.rows() != Z.rows() || G.cols() != Z.rows())
    fail(op, "G must be Z.rows x Z.rows (one weight per pair of rows of Z)", {named("Z", Z), named("G", G)});
  if (out.rows() != Z.rows() || out.cols() != Z.cols())
    fail(op, "out must have Z's shape", {named("Z", Z), named("out", out)});
  check_no_overlap(op, "out", out, "Z", Z);
  check_no_overlap(op, "out", out, "G", G);
  scan_finite(*this, op, "Z", Z);
  scan_finite(*this, op, "G", G);
  gaussian_gram_gradient_impl(Z, G, sigma, out);
  if (validation() != Validation::full) return;
  const auto bad = count_nonfinite_impl(MatrixView<const float>(out));
  if (bad != 0)
    throw NumericalError(std::string(op) + ": " + std::to_string(bad) + " output values are not finite for " +
                         to_string(params) + " (the gradient overflows float32; scale G, the data or the kernel)");
}

// ---- nearest neighbours ---------------------------------------------------------------------------

void Backend::knn(MatrixView<const float> queries, MatrixView<const float> reference, int k,
                  MatrixView<std::int64_t> indices, MatrixView<float> sq_distances) {
  const char* op = "knn";
  check_operand(*this, op, "queries", queries);
  check_operand(*this, op, "reference", reference);
  check_operand(*this, op, "indices", indices);
  check_operand(*this, op, "sq_distances", sq_distances);
  if (queries.cols() != reference.cols())
    fail(op, "queries and reference differ in columns", {named("queries", queries), named("reference", reference)});
  if (k < 1 || k > kMaxKnn || k > reference.rows())
    fail(op, "k must be in [1, min(reference rows, " + std::to_string(kMaxKnn) + ")], got " + std::to_string(k),
         {named("reference", reference)});
  if (indices.rows() != queries.rows() || indices.cols() != k || sq_distances.rows() != queries.rows() ||
      sq_distances.cols() != k)
    fail(op, "indices and sq_distances must be queries.rows x k",
         {named("queries", queries), named("indices", indices), named("sq_distances", sq_distances)});
  check_no_overlap(op, "indices", indices, "queries", queries);
  check_no_overlap(op, "indices", indices, "reference", reference);
  check_no_overlap(op, "sq_distances", sq_distances, "queries", queries);
  check_no_overlap(op, "sq_distances", sq_distances, "reference", reference);
  check_no_overlap(op, "sq_distances", sq_distances, "indices", indices);
  scan_finite(*this, op, "queries", queries);
  scan_finite(*this, op, "reference", reference);
  knn_impl(queries, reference, k, indices, sq_distances);
}

// ---- reductions -------------------------------------------------------------------------------

std::vector<double> Backend::column_sums(MatrixView<const float> A) {
  check_operand(*this, "column_sums", "A", A);
  return column_sums_impl(A);
}

std::vector<double> Backend::column_sums(MatrixView<const double> A) {
  check_operand(*this, "column_sums", "A", A);
  return column_sums_impl(A);
}

namespace {
template <class T>
void check_column_dots(Backend& backend, const MatrixView<const T>& A, const MatrixView<const T>& B) {
  const char* op = "column_dots";
  check_operand(backend, op, "A", A);
  check_operand(backend, op, "B", B);
  if (A.rows() != B.rows() || A.cols() != B.cols())
    fail(op, "A and B differ in shape", {named("A", A), named("B", B)});
}
}  // namespace

std::vector<double> Backend::column_dots(MatrixView<const float> A, MatrixView<const float> B) {
  check_column_dots(*this, A, B);
  return column_dots_impl(A, B);
}

std::vector<double> Backend::column_dots(MatrixView<const double> A, MatrixView<const double> B) {
  check_column_dots(*this, A, B);
  return column_dots_impl(A, B);
}

std::int64_t Backend::count_nonfinite(MatrixView<const float> A) {
  check_layout("count_nonfinite", "A", A);
  if (A.empty()) return 0;
  check_space(*this, "count_nonfinite", "A", A);
  return count_nonfinite_impl(A);
}

std::int64_t Backend::count_nonfinite(MatrixView<const double> A) {
  check_layout("count_nonfinite", "A", A);
  if (A.empty()) return 0;
  check_space(*this, "count_nonfinite", "A", A);
  return count_nonfinite_impl(A);
}

double Backend::median_pairwise_distance(MatrixView<const float> X) {
  const char* op = "median_pairwise_distance";
  // m^2 distances are materialised; callers pass a subsample (the median heuristic uses 200 rows).
  constexpr std::int64_t kMaxRows = 8192;
  check_operand(*this, op, "X", X);
  if (X.rows() > kMaxRows)
    fail(op, "X has more than " + std::to_string(kMaxRows) + " rows; pass a random subsample",
         {named("X", X)});
  scan_finite(*this, op, "X", X);
  return median_pairwise_distance_impl(X);
}

// ---- data movement ----------------------------------------------------------------------------

void Backend::gather_rows(MatrixView<const float> X, const std::vector<std::int64_t>& indices,
                          MatrixView<float> out) {
  const char* op = "gather_rows";
  check_operand(*this, op, "X", X);
  check_operand(*this, op, "out", out);
  if (static_cast<std::int64_t>(indices.size()) != out.rows() || out.cols() != X.cols())
    fail(op, "out must be (number of indices = " + std::to_string(indices.size()) + ") x X.cols",
         {named("X", X), named("out", out)});
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] < 0 || indices[k] >= X.rows())
      fail(op, "index " + std::to_string(indices[k]) + " at position " + std::to_string(k) +
                   " is outside [0, " + std::to_string(X.rows()) + ")",
           {named("X", X)});
  }
  check_no_overlap(op, "out", out, "X", X);
  gather_rows_impl(X, indices, out);
}

// ---- random features --------------------------------------------------------------------------

void Backend::random_fourier_features(MatrixView<const float> X, MatrixView<const float> omega,
                                      MatrixView<const float> phase, double sigma,
                                      MatrixView<float> out) {
  const char* op = "random_fourier_features";
  validate(GramParams::gaussian(sigma), op);
  check_operand(*this, op, "X", X);
  check_operand(*this, op, "omega", omega);
  check_operand(*this, op, "phase", phase);
  check_operand(*this, op, "out", out);
  if (omega.rows() != X.cols() || phase.rows() != 1 || phase.cols() != omega.cols() ||
      out.rows() != X.rows() || out.cols() != omega.cols())
    fail(op, "shapes must be X (n x d), omega (d x D), phase (1 x D), out (n x D)",
         {named("X", X), named("omega", omega), named("phase", phase), named("out", out)});
  check_no_overlap(op, "out", out, "X", X);
  scan_finite(*this, op, "X", X);
  scan_finite(*this, op, "omega", omega);
  scan_finite(*this, op, "phase", phase);
  random_fourier_features_impl(X, omega, phase, sigma, out);
}

}  // namespace lwnet
