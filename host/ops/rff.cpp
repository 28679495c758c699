// Random Fourier features for the Gaussian kernel (Rahimi & Recht): with omega ~ N(0, I) and
// b ~ U[0, 2 pi), E[phi(x) . phi(z)] = exp(-||x - z||^2 / (2 sigma^2)).
#include <cmath>
#include <string>

#include "lwnet/error.hpp"
#include "core/validate.hpp"
#include "lwnet/ops.hpp"

namespace lwnet {

RffMap make_rff_map(std::int64_t d, std::int64_t features, Rng& rng) {
  if (d < 1 || features < 1)
    throw InvalidArgument("make_rff_map: need d >= 1 and features >= 1, got d " + std::to_string(d) +
                          ", features " + std::to_string(features));
  RffMap map{Matrix<float>::host(d, features), Matrix<float>::host(1, features)};
  for (std::int64_t i = 0; i < d * features; ++i) map.omega.data()[i] = static_cast<float>(rng.normal());
  for (std::int64_t j = 0; j < features; ++j)
    map.phase.data()[j] = static_cast<float>(2.0 * M_PI * rng.uniform());
  return map;
}

void random_fourier_features(Backend& backend, MatrixView<const float> X, const RffMap& map,
                             double sigma, MatrixView<float> out) {
  detail::check_nonempty("random_fourier_features", "X", X);
  backend.require_finite("random_fourier_features", "X", X);
  const Matrix<float> omega = backend.upload(map.omega.cview());
  const Matrix<float> phase = backend.upload(map.phase.cview());
  backend.random_fourier_features(X, omega.cview(), phase.cview(), sigma, out);
}

}  // namespace lwnet
