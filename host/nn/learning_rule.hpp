// The learning rule: how each layer's weight update is formed from the output error. Backprop
// sends the error down the live network's own weights; the rules of spec section 2 (Align-zero,
// Align-ada, Align-prop, FA, DFA, last-layer) replace the signal a block receives (a frozen copy's
// backward, fixed feedback matrices given to LinearMap::backward_input, or a direct projection of
// the error) without touching the network's code.
#pragma once

#include <memory>

#include "lwnet/net.hpp"
#include "nn/network.hpp"

namespace lwnet::nn {

template <class T>
class LearningRule {
 public:
  virtual ~LearningRule() = default;
  // Called once per batch after net.forward(X) and the loss: writes the grad of every parameter
  // the optimiser then applies, from the output error e = dL/dF.
  virtual void compute_gradients(Network<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) = 0;
};

// The ordinary gradient of the live network.
template <class T>
class Backprop final : public LearningRule<T> {
 public:
  void compute_gradients(Network<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) override {
    (void)X;
    net.backward(output_error);
  }
};

// The rule of a trained method (not kme); InvalidArgument for a method without one.
template <class T>
std::unique_ptr<LearningRule<T>> make_learning_rule(net::Method method);

}  // namespace lwnet::nn
