// Typed fields of lwnet model files (safetensors): writing vectors and matrices, reading them back
// with their shapes checked, and typed hyperparameters from the JSON metadata. Every failure is an
// IoError naming the file ("inconsistent lwnet model file: ...").
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "io/safetensors.hpp"
#include "lwnet/error.hpp"
#include "lwnet/matrix.hpp"
#include "lwnet/preprocess.hpp"

namespace lwnet::io {

template <class T>
void add_vector(SafetensorsWriter& w, const std::string& name, Dtype dtype, const std::vector<T>& v) {
  w.add(name, dtype, {static_cast<std::int64_t>(v.size())}, v.data(), v.size() * sizeof(T));
}

inline void add_matrix(SafetensorsWriter& w, const std::string& name, const Matrix<float>& m) {
  w.add(name, Dtype::f32, {m.rows(), m.cols()}, m.data(), static_cast<std::size_t>(m.size()) * sizeof(float));
}

// ---- loading helpers ------------------------------------------------------------------------------

[[noreturn]] inline void inconsistent(const std::string& path, const std::string& what) {
  throw IoError(path + ": inconsistent lwnet model file: " + what);
}

template <class T>
std::vector<T> values(const TensorData& t) {
  std::vector<T> v(t.bytes.size() / sizeof(T));
  if (!t.bytes.empty()) std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

inline std::vector<std::int64_t> shape_of(const SafetensorsFile& f, const std::string& name, Dtype dtype, std::size_t rank) {
  return f.tensor(name, dtype, rank).shape;
}

template <class T>
std::vector<T> vector_of(const SafetensorsFile& f, const std::string& name, Dtype dtype, std::int64_t expected_size) {
  const TensorData& t = f.tensor(name, dtype, 1);
  if (expected_size >= 0 && t.shape[0] != expected_size)
    inconsistent(f.path(), "tensor '" + name + "' has " + std::to_string(t.shape[0]) + " entries, expected " +
                               std::to_string(expected_size));
  return values<T>(t);
}

inline Matrix<float> matrix_of(const SafetensorsFile& f, const std::string& name, std::int64_t rows, std::int64_t cols) {
  const TensorData& t = f.tensor(name, Dtype::f32, 2);
  if (t.shape[0] != rows || (cols >= 0 && t.shape[1] != cols))
    inconsistent(f.path(), "tensor '" + name + "' is " + std::to_string(t.shape[0]) + "x" + std::to_string(t.shape[1]) +
                               ", expected " + std::to_string(rows) + "x" + (cols >= 0 ? std::to_string(cols) : "?"));
  Matrix<float> m = Matrix<float>::host(t.shape[0], t.shape[1]);
  if (!t.bytes.empty()) std::memcpy(m.data(), t.bytes.data(), t.bytes.size());
  for (std::int64_t e = 0; e < m.size(); ++e)
    if (!std::isfinite(m.data()[e])) inconsistent(f.path(), "tensor '" + name + "' holds non-finite values");
  return m;
}

template <class T>
T json_value(const std::string& path, const nlohmann::json& j, const char* key) {
  const auto wrong = [&] { inconsistent(path, std::string("hyperparameter '") + key + "' is missing or of the wrong type"); };
  if (!j.is_object() || !j.contains(key)) wrong();
  const nlohmann::json& v = j.at(key);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // nlohmann converts a float (or a wider integer) with a plain cast: check kind and range first.
    // (The parser stores non-negative integers as unsigned and negative ones as signed.)
    if (!v.is_number_integer()) wrong();
    const bool fits = v.is_number_unsigned()
                          ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())
                          : std::is_signed_v<T> &&
                                v.get<std::int64_t>() >= static_cast<std::int64_t>(std::numeric_limits<T>::min());
    if (!fits) wrong();
  }
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    wrong();
  }
  return T{};
}

// The training statistics a model standardises its inputs with: preprocess.mean / preprocess.std.
inline void add_statistics(SafetensorsWriter& w, const Standardizer& statistics) {
  add_vector(w, "preprocess.mean", Dtype::f64, statistics.mean);
  add_vector(w, "preprocess.std", Dtype::f64, statistics.std);
}

inline Standardizer statistics_of(const SafetensorsFile& f, std::int64_t input_dim) {
  constexpr double kFloatMax = static_cast<double>(std::numeric_limits<float>::max());
  Standardizer s;
  s.mean = vector_of<double>(f, "preprocess.mean", Dtype::f64, input_dim);
  s.std = vector_of<double>(f, "preprocess.std", Dtype::f64, input_dim);
  for (std::size_t j = 0; j < s.std.size(); ++j)
    // Statistics of float32 data are float32-sized: anything else was not written by lwnet.
    if (!(std::abs(s.mean[j]) <= kFloatMax) || !(s.std[j] >= 0.0) || !(s.std[j] <= kFloatMax))
      inconsistent(f.path(), "preprocessing statistics of feature " + std::to_string(j) +
                                 " are not finite float32-sized values");
  return s;
}

}  // namespace lwnet::io
