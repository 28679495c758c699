// lwnet::net::train: mini-batch training of a Network with a learning rule, an optimiser and a
// loss, written once against the backend's families. Per epoch the training set is permuted on
// the backend (one gather) and its labels uploaded once, so a step is a chain of queued backend
// calls with no host synchronisation; the loss and correct counts stay in backend memory until
// the epoch's end.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "core/host_copy.hpp"
#include "lwnet/error.hpp"
#include "lwnet/net.hpp"
#include "lwnet/random.hpp"
#include "nn/learning_rule.hpp"
#include "nn/loss.hpp"
#include "nn/optimizer.hpp"
#include "train/net/net_internal.hpp"

namespace lwnet::net {

namespace {

void check_training_data(MatrixView<const float> X, const Labels& labels, const std::vector<std::string>& classes,
                         const NetOptions& options) {
  options.validate();
  labels.validate(X.rows(), "train");
  if (static_cast<int>(classes.size()) != labels.num_classes)
    throw InvalidArgument("train: " + std::to_string(classes.size()) + " class names for " +
                          std::to_string(labels.num_classes) + " classes");
  if (labels.num_classes < 2) throw InvalidArgument("train: a classifier needs at least 2 classes");
  check_batch_norm_rows(options, X.rows(), "train");
}

}  // namespace

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void time_epoch(EpochRecord& record, Clock::time_point start, std::int64_t n) {
  record.seconds = seconds_since(start);
  record.samples_per_second = record.seconds > 0 ? static_cast<double>(n) / record.seconds : 0.0;
}

double accuracy_of(Backend& backend, nn::Network<float>& net, MatrixView<const float> X,
                   MatrixView<const std::int32_t> labels, std::int64_t batch_size, int blocks) {
  return static_cast<double>(count_correct(backend, net, X, labels, batch_size, blocks)) / static_cast<double>(X.rows());
}

void score_test_set(Backend& backend, nn::Network<float>& net, const PreparedTraining& t, EpochRecord& record,
                    std::int64_t batch_size, int blocks) {
  if (!t.X_test.empty())
    record.test_accuracy = accuracy_of(backend, net, t.X_test.cview(), t.labels_test.cview(), batch_size, blocks);
}

Matrix<std::int32_t> int_labels(const std::vector<int>& y, const std::vector<std::int64_t>* order) {
  const auto n = static_cast<std::int64_t>(order ? order->size() : y.size());
  Matrix<std::int32_t> out = Matrix<std::int32_t>::host(n, 1);
  for (std::int64_t i = 0; i < n; ++i)
    out(i, 0) = y[static_cast<std::size_t>(order ? (*order)[static_cast<std::size_t>(i)] : i)];
  return out;
}

std::vector<Batch> batches_of(std::int64_t n, std::int64_t batch_size) {
  const std::int64_t count = (n + batch_size - 1) / batch_size;
  std::vector<Batch> batches;
  std::int64_t start = 0;
  for (std::int64_t b = 0; b < count; ++b) {
    const std::int64_t rows = n / count + (b < n % count ? 1 : 0);
    batches.push_back({start, rows});
    start += rows;
  }
  return batches;
}

void check_batch_norm_rows(const NetOptions& options, std::int64_t n, const char* op) {
  if (options.arch.batch_norm && n == 1)
    throw InvalidArgument(std::string(op) + ": a batch-norm network (" + options.arch.str() +
                          ") takes its statistics from each batch, and a single row has none: give at least 2 rows");
}

Matrix<float> preprocess(const NetModel& model, MatrixView<const float> X_raw, const char* op) {
  Matrix<float> X = detail::checked_host_copy(X_raw, op);
  if (X.cols() != model.input_dim)
    throw InvalidArgument(std::string(op) + ": the data have " + std::to_string(X.cols()) +
                          " features but the model was trained on " + std::to_string(model.input_dim));
  if (model.options.standardize == StandardizeMode::train) model.statistics.apply(X.view());
  return X;
}

std::int64_t count_correct(Backend& backend, nn::Network<float>& net, MatrixView<const float> X,
                           MatrixView<const std::int32_t> labels, std::int64_t batch_size, int blocks) {
  Matrix<std::int64_t> correct = backend.allocate<std::int64_t>(1, 1);
  backend.copy(Matrix<std::int64_t>::host(1, 1).cview(), correct.view());
  for (const Batch& b : batches_of(X.rows(), batch_size)) {
    const MatrixView<const float> rows = X.row_range(b.start, b.rows);
    const MatrixView<const float> F = blocks > 0 ? net.forward_truncated(rows, blocks) : net.forward(rows);
    backend.nn().count_correct(F, labels.row_range(b.start, b.rows), correct.view());
  }
  return backend.download(correct.cview())(0, 0);
}

NetModel train(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
               const std::vector<std::string>& classes, const NetOptions& options, const EvalSet& test,
               const EpochCallback& progress, const BatchCallback& batch_progress) {
  if (options.method == Method::dgl)
    return train_dgl(backend, X_raw, labels, classes, options, test, progress, batch_progress);
  if (options.method == Method::hsic_bottleneck)
    return train_hsic_bottleneck(backend, X_raw, labels, classes, options, test, progress, batch_progress);
  return train_with_rule(backend, X_raw, labels, classes, options, test, progress, batch_progress,
                         [&](nn::Network<float>& net) { return nn::make_learning_rule<float>(backend, options, net); },
                         options.method == Method::align_zero || options.method == Method::align_ada ? 2 : 1);
}

NetModel train_with_rule(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
                         const std::vector<std::string>& classes, const NetOptions& options, const EvalSet& test,
                         const EpochCallback& progress, const BatchCallback& batch_progress, const RuleMaker& make_rule,
                         int networks) {
  const auto fit_start = Clock::now();
  PreparedTraining t = prepare_training(backend, X_raw, labels, classes, options, test);
  NetModel& model = t.model;
  const int c = t.classes;
  const std::int64_t n = t.n;

  nn::Network<float> net(backend, options, model.input_dim, c);
  net.require_activation_memory(std::min<std::int64_t>(options.batch_size, n), true, "train", networks);
  net.initialise(options.seed);
  nn::Loss<float> loss(backend, options.loss, c);
  // The rule sees the network at theta_0 (the Align rules' frozen copy); the optimiser updates
  // what it trains.
  std::unique_ptr<nn::LearningRule<float>> rule = make_rule(net);
  nn::Optimizer<float> optimizer(backend, options, rule->trained_parameters(net));

  const Matrix<float>& X = t.X;
  Matrix<float> X_epoch = backend.allocate<float>(n, model.input_dim);
  Matrix<std::int32_t> labels_epoch = backend.allocate<std::int32_t>(n, 1);
  Matrix<float> targets_epoch = options.loss == LossKind::mse ? backend.allocate<float>(n, c) : Matrix<float>();

  Matrix<double> loss_sum = backend.allocate<double>(1, 1);
  Matrix<std::int64_t> correct = backend.allocate<std::int64_t>(1, 1);
  Rng rng(options.seed ^ kShuffleSalt);
  const std::vector<Batch> batches = batches_of(n, options.batch_size);
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    backend.nn().fill(loss_sum.view(), 0.0);
    backend.copy(Matrix<std::int64_t>::host(1, 1).cview(), correct.view());
    const std::vector<std::int64_t> order = rng.sample_without_replacement(n, n);
    backend.gather_rows(X.cview(), order, X_epoch.view());
    backend.copy(int_labels(labels.y, &order).cview(), labels_epoch.view());
    if (options.loss == LossKind::mse) {
      std::vector<int> permuted(order.size());
      for (std::size_t i = 0; i < order.size(); ++i) permuted[i] = labels.y[static_cast<std::size_t>(order[i])];
      backend.copy(nn::mse_targets(permuted, c).cview(), targets_epoch.view());
    }
    for (std::size_t i = 0; i < batches.size(); ++i) {
      if (batch_progress)
        batch_progress(BatchProgress{epoch, static_cast<std::int64_t>(i) + 1, static_cast<std::int64_t>(batches.size())});
      const Batch& b = batches[i];
      const MatrixView<const float> Xb = X_epoch.cview().row_range(b.start, b.rows);
      nn::BatchTargets<float> targets;
      targets.labels = labels_epoch.cview().row_range(b.start, b.rows);
      if (options.loss == LossKind::mse) targets.values = targets_epoch.cview().row_range(b.start, b.rows);
      const MatrixView<const float> F = net.forward(Xb);
      const MatrixView<const float> e = loss.error(F, targets, loss_sum.view());
      backend.nn().count_correct(F, targets.labels, correct.view());
      rule->compute_gradients(net, Xb, e);
      optimizer.step();
    }
    EpochRecord record;
    record.epoch = epoch;
    record.loss = backend.download(loss_sum.cview())(0, 0) / static_cast<double>(batches.size());
    record.train_accuracy = static_cast<double>(backend.download(correct.cview())(0, 0)) / static_cast<double>(n);
    time_epoch(record, epoch_start, n);
    check_epoch_loss(record.loss, epoch, "lower --lr");
    score_test_set(backend, net, t, record, options.batch_size);
    if (options.dgl.monitor) record.layer_losses = dgl_monitor(backend, net, X.cview(), labels.y, c, options);
    model.history.push_back(record);
    if (progress) progress(record);
  }
  finish_model(backend, net, model, seconds_since(fit_start));
  return std::move(t.model);
}

