// Shared by the trained networks' training, prediction and model files.
#pragma once

#include <chrono>
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

// The number of rows whose first maximal output equals the label, in batches of batch_size; with
// `blocks` > 0, of the network truncated after that many hidden blocks (Network::forward_truncated).
std::int64_t count_correct(Backend& backend, nn::Network<float>& net, MatrixView<const float> X,
                           MatrixView<const std::int32_t> labels, std::int64_t batch_size, int blocks = 0);

// What every trainer starts from: the checked, preprocessed training data and test set on the
// backend, and the model's description (options, input width, classes, statistics).
struct PreparedTraining {
  NetModel model;
  Matrix<float> X;                   // n x d, preprocessed, on the backend
  Matrix<float> X_test;              // empty without a test set
  Matrix<std::int32_t> labels_test;
  std::int64_t n = 0;
  int classes = 0;
};
PreparedTraining prepare_training(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
                                  const std::vector<std::string>& classes, const NetOptions& options,
                                  const EvalSet& test);
// Labels as an n x 1 host column, in `order` when given.
Matrix<std::int32_t> int_labels(const std::vector<int>& y, const std::vector<std::int64_t>* order);
// The end of every trainer: the parameters downloaded and the fit time.
void finish_model(Backend& backend, nn::Network<float>& net, NetModel& model, double fit_seconds);
// Throws NumericalError when an epoch's mean loss is not finite.
void check_epoch_loss(double loss, int epoch, const char* advice);

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start);
// The key every trainer's per-epoch row order is drawn with (seed ^ key): the same permutations.
constexpr std::uint64_t kShuffleSalt = 0x53485546464c4531ULL;
// record.seconds and samples_per_second of an epoch over n rows that started at `start`.
void time_epoch(EpochRecord& record, Clock::time_point start, std::int64_t n);
// The share of X's rows count_correct finds (with `blocks` as there).
double accuracy_of(Backend& backend, nn::Network<float>& net, MatrixView<const float> X,
                   MatrixView<const std::int32_t> labels, std::int64_t batch_size, int blocks = 0);
// record.test_accuracy on the prepared test set, when there is one.
void score_test_set(Backend& backend, nn::Network<float>& net, const PreparedTraining& t, EpochRecord& record,
                    std::int64_t batch_size, int blocks = 0);

// The layer-wise trainers (train.cpp dispatches to them): dgl.cpp and hsic_bottleneck.cpp.
NetModel train_dgl(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
                   const std::vector<std::string>& classes, const NetOptions& options, const EvalSet& test,
                   const EpochCallback& progress, const BatchCallback& batch_progress);
NetModel train_hsic_bottleneck(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
                               const std::vector<std::string>& classes, const NetOptions& options, const EvalSet& test,
                               const EpochCallback& progress, const BatchCallback& batch_progress);

// DglOptions::monitor: DGL_l of every hidden block of `net` (1..L) as the mean over the first
// batches (at most kMonitorBatches of options.batch_size rows) of the training set X (on the
// backend, unshuffled); NaN for a layer whose kernel has no Cholesky factor.
constexpr int kMonitorBatches = 10;
std::vector<double> dgl_monitor(Backend& backend, nn::Network<float>& net, MatrixView<const float> X,
                                const std::vector<int>& y, int classes, const NetOptions& options);
// The DGL targets of the rows `order` (n x c, host): one-hot, minus each batch's class
// frequencies when options.center_targets.
Matrix<double> dgl_targets(const std::vector<int>& y, const std::vector<std::int64_t>* order, int classes,
                           const std::vector<Batch>& batches, bool center);

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
