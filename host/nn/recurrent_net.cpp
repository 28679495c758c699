#include "nn/recurrent_net.hpp"

#include "lwnet/error.hpp"

namespace lwnet::nn {

template <class T>
RecurrentNet<T>::RecurrentNet(Backend& backend, std::int64_t steps, std::int64_t width, Parameterisation p)
    : backend_(backend),
      rnn_(std::make_unique<ElmanRnn<T>>(backend, "rnn", steps, 1, width, p)),
      readout_(std::make_unique<Dense<T>>(backend, "readout", width, 1, p)) {}

template <class T>
void RecurrentNet<T>::initialise(std::uint64_t seed) {
  rnn_->initialise(seed, 0);
  const std::int64_t n = width();
  readout_->initialise(seed, static_cast<std::uint64_t>(n + n * n));
}

template <class T>
MatrixView<const T> RecurrentNet<T>::as_column(MatrixView<const T> batch) {
  if (!batch.contiguous()) throw InvalidArgument("recurrent net: a batch must be contiguous (ld == cols)");
  return MatrixView<const T>(batch.data(), batch.rows() * batch.cols(), 1, 1, batch.space(), batch.device());
}

template <class T>
MatrixView<const T> RecurrentNet<T>::forward(MatrixView<const T> X) {
  if (X.cols() != steps())
    throw InvalidArgument("recurrent net: a batch of " + std::to_string(X.cols()) + "-step sequences for a net of " +
                          std::to_string(steps()) + " steps");
  rows_ = X.rows();
  const MatrixView<const T> H = rnn_->forward(X);
  // N x T*n row-major is the (N*T) x n matrix of every state, one per row.
  const MatrixView<const T> states(H.data(), rows_ * steps(), width(), width(), H.space(), H.device());
  const MatrixView<const T> o = readout_->forward(states);
  return MatrixView<const T>(o.data(), rows_, steps(), steps(), o.space(), o.device());
}

template <class T>
void RecurrentNet<T>::readout_backward(MatrixView<const T> output_error) {
  readout_->backward_parameters(as_column(output_error));
}

template <class T>
MatrixView<const T> RecurrentNet<T>::readout_signal(MatrixView<const T> output_error,
                                                    MatrixView<const T> readout_weight) {
  if (output_error.rows() != rows_ || output_error.cols() != steps())
    throw InvalidArgument("recurrent net: dL/do is " + describe(output_error) + " but the last forward gave " +
                          std::to_string(rows_) + "x" + std::to_string(steps()));
  const MatrixView<const T> dstates = readout_->backward_input(as_column(output_error), readout_weight);
  return MatrixView<const T>(dstates.data(), rows_, steps() * width(), steps() * width(), dstates.space(),
                             dstates.device());
}

template <class T>
void RecurrentNet<T>::backward(MatrixView<const T> output_error) {
  const MatrixView<const T> dH = readout_signal(output_error, readout_->weight().value.cview());
  readout_backward(output_error);
  rnn_->backward(dH, false);
}

template <class T>
std::vector<Parameter<T>*> RecurrentNet<T>::parameters() {
  std::vector<Parameter<T>*> all = rnn_->parameters();
  for (Parameter<T>* p : readout_->parameters()) all.push_back(p);
  return all;
}

template class RecurrentNet<float>;
template class RecurrentNet<double>;

}  // namespace lwnet::nn
