// --method dgl (spec section 3, a reading: docs/DGL.md): greedy layer-wise training. Hidden layer
// l = 1..L is trained by the optimiser on DGL_l (nn::DglLoss) with the layers below frozen (run
// forward only) and the layers above replaced by their NNGP kernel; after each epoch the layer's
// outputs get a least-squares readout, so every epoch reports the accuracy of the network so far.
// The last readout is the model's.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "lwnet/error.hpp"
#include "lwnet/random.hpp"
#include "nn/batch_kernels.hpp"
#include "nn/dgl_loss.hpp"
#include "nn/optimizer.hpp"
#include "nn/rule_parts.hpp"
#include "train/net/net_internal.hpp"

namespace lwnet::net {

namespace {

// The readout fitted by least squares on the outputs of the first `blocks` hidden blocks (pooled
// for conv nets), with a bias column: W = (Phi^T Phi + r I)^{-1} Phi^T Y, Y one-hot, the ridge r
// 1e-8 times the mean diagonal (plus jitter when that is not enough). Float64 normal equations.
void fit_least_squares_readout(Backend& backend, nn::Network<float>& net, MatrixView<const float> X,
                               MatrixView<const double> one_hot, int blocks, std::int64_t batch_size) {
  nn::Dense<float>& readout = net.readout();
  const std::int64_t F = readout.fan_in(), c = readout.fan_out(), p = F + 1;
  Blas& blas = backend.blas();
  nn::BatchConstants constants(backend);
  constants.resize(p);
  Matrix<double> S = backend.allocate<double>(p, p), B = backend.allocate<double>(p, c);
  backend.nn().fill(S.view(), 0.0);
  backend.nn().fill(B.view(), 0.0);
  const std::vector<Batch> batches = batches_of(X.rows(), batch_size);
  Matrix<double> phi = backend.allocate<double>(batches.front().rows, p);
  backend.nn().fill(phi.view().col_range(F, 1), 1.0);
  for (const Batch& b : batches) {
    const MatrixView<const float> features = net.forward_features(X.row_range(b.start, b.rows), blocks);
    const MatrixView<double> rows = phi.view().row_range(0, b.rows);
    backend.nn().convert(features, rows.col_range(0, F));
    blas.gemm(Transpose::yes, Transpose::no, 1.0, MatrixView<const double>(rows), MatrixView<const double>(rows), 1.0,
              S.view());
    blas.gemm(Transpose::yes, Transpose::no, 1.0, MatrixView<const double>(rows), one_hot.row_range(b.start, b.rows),
              1.0, B.view());
  }
  double trace = 0.0;
  for (double v : backend.column_dots(S.cview(), constants.identity())) trace += v;
  blas.axpy(1e-8 * std::max(trace / static_cast<double>(p), 1e-300), constants.identity(), S.view());
  Matrix<double> L = backend.allocate<double>(p, p);
  nn::cholesky_with_jitter(backend, constants, S.cview(), L.view(), "dgl (least-squares readout)");
  backend.solver().potrs(L.cview(), B.view());
  backend.nn().convert(B.cview().row_range(0, F), readout.weight().value.view());
  backend.nn().convert(B.cview().row_range(F, 1), readout.bias().value.view());
  // The readout computes s X W + b: undo the parameterisation's forward scale.
  backend.blas().scal(1.0f / readout.scale(), readout.weight().value.view());
}

Matrix<double> one_hot_of(const std::vector<int>& y, int classes) {
  Matrix<double> Y = Matrix<double>::host(static_cast<std::int64_t>(y.size()), classes);
  for (std::size_t i = 0; i < y.size(); ++i)
    for (int j = 0; j < classes; ++j) Y(static_cast<std::int64_t>(i), j) = y[i] == j ? 1.0 : 0.0;
  return Y;
}

}  // namespace

Matrix<double> dgl_targets(const std::vector<int>& y, const std::vector<std::int64_t>* order, int classes,
                           const std::vector<Batch>& batches, bool center) {
  const auto n = static_cast<std::int64_t>(order ? order->size() : y.size());
  Matrix<double> T = Matrix<double>::host(n, classes);
  for (std::int64_t i = 0; i < n; ++i) {
    const int label = y[static_cast<std::size_t>(order ? (*order)[static_cast<std::size_t>(i)] : i)];
    for (int j = 0; j < classes; ++j) T(i, j) = label == j ? 1.0 : 0.0;
  }
  if (!center) return T;
  for (const Batch& b : batches)
    for (int j = 0; j < classes; ++j) {
      double mean = 0.0;
      for (std::int64_t i = b.start; i < b.start + b.rows; ++i) mean += T(i, j);
      mean /= static_cast<double>(b.rows);
      for (std::int64_t i = b.start; i < b.start + b.rows; ++i) T(i, j) -= mean;
    }
  return T;
}

std::vector<double> dgl_monitor(Backend& backend, nn::Network<float>& net, MatrixView<const float> X,
                                const std::vector<int>& y, int classes, const NetOptions& options) {
  std::vector<Batch> batches = batches_of(X.rows(), options.batch_size);
  if (batches.size() > static_cast<std::size_t>(kMonitorBatches)) batches.resize(kMonitorBatches);
  const Matrix<double> targets = backend.upload(dgl_targets(y, nullptr, classes, batches, options.dgl.center_targets)
                                                    .cview()
                                                    .row_range(0, batches.back().start + batches.back().rows));
  nn::DglLoss loss(backend, options.dgl);
  const auto& blocks = net.blocks();
  const int L = static_cast<int>(blocks.size());
  std::vector<double> sums(static_cast<std::size_t>(L), 0.0);
  for (const Batch& b : batches) {
    net.forward(X.row_range(b.start, b.rows));
    for (int l = 0; l < L; ++l) {
      double& sum = sums[static_cast<std::size_t>(l)];
      try {
        sum += loss.evaluate(blocks[static_cast<std::size_t>(l)].activation->output(),
                             targets.cview().row_range(b.start, b.rows), L - 1 - l, {})
                   .loss;
      } catch (const NumericalError&) {
        sum = std::numeric_limits<double>::quiet_NaN();
      }
    }
  }
  for (double& s : sums) s /= static_cast<double>(batches.size());
  return sums;
}

NetModel train_dgl(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
                   const std::vector<std::string>& classes, const NetOptions& options, const EvalSet& test,
                   const EpochCallback& progress, const BatchCallback& batch_progress) {
  const auto fit_start = Clock::now();
  PreparedTraining t = prepare_training(backend, X_raw, labels, classes, options, test);
  NetModel& model = t.model;
  const std::int64_t n = t.n;
  const int c = t.classes;
  nn::Network<float> net(backend, options, model.input_dim, c);
  net.require_activation_memory(std::min<std::int64_t>(options.batch_size, n), true, "train");
  net.initialise(options.seed);
  nn::DglLoss loss(backend, options.dgl);

  const Matrix<double> one_hot = backend.upload(one_hot_of(labels.y, c).cview());
  const Matrix<std::int32_t> labels_train = backend.upload(int_labels(labels.y, nullptr).cview());
  Matrix<float> X_epoch = backend.allocate<float>(n, model.input_dim);
  Matrix<double> targets_epoch = backend.allocate<double>(n, c);
  const std::vector<Batch> batches = batches_of(n, options.batch_size);
  Rng rng(options.seed ^ kShuffleSalt);
  const int L = static_cast<int>(net.blocks().size());
  int reported = 0;
  for (int l = 1; l <= L; ++l) {
    const nn::HiddenBlock<float>& block = net.blocks()[static_cast<std::size_t>(l - 1)];
    nn::Optimizer<float> optimizer(backend, options, block.linear->parameters());
    Matrix<float> dh = backend.allocate<float>(batches.front().rows, block.activation->output_features());
    for (int epoch = 1; epoch <= options.epochs; ++epoch) {
      const auto epoch_start = Clock::now();
      ++reported;
      const std::vector<std::int64_t> order = rng.sample_without_replacement(n, n);
      backend.gather_rows(t.X.cview(), order, X_epoch.view());
      backend.copy(dgl_targets(labels.y, &order, c, batches, options.dgl.center_targets).cview(), targets_epoch.view());
      double loss_sum = 0.0, jitter = 0.0;
      for (std::size_t i = 0; i < batches.size(); ++i) {
        if (batch_progress)
          batch_progress(BatchProgress{reported, static_cast<std::int64_t>(i) + 1, static_cast<std::int64_t>(batches.size())});
        const Batch& b = batches[i];
        const MatrixView<const float> h = net.forward_hidden(X_epoch.cview().row_range(b.start, b.rows), l);
        const MatrixView<float> grad = dh.view().row_range(0, b.rows);
        const nn::DglValue value = loss.evaluate(h, targets_epoch.cview().row_range(b.start, b.rows), L - l, grad);
        block.linear->backward_parameters(nn::through_block_tail(block, MatrixView<const float>(grad)));
        optimizer.step();
        loss_sum += value.loss;
        jitter = std::max(jitter, value.jitter);
      }
      EpochRecord record;
      record.epoch = reported;
      record.stage = "layer " + std::to_string(l);
      record.loss = loss_sum / static_cast<double>(batches.size());
      record.layer_losses.assign(static_cast<std::size_t>(L), std::numeric_limits<double>::quiet_NaN());
      record.layer_losses[static_cast<std::size_t>(l - 1)] = record.loss;
      record.jitter = jitter;
      time_epoch(record, epoch_start, n);
      check_epoch_loss(record.loss, reported, "lower --lr or raise --dgl-noise");
      fit_least_squares_readout(backend, net, t.X.cview(), one_hot.cview(), l, options.batch_size);
      record.train_accuracy = accuracy_of(backend, net, t.X.cview(), labels_train.cview(), options.batch_size, l);
      score_test_set(backend, net, t, record, options.batch_size, l);
      model.history.push_back(record);
      if (progress) progress(record);
    }
  }
  finish_model(backend, net, model, seconds_since(fit_start));
  return std::move(t.model);
}

}  // namespace lwnet::net
