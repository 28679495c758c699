// Class-wise kernel mean embeddings M = K(Z, X) B with B_ij = [y_i == j] / n_j (one fused pass),
// and within-class norms rho_j^2 = 1' K(X_j, X_j) 1 over each class's own rows (sum_j n_j^2 work).
#include <algorithm>
#include <cmath>
#include <string>

#include "core/validate.hpp"
#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"

namespace lwnet {

namespace {

void require_every_class(const Labels& labels, const std::vector<std::int64_t>& counts, const char* op) {
  for (std::size_t j = 0; j < counts.size(); ++j)
    if (counts[j] == 0)
      throw InvalidArgument(std::string(op) + ": class " + std::to_string(j) + " of " +
                            std::to_string(labels.num_classes) + " has no samples");
}

}  // namespace

void class_mean_embeddings(Backend& backend, MatrixView<const float> Z, MatrixView<const float> X,
                           const Labels& labels, const GramParams& params, MatrixView<float> out) {
  const char* op = "class_mean_embeddings";
  detail::check_nonempty(op, "X", X);
  detail::check_nonempty(op, "Z", Z);
  backend.require_finite(op, "Z", Z);
  backend.require_finite(op, "X", X);
  labels.validate(X.rows(), op);
  const auto counts = labels.class_counts();
  require_every_class(labels, counts, op);
  const std::int64_t n = X.rows();
  const std::int64_t c = labels.num_classes;
  Matrix<float> b_host = Matrix<float>::host(n, c);
  for (std::int64_t i = 0; i < n; ++i) {
    const int j = labels.y[static_cast<std::size_t>(i)];
    b_host(i, j) = static_cast<float>(1.0 / static_cast<double>(counts[static_cast<std::size_t>(j)]));
  }
  const Matrix<float> B = backend.upload(b_host.cview());
  backend.kernel_matmul(Z, X, B.cview(), params, out);
}

std::vector<double> class_norms(Backend& backend, MatrixView<const float> X, const Labels& labels,
                                const GramParams& params) {
  const char* op = "class_norms";
  validate(params, op);
  detail::check_nonempty(op, "X", X);
  backend.require_finite(op, "X", X);
  labels.validate(X.rows(), op);
  const auto counts = labels.class_counts();
  require_every_class(labels, counts, op);
  const std::vector<std::vector<std::int64_t>> members = labels.class_members();

  std::vector<double> rho;
  rho.reserve(members.size());
  for (const auto& rows : members) {
    const auto nj = static_cast<std::int64_t>(rows.size());
    Matrix<float> Xj = backend.allocate<float>(nj, X.cols());
    backend.gather_rows(X, rows, Xj.view());
    Matrix<float> ones_host = Matrix<float>::host(nj, 1);
    std::fill(ones_host.data(), ones_host.data() + nj, 1.0f);
    const Matrix<float> ones = backend.upload(ones_host.cview());
    Matrix<double> row_sums = backend.allocate<double>(nj, 1);
    backend.kernel_matmul(Xj.cview(), Xj.cview(), ones.cview(), params, row_sums.view());
    const double sq = backend.column_sums(row_sums.cview())[0];
    // A valid (positive semi-definite) kernel gives sq >= 0; rounding may not.
    rho.push_back(std::sqrt(std::max(sq, 0.0)));
  }
  return rho;
}

}  // namespace lwnet
