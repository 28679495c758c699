// The Add task's network (spec 2.3): an Elman ReLU layer over the sequence and a scalar readout
// at every step, o_t = s w_ho . h_t + b_o (s = 1/sqrt(n) under the NTK parameterisation). A batch
// is N sequences of T steps, one per row (N x T, one input per step); the outputs are N x T.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nn/linear.hpp"
#include "nn/rnn.hpp"

namespace lwnet::nn {

template <class T>
class RecurrentNet {
 public:
  RecurrentNet(Backend& backend, std::int64_t steps, std::int64_t width, Parameterisation p);

  // Every weight from `seed` (W_ih, W_hh, then w_ho, each from its own counters); biases and h_0 zero.
  void initialise(std::uint64_t seed);
  // The outputs o (N x T) of a batch of sequences X (N x T); valid until the next forward.
  MatrixView<const T> forward(MatrixView<const T> X);
  // Backpropagation through time of dL/do (N x T): every parameter's grad is written.
  void backward(MatrixView<const T> output_error);
  // dL/dh_t of every step from the readout alone, s e_t w_ho^T with the given readout weight
  // (n x 1): N x T*n, valid until the next call. Needs the last forward.
  MatrixView<const T> readout_signal(MatrixView<const T> output_error, MatrixView<const T> readout_weight);
  // The readout's grads from dL/do alone (its input: the last forward's states).
  void readout_backward(MatrixView<const T> output_error);

  ElmanRnn<T>& rnn() { return *rnn_; }
  Dense<T>& readout() { return *readout_; }
  std::int64_t steps() const { return rnn_->steps(); }
  std::int64_t width() const { return rnn_->hidden(); }
  // rnn.input_weight, rnn.recurrent_weight, rnn.bias, rnn.initial_state, readout.weight, readout.bias.
  std::vector<Parameter<T>*> parameters();

 private:
  // N x T viewed as the (N*T) x 1 column the per-step readout reads and writes (and back).
  static MatrixView<const T> as_column(MatrixView<const T> batch);

  Backend& backend_;
  std::unique_ptr<ElmanRnn<T>> rnn_;
  std::unique_ptr<Dense<T>> readout_;
  std::int64_t rows_ = 0;  // the last forward's batch
};

}  // namespace lwnet::nn
