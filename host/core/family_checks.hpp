// Checks shared by the operation-family front ends (blas.cpp, solver.cpp). A family knows the
// memory space and device it computes in, not its Backend, so these take that place instead of
// the Backend that backend.cpp's check_space asks. Host metadata only: nothing waits for a device.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "core/validate.hpp"

namespace lwnet::detail {

// Where a family's operands must live.
struct FamilyPlace {
  MemorySpace space = MemorySpace::host;
  int device = 0;

  std::string str() const {
    return space == MemorySpace::host ? std::string("host memory") : "memory on cuda:" + std::to_string(device);
  }
};

template <class T>
void check_place(const FamilyPlace& place, const char* op, const char* name, const MatrixView<T>& m) {
  if (m.space() == place.space && (m.space() == MemorySpace::host || m.device() == place.device)) return;
  const std::string where =
      m.space() == MemorySpace::host ? std::string("host memory") : "memory on cuda:" + std::to_string(m.device());
  fail(op, std::string(name) + " is in " + where + " but this backend computes in " + place.str() +
               "; copy it with Backend::upload or Backend::download first",
       {named(name, m)});
}

// Layout, memory space and non-emptiness of one input or output; a batched view is refused
// (check_layout).
template <class T>
void check_family_operand(const FamilyPlace& place, const char* op, const char* name, const MatrixView<T>& m) {
  check_nonempty(op, name, m);
  check_place(place, op, name, m);
}

template <class T>
void check_square(const char* op, const char* name, const MatrixView<T>& m) {
  if (m.rows() != m.cols()) fail(op, std::string(name) + " must be square", {named(name, m)});
}

template <class T>
void check_finite_scalar(const char* op, const char* name, T value) {
  if (!std::isfinite(value)) fail(op, std::string(name) + " must be finite, got " + std::to_string(value));
}

}  // namespace lwnet::detail
