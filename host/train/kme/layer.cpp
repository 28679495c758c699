#include "train/kme/layer.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "lwnet/error.hpp"
#include "train/kme/numpy_random.hpp"

namespace lwnet::kme {

namespace {

// The RFF estimate uses the reference's own map: RBFSampler(random_state=1), drawn afresh from the
// same seed at every call.
constexpr std::uint32_t kReferenceRffSeed = 1;

}  // namespace

ExtraColumns plan_extra_columns(MatrixView<const float> Z_in, const Labels& labels, std::int64_t input_dim,
                                bool enabled) {
  ExtraColumns extra;
  if (!enabled || Z_in.cols() == input_dim) return extra;
  std::vector<std::vector<std::int64_t>> missed(static_cast<std::size_t>(labels.num_classes));
  for (std::int64_t i = 0; i < Z_in.rows(); ++i) {
    const float* row = Z_in.data() + i * Z_in.ld();
    const auto predicted = std::max_element(row, row + Z_in.cols()) - row;  // an extra column: always wrong
    const int y = labels.y[static_cast<std::size_t>(i)];
    if (predicted != y) missed[static_cast<std::size_t>(y)].push_back(i);
  }
  for (int j = 0; j < labels.num_classes; ++j) {
    if (missed[static_cast<std::size_t>(j)].empty()) continue;
    extra.classes.push_back(j);
    extra.rows.push_back(std::move(missed[static_cast<std::size_t>(j)]));
  }
  return extra;
}

Matrix<float> indicator_weights(const std::vector<int>& y, int num_classes,
                                const std::vector<std::vector<std::int64_t>>& extra_rows) {
  const auto n = static_cast<std::int64_t>(y.size());
  const auto extras = static_cast<std::int64_t>(extra_rows.size());
  Matrix<float> W = Matrix<float>::host(n, num_classes + extras);
  for (std::int64_t i = 0; i < n; ++i) W(i, y[static_cast<std::size_t>(i)]) = 1.0f;
  for (std::int64_t e = 0; e < extras; ++e)
    for (std::int64_t i : extra_rows[static_cast<std::size_t>(e)]) W(i, num_classes + e) = 1.0f;
  return W;
}

Matrix<double> kernel_sums(Backend& backend, MatrixView<const float> Z, MatrixView<const float> Z_in,
                           MatrixView<const float> weights, double sigma) {
  Matrix<double> U = backend.allocate<double>(Z.rows(), weights.cols());
  backend.kernel_matmul(Z, Z_in, weights, GramParams::gaussian(sigma), U.view());
  return backend.download(U.cview());
}

Matrix<float> normalise_class_columns(const Matrix<double>& U, const std::vector<double>& rho) {
  const auto c = static_cast<std::int64_t>(rho.size());
  Matrix<float> Z = Matrix<float>::host(U.rows(), U.cols());
  for (std::int64_t i = 0; i < U.rows(); ++i)
    for (std::int64_t j = 0; j < U.cols(); ++j)
      Z(i, j) = static_cast<float>(j < c ? U(i, j) / rho[static_cast<std::size_t>(j)] : U(i, j));
  return Z;
}

std::vector<double> exact_rho(const Matrix<double>& U, const Labels& labels) {
  std::vector<double> sq(static_cast<std::size_t>(labels.num_classes), 0.0);
  for (std::int64_t i = 0; i < U.rows(); ++i) {
    const int j = labels.y[static_cast<std::size_t>(i)];
    sq[static_cast<std::size_t>(j)] += U(i, j);
  }
  std::vector<double> rho;
  rho.reserve(sq.size());
  // A valid (positive semi-definite) kernel gives sq >= 0; rounding may not.
  for (double v : sq) rho.push_back(std::sqrt(std::max(v, 0.0)));
  return rho;
}

std::vector<double> rff_rho(Backend& backend, MatrixView<const float> Z_in, const Labels& labels, double sigma,
                            const KmeOptions& options) {
  // ||sum_{i in S_j} phi(z_i)||: each class's feature rows summed in float64 (column sums in a
  // fixed order, so the estimate does not depend on the thread count).
  const RffMap map = numpy_rff_map(Z_in.cols(), options.rff_features, kReferenceRffSeed);
  Matrix<float> phi = backend.allocate<float>(Z_in.rows(), options.rff_features);
  random_fourier_features(backend, Z_in, map, sigma, phi.view());
  std::vector<double> rho;
  for (const std::vector<std::int64_t>& rows : labels.class_members()) {
    Matrix<float> phi_j = backend.allocate<float>(static_cast<std::int64_t>(rows.size()), options.rff_features);
    backend.gather_rows(phi.cview(), rows, phi_j.view());
    double s = 0.0;
    for (double sum : backend.column_sums(phi_j.cview())) s += sum * sum;
    rho.push_back(std::sqrt(s));
  }
  return rho;
}

void check_rho(const std::vector<double>& rho, double sigma, RhoMethod method) {
  for (std::size_t j = 0; j < rho.size(); ++j)
    if (!(rho[j] > 0.0) || !std::isfinite(rho[j]))
      throw NumericalError("layer: the norm rho of class " + std::to_string(j) + " is " + std::to_string(rho[j]) +
                           " at sigma " + std::to_string(sigma) + " (" + to_string(method) + " estimate)");
}

}  // namespace lwnet::kme
