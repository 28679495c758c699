// The recurrent Add task of the Align paper's code (spec 2.3): sequences of T coin flips
// x_t ~ Bernoulli(0.5) with targets y_t = 0.5 + 0.5 x_{t-a} - 0.25 x_{t-b} (a = 2, b = 5; x_t = 0
// before the sequence starts), learnt by an Elman ReLU network
//   h_t = ReLU(x_t W_ih + s W_hh h_{t-1} + b),  o_t = s w_ho . h_t + b_o,  s = 1/sqrt(width),
// trained on the summed loss sum_t mean_batch (o_t - y_t)^2 by backprop through time, Align-zero,
// Align-ada or the readout alone.
//
// Differences from the reference code (train_add.py), on purpose: its np.roll wraps each sequence
// around (x_{t-a} at t < a comes from the sequence's end) and its "zero before the start" line
// zeroes whole sequences (rows) instead of steps: lwnet generates the spec's targets. The trainable
// initial state h_0 is one 1 x width row shared by every sequence (the code's is batch x width,
// one row per batch position, which ties a model to its batch size).
#pragma once

#include "lwnet/export.h"

#include <cstdint>
#include <functional>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/matrix.hpp"
#include "lwnet/net.hpp"

namespace lwnet::net {

struct LWNET_API AddTaskSpec {
  static constexpr std::int64_t kMaxSteps = 100000;
  static constexpr std::int64_t kMaxSequences = 10000000;

  std::int64_t steps = 100;           // T
  std::int64_t train_sequences = 300;
  std::int64_t test_sequences = 100;
  int lag_a = 2;                      // y_t = 0.5 + 0.5 x_{t-lag_a} - 0.25 x_{t-lag_b}
  int lag_b = 5;
  std::uint64_t seed = 99;            // the draws of x (the code's seed)

  // InvalidArgument naming the field when out of range.
  void validate() const;
};

// Inputs and targets, host, one sequence per row (sequences x T).
struct LWNET_API AddTaskData {
  Matrix<float> train_inputs;
  Matrix<float> train_targets;
  Matrix<float> test_inputs;
  Matrix<float> test_targets;
};

// Draws the inputs from spec.seed (counter-based: the same on every machine) and computes the targets.
LWNET_API AddTaskData make_add_task(const AddTaskSpec& spec);

// Align-ada on the recurrent net: `code` (the reference code's, the default) sends a live state
// h_t only the frozen copy's signal through step t + 1; `full` adds the same step's readout term
// s w_ho0 e_t (then the first update equals backprop's, as on feed-forward nets).
enum class AlignAdaVariant { code, full };
LWNET_API const char* to_string(AlignAdaVariant v);
// InvalidArgument listing the accepted names.
LWNET_API AlignAdaVariant parse_align_ada_variant(const std::string& text);

struct LWNET_API AddTaskOptions {
  static constexpr std::int64_t kMaxWidth = 1 << 16;

  Method method = Method::backprop;  // backprop, align_zero, align_ada or last_layer (the readout and h_0)
  std::int64_t width = 64;
  Init init = Init::ntk;
  int epochs = 200;
  std::int64_t batch_size = 50;
  OptimizerKind optimizer = OptimizerKind::sgd;
  double learning_rate = 0.001;
  double momentum = 0.0;  // SGD; the code's plain SGD
  double weight_decay = 0.0;
  std::uint64_t seed = 0;  // the weights' draws and the shuffling
  AlignAdaVariant align_ada = AlignAdaVariant::code;

  // InvalidArgument naming the option (as the CLI spells it) when out of range or a method the
  // task does not offer.
  void validate() const;
};

// One epoch: the losses of the whole training and test sets after it (sum over steps of the
// mean over sequences), and the epoch's training time.
struct LWNET_API AddTaskRecord {
  int epoch = 0;  // 1-based
  double train_loss = 0.0;
  double test_loss = 0.0;
  double seconds = 0.0;
};
using AddTaskCallback = std::function<void(const AddTaskRecord&)>;

struct LWNET_API AddTaskResult {
  std::vector<AddTaskRecord> history;
  double min_test_loss = 0.0;  // the spec's metric: the minimum over epochs (NaN if the first diverged)
  int best_epoch = 0;
  // The epoch whose loss stopped being finite (training stopped there; the metric is over the
  // epochs before it, as the reference code's minimum is), or 0.
  int diverged_epoch = 0;
  double initial_test_loss = 0.0;  // of the untrained network
  // Baselines on the test set: the training targets' mean at each step, and the code's
  // "random chance" constant 0.5.
  double mean_prediction_test_loss = 0.0;
  double half_prediction_test_loss = 0.0;
  std::vector<NamedTensor> parameters;  // rnn.input_weight, ..., readout.bias, on the host
  double fit_seconds = 0.0;
};

// The summed loss of predicting `prediction` (1 x T, the same for every sequence) for targets.
LWNET_API double constant_prediction_loss(MatrixView<const float> targets, MatrixView<const float> prediction);

// Trains the recurrent net on data.train_* with options, measuring both sets after every epoch.
// Deterministic for a seed on a backend (bitwise on the CPU at any thread count). `progress` may
// throw (e.g. Cancelled) to stop. A run whose loss stops being finite stops there (diverged_epoch)
// and keeps the epochs before it; `parameters` then hold the non-finite weights.
LWNET_API AddTaskResult train_add_task(Backend& backend, const AddTaskData& data, const AddTaskOptions& options,
                                       const AddTaskCallback& progress = {});

}  // namespace lwnet::net
