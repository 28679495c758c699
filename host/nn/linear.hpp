// Linear maps with weights: Dense (Y = s X W + b) and Conv2d (3x3, SAME, a stride; im2col then
// one GEMM), s = 1/sqrt(fan_in) under the NTK parameterisation and 1 under the standard one.
//
// The backward pass is split in two so a learning rule can choose the feedback: the parameter
// gradients always come from the module's own input, while the signal sent down uses whatever
// matrix of W's shape the rule gives (W for backprop; fixed random or initial weights for the
// feedback-alignment family).
#pragma once

#include <cstdint>
#include <vector>

#include "lwnet/net.hpp"
#include "lwnet/nn_ops.hpp"
#include "nn/module.hpp"

namespace lwnet::nn {

enum class Parameterisation { ntk, standard, torch };
// The parameterisation of an init option (lwnet/net.hpp).
Parameterisation parameterisation_of(net::Init init);

template <class T>
class LinearMap : public Module<T> {
 public:
  LinearMap(Backend& backend, const std::string& name, std::int64_t fan_in, std::int64_t fan_out,
            Parameterisation parameterisation);

  Parameter<T>& weight() { return weight_; }
  Parameter<T>& bias() { return bias_; }
  std::int64_t fan_in() const { return weight_.value.rows(); }
  std::int64_t fan_out() const { return weight_.value.cols(); }
  // The forward scale s.
  T scale() const { return scale_; }
  Parameterisation parameterisation() const { return parameterisation_; }
  // W ~ N(0, 1) (ntk) or N(0, 1/fan_in) (standard), b = 0; torch: W and b ~ U(-1/sqrt(fan_in),
  // 1/sqrt(fan_in)). Drawn on the backend from counters [offset, offset + fan_in * fan_out) of
  // `seed` (torch's biases: the same counters of another key).
  void initialise(std::uint64_t seed, std::uint64_t offset);

  // dW, db from dY and the last forward's input.
  virtual void backward_parameters(MatrixView<const T> dY) = 0;
  // dX = s dY F^T (lowered back to the input's layout) with F of W's shape.
  virtual MatrixView<const T> backward_input(MatrixView<const T> dY, MatrixView<const T> feedback) = 0;

  MatrixView<const T> backward(MatrixView<const T> dY, bool want_input_grad) override;
  std::vector<Parameter<T>*> parameters() override { return {&weight_, &bias_}; }

 private:
  Parameterisation parameterisation_;
  T scale_;
  Parameter<T> weight_;
  Parameter<T> bias_;
};

template <class T>
class Dense final : public LinearMap<T> {
 public:
  Dense(Backend& backend, const std::string& name, std::int64_t in, std::int64_t out, Parameterisation p);

  std::int64_t input_features() const override { return this->fan_in(); }
  std::int64_t output_features() const override { return this->fan_out(); }
  MatrixView<const T> forward(MatrixView<const T> X) override;
  void backward_parameters(MatrixView<const T> dY) override;
  MatrixView<const T> backward_input(MatrixView<const T> dY, MatrixView<const T> feedback) override;

 private:
  MatrixView<const T> input_;
  RowBuffer<T> output_;
  RowBuffer<T> input_grad_;
};

// Input N x (H*W*C), output N x (Ho*Wo*out_channels), weights (9C x out_channels) in (ky, kx, c)
// row order, one bias per output channel.
template <class T>
class Conv2d final : public LinearMap<T> {
 public:
  // On the host a batch is lowered and multiplied a chunk of images at a time, each chunk's
  // columns about this size: they stay in the cache between im2col and the GEMM, where a whole
  // batch's (100 images of 14 x 14 patches of 9 x 64 values: 45 MB) would go out to memory and
  // back. 4 MiB: 8 such images, 1568 GEMM rows (6 row tiles, which two threads share evenly).
  static constexpr std::int64_t kColumnChunkBytes = std::int64_t{4} << 20;

  // column_chunk_bytes: the chunk size above (tests make it small to cover the chunking).
  Conv2d(Backend& backend, const std::string& name, const Conv3x3Shape& shape, std::int64_t out_channels,
         Parameterisation p, std::int64_t column_chunk_bytes = kColumnChunkBytes);

  const Conv3x3Shape& shape() const { return shape_; }
  std::int64_t out_channels() const { return this->fan_out(); }
  std::int64_t input_features() const override { return shape_.input_features(); }
  std::int64_t output_features() const override {
    return shape_.out_height() * shape_.out_width() * out_channels();
  }
  MatrixView<const T> forward(MatrixView<const T> X) override;
  void backward_parameters(MatrixView<const T> dY) override;
  MatrixView<const T> backward_input(MatrixView<const T> dY, MatrixView<const T> feedback) override;

 private:
  // The rows of a batch's pixels: N x (P * out) viewed as (N * P) x out.
  MatrixView<const T> as_pixels(MatrixView<const T> batch) const;
  std::int64_t patches() const { return shape_.out_height() * shape_.out_width(); }
  // Images per chunk: about column_chunk_bytes_ of columns on the host; the whole batch on a GPU
  // (one launch per operation, and its memory is not a cache).
  std::int64_t images_per_chunk(std::int64_t images) const;
  // im2col of images [first, first + count) of X into columns_.
  MatrixView<const T> lower(MatrixView<const T> X, std::int64_t first, std::int64_t count);

  Conv3x3Shape shape_;
  std::int64_t column_chunk_bytes_;
  std::int64_t batch_rows_ = 0;
  MatrixView<const T> input_;  // the last forward's input (the weight gradient lowers it again)
  RowBuffer<T> columns_;       // im2col of one chunk, (images * Ho*Wo) x 9C
  RowBuffer<T> output_;        // (N*Ho*Wo) x out
  RowBuffer<T> column_grad_;   // the columns' gradient of one chunk
  RowBuffer<T> input_grad_;    // N x H*W*C
};

}  // namespace lwnet::nn
