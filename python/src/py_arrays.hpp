// Arrays across the boundary. Inputs: float32 2-D arrays from any framework nanobind imports
// (numpy through the buffer protocol; CuPy, PyTorch, JAX through DLPack), taken as views, without a
// copy, when their rows are evenly spaced and each row's values adjacent (column stride 1); the
// Python layer (lwnet/_arrays.py) copies anything else to float32 C order first. Outputs: lwnet
// matrices handed to Python without a copy (numpy arrays for host memory; DLPack-capable arrays
// for CUDA memory), each owning its Matrix.
#pragma once

#include <cstdint>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include "lwnet/backend.hpp"
#include "lwnet/matrix.hpp"
#include "lwnet/ops.hpp"

namespace lwnet::py {

// A read-only float32 2-D array on any device, strides as given.
using InputArray = nanobind::ndarray<const float, nanobind::ndim<2>>;
// Labels, already re-indexed to 0..c-1 by the Python layer.
using LabelArray = nanobind::ndarray<const std::int32_t, nanobind::ndim<1>, nanobind::c_contig, nanobind::device::cpu>;

// The view of `array` (InvalidArgument naming `name` when its layout, device or memory is not one
// `backend` can use: a CUDA array needs a CUDA backend of the same device).
MatrixView<const float> view_of(const InputArray& array, const char* name, const Backend& backend);

// `labels` as lwnet's Labels with `num_classes` classes (checked: sizes, range).
Labels labels_of(const LabelArray& labels, int num_classes, std::int64_t rows, const char* name);

// An input where the computation needs it: the caller's memory when it is already there, else a
// copy (host data for a CUDA backend; CUDA data for a host-only computation).
class PlacedInput {
 public:
  // In the backend's memory space (kernel primitives).
  static PlacedInput on_backend(Backend& backend, MatrixView<const float> caller);
  // On the host (trainers, models).
  static PlacedInput on_host(Backend& backend, MatrixView<const float> caller);
  MatrixView<const float> view() const { return view_; }

 private:
  Matrix<float> copy_;
  MatrixView<const float> view_;
};

// The matrix as a Python array that owns it: a numpy array for host memory, a DLPack-capable
// nanobind array for CUDA memory.
nanobind::object to_python(Matrix<float>&& matrix);
// Class indices as a numpy int32 array that owns them.
nanobind::object to_python(std::vector<int>&& values);

}  // namespace lwnet::py
