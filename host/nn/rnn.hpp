// An Elman ReLU recurrent layer over a whole sequence (spec 2.3):
//   h_t = ReLU(s_in x_t W_ih + s_h h_{t-1} W_hh + b),  h_0 a trainable 1 x n state (zeros at first),
// with s_in = 1/sqrt(in) and s_h = 1/sqrt(n) under the NTK parameterisation (1 otherwise).
// A batch row holds the sequence time-major: x_t is columns [t*in, (t+1)*in) of N x (T*in); the
// output row holds every h_t the same way, N x (T*n), so a per-step readout is a Dense on the
// (N*T) x n view. backward() is backpropagation through time.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/linear.hpp"
#include "nn/module.hpp"

namespace lwnet::nn {

template <class T>
class ElmanRnn final : public Module<T> {
 public:
  ElmanRnn(Backend& backend, const std::string& name, std::int64_t steps, std::int64_t in, std::int64_t hidden,
           Parameterisation p);

  std::int64_t steps() const { return steps_; }
  std::int64_t hidden() const { return input_weight_.value.cols(); }
  std::int64_t input_features() const override { return steps_ * input_weight_.value.rows(); }
  std::int64_t output_features() const override { return steps_ * hidden(); }
  // W_ih, W_hh ~ N(0, 1) (ntk) or N(0, 1/fan_in) (standard) from counters starting at offset;
  // b and h_0 zero.
  void initialise(std::uint64_t seed, std::uint64_t offset);
  MatrixView<const T> forward(MatrixView<const T> X) override;
  // Backpropagation through time; keeps what each state received through the next step
  // (carried_gradients()).
  MatrixView<const T> backward(MatrixView<const T> dY, bool want_input_grad) override;
  // The last backward's dL/dh_k arriving through step k + 1 alone, s_h delta_{k+1} W_hh^T, for
  // k = 0..T-1 in columns [k*n, (k+1)*n) (k = 0: the initial state's, per row): what the Align rules
  // take from a frozen copy's BPTT.
  MatrixView<const T> carried_gradients() { return carried_.rows(input_.rows()); }
  // The parameters' grads when dL/dh_t is given for every step (dH, N x T*n, step t's in columns
  // [(t-1)*n, t*n)) and nothing is carried through W_hh: delta_t = ReLU'(h_t) * dH_t with the last
  // forward's states; dh0 (N x n) the initial state's. A learning rule's own BPTT signal.
  void backward_parameters_per_step(MatrixView<const T> dH, MatrixView<const T> dh0);
  std::vector<Parameter<T>*> parameters() override {
    return {&input_weight_, &recurrent_weight_, &bias_, &initial_state_};
  }

  Parameter<T>& input_weight() { return input_weight_; }
  Parameter<T>& recurrent_weight() { return recurrent_weight_; }

 private:
  // InvalidArgument unless dH is N x T*n for the last forward's N.
  void check_step_grads(const char* op, MatrixView<const T> dH) const;
  // Adds step t's share of the weight and bias grads from its pre-activation grad (overwrites
  // them when `first`).
  void accumulate_step_grads(std::int64_t t, MatrixView<T> delta, bool first);
  // Columns of step t in a time-major N x (T*width) batch.
  template <class U>
  static MatrixView<U> step(MatrixView<U> batch, std::int64_t t, std::int64_t width) {
    return batch.block(0, t * width, batch.rows(), width);
  }

  std::int64_t steps_;
  T input_scale_;
  T recurrent_scale_;
  Parameterisation parameterisation_;
  Parameter<T> input_weight_;      // in x n
  Parameter<T> recurrent_weight_;  // n x n
  Parameter<T> bias_;              // 1 x n
  Parameter<T> initial_state_;     // 1 x n
  // Step t's rows of the time-major state buffer: h_t for the batch, N x n, apart from other steps
  // (the Blas front end refuses an output whose memory range crosses an input's).
  MatrixView<T> state(std::int64_t t, std::int64_t rows) { return states_.rows((steps_ + 1) * rows).row_range(t * rows, rows); }

  MatrixView<const T> input_;  // the last forward's input (its rows: the batch backward expects)
  RowBuffer<T> states_;       // ((T+1) N) x n: h_0, h_1, ..., h_T, each N x n
  RowBuffer<T> output_;       // N x T*n: h_1..h_T side by side, the module's output
  RowBuffer<T> pre_grad_;     // N x n: dL/d(pre-activation) of the current step
  RowBuffer<T> carried_;      // N x T*n: dL/dh_k carried from step k+1, k = 0..T-1
  RowBuffer<T> input_grad_;   // N x T*in
};

}  // namespace lwnet::nn