PreparedTraining prepare_training(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
                                  const std::vector<std::string>& classes, const NetOptions& options,
                                  const EvalSet& test) {
  check_training_data(X_raw, labels, classes, options);
  PreparedTraining t;
  NetModel& model = t.model;
  model.options = options;
  model.input_dim = X_raw.cols();
  model.classes = classes;
  Matrix<float> X_host = detail::checked_host_copy(X_raw, "train");
  if (options.standardize == StandardizeMode::train) {
    model.statistics = Standardizer::fit(X_host.cview());
    model.statistics.apply(X_host.view());
  }
  t.classes = labels.num_classes;
  t.n = X_host.rows();
  t.X = backend.upload(X_host.cview());
  if (test.labels != nullptr) {
    test.labels->validate(test.X.rows(), "test");
    for (std::size_t i = 0; i < test.labels->y.size(); ++i)
      if (test.labels->y[i] >= t.classes)
        throw InvalidArgument("train: test label " + std::to_string(test.labels->y[i]) + " of test row " +
                              std::to_string(i) + " is not one of the " + std::to_string(t.classes) +
                              " training classes");
    check_batch_norm_rows(options, test.X.rows(), "train (test set)");
    t.X_test = backend.upload(preprocess(model, test.X, "test").cview());
    t.labels_test = backend.upload(int_labels(test.labels->y, nullptr).cview());
  }
  return t;
}

void finish_model(Backend& backend, nn::Network<float>& net, NetModel& model, double fit_seconds) {
  for (nn::Parameter<float>* p : net.parameters())
    model.parameters.push_back(NamedTensor{p->name, backend.download(p->value.cview())});
  model.fit_seconds = fit_seconds;
}

void check_epoch_loss(double loss, int epoch, const char* advice) {
  if (!std::isfinite(loss))
    throw NumericalError("train: the loss became " + std::to_string(loss) + " in epoch " + std::to_string(epoch) +
                         " (" + advice + ")");
}

}  // namespace lwnet::net
