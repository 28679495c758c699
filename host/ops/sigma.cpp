// The median heuristic for the Gaussian width (spec 1.2, step 2).
#include <algorithm>

#include "core/validate.hpp"
#include "lwnet/ops.hpp"

namespace lwnet {

double median_heuristic_sigma(Backend& backend, MatrixView<const float> X, Rng& rng,
                              std::int64_t sample_size) {
  const char* op = "median_heuristic_sigma";
  detail::check_nonempty(op, "X", X);
  backend.require_finite(op, "X", X);
  if (sample_size < 1) detail::fail(op, "sample_size must be >= 1, got " + std::to_string(sample_size));
  const std::int64_t m = std::min(X.rows(), sample_size);
  const auto rows = rng.sample_without_replacement(X.rows(), m);
  Matrix<float> sample = backend.allocate<float>(m, X.cols());
  backend.gather_rows(X, rows, sample.view());
  return backend.median_pairwise_distance(sample.cview());
}

}  // namespace lwnet
