#include "nn/recurrent_rules.hpp"

#include <string>

#include "lwnet/error.hpp"

namespace lwnet::nn {

namespace {

template <class T>
class BackpropThroughTime final : public RecurrentRule<T> {
 public:
  void compute_gradients(RecurrentNet<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) override {
    (void)X;
    net.backward(output_error);
  }
};

// Only the readout (and h_0, as in the reference code) is trained, with its ordinary gradient.
template <class T>
class ReadoutOnly final : public RecurrentRule<T> {
 public:
  void compute_gradients(RecurrentNet<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) override {
    (void)X;
    net.backward(output_error);
  }
  std::vector<Parameter<T>*> trained_parameters(RecurrentNet<T>& net) override {
    return {&net.readout().weight(), &net.readout().bias(), net.rnn().parameters().back()};
  }
};

// A frozen copy of theta_0 that replays each batch from the live network's current h_0.
template <class T>
class FrozenCopy {
 public:
  FrozenCopy(Backend& backend, const net::AddTaskOptions& options, RecurrentNet<T>& live)
      : backend_(backend),
        net_(backend, live.steps(), live.width(),
             parameterisation_of(options.init)) {
    const std::vector<Parameter<T>*> from = live.parameters(), to = net_.parameters();
    for (std::size_t i = 0; i < from.size(); ++i) backend.copy(from[i]->value.cview(), to[i]->value.view());
  }
  // Forward and BPTT of the frozen net on X at the live error, from the live h_0.
  RecurrentNet<T>& run(RecurrentNet<T>& live, MatrixView<const T> X, MatrixView<const T> output_error) {
    backend_.copy(live.rnn().parameters().back()->value.cview(), net_.rnn().parameters().back()->value.view());
    net_.forward(X);
    net_.backward(output_error);
    return net_;
  }

 private:
  Backend& backend_;
  RecurrentNet<T> net_;
};

// Every parameter gets the frozen network's gradient at the live error.
template <class T>
class AlignZero final : public RecurrentRule<T> {
 public:
  AlignZero(Backend& backend, const net::AddTaskOptions& options, RecurrentNet<T>& net)
      : backend_(backend), frozen_(backend, options, net) {}

  void compute_gradients(RecurrentNet<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) override {
    RecurrentNet<T>& frozen = frozen_.run(net, X, output_error);
    const std::vector<Parameter<T>*> live = net.parameters(), fixed = frozen.parameters();
    for (std::size_t i = 0; i < live.size(); ++i) backend_.copy(fixed[i]->grad.cview(), live[i]->grad.view());
  }

 private:
  Backend& backend_;
  FrozenCopy<T> frozen_;
};

// The readout live; the recurrent layer from per-step signals dL/dh_t = (frozen BPTT through step
// t + 1) [+ s w_ho0 e_t in the full variant] through the live ReLU' and live inputs.
template <class T>
class AlignAda final : public RecurrentRule<T> {
 public:
  AlignAda(Backend& backend, const net::AddTaskOptions& options, RecurrentNet<T>& net)
      : backend_(backend),
        full_(options.align_ada == net::AlignAdaVariant::full),
        frozen_(backend, options, net),
        signal_(backend, net.steps() * net.width()) {}

  void compute_gradients(RecurrentNet<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) override {
    RecurrentNet<T>& frozen = frozen_.run(net, X, output_error);
    const std::int64_t n = net.width(), steps = net.steps(), rows = X.rows();
    const MatrixView<const T> carried = frozen.rnn().carried_gradients();
    MatrixView<T> dH = signal_.rows(rows);
    // h_t (t < T) gets what frozen h_t received through step t + 1; h_T gets nothing of it.
    if (steps > 1) backend_.copy(carried.block(0, n, rows, (steps - 1) * n), dH.block(0, 0, rows, (steps - 1) * n));
    backend_.nn().fill(dH.block(0, (steps - 1) * n, rows, n), T(0));
    if (full_)
      backend_.blas().axpy(T(1), net.readout_signal(output_error, frozen.readout().weight().value.cview()), dH);
    net.readout_backward(output_error);
    net.rnn().backward_parameters_per_step(dH, carried.block(0, 0, rows, n));
  }

 private:
  Backend& backend_;
  bool full_;
  FrozenCopy<T> frozen_;
  RowBuffer<T> signal_;
};

}  // namespace

template <class T>
std::unique_ptr<RecurrentRule<T>> make_recurrent_rule(Backend& backend, const net::AddTaskOptions& options,
                                                      RecurrentNet<T>& net) {
  switch (options.method) {
    case net::Method::backprop:
      return std::make_unique<BackpropThroughTime<T>>();
    case net::Method::align_zero:
      return std::make_unique<AlignZero<T>>(backend, options, net);
    case net::Method::align_ada:
      return std::make_unique<AlignAda<T>>(backend, options, net);
    case net::Method::last_layer:
      return std::make_unique<ReadoutOnly<T>>();
    default:
      throw InvalidArgument(std::string("the Add task's recurrent net is trained by backprop, align-zero, align-ada or "
                                        "last-layer (spec 2.3), not ") +
                            net::to_string(options.method));
  }
}

template std::unique_ptr<RecurrentRule<float>> make_recurrent_rule<float>(Backend&, const net::AddTaskOptions&,
                                                                          RecurrentNet<float>&);
template std::unique_ptr<RecurrentRule<double>> make_recurrent_rule<double>(Backend&, const net::AddTaskOptions&,
                                                                            RecurrentNet<double>&);

}  // namespace lwnet::nn
