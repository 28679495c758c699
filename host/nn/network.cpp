#include "nn/network.hpp"

#include <cstdio>
#include <string>
#include <utility>

#include "lwnet/error.hpp"

namespace lwnet::nn {

net::ImageShape conv_input_shape(const net::NetOptions& options, std::int64_t input_features) {
  if (options.image.empty())
    throw InvalidArgument("a conv net needs the image shape of its inputs (--image HxWxC for CSV data)");
  if (options.image.features() != input_features)
    throw InvalidArgument("the image shape " + options.image.str() + " has " + std::to_string(options.image.features()) +
                          " values but the data have " + std::to_string(input_features) + " features");
  return options.image;
}

std::int64_t dense_block_width(const net::NetOptions& options, int block, int num_classes) {
  const bool class_units = options.method == net::Method::hsic_bottleneck && options.hsic.unformatted &&
                           block == options.arch.depth - 1;
  return class_units ? num_classes : options.arch.width;
}

std::vector<ParameterShape> parameter_shapes(const net::NetOptions& options, std::int64_t input_features,
                                             int num_classes) {
  const net::Architecture& arch = options.arch;
  std::vector<ParameterShape> shapes;
  auto add_linear = [&](const std::string& name, std::int64_t fan_in, std::int64_t fan_out) {
    shapes.push_back({name + ".weight", fan_in, fan_out});
    shapes.push_back({name + ".bias", 1, fan_out});
  };
  std::int64_t features = input_features;
  if (arch.kind == net::Architecture::Kind::dense) {
    for (int l = 0; l < arch.depth; ++l) {
      const std::int64_t width = dense_block_width(options, l, num_classes);
      add_linear("layer." + std::to_string(l + 1), features, width);
      features = width;
    }
  } else {
    std::int64_t channels = conv_input_shape(options, input_features).channels;
    for (std::size_t l = 0; l < arch.strides.size(); ++l) {
      add_linear("layer." + std::to_string(l + 1), 9 * channels, arch.width);
      channels = arch.width;
    }
    features = arch.width;
  }
  add_linear("readout", features, num_classes);
  return shapes;
}

template <class T>
template <class M, class... Args>
M* Network<T>::add(Args&&... args) {
  auto module = std::make_unique<M>(backend_, std::forward<Args>(args)...);
  M* raw = module.get();
  modules_.push_back(std::move(module));
  return raw;
}

template <class T>
Network<T>::Network(Backend& backend, const net::NetOptions& options, std::int64_t input_features, int num_classes)
    : backend_(backend) {
  const Parameterisation p = parameterisation_of(options.init);
  const net::Architecture& arch = options.arch;
  std::int64_t features = input_features;
  auto add_block_tail = [&](HiddenBlock<T>& block, std::int64_t width) {
    if (arch.batch_norm) block.batch_norm = add<BatchNorm<T>>(width, options.bn_epsilon);
    block.activation = add<ActivationModule<T>>(Activation::relu, width);
    blocks_.push_back(block);
  };
  if (arch.kind == net::Architecture::Kind::dense) {
    for (int l = 0; l < arch.depth; ++l) {
      HiddenBlock<T> block;
      const std::int64_t width = dense_block_width(options, l, num_classes);
      block.linear = add<Dense<T>>("layer." + std::to_string(l + 1), features, width, p);
      features = width;
      add_block_tail(block, features);
    }
  } else {
    const net::ImageShape image = conv_input_shape(options, input_features);
    Conv3x3Shape shape{image.height, image.width, image.channels, 1};
    for (std::size_t l = 0; l < arch.strides.size(); ++l) {
      shape.stride = arch.strides[l];
      HiddenBlock<T> block;
      auto* conv = add<Conv2d<T>>("layer." + std::to_string(l + 1), shape, arch.width, p);
      block.linear = conv;
      features = conv->output_features();
      add_block_tail(block, features);
      shape = Conv3x3Shape{shape.out_height(), shape.out_width(), arch.width, 1};
    }
    pool_ = add<GlobalAvgPool<T>>(shape.height * shape.width, arch.width);
    truncated_pool_ = RowBuffer<T>(backend, arch.width);
    features = arch.width;
  }
  readout_ = add<Dense<T>>("readout", features, num_classes, p);
}

template <class T>
std::int64_t Network<T>::activation_bytes(std::int64_t rows, bool training) {
  std::int64_t floats_per_row = 0;
  for (const HiddenBlock<T>& block : blocks_) {
    // A linear map's weight is (fan_in x fan_out); a convolution's fan_in is a patch (9 C_in), so
    // its patch matrix holds output_features / C_out patches of fan_in values per row.
    const Parameter<T>& w = block.linear->weight();
    const std::int64_t patches = block.linear->output_features() / w.value.cols();
    if (patches > 1) floats_per_row += patches * w.value.rows() * (training ? 2 : 1);
  }
  for (const auto& m : modules_) floats_per_row += m->output_features() + (training ? m->input_features() : 0);
  return rows * floats_per_row * static_cast<std::int64_t>(sizeof(T));
}

template <class T>
void Network<T>::require_activation_memory(std::int64_t rows, bool training, const char* op, int copies) {
  const auto available = static_cast<double>(backend_.free_memory_bytes());
  const auto needed = static_cast<double>(copies) * static_cast<double>(activation_bytes(rows, training));
  if (available <= 0.0 || needed <= available) return;
  const double gib = 1024.0 * 1024.0 * 1024.0;
  char figures[128];
  std::snprintf(figures, sizeof figures, "about %.1f GiB of activations, more than the %.1f GiB free on ",
                needed / gib, available / gib);
  throw InvalidArgument(std::string(op) + ": a batch of " + std::to_string(rows) + " rows needs " + figures +
                        backend_.device().str() + (copies > 1 ? " (the frozen copy of the network runs on it too)" : "") +
                        ": lower the batch size or the width");
}

template <class T>
void Network<T>::initialise(std::uint64_t seed) {
  // Each weight matrix takes the next run of counters, so no two share a draw.
  std::uint64_t offset = 0;
  for (const HiddenBlock<T>& block : blocks_) {
    block.linear->initialise(seed, offset);
    offset += static_cast<std::uint64_t>(block.linear->weight().value.size());
  }
  readout_->initialise(seed, offset);
}

template <class T>
MatrixView<const T> Network<T>::forward(MatrixView<const T> X) {
  MatrixView<const T> a = X;
  for (auto& module : modules_) a = module->forward(a);
  return a;
}

template <class T>
MatrixView<const T> Network<T>::forward_hidden(MatrixView<const T> X, int blocks) {
  if (blocks < 1 || blocks > static_cast<int>(blocks_.size()))
    throw InvalidArgument("forward_hidden: block " + std::to_string(blocks) + " of a network of " +
                          std::to_string(blocks_.size()) + " hidden blocks");
  const Module<T>* last = blocks_[static_cast<std::size_t>(blocks - 1)].activation;
  MatrixView<const T> a = X;
  for (auto& module : modules_) {
    a = module->forward(a);
    if (module.get() == last) break;
  }
  return a;
}

template <class T>
MatrixView<const T> Network<T>::forward_features(MatrixView<const T> X, int blocks) {
  const MatrixView<const T> a = forward_hidden(X, blocks);
  if (pool_ == nullptr) return a;
  // A block below the last has more pixels than the pool module was built for: pool directly.
  const MatrixView<T> pooled = truncated_pool_.rows(a.rows());
  backend_.nn().global_avg_pool_forward(a, pooled.cols(), pooled);
  return pooled;
}

template <class T>
MatrixView<const T> Network<T>::forward_truncated(MatrixView<const T> X, int blocks) {
  return readout_->forward(forward_features(X, blocks));
}

template <class T>
void Network<T>::backward(MatrixView<const T> output_error) {
  MatrixView<const T> delta = output_error;
  for (std::size_t i = modules_.size(); i-- > 0;) delta = modules_[i]->backward(delta, i > 0);
}

template <class T>
std::vector<Parameter<T>*> Network<T>::parameters() {
  std::vector<Parameter<T>*> all;
  for (auto& module : modules_)
    for (Parameter<T>* p : module->parameters()) all.push_back(p);
  return all;
}

template class Network<float>;
template class Network<double>;

}  // namespace lwnet::nn
