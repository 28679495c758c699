// The alignment score of spec 2.4 (the reference's alignment_*.py): how closely the weight change
// that backprop makes in a hidden layer, dW = W_trained - W_0, matches the change the Align-zero
// update would have made along the same run, dW_ref = W_align - W_0 (the frozen theta_0's
// gradient at the backprop network's error, accumulated by SGD at the same learning rate).
// Each change is compared through what it does to noise: P = dW^T dW N / C_out (for a
// convolution: the convolution, then its transpose), N ~ N(0, 1) of the layer input's shape.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nn/learning_rule.hpp"

namespace lwnet::nn {

// Backprop for the live network and, beside it, the accumulated Align-zero update of each hidden
// layer's weight: theta_0 (a frozen copy) runs forward and backward at the live error on every
// batch, and change_l -= lr * its weight gradient.
template <class T>
class AlignZeroRecorder final : public LearningRule<T> {
 public:
  AlignZeroRecorder(Backend& backend, const net::NetOptions& options, Network<T>& net);

  void compute_gradients(Network<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) override;

  // W_align - W_0 of each hidden block's weight.
  const std::vector<Matrix<T>>& align_zero_changes() const { return changes_; }
  // theta_0 (its modules' geometry also serves the projections).
  Network<T>& initial() { return *initial_; }

 private:
  Backend& backend_;
  T learning_rate_;
  std::unique_ptr<Network<T>> initial_;
  std::vector<Matrix<T>> changes_;
};

// One noise draw's three sums for a layer: <P, P_ref>, <P, P>, <P_ref, P_ref> (means over the
// batch of the per-sample sums), with P and P_ref each divided by its mean |.|: the score is
// sum_draws PQ / sqrt(sum_draws PP * sum_draws QQ).
struct ProjectionSums {
  double pq = 0.0;
  double pp = 0.0;
  double qq = 0.0;
  bool finite() const;
};

// P for the weight change `change` of `map`'s shape on noise N (rows x the map's input features),
// on the host in double and divided by its mean |.| (all NaN when the change is zero). `map`'s
// weight is overwritten (it serves as the convolution or product of the change) and its bias
// zeroed; the constants s^2 / C_out that the normalisation removes are left out.
template <class T>
std::vector<double> normalised_projection(Backend& backend, LinearMap<T>& map, MatrixView<const T> noise,
                                          MatrixView<const T> change);

// A draw's sums from two normalised projections of the same `rows` noise samples.
ProjectionSums projection_sums(const std::vector<double>& p, const std::vector<double>& q, std::int64_t rows);

// A rule that forwards to `rule`, which the caller keeps (and reads after training).
template <class T>
std::unique_ptr<LearningRule<T>> borrowed(LearningRule<T>& rule);

}  // namespace lwnet::nn
