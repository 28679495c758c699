#include <cmath>
#include <string>

#include "core/validate.hpp"
#include "lwnet/error.hpp"
#include "lwnet/preprocess.hpp"

namespace lwnet {

Standardizer Standardizer::fit(MatrixView<const float> X) {
  const char* op = "Standardizer::fit";
  detail::check_nonempty(op, "X", X);
  if (X.space() != MemorySpace::host) detail::fail(op, "X must be in host memory", {detail::named("X", X)});
  const auto d = static_cast<std::size_t>(X.cols());
  Standardizer s{std::vector<double>(d, 0.0), std::vector<double>(d, 0.0)};
  const double n = static_cast<double>(X.rows());
  for (std::int64_t i = 0; i < X.rows(); ++i)
    for (std::size_t j = 0; j < d; ++j) s.mean[j] += X(i, static_cast<std::int64_t>(j));
  for (auto& m : s.mean) m /= n;
  // Two passes: the variance of values far from 0 loses nothing to cancellation.
  for (std::int64_t i = 0; i < X.rows(); ++i)
    for (std::size_t j = 0; j < d; ++j) {
      const double r = X(i, static_cast<std::int64_t>(j)) - s.mean[j];
      s.std[j] += r * r;
    }
  for (std::size_t j = 0; j < d; ++j) {
    s.std[j] = std::sqrt(s.std[j] / n);
    if (!std::isfinite(s.mean[j]) || !std::isfinite(s.std[j]))
      detail::fail(op, "column " + std::to_string(j) + " is not finite", {detail::named("X", X)});
  }
  return s;
}

namespace {

// z = (x - mean) / std in float32; a constant column (std 0) maps to 0.
float standardized(float x, double mean, double std) {
  return std > 0.0 ? static_cast<float>((x - mean) / std) : 0.0f;
}

}  // namespace

std::optional<Standardizer::Overflow> Standardizer::first_overflow(MatrixView<const float> X) const {
  for (std::int64_t i = 0; i < X.rows(); ++i)
    for (std::int64_t j = 0; j < X.cols() && static_cast<std::size_t>(j) < mean.size(); ++j) {
      const auto k = static_cast<std::size_t>(j);
      if (!std::isfinite(standardized(X(i, j), mean[k], std[k]))) return Overflow{i, j, X(i, j)};
    }
  return std::nullopt;
}

double Standardizer::rms_pair_distance() const {
  double sum = 0.0;
  for (double s : std) sum += s * s;
  return std::sqrt(2.0 * sum);
}

void Standardizer::apply(MatrixView<float> X) const {
  const char* op = "Standardizer::apply";
  detail::check_layout(op, "X", X);
  if (X.space() != MemorySpace::host) detail::fail(op, "X must be in host memory", {detail::named("X", X)});
  if (static_cast<std::size_t>(X.cols()) != mean.size())
    detail::fail(op, "X has " + std::to_string(X.cols()) + " columns but the statistics have " +
                     std::to_string(mean.size()),
                 {detail::named("X", X)});
  for (std::int64_t i = 0; i < X.rows(); ++i)
    for (std::int64_t j = 0; j < X.cols(); ++j) {
      const auto k = static_cast<std::size_t>(j);
      const float z = standardized(X(i, j), mean[k], std[k]);
      // A value many float32 ranges away from the statistics (or statistics no data could give)
      // must not become an infinity the kernels would reject far from its cause.
      if (!std::isfinite(z))
        detail::fail(op,
                     "row " + std::to_string(i) + ", feature " + std::to_string(j) + ": (" +
                         std::to_string(X(i, j)) + " - mean " + std::to_string(mean[k]) + ") / std " +
                         std::to_string(std[k]) + " overflows float32",
                     {detail::named("X", X)});
      X(i, j) = z;
    }
}

const char* to_string(StandardizeMode mode) {
  switch (mode) {
    case StandardizeMode::train: return "train";
    case StandardizeMode::separate: return "separate";
    case StandardizeMode::none: return "none";
  }
  return "?";
}

StandardizeMode parse_standardize_mode(const std::string& text) {
  for (auto m : {StandardizeMode::train, StandardizeMode::separate, StandardizeMode::none})
    if (text == to_string(m)) return m;
  throw InvalidArgument("unknown standardisation '" + text + "': expected separate, train or none");
}

}  // namespace lwnet
