// --method hsic-bottleneck (spec section 4, read against choasma/HSIC-bottleneck): every batch
// updates the hidden blocks one after another, each after a fresh forward pass through the blocks below (already updated on this
// batch), on its own loss nHSIC(Z_i, X) - beta nHSIC(Z_i, Y) (nn::HsicBottleneckLoss); then the
// "format" readout is trained by cross-entropy on the frozen network. Each epoch of both phases
// visits the rows in a fresh seeded order, as lwnet's other trainers do; the code's loaders keep
// the files' order, which on data sorted by class (the paper datasets' fold files) gives batches
// of one class, whose nHSIC(Z, Y) is 0: every block then only compresses, and collapses.
#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "lwnet/error.hpp"
#include "lwnet/random.hpp"
#include "nn/hsic_bottleneck_loss.hpp"
#include "nn/loss.hpp"
#include "nn/optimizer.hpp"
#include "nn/rule_parts.hpp"
#include "train/net/net_internal.hpp"

namespace lwnet::net {

namespace {

Matrix<float> one_hot_rows(const std::vector<int>& y, int classes) {
  Matrix<float> Y = Matrix<float>::host(static_cast<std::int64_t>(y.size()), classes);
  for (std::size_t i = 0; i < y.size(); ++i)
    for (int j = 0; j < classes; ++j) Y(static_cast<std::int64_t>(i), j) = y[i] == j ? 1.0f : 0.0f;
  return Y;
}

// The readout's own optimiser: plain SGD with the format step's rate and weight decay.
NetOptions readout_optimiser(const NetOptions& options) {
  NetOptions o = options;
  o.optimizer = OptimizerKind::sgd;
  o.learning_rate = options.hsic.readout_learning_rate;
  o.momentum = 0.0;
  o.weight_decay = options.hsic.readout_weight_decay;
  return o;
}

// The unformatted variant's readout: the c x c permutation that sends unit u of the last block to
// the class that took it. Class by class (0..c-1), each takes the free unit with the largest mean
// output over that class's training rows (ties: the lower unit); as the code's get_accuracy_hsic,
// but fitted on the training set rather than on each evaluated set.
void assign_units_to_classes(Backend& backend, nn::Network<float>& net, MatrixView<const float> X,
                             MatrixView<const float> one_hot, const std::vector<int>& y, std::int64_t batch_size) {
  const int L = static_cast<int>(net.blocks().size());
  const std::int64_t c = one_hot.cols();
  std::vector<double> sums(static_cast<std::size_t>(c * c), 0.0);  // class x unit
  Matrix<float> batch_sums = backend.allocate<float>(c, c);
  for (const Batch& b : batches_of(X.rows(), batch_size)) {
    const MatrixView<const float> Z = net.forward_hidden(X.row_range(b.start, b.rows), L);
    backend.blas().gemm(Transpose::yes, Transpose::no, 1.0f, one_hot.row_range(b.start, b.rows), Z, 0.0f,
                        batch_sums.view());
    const Matrix<float> host = backend.download(batch_sums.cview());
    for (std::int64_t k = 0; k < c * c; ++k) sums[static_cast<std::size_t>(k)] += host.data()[k];
  }
  std::vector<double> counts(static_cast<std::size_t>(c), 0.0);
  for (int label : y) counts[static_cast<std::size_t>(label)] += 1.0;
  std::vector<bool> taken(static_cast<std::size_t>(c), false);
  Matrix<float> permutation = Matrix<float>::host(c, c);  // unit x class
  std::fill(permutation.data(), permutation.data() + c * c, 0.0f);
  for (std::int64_t cls = 0; cls < c; ++cls) {
    std::int64_t best = -1;
    for (std::int64_t unit = 0; unit < c; ++unit) {
      if (taken[static_cast<std::size_t>(unit)]) continue;
      const auto mean = [&](std::int64_t u) {
        return sums[static_cast<std::size_t>(cls * c + u)] / std::max(counts[static_cast<std::size_t>(cls)], 1.0);
      };
      if (best < 0 || mean(unit) > mean(best)) best = unit;
    }
    taken[static_cast<std::size_t>(best)] = true;
    permutation(best, cls) = 1.0f;
  }
  nn::Dense<float>& readout = net.readout();
  backend.copy(permutation.cview(), readout.weight().value.view());
  backend.blas().scal(1.0f / readout.scale(), readout.weight().value.view());
  backend.nn().fill(readout.bias().value.view(), 0.0f);
}

}  // namespace

NetModel train_hsic_bottleneck(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
                               const std::vector<std::string>& classes, const NetOptions& options, const EvalSet& test,
                               const EpochCallback& progress, const BatchCallback& batch_progress) {
  const auto fit_start = Clock::now();
  PreparedTraining t = prepare_training(backend, X_raw, labels, classes, options, test);
  NetModel& model = t.model;
  const std::int64_t n = t.n;
  const int c = t.classes;
  nn::Network<float> net(backend, options, model.input_dim, c);
  net.require_activation_memory(std::min<std::int64_t>(std::max(options.batch_size, options.hsic.readout_batch_size), n),
                                true, "train");
  net.initialise(options.seed);
  const auto& blocks = net.blocks();
  const int L = static_cast<int>(blocks.size());

  const Matrix<float> one_hot = backend.upload(one_hot_rows(labels.y, c).cview());
  const Matrix<std::int32_t> labels_train = backend.upload(int_labels(labels.y, nullptr).cview());
  // Each epoch's rows in a fresh seeded order (rows, their one-hot labels and their labels).
  Rng rng(options.seed ^ kShuffleSalt);
  Matrix<float> X_epoch = backend.allocate<float>(n, model.input_dim);
  Matrix<float> one_hot_epoch = backend.allocate<float>(n, c);
  Matrix<std::int32_t> labels_epoch = backend.allocate<std::int32_t>(n, 1);
  const auto shuffle = [&] {
    const std::vector<std::int64_t> order = rng.sample_without_replacement(n, n);
    backend.gather_rows(t.X.cview(), order, X_epoch.view());
    std::vector<int> permuted(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) permuted[i] = labels.y[static_cast<std::size_t>(order[i])];
    backend.copy(one_hot_rows(permuted, c).cview(), one_hot_epoch.view());
    backend.copy(int_labels(permuted, nullptr).cview(), labels_epoch.view());
  };
  std::vector<nn::Optimizer<float>> optimizers;
  std::vector<Matrix<float>> dZ;
  const std::vector<Batch> batches = batches_of(n, options.batch_size);
  optimizers.reserve(static_cast<std::size_t>(L));
  for (const nn::HiddenBlock<float>& block : blocks) {
    optimizers.emplace_back(backend, options, block.linear->parameters());
    dZ.push_back(backend.allocate<float>(batches.front().rows, block.activation->output_features()));
  }
  nn::HsicBottleneckLoss loss(backend, options.hsic);
  int reported = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    ++reported;
    std::vector<double> sums(static_cast<std::size_t>(L), 0.0);
    shuffle();
    for (std::size_t i = 0; i < batches.size(); ++i) {
      if (batch_progress)
        batch_progress(BatchProgress{reported, static_cast<std::int64_t>(i) + 1, static_cast<std::int64_t>(batches.size())});
      const Batch& b = batches[i];
      const MatrixView<const float> Xb = X_epoch.cview().row_range(b.start, b.rows);
      loss.set_batch(Xb, one_hot_epoch.cview().row_range(b.start, b.rows));
      for (int l = 0; l < L; ++l) {
        const nn::HiddenBlock<float>& block = blocks[static_cast<std::size_t>(l)];
        const MatrixView<float> grad = dZ[static_cast<std::size_t>(l)].view().row_range(0, b.rows);
        sums[static_cast<std::size_t>(l)] += loss.block_loss(net.forward_hidden(Xb, l + 1), grad).loss;
        block.linear->backward_parameters(nn::through_block_tail(block, MatrixView<const float>(grad)));
        optimizers[static_cast<std::size_t>(l)].step();
      }
    }
    EpochRecord record;
    record.epoch = reported;
    record.stage = "hidden layers";
    record.train_accuracy = std::numeric_limits<double>::quiet_NaN();  // no readout yet
    for (double& s : sums) s /= static_cast<double>(batches.size());
    record.layer_losses = sums;
    record.loss = sums.back();
    time_epoch(record, epoch_start, n);
    for (double s : sums) check_epoch_loss(s, reported, "lower --lr");
    if (options.hsic.unformatted) {
      assign_units_to_classes(backend, net, t.X.cview(), one_hot.cview(), labels.y, options.batch_size);
      record.train_accuracy = accuracy_of(backend, net, t.X.cview(), labels_train.cview(), options.batch_size);
      score_test_set(backend, net, t, record, options.batch_size);
    }
    model.history.push_back(record);
    if (progress) progress(record);
  }

