// Training a network on a labelled set, scored on the whole training set and on an optional test
// set after the fit and, through the library's callback, after every epoch: the part `lwnet train
// --method backprop` and `lwnet cv --method backprop` share.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "cli/options.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/net.hpp"

namespace lwnet::cli {

struct NetRun {
  net::NetModel model;
  std::vector<net::EpochRecord> epochs;  // as reported after each epoch
  double train_accuracy = 0.0;           // of the trained network on the whole training set
  std::optional<double> test_accuracy;   // with a test set
};

// Trains on `train` (labels `encoding`) and scores the result; `test` and `truth` (encode_truth of
// its labels) are both given or both null. `progress` sees each epoch's record; a Ctrl-C stops the
// fit after the epoch (Cancelled). Test labels that are not classes of the model count as
// misclassified, in each epoch's figure as in the final one.
NetRun fit_network(Backend& backend, const LabeledData& train, const LabelEncoding& encoding, const LabeledData* test,
                   const Truth* truth, const net::NetOptions& options, const net::EpochCallback& progress);

// fit_network with another training function (the alignment score's), given the per-epoch test
// set and the callbacks fit_network would pass to net::train.
using NetTrainer = std::function<net::NetModel(const net::EvalSet& test, const net::EpochCallback& progress,
                                               const net::BatchCallback& batch_progress)>;
NetRun fit_network_with(Backend& backend, const LabeledData& train, const LabelEncoding& encoding,
                        const LabeledData* test, const Truth* truth, const net::NetOptions& options,
                        const net::EpochCallback& progress, const NetTrainer& trainer);

}  // namespace lwnet::cli
