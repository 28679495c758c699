// The alignment score of spec 2.4 (the Align paper's alignment_*.py): a backprop network is
// trained, and beside it the Align-zero update driven by that network's error is accumulated
// (theta_0's gradient at the live error, SGD at the same learning rate). For each hidden layer the
// two weight changes, dW = W_trained - W_0 and dW_ref = W_align - W_0, are compared through what
// they do to Gaussian noise of the layer input's shape:
//   P = dW^T dW N / C_out (a convolution: the convolution, then its transpose), each P divided by
//   its mean |.|, score = sum_draws <P, P_ref> / sqrt(sum_draws ||P||^2 * sum_draws ||P_ref||^2),
// with ||.||^2 and <.,.> the batch means of per-sample sums, and draws with a non-finite value
// skipped. The control does the same with the trained weights' entries shuffled (W_trained
// permuted, then W_0 subtracted): a score that alignment does not explain.
//
// Differences from the reference, on purpose: its KMNIST scoring reads the first three layers of
// 7-layer networks as if they were the 3-layer ones (strides 1,2,2 over layers trained with
// 1,1,1); lwnet scores the network it trained. The reference skips a draw when any layer's value
// is not finite; lwnet skips it for that layer alone.
#pragma once

#include "lwnet/export.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/net.hpp"

namespace lwnet::net {

struct LWNET_API AlignmentOptions {
  static constexpr int kMaxDraws = 1000000;

  int draws = 100;                 // noise draws per layer
  std::int64_t noise_batch = 100;  // samples per draw
  std::uint64_t seed = 0;          // the noise and the control's shuffle (apart from the training seed)

  // InvalidArgument naming the option as the CLI spells it.
  void validate() const;
};

struct LWNET_API LayerAlignment {
  std::string layer;  // "layer.1", ...
  double score = std::numeric_limits<double>::quiet_NaN();
  double shuffled_score = std::numeric_limits<double>::quiet_NaN();  // the control
  int draws = 0;           // finite draws behind score
  int shuffled_draws = 0;  // ... and behind shuffled_score
};

struct LWNET_API AlignmentResult {
  NetModel model;  // the trained backprop network (history included)
  std::vector<LayerAlignment> layers;
};

// InvalidArgument unless alignment_scores can run with these options (what it checks first).
LWNET_API void check_alignment_options(const NetOptions& options, const AlignmentOptions& alignment);

// Trains options' network by backprop (options.method must be backprop; plain SGD, as the
// Align-zero update it is compared with: momentum 0) and scores every hidden layer. Deterministic
// for the seeds on a backend. Callbacks as net::train's.
LWNET_API AlignmentResult alignment_scores(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
                                           const std::vector<std::string>& classes, const NetOptions& options,
                                           const AlignmentOptions& alignment, const EvalSet& test = {},
                                           const EpochCallback& progress = {},
                                           const BatchCallback& batch_progress = {});

}  // namespace lwnet::net
