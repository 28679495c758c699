// The recurrent Add task (lwnet/add_task.hpp, spec 2.3): its data, and the training loop of the
// recurrent net with a learning rule, written once against the backend's families like
// net::train: per epoch the training sequences are permuted on the backend (one gather each for
// inputs and targets) and a step is a chain of queued calls; losses are read once per epoch.
#include "lwnet/add_task.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/host_copy.hpp"
#include "lwnet/error.hpp"
#include "lwnet/random.hpp"
#include "nn/optimizer.hpp"
#include "nn/recurrent_rules.hpp"
#include "train/net/net_internal.hpp"

namespace lwnet::net {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kAddShuffleSalt = 0x4144445348554646ULL;

// The optimiser's and the loop's settings in NetOptions' terms (its validate() checks them).
NetOptions loop_options(const AddTaskOptions& o) {
  NetOptions n;
  n.method = Method::backprop;
  n.epochs = o.epochs;
  n.batch_size = o.batch_size;
  n.optimizer = o.optimizer;
  n.learning_rate = o.learning_rate;
  n.momentum = o.momentum;
  n.weight_decay = o.weight_decay;
  n.init = o.init;
  n.seed = o.seed;
  return n;
}

void check_pair(MatrixView<const float> inputs, MatrixView<const float> targets, const char* which,
                std::int64_t steps) {
  const std::string name(which);
  if (inputs.rows() < 1) throw InvalidArgument("train_add_task: the " + name + " set has no sequences");
  if (inputs.rows() != targets.rows() || inputs.cols() != targets.cols())
    throw InvalidArgument("train_add_task: " + name + " inputs are " + describe(inputs) + " but its targets " +
                          describe(targets));
  if (inputs.cols() != steps)
    throw InvalidArgument("train_add_task: the " + name + " sequences have " + std::to_string(inputs.cols()) +
                          " steps, the training ones " + std::to_string(steps));
}

// The summed loss of the net over a whole set (sum over steps, mean over sequences), in batches.
double set_loss(Backend& backend, nn::RecurrentNet<float>& net, MatrixView<const float> X,
                MatrixView<const float> Y, std::int64_t batch_size) {
  Matrix<double> loss_sum = backend.allocate<double>(1, 1);
  Matrix<float> scratch = backend.allocate<float>(std::min(batch_size, X.rows()), X.cols());
  double total = 0.0;
  for (const Batch& b : batches_of(X.rows(), batch_size)) {
    backend.nn().fill(loss_sum.view(), 0.0);
    const MatrixView<const float> o = net.forward(X.row_range(b.start, b.rows));
    backend.nn().mse_loss(o, Y.row_range(b.start, b.rows), scratch.view().row_range(0, b.rows), loss_sum.view());
    // mse_loss gives the mean over rows x steps: times steps x rows is this batch's sum.
    total += backend.download(loss_sum.cview())(0, 0) * static_cast<double>(X.cols() * b.rows);
  }
  return total / static_cast<double>(X.rows());
}

}  // namespace

void AddTaskSpec::validate() const {
  if (steps < 1 || steps > kMaxSteps)
    throw InvalidArgument("add task: steps must be in [1, " + std::to_string(kMaxSteps) + "]");
  if (train_sequences < 1 || train_sequences > kMaxSequences || test_sequences < 1 || test_sequences > kMaxSequences)
    throw InvalidArgument("add task: the training and test sets need 1 to " + std::to_string(kMaxSequences) +
                          " sequences each");
  if (lag_a < 0 || lag_b < 0 || lag_a > steps || lag_b > steps)
    throw InvalidArgument("add task: the lags must be in [0, steps]");
}

AddTaskData make_add_task(const AddTaskSpec& spec) {
  spec.validate();
  Rng rng(spec.seed);
  auto make = [&](std::int64_t sequences, Matrix<float>& x, Matrix<float>& y) {
    x = Matrix<float>::host(sequences, spec.steps);
    y = Matrix<float>::host(sequences, spec.steps);
    for (std::int64_t i = 0; i < sequences; ++i) {
      for (std::int64_t t = 0; t < spec.steps; ++t) x(i, t) = static_cast<float>(rng.next_u64() >> 63);
      auto lagged = [&](std::int64_t t, int lag) { return t >= lag ? x(i, t - lag) : 0.0f; };
      for (std::int64_t t = 0; t < spec.steps; ++t)
        y(i, t) = 0.5f + 0.5f * lagged(t, spec.lag_a) - 0.25f * lagged(t, spec.lag_b);
    }
  };
  AddTaskData data;
  make(spec.train_sequences, data.train_inputs, data.train_targets);
  make(spec.test_sequences, data.test_inputs, data.test_targets);
  return data;
}

const char* to_string(AlignAdaVariant v) { return v == AlignAdaVariant::code ? "code" : "full"; }

AlignAdaVariant parse_align_ada_variant(const std::string& text) {
  if (text == "code") return AlignAdaVariant::code;
  if (text == "full") return AlignAdaVariant::full;
  throw InvalidArgument("unknown Align-ada variant '" + text + "' (expected code or full)");
}

void AddTaskOptions::validate() const {
  if (method != Method::backprop && method != Method::align_zero && method != Method::align_ada &&
      method != Method::last_layer)
    throw InvalidArgument(std::string("--method ") + to_string(method) +
                          ": the Add task's recurrent net is trained by backprop, align-zero, align-ada or last-layer "
                          "(spec 2.3)");
  if (width < 1 || width > kMaxWidth)
    throw InvalidArgument("--arch rnn:WIDTH: WIDTH must be in [1, " + std::to_string(kMaxWidth) + "]");
  if (!(learning_rate > 0.0)) throw InvalidArgument("--lr must be a positive finite number (at most 1e6)");
  loop_options(*this).validate();
}

