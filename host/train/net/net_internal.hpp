// Shared by the trained networks' training, prediction and model files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "lwnet/net.hpp"
#include "nn/learning_rule.hpp"
#include "nn/network.hpp"

namespace lwnet::net {

// The batches of n rows: ceil(n / batch_size) of them, sizes as equal as possible (they differ by
// at most one row, larger first), so no batch is a lone row unless n is 1: batch normalisation
// takes its statistics from the batch, and a single row has none.
struct Batch {
  std::int64_t start = 0;
  std::int64_t rows = 0;
};
std::vector<Batch> batches_of(std::int64_t n, std::int64_t batch_size);

// Throws InvalidArgument when a batch-norm network would see a single-row batch (n == 1).
void check_batch_norm_rows(const NetOptions& options, std::int64_t n, const char* op);

// A host copy of X_raw (finite, as many features as the model) with the model's preprocessing.
Matrix<float> preprocess(const NetModel& model, MatrixView<const float> X_raw, const char* op);

// The number of rows whose first maximal output equals the label, in batches of batch_size.
std::int64_t count_correct(Backend& backend, nn::Network<float>& net, MatrixView<const float> X,
                           MatrixView<const std::int32_t> labels, std::int64_t batch_size);

// net::train with the learning rule `make_rule` gives for the network just initialised (theta_0):
// what the alignment score's training (a rule that records beside backprop) shares with it.
// `networks`: how many networks run forward and backward on every batch (2 with a frozen copy),
// for the memory check.
using RuleMaker = std::function<std::unique_ptr<nn::LearningRule<float>>(nn::Network<float>& net)>;
NetModel train_with_rule(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
                         const std::vector<std::string>& classes, const NetOptions& options, const EvalSet& test,
                         const EpochCallback& progress, const BatchCallback& batch_progress, const RuleMaker& make_rule,
                         int networks);

// A network with the model's architecture and trained parameters on `backend`.
nn::Network<float> restore_network(Backend& backend, const NetModel& model);

}  // namespace lwnet::net
