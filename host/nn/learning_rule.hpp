// The learning rule: how each layer's weight update is formed from the output error (spec section
// 2.2). Backprop sends the error down the live network's own weights; the other rules replace the
// signal a block receives — a frozen copy's backward (Align-zero, Align-ada), fixed feedback
// matrices given to LinearMap::backward_input (Align-prop, FA), a direct projection of the error
// (DFA) — or train the readout alone (last-layer), without touching the network's code.
#pragma once

#include <memory>
#include <vector>

#include "lwnet/net.hpp"
#include "nn/network.hpp"

namespace lwnet::nn {

template <class T>
class LearningRule {
 public:
  virtual ~LearningRule() = default;
  // Called once per batch after net.forward(X) and the loss: writes the grad of every parameter
  // trained_parameters() names, from the output error e = dL/dF.
  virtual void compute_gradients(Network<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) = 0;
  // The parameters the optimiser updates: all of them but for last-layer (the readout alone).
  virtual std::vector<Parameter<T>*> trained_parameters(Network<T>& net) { return net.parameters(); }
  // The fixed feedback matrices, for inspection (tests): FA's, one per linear map in forward order
  // (the readout's last), of its weight's shape; DFA's, one per hidden layer (features x classes).
  // Empty for the other rules.
  virtual std::vector<MatrixView<const T>> feedback() const { return {}; }
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

// The rule of a trained method (not kme; InvalidArgument for it) for `net`, just initialised: its
// parameters are theta_0, which the Align rules copy into their frozen network. FA's and DFA's
// feedback matrices are drawn from options.seed (counters of their own), fixed through training.
template <class T>
std::unique_ptr<LearningRule<T>> make_learning_rule(Backend& backend, const net::NetOptions& options, Network<T>& net);

}  // namespace lwnet::nn
