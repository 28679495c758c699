#include "core/host_copy.hpp"

#include <cmath>
#include <string>

#include "lwnet/error.hpp"

namespace lwnet::detail {

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

}  // namespace lwnet::detail
