// A feed-forward network of hidden blocks and a readout, built from an Architecture:
//   dense: [Dense -> (BatchNorm) -> ReLU] x depth -> Dense readout
//   conv:  [Conv2d 3x3 -> (BatchNorm) -> ReLU] x strides -> GlobalAvgPool -> Dense readout
// A block's linear map is what a learning rule updates and whose feedback it may replace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lwnet/net.hpp"
#include "nn/linear.hpp"
#include "nn/shape_ops.hpp"

namespace lwnet::nn {

template <class T>
struct HiddenBlock {
  LinearMap<T>* linear = nullptr;
  BatchNorm<T>* batch_norm = nullptr;  // null without ":bn"
  ActivationModule<T>* activation = nullptr;
};

template <class T>
class Network {
 public:
  // input_features: the flattened input width (checked against options.image for conv nets).
  Network(Backend& backend, const net::NetOptions& options, std::int64_t input_features, int num_classes);

  // Draws every weight from options.seed (biases 0): the same numbers on every backend (to the last bit or so of log and cos).
  void initialise(std::uint64_t seed);

  // The outputs F (N x classes) of a batch; valid until the next forward.
  MatrixView<const T> forward(MatrixView<const T> X);
  // The outputs of the first `blocks` hidden blocks alone (their activation's output), 1 <= blocks
  // <= blocks().size(): what a layer-wise loss of block `blocks` sees. Valid until the next forward.
  MatrixView<const T> forward_hidden(MatrixView<const T> X, int blocks);
  // The readout's input for the network truncated after `blocks` hidden blocks: their output,
  // pooled over the pixels for conv nets.
  MatrixView<const T> forward_features(MatrixView<const T> X, int blocks);
  // The outputs F of the network truncated after `blocks` hidden blocks: those blocks, the pooling
  // and the readout (every hidden block has the readout's input width).
  MatrixView<const T> forward_truncated(MatrixView<const T> X, int blocks);
  // Backprop of dL/dF through every module: each parameter's grad is written.
  void backward(MatrixView<const T> output_error);

  const std::vector<HiddenBlock<T>>& blocks() const { return blocks_; }
  Dense<T>& readout() { return *readout_; }
  GlobalAvgPool<T>* pool() { return pool_; }
  // Every module in forward order.
  const std::vector<std::unique_ptr<Module<T>>>& modules() const { return modules_; }
  // Every parameter in forward order (layer.1.weight, layer.1.bias, ..., readout.bias).
  std::vector<Parameter<T>*> parameters();
  std::int64_t input_features() const { return modules_.front()->input_features(); }
  int num_classes() const { return static_cast<int>(readout_->output_features()); }

  // About how many bytes the buffers of a batch of `rows` rows take: every module's output, a
  // convolution's patch matrix, and in training the gradients of both. An estimate to refuse a
  // batch that cannot fit before the first one is allocated (require_activation_memory).
  std::int64_t activation_bytes(std::int64_t rows, bool training);
  // Throws InvalidArgument naming `op`, the batch and the memory when `copies` times
  // activation_bytes (2 when a learning rule runs a frozen copy of the network on every batch)
  // exceeds what the backend says it has free (nothing when it cannot tell).
  void require_activation_memory(std::int64_t rows, bool training, const char* op, int copies = 1);

 private:
  template <class M, class... Args>
  M* add(Args&&... args);

  Backend& backend_;
  std::vector<std::unique_ptr<Module<T>>> modules_;
  std::vector<HiddenBlock<T>> blocks_;
  GlobalAvgPool<T>* pool_ = nullptr;
  RowBuffer<T> truncated_pool_;  // forward_truncated's pooled features (conv nets)
  Dense<T>* readout_ = nullptr;
};

// The name and shape of each parameter of the network an architecture builds, in forward order,
// computed without building it (model files are checked against it before any allocation).
struct ParameterShape {
  std::string name;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};
std::vector<ParameterShape> parameter_shapes(const net::NetOptions& options, std::int64_t input_features,
                                             int num_classes);

// The width of dense hidden block `block` (0-based): the architecture's, but the last block of an
// unformatted HSIC-bottleneck net has one unit per class.
std::int64_t dense_block_width(const net::NetOptions& options, int block, int num_classes);

// The image geometry a conv net's first layer sees; throws InvalidArgument when the options give
// none or it does not match the input width.
net::ImageShape conv_input_shape(const net::NetOptions& options, std::int64_t input_features);

}  // namespace lwnet::nn
