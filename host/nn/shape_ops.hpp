// Modules without weights: an activation, batch normalisation without affine parameters, global
// average pooling. Each keeps its forward output for the backward pass.
#pragma once

#include <cstdint>

#include "lwnet/nn_ops.hpp"
#include "nn/module.hpp"

namespace lwnet::nn {

template <class T>
class ActivationModule final : public Module<T> {
 public:
  ActivationModule(Backend& backend, Activation f, std::int64_t features);
  std::int64_t input_features() const override { return output_.cols(); }
  std::int64_t output_features() const override { return output_.cols(); }
  MatrixView<const T> forward(MatrixView<const T> X) override;
  MatrixView<const T> backward(MatrixView<const T> dY, bool want_input_grad) override;
  Activation function() const { return f_; }
  // The last forward's output (the point f' is taken at).
  MatrixView<const T> output() const { return last_; }

 private:
  Activation f_;
  RowBuffer<T> output_;
  RowBuffer<T> input_grad_;
  MatrixView<const T> last_;
};

// Statistics over the batch per feature position (spec 2.1), in training and prediction alike.
template <class T>
class BatchNorm final : public Module<T> {
 public:
  BatchNorm(Backend& backend, std::int64_t features, double epsilon);
  std::int64_t input_features() const override { return output_.cols(); }
  std::int64_t output_features() const override { return output_.cols(); }
  MatrixView<const T> forward(MatrixView<const T> X) override;
  MatrixView<const T> backward(MatrixView<const T> dY, bool want_input_grad) override;

 private:
  T epsilon_;
  RowBuffer<T> output_;
  RowBuffer<T> input_grad_;
  Matrix<T> mean_;
  Matrix<T> inv_std_;
  MatrixView<const T> last_;
};

// N x (P*C) -> N x C: the mean over the P pixels of each channel.
template <class T>
class GlobalAvgPool final : public Module<T> {
 public:
  GlobalAvgPool(Backend& backend, std::int64_t pixels, std::int64_t channels);
  std::int64_t input_features() const override { return pixels_ * channels_; }
  std::int64_t output_features() const override { return channels_; }
  MatrixView<const T> forward(MatrixView<const T> X) override;
  MatrixView<const T> backward(MatrixView<const T> dY, bool want_input_grad) override;

 private:
  std::int64_t pixels_;
  std::int64_t channels_;
  RowBuffer<T> output_;
  RowBuffer<T> input_grad_;
};

}  // namespace lwnet::nn
