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

Matrix<float> checked_host_copy(MatrixView<const float> X, const char* op) {
  if (X.space() != MemorySpace::host) throw InvalidArgument(std::string(op) + ": X must be host memory");
  if (X.empty()) throw InvalidArgument(std::string(op) + ": X is empty (" + describe(X) + ")");
  Matrix<float> copy = Matrix<float>::host(X.rows(), X.cols());
  for (std::int64_t i = 0; i < X.rows(); ++i) {
    for (std::int64_t j = 0; j < X.cols(); ++j) {
      const float v = X(i, j);
      if (!std::isfinite(v))
        throw InvalidArgument(std::string(op) + ": X(" + std::to_string(i) + ", " + std::to_string(j) + ") is not finite");
      copy(i, j) = v;
    }
  }
  return copy;
}

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

std::vector<double> layer_rho(Backend& backend, MatrixView<const float> Z_in, const Labels& labels, double sigma,
                              const KmeOptions& options) {
  const GramParams params = GramParams::gaussian(sigma);
  std::vector<double> rho;
  if (options.rho == RhoMethod::exact) {
    rho = class_norms(backend, Z_in, labels, params);
  } else {
    // ||sum_{i in S_j} phi(z_i)|| from Y^T Phi (c x D).
    const RffMap map = numpy_rff_map(Z_in.cols(), options.rff_features, kReferenceRffSeed);
    const std::int64_t n = Z_in.rows();
    const int c = labels.num_classes;
    Matrix<float> phi = backend.allocate<float>(n, options.rff_features);
    random_fourier_features(backend, Z_in, map, sigma, phi.view());
    Matrix<float> y_host = Matrix<float>::host(n, c);
    for (std::int64_t i = 0; i < n; ++i) y_host(i, labels.y[static_cast<std::size_t>(i)]) = 1.0f;
    const Matrix<float> Y = backend.upload(y_host.cview());
    Matrix<float> sums = backend.allocate<float>(c, options.rff_features);
    backend.gemm(Transpose::yes, Transpose::no, 1.0f, Y.cview(), phi.cview(), 0.0f, sums.view());
    const Matrix<float> host = backend.download(sums.cview());
    for (int j = 0; j < c; ++j) {
      double s = 0.0;
      for (std::int64_t f = 0; f < host.cols(); ++f) s += static_cast<double>(host(j, f)) * host(j, f);
      rho.push_back(std::sqrt(s));
    }
  }
  for (std::size_t j = 0; j < rho.size(); ++j)
    if (!(rho[j] > 0.0) || !std::isfinite(rho[j]))
      throw NumericalError("layer: the norm rho of class " + std::to_string(j) + " is " + std::to_string(rho[j]) +
                           " at sigma " + std::to_string(sigma) + " (" + to_string(options.rho) + " estimate)");
  return rho;
}

Matrix<float> layer_weights(const std::vector<int>& y, int num_classes, const std::vector<double>& rho,
                            const std::vector<std::vector<std::int64_t>>& extra_rows) {
  const auto n = static_cast<std::int64_t>(y.size());
  const auto extras = static_cast<std::int64_t>(extra_rows.size());
  Matrix<float> B = Matrix<float>::host(n, num_classes + extras);
  for (std::int64_t i = 0; i < n; ++i) {
    const int j = y[static_cast<std::size_t>(i)];
    B(i, j) = static_cast<float>(1.0 / rho[static_cast<std::size_t>(j)]);
  }
  for (std::int64_t e = 0; e < extras; ++e)
    for (std::int64_t i : extra_rows[static_cast<std::size_t>(e)]) B(i, num_classes + e) = 1.0f;
  return B;
}

}  // namespace lwnet::kme
