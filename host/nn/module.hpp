// The building blocks of trained networks: a Module maps a batch (N x in, one sample per row) to
// a batch (N x out) and back. Modules keep what their backward pass needs from the last forward
// (their input view and output), in buffers sized for the largest batch seen.
//
// T is float for training and double for the finite-difference tests; both run on any backend
// with the NnOps and Blas families.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet::nn {

template <class T>
struct Parameter {
  std::string name;  // "layer.1.weight", "readout.bias", ...
  Matrix<T> value;
  Matrix<T> grad;    // written by the backward pass (overwritten, not accumulated)
};

template <class T>
class Module {
 public:
  explicit Module(Backend& backend) : backend_(&backend) {}
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  virtual std::int64_t input_features() const = 0;
  virtual std::int64_t output_features() const = 0;
  // Y = f(X). X must stay unchanged until backward() (it is the previous module's output).
  // The returned view is valid until the next forward().
  virtual MatrixView<const T> forward(MatrixView<const T> X) = 0;
  // Given dL/dY for the last forward: writes the parameters' gradients and, when
  // want_input_grad, returns dL/dX (valid until the next backward()); else an empty view.
  virtual MatrixView<const T> backward(MatrixView<const T> dY, bool want_input_grad) = 0;
  virtual std::vector<Parameter<T>*> parameters() { return {}; }

 protected:
  Backend& backend() const { return *backend_; }

 private:
  Backend* backend_;
};

// A buffer of `cols` columns that grows to the largest row count asked for; views of its first
// rows. Keeps reallocation out of the training loop (only the first and a last, smaller batch).
template <class T>
class RowBuffer {
 public:
  RowBuffer() = default;
  RowBuffer(Backend& backend, std::int64_t cols) : backend_(&backend), cols_(cols) {}

  MatrixView<T> rows(std::int64_t n) {
    if (n > storage_.rows()) storage_ = backend_->allocate<T>(n, cols_);
    return storage_.view().row_range(0, n);
  }
  std::int64_t cols() const { return cols_; }

 private:
  Backend* backend_ = nullptr;
  std::int64_t cols_ = 0;
  Matrix<T> storage_;
};

}  // namespace lwnet::nn
