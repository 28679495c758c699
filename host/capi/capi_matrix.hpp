// The C API's matrix views (lwnet_matrix) as lwnet's MatrixView, checked, and put where a call
// computes: the caller's memory when the computation can use it in place, else a copy.
#pragma once

#include <cstdint>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/lwnet.h"
#include "lwnet/matrix.hpp"

namespace lwnet::capi {

// The float32 view `m` describes, after checking it (InvalidArgument naming `name`): not NULL,
// float32, non-negative sizes, ld >= cols, data not NULL, sizes whose bytes fit in memory, and
// memory `backend` can reach: the host, or the backend's own CUDA device.
MatrixView<float> float_view(const lwnet_matrix* m, const char* name, const Backend& backend);

// True when two caller views describe the same matrix (same memory, shape and ld): the Gram of a
// view with itself then keeps its exact self-pairs when it is copied to a device.
bool same_view(const lwnet_matrix* a, const lwnet_matrix* b);

// An input in the memory of the backend's computations: the caller's view, or a copy of a host
// view on a device backend.
class BackendInput {
 public:
  BackendInput(Backend& backend, MatrixView<const float> caller);
  MatrixView<const float> view() const { return view_; }

 private:
  Matrix<float> copy_;
  MatrixView<const float> view_;
};

// An input on the host (the trainers and the models read host data): the caller's view, or a
// host copy of one in the backend's device memory.
class HostInput {
 public:
  HostInput(Backend& backend, MatrixView<const float> caller);
  MatrixView<const float> view() const { return view_; }

 private:
  Matrix<float> copy_;
  MatrixView<const float> view_;
};

// An output a backend computation writes: the caller's view, or a device buffer copied into the
// caller's host view by finish(), which also waits for the backend's work.
class BackendOutput {
 public:
  BackendOutput(Backend& backend, MatrixView<float> caller);
  MatrixView<float> view() { return staged_ ? staging_.view() : caller_; }
  void finish();

 private:
  Backend& backend_;
  MatrixView<float> caller_;
  bool staged_ = false;
  Matrix<float> staging_;
};

// Requires `out` to be rows x cols (InvalidArgument naming `name` and `what` the shape is).
void require_shape(MatrixView<const float> out, const char* name, std::int64_t rows, std::int64_t cols,
                   const char* what);

// Host labels (`count` of them, which must be `rows`) as lwnet's class indices; their range is
// checked by the library (Labels::validate).
std::vector<int> copy_labels(const std::int32_t* labels, std::int64_t count, std::int64_t rows);

}  // namespace lwnet::capi
