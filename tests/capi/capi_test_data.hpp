// Shared data and helpers of the C API tests: the committed UCI Wine data (data/wine), standardised
// for the kernel tests, as host matrices the C API and the C++ API are both given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lwnet/lwnet.h"
#include "lwnet/lwnet.hpp"

namespace lwnet::capi_test {

struct Wine {
  Matrix<float> X;                   // (178, 13) host, raw
  std::vector<std::int32_t> labels;  // 0..2
  std::vector<std::string> classes;  // "1", "2", "3"
  Labels encoded;
};
const Wine& wine();

// A standardised copy of the first `rows` rows of the wine data.
Matrix<float> standardized_wine(std::int64_t rows);

lwnet_matrix view_of(const Matrix<float>& m);
lwnet_matrix view_of(Matrix<float>& m);

// A CPU backend through the C API, freed at scope exit.
struct CBackend {
  lwnet_backend* handle = nullptr;
  CBackend();
  ~CBackend() { lwnet_backend_free(handle); }
  CBackend(const CBackend&) = delete;
  CBackend& operator=(const CBackend&) = delete;
  operator lwnet_backend*() const { return handle; }  // NOLINT(google-explicit-constructor)
};

// Bitwise equality of two float arrays, with the first difference in the message.
::testing::AssertionResult bitwise_equal(const float* a, const float* b, std::int64_t count);

}  // namespace lwnet::capi_test