double constant_prediction_loss(MatrixView<const float> targets, MatrixView<const float> prediction) {
  const Matrix<float> Y = detail::checked_host_copy(targets, "constant_prediction_loss");
  const Matrix<float> p = detail::checked_host_copy(prediction, "constant_prediction_loss");
  if (p.rows() != 1 || p.cols() != Y.cols())
    throw InvalidArgument("constant_prediction_loss: the prediction is " + describe(p.cview()) + ", expected 1x" +
                          std::to_string(Y.cols()));
  double total = 0.0;
  for (std::int64_t i = 0; i < Y.rows(); ++i)
    for (std::int64_t t = 0; t < Y.cols(); ++t) {
      const double d = static_cast<double>(Y(i, t)) - static_cast<double>(p(0, t));
      total += d * d;
    }
  return total / static_cast<double>(Y.rows());
}

AddTaskResult train_add_task(Backend& backend, const AddTaskData& data, const AddTaskOptions& options,
                             const AddTaskCallback& progress) {
  const auto fit_start = Clock::now();
  options.validate();
  const std::int64_t steps = data.train_inputs.cols();
  check_pair(data.train_inputs.cview(), data.train_targets.cview(), "training", steps);
  check_pair(data.test_inputs.cview(), data.test_targets.cview(), "test", steps);
  const Matrix<float> X_host = detail::checked_host_copy(data.train_inputs.cview(), "train_add_task (train inputs)");
  const Matrix<float> Y_host = detail::checked_host_copy(data.train_targets.cview(), "train_add_task (train targets)");
  const Matrix<float> X_test =
      backend.upload(detail::checked_host_copy(data.test_inputs.cview(), "train_add_task (test inputs)").cview());
  const Matrix<float> Y_test =
      backend.upload(detail::checked_host_copy(data.test_targets.cview(), "train_add_task (test targets)").cview());
  const std::int64_t n = X_host.rows();

  AddTaskResult result;
  Matrix<float> step_means = Matrix<float>::host(1, steps), halves = Matrix<float>::host(1, steps);
  for (std::int64_t t = 0; t < steps; ++t) {
    double sum = 0.0;
    for (std::int64_t i = 0; i < n; ++i) sum += Y_host(i, t);
    step_means(0, t) = static_cast<float>(sum / static_cast<double>(n));
    halves(0, t) = 0.5f;
  }
  result.mean_prediction_test_loss = constant_prediction_loss(data.test_targets.cview(), step_means.cview());
  result.half_prediction_test_loss = constant_prediction_loss(data.test_targets.cview(), halves.cview());

  nn::RecurrentNet<float> net(backend, steps, options.width,
                              nn::parameterisation_of(options.init));
  net.initialise(options.seed);
  std::unique_ptr<nn::RecurrentRule<float>> rule = nn::make_recurrent_rule<float>(backend, options, net);
  nn::Optimizer<float> optimizer(backend, loop_options(options), rule->trained_parameters(net));
  result.initial_test_loss = set_loss(backend, net, X_test.cview(), Y_test.cview(), options.batch_size);

  const Matrix<float> X = backend.upload(X_host.cview());
  const Matrix<float> Y = backend.upload(Y_host.cview());
  Matrix<float> X_epoch = backend.allocate<float>(n, steps);
  Matrix<float> Y_epoch = backend.allocate<float>(n, steps);
  Matrix<float> error = backend.allocate<float>(std::min(options.batch_size, n), steps);
  Matrix<double> loss_sum = backend.allocate<double>(1, 1);
  Rng rng(options.seed ^ kAddShuffleSalt);
  const std::vector<Batch> batches = batches_of(n, options.batch_size);
  result.min_test_loss = result.initial_test_loss;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    const std::vector<std::int64_t> order = rng.sample_without_replacement(n, n);
    backend.gather_rows(X.cview(), order, X_epoch.view());
    backend.gather_rows(Y.cview(), order, Y_epoch.view());
    for (const Batch& b : batches) {
      const MatrixView<const float> Xb = X_epoch.cview().row_range(b.start, b.rows);
      const MatrixView<float> e = error.view().row_range(0, b.rows);
      const MatrixView<const float> o = net.forward(Xb);
      // dL/do of the summed loss: mse_loss's 2 (o - y) / (rows * steps), times steps.
      backend.nn().mse_loss(o, Y_epoch.cview().row_range(b.start, b.rows), e, loss_sum.view());
      backend.blas().scal(static_cast<float>(steps), e);
      rule->compute_gradients(net, Xb, MatrixView<const float>(e));
      optimizer.step();
    }
    AddTaskRecord record;
    record.epoch = epoch;
    record.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    record.train_loss = set_loss(backend, net, X.cview(), Y.cview(), options.batch_size);
    record.test_loss = set_loss(backend, net, X_test.cview(), Y_test.cview(), options.batch_size);
    if (!std::isfinite(record.train_loss) || !std::isfinite(record.test_loss)) {
      result.diverged_epoch = epoch;  // what the epochs before it reached stands, as in the reference
      break;
    }
    if (result.best_epoch == 0 || record.test_loss < result.min_test_loss) {
      result.min_test_loss = record.test_loss;
      result.best_epoch = epoch;
    }
    result.history.push_back(record);
    if (progress) progress(record);
  }
  if (result.best_epoch == 0) result.min_test_loss = std::numeric_limits<double>::quiet_NaN();
  for (nn::Parameter<float>* p : net.parameters())
    result.parameters.push_back(NamedTensor{p->name, backend.download(p->value.cview())});
  result.fit_seconds = std::chrono::duration<double>(Clock::now() - fit_start).count();
  return result;
}

}  // namespace lwnet::net