  // The format step: the readout alone, by cross-entropy, on the frozen hidden layers.
  nn::Loss<float> readout_loss(backend, LossKind::cross_entropy, c);
  nn::Optimizer<float> readout_optimizer(backend, readout_optimiser(options), net.readout().parameters());
  const std::vector<Batch> readout_batches = batches_of(n, options.hsic.readout_batch_size);
  Matrix<double> loss_sum = backend.allocate<double>(1, 1);
  Matrix<std::int64_t> correct = backend.allocate<std::int64_t>(1, 1);
  const int readout_epochs = options.hsic.unformatted ? 0 : options.hsic.readout_epochs;
  for (int epoch = 1; epoch <= readout_epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    ++reported;
    backend.nn().fill(loss_sum.view(), 0.0);
    backend.copy(Matrix<std::int64_t>::host(1, 1).cview(), correct.view());
    shuffle();
    for (std::size_t i = 0; i < readout_batches.size(); ++i) {
      if (batch_progress)
        batch_progress(
            BatchProgress{reported, static_cast<std::int64_t>(i) + 1, static_cast<std::int64_t>(readout_batches.size())});
      const Batch& b = readout_batches[i];
      nn::BatchTargets<float> targets;
      targets.labels = labels_epoch.cview().row_range(b.start, b.rows);
      const MatrixView<const float> F = net.forward(X_epoch.cview().row_range(b.start, b.rows));
      const MatrixView<const float> e = readout_loss.error(F, targets, loss_sum.view());
      backend.nn().count_correct(F, targets.labels, correct.view());
      net.readout().backward_parameters(e);
      readout_optimizer.step();
    }
    EpochRecord record;
    record.epoch = reported;
    record.stage = "readout";
    record.loss = backend.download(loss_sum.cview())(0, 0) / static_cast<double>(readout_batches.size());
    record.train_accuracy = static_cast<double>(backend.download(correct.cview())(0, 0)) / static_cast<double>(n);
    time_epoch(record, epoch_start, n);
    check_epoch_loss(record.loss, reported, "lower --readout-lr");
    score_test_set(backend, net, t, record, options.batch_size);
    model.history.push_back(record);
    if (progress) progress(record);
  }
  finish_model(backend, net, model, seconds_since(fit_start));
  return std::move(t.model);
}

}  // namespace lwnet::net
