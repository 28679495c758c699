// What the learning rules share (learning_rule.cpp, align_rules.cpp, feedback_rules.cpp): the
// backward pass through the live network's blocks with a chosen feedback matrix per linear map, a
// copy of a network (the frozen theta_0), and each family's constructor.
#pragma once

#include <functional>
#include <memory>

#include "nn/learning_rule.hpp"

namespace lwnet::nn {

// The feedback matrix (of W's shape) the signal is sent down a linear map with: block l's
// (0-based), or the readout's for l == -1.
template <class T>
using FeedbackOf = std::function<MatrixView<const T>(int l)>;

// Every parameter's grad from the output error e, the signal sent down each linear map by its
// feedback matrix instead of its own weights (backprop when feedback_of gives the weights).
template <class T>
void backward_with_feedback(Network<T>& net, MatrixView<const T> e, const FeedbackOf<T>& feedback_of);

// dL/dh (the linear map's output) of hidden block `block` from dL/da (its activation's output),
// through its activation and batch norm as they ran in the last forward.
template <class T>
MatrixView<const T> through_block_tail(const HiddenBlock<T>& block, MatrixView<const T> da);

// A network of net's architecture whose parameters are a copy of net's now.
template <class T>
std::unique_ptr<Network<T>> copy_of(Backend& backend, const net::NetOptions& options, Network<T>& net);

template <class T>
std::unique_ptr<LearningRule<T>> make_align_zero(Backend& backend, const net::NetOptions& options, Network<T>& net);
template <class T>
std::unique_ptr<LearningRule<T>> make_align_ada(Backend& backend, const net::NetOptions& options, Network<T>& net);
template <class T>
std::unique_ptr<LearningRule<T>> make_align_prop(Backend& backend, const net::NetOptions& options, Network<T>& net);
template <class T>
std::unique_ptr<LearningRule<T>> make_feedback_alignment(Backend& backend, const net::NetOptions& options,
                                                         Network<T>& net);
template <class T>
std::unique_ptr<LearningRule<T>> make_direct_feedback_alignment(Backend& backend, const net::NetOptions& options,
                                                                Network<T>& net);

}  // namespace lwnet::nn
