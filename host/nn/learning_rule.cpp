#include "nn/learning_rule.hpp"

#include "lwnet/error.hpp"
#include "nn/rule_parts.hpp"

namespace lwnet::nn {

template <class T>
MatrixView<const T> through_block_tail(const HiddenBlock<T>& block, MatrixView<const T> da) {
  MatrixView<const T> delta = block.activation->backward(da, true);
  if (block.batch_norm != nullptr) delta = block.batch_norm->backward(delta, true);
  return delta;
}

template <class T>
void backward_with_feedback(Network<T>& net, MatrixView<const T> e, const FeedbackOf<T>& feedback_of) {
  Dense<T>& readout = net.readout();
  readout.backward_parameters(e);
  MatrixView<const T> delta = readout.backward_input(e, feedback_of(-1));
  if (net.pool() != nullptr) delta = net.pool()->backward(delta, true);
  const auto& blocks = net.blocks();
  for (int l = static_cast<int>(blocks.size()) - 1; l >= 0; --l) {
    delta = through_block_tail(blocks[static_cast<std::size_t>(l)], delta);
    LinearMap<T>& linear = *blocks[static_cast<std::size_t>(l)].linear;
    linear.backward_parameters(delta);
    if (l > 0) delta = linear.backward_input(delta, feedback_of(l));
  }
}

template <class T>
std::unique_ptr<Network<T>> copy_of(Backend& backend, const net::NetOptions& options, Network<T>& net) {
  auto copy = std::make_unique<Network<T>>(backend, options, net.input_features(), net.num_classes());
  const std::vector<Parameter<T>*> from = net.parameters(), to = copy->parameters();
  for (std::size_t i = 0; i < from.size(); ++i) backend.copy(from[i]->value.cview(), to[i]->value.view());
  return copy;
}

namespace {

// Only the readout is trained; the hidden layers keep their initial weights.
template <class T>
class LastLayer final : public LearningRule<T> {
 public:
  void compute_gradients(Network<T>& net, MatrixView<const T>, MatrixView<const T> output_error) override {
    net.readout().backward_parameters(output_error);
  }
  std::vector<Parameter<T>*> trained_parameters(Network<T>& net) override { return net.readout().parameters(); }
};

}  // namespace

template <class T>
std::unique_ptr<LearningRule<T>> make_learning_rule(Backend& backend, const net::NetOptions& options, Network<T>& net) {
  switch (options.method) {
    case net::Method::backprop: return std::make_unique<Backprop<T>>();
    case net::Method::align_zero: return make_align_zero(backend, options, net);
    case net::Method::align_ada: return make_align_ada(backend, options, net);
    case net::Method::align_prop: return make_align_prop(backend, options, net);
    case net::Method::fa: return make_feedback_alignment(backend, options, net);
    case net::Method::dfa: return make_direct_feedback_alignment(backend, options, net);
    case net::Method::last_layer: return std::make_unique<LastLayer<T>>();
    case net::Method::kme:
    case net::Method::dgl:
    case net::Method::hsic_bottleneck: break;  // the closed form; local kernel losses (train/net/dgl.cpp, ...)
  }
  throw InvalidArgument(std::string("method ") + net::to_string(options.method) + " is not trained by a learning rule");
}

#define LWNET_RULE_PARTS(T)                                                                                     \
  template MatrixView<const T> through_block_tail<T>(const HiddenBlock<T>&, MatrixView<const T>);               \
  template void backward_with_feedback<T>(Network<T>&, MatrixView<const T>, const FeedbackOf<T>&);              \
  template std::unique_ptr<Network<T>> copy_of<T>(Backend&, const net::NetOptions&, Network<T>&);               \
  template std::unique_ptr<LearningRule<T>> make_learning_rule<T>(Backend&, const net::NetOptions&, Network<T>&);
LWNET_RULE_PARTS(float)
LWNET_RULE_PARTS(double)
#undef LWNET_RULE_PARTS

}  // namespace lwnet::nn
