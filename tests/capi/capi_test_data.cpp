#include <gtest/gtest.h>

#include "capi_test_data.hpp"

#include <cstring>

namespace lwnet::capi_test {

const Wine& wine() {
  static const Wine data = [] {
    Wine w;
    w.X = read_csv(std::string(LWNET_DATA_DIR) + "/wine/wine.csv").values;
    LabelEncoding e = encode_labels(read_labels(std::string(LWNET_DATA_DIR) + "/wine/wine_label.csv"));
    w.encoded = e.labels;
    w.classes = e.classes;
    w.labels.assign(e.labels.y.begin(), e.labels.y.end());
    return w;
  }();
  return data;
}

Matrix<float> standardized_wine(std::int64_t rows) {
  const Matrix<float>& X = wine().X;
  Matrix<float> out = Matrix<float>::host(rows, X.cols());
  std::memcpy(out.data(), X.data(), sizeof(float) * static_cast<std::size_t>(rows * X.cols()));
  Standardizer::fit(out.cview()).apply(out.view());
  return out;
}

lwnet_matrix view_of(const Matrix<float>& m) { return lwnet_matrix_host(m.data(), m.rows(), m.cols(), LWNET_FLOAT32); }
lwnet_matrix view_of(Matrix<float>& m) { return lwnet_matrix_host(m.data(), m.rows(), m.cols(), LWNET_FLOAT32); }

CBackend::CBackend() {
  if (lwnet_backend_create("cpu", &handle) != LWNET_OK) ADD_FAILURE() << lwnet_last_error();
}

::testing::AssertionResult bitwise_equal(const float* a, const float* b, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

}  // namespace lwnet::capi_test
