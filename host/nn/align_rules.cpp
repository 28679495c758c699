// Align-zero and Align-ada (spec section 2.2): a frozen copy of the network at initialisation
// (theta_0) runs forward on every batch beside the live one, and the live network's output error
// is sent down it. At step 0 the copies coincide and both rules give backprop's update exactly.
#include <vector>

#include "nn/rule_parts.hpp"

namespace lwnet::nn {

namespace {

// Every parameter, the readout's included, is updated with the frozen network's gradient at the
// live error: frozen activations, batch norms (with their cross-sample terms), ReLU' and weights.
template <class T>
class AlignZero final : public LearningRule<T> {
 public:
  AlignZero(Backend& backend, const net::NetOptions& options, Network<T>& net)
      : backend_(backend), frozen_(copy_of(backend, options, net)) {}

  void compute_gradients(Network<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) override {
    frozen_->forward(X);
    frozen_->backward(output_error);
    const std::vector<Parameter<T>*> live = net.parameters(), frozen = frozen_->parameters();
    for (std::size_t i = 0; i < live.size(); ++i) backend_.copy(frozen[i]->grad.cview(), live[i]->grad.view());
  }

 private:
  Backend& backend_;
  std::unique_ptr<Network<T>> frozen_;
};

// The readout gets the live gradient. Hidden block l below the last gets, at its live post-BN
// hhat^l, the frozen network's gradient at the input of frozen block l + 1 (ReLU' at the frozen
// hhat0^l; weights and batch norms above l frozen); the last hidden block gets W0_out^T e (scaled)
// back through the pooling and the LIVE ReLU'. Each signal then goes through the live batch norm,
// and the weight gradient uses the live block input.
template <class T>
class AlignAda final : public LearningRule<T> {
 public:
  AlignAda(Backend& backend, const net::NetOptions& options, Network<T>& net)
      : frozen_(copy_of(backend, options, net)) {}

  void compute_gradients(Network<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) override {
    const auto& blocks = net.blocks();
    const auto& frozen_blocks = frozen_->blocks();
    const int depth = static_cast<int>(blocks.size());
    // The frozen backward, keeping dL/dhhat0^l of every hidden block (the activations' backward
    // outputs stay valid: each module owns its buffer).
    frozen_->forward(X);
    std::vector<MatrixView<const T>> frozen_signal(blocks.size());
    Dense<T>& frozen_readout = frozen_->readout();
    MatrixView<const T> delta = frozen_readout.backward_input(output_error, frozen_readout.weight().value.cview());
    if (frozen_->pool() != nullptr) delta = frozen_->pool()->backward(delta, true);
    for (int l = depth - 1; l >= 1; --l) {
      const HiddenBlock<T>& block = frozen_blocks[static_cast<std::size_t>(l)];
      delta = block.activation->backward(delta, true);
      if (l < depth - 1) frozen_signal[static_cast<std::size_t>(l)] = delta;
      if (block.batch_norm != nullptr) delta = block.batch_norm->backward(delta, true);
      delta = block.linear->backward_input(delta, block.linear->weight().value.cview());
    }
    if (depth >= 2) frozen_signal[0] = frozen_blocks[0].activation->backward(delta, true);

    // The live updates.
    Dense<T>& readout = net.readout();
    readout.backward_parameters(output_error);
    MatrixView<const T> top = readout.backward_input(output_error, frozen_readout.weight().value.cview());
    if (net.pool() != nullptr) top = net.pool()->backward(top, true);
    for (int l = 0; l < depth; ++l) {
      const HiddenBlock<T>& block = blocks[static_cast<std::size_t>(l)];
      MatrixView<const T> signal =
          l == depth - 1 ? block.activation->backward(top, true) : frozen_signal[static_cast<std::size_t>(l)];
      if (block.batch_norm != nullptr) signal = block.batch_norm->backward(signal, true);
      block.linear->backward_parameters(signal);
    }
  }

 private:
  std::unique_ptr<Network<T>> frozen_;
};

}  // namespace

template <class T>
std::unique_ptr<LearningRule<T>> make_align_zero(Backend& backend, const net::NetOptions& options, Network<T>& net) {
  return std::make_unique<AlignZero<T>>(backend, options, net);
}

template <class T>
std::unique_ptr<LearningRule<T>> make_align_ada(Backend& backend, const net::NetOptions& options, Network<T>& net) {
  return std::make_unique<AlignAda<T>>(backend, options, net);
}

template std::unique_ptr<LearningRule<float>> make_align_zero<float>(Backend&, const net::NetOptions&, Network<float>&);
template std::unique_ptr<LearningRule<double>> make_align_zero<double>(Backend&, const net::NetOptions&, Network<double>&);
template std::unique_ptr<LearningRule<float>> make_align_ada<float>(Backend&, const net::NetOptions&, Network<float>&);
template std::unique_ptr<LearningRule<double>> make_align_ada<double>(Backend&, const net::NetOptions&, Network<double>&);

}  // namespace lwnet::nn
