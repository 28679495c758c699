#include "nn/rnn.hpp"

#include <cmath>

#include "lwnet/error.hpp"

namespace lwnet::nn {

namespace {
template <class T>
Parameter<T> zero_parameter(Backend& backend, std::string name, std::int64_t rows, std::int64_t cols) {
  Parameter<T> p{std::move(name), backend.allocate<T>(rows, cols), backend.allocate<T>(rows, cols)};
  backend.nn().fill(p.value.view(), T(0));
  backend.nn().fill(p.grad.view(), T(0));
  return p;
}

template <class T>
T ntk_scale(Parameterisation p, std::int64_t fan_in) {
  return p == Parameterisation::ntk ? T(1.0 / std::sqrt(static_cast<double>(fan_in))) : T(1);
}
}  // namespace

template <class T>
ElmanRnn<T>::ElmanRnn(Backend& backend, const std::string& name, std::int64_t steps, std::int64_t in,
                      std::int64_t hidden, Parameterisation p)
    : Module<T>(backend),
      steps_(steps),
      input_scale_(ntk_scale<T>(p, in)),
      recurrent_scale_(ntk_scale<T>(p, hidden)),
      parameterisation_(p),
      input_weight_(zero_parameter<T>(backend, name + ".input_weight", in, hidden)),
      recurrent_weight_(zero_parameter<T>(backend, name + ".recurrent_weight", hidden, hidden)),
      bias_(zero_parameter<T>(backend, name + ".bias", 1, hidden)),
      initial_state_(zero_parameter<T>(backend, name + ".initial_state", 1, hidden)),
      states_(backend, hidden),
      output_(backend, steps * hidden),
      pre_grad_(backend, hidden),
      carried_(backend, steps * hidden),
      input_grad_(backend, steps * in) {}

template <class T>
void ElmanRnn<T>::initialise(std::uint64_t seed, std::uint64_t offset) {
  for (Parameter<T>* w : {&input_weight_, &recurrent_weight_}) {
    RandomDraw draw;
    draw.seed = seed;
    draw.offset = offset;
    draw.b = parameterisation_ == Parameterisation::ntk ? 1.0 : 1.0 / std::sqrt(static_cast<double>(w->value.rows()));
    this->backend().nn().fill_random(w->value.view(), draw);
    offset += static_cast<std::uint64_t>(w->value.size());
  }
  this->backend().nn().fill(bias_.value.view(), T(0));
  this->backend().nn().fill(initial_state_.value.view(), T(0));
}

template <class T>
MatrixView<const T> ElmanRnn<T>::forward(MatrixView<const T> X) {
  Backend& b = this->backend();
  const std::int64_t n = hidden();
  const std::int64_t in = input_weight_.value.rows();
  const std::int64_t rows = X.rows();
  input_ = X;
  MatrixView<T> h0 = state(0, rows);
  b.nn().fill(h0, T(0));
  b.nn().add_row_vector(h0, initial_state_.value.cview());
  MatrixView<T> H = output_.rows(rows);
  for (std::int64_t t = 1; t <= steps_; ++t) {
    MatrixView<T> h = state(t, rows);
    b.blas().gemm(Transpose::no, Transpose::no, input_scale_, step(X, t - 1, in), input_weight_.value.cview(), T(0), h);
    b.blas().gemm(Transpose::no, Transpose::no, recurrent_scale_, MatrixView<const T>(state(t - 1, rows)),
                  recurrent_weight_.value.cview(), T(1), h);
    b.nn().add_row_vector(h, bias_.value.cview());
    b.nn().activation_forward(Activation::relu, MatrixView<const T>(h), h);
    b.copy(MatrixView<const T>(h), step(H, t - 1, n));
  }
  return H;
}

template <class T>
MatrixView<const T> ElmanRnn<T>::backward(MatrixView<const T> dY, bool want_input_grad) {
  Backend& b = this->backend();
  const std::int64_t n = hidden();
  const std::int64_t in = input_weight_.value.rows();
  const std::int64_t rows = dY.rows();
  check_step_grads("rnn backward", dY);
  MatrixView<T> carried = carried_.rows(rows);  // step k: dL/dh_k through h_{k+1}
  MatrixView<T> delta = pre_grad_.rows(rows);   // dL/d(pre-activation of step t)
  MatrixView<T> dX = want_input_grad ? input_grad_.rows(rows) : MatrixView<T>();
  for (std::int64_t t = steps_; t >= 1; --t) {
    b.copy(step(dY, t - 1, n), delta);
    if (t < steps_) b.blas().axpy(T(1), MatrixView<const T>(step(carried, t, n)), delta);
    b.nn().activation_backward(Activation::relu, MatrixView<const T>(state(t, rows)), MatrixView<const T>(delta), delta);
    accumulate_step_grads(t, delta, t == steps_);
    if (want_input_grad)
      b.blas().gemm(Transpose::no, Transpose::yes, input_scale_, MatrixView<const T>(delta), input_weight_.value.cview(),
                    T(0), step(dX, t - 1, in));
    b.blas().gemm(Transpose::no, Transpose::yes, recurrent_scale_, MatrixView<const T>(delta),
                  recurrent_weight_.value.cview(), T(0), step(carried, t - 1, n));
  }
  b.nn().column_sums(MatrixView<const T>(step(carried, 0, n)), T(1), T(0), initial_state_.grad.view());
  return dX;
}

template <class T>
void ElmanRnn<T>::backward_parameters_per_step(MatrixView<const T> dH, MatrixView<const T> dh0) {
  Backend& b = this->backend();
  const std::int64_t n = hidden();
  const std::int64_t rows = dH.rows();
  check_step_grads("rnn backward_parameters_per_step", dH);
  if (dh0.rows() != rows || dh0.cols() != n)
    throw InvalidArgument("rnn backward_parameters_per_step: dh0 is " + describe(dh0) + ", expected " +
                          std::to_string(rows) + "x" + std::to_string(n));
  MatrixView<T> delta = pre_grad_.rows(rows);
  for (std::int64_t t = steps_; t >= 1; --t) {
    b.nn().activation_backward(Activation::relu, MatrixView<const T>(state(t, rows)), step(dH, t - 1, n), delta);
    accumulate_step_grads(t, delta, t == steps_);
  }
  b.nn().column_sums(dh0, T(1), T(0), initial_state_.grad.view());
}

template <class T>
void ElmanRnn<T>::check_step_grads(const char* op, MatrixView<const T> dH) const {
  if (dH.rows() != input_.rows() || dH.cols() != output_features())
    throw InvalidArgument(std::string(op) + ": dY is " + describe(dH) + " but the last forward gave " +
                          std::to_string(input_.rows()) + "x" + std::to_string(output_features()));
}

template <class T>
void ElmanRnn<T>::accumulate_step_grads(std::int64_t t, MatrixView<T> delta, bool first) {
  Backend& b = this->backend();
  const std::int64_t in = input_weight_.value.rows();
  const std::int64_t rows = delta.rows();
  const T beta = first ? T(0) : T(1);  // the first step processed overwrites the grads
  const MatrixView<const T> d = delta;
  b.blas().gemm(Transpose::yes, Transpose::no, input_scale_, step(input_, t - 1, in), d, beta,
                input_weight_.grad.view());
  b.blas().gemm(Transpose::yes, Transpose::no, recurrent_scale_, MatrixView<const T>(state(t - 1, rows)), d, beta,
                recurrent_weight_.grad.view());
  b.nn().column_sums(d, T(1), beta, bias_.grad.view());
}

template class ElmanRnn<float>;
template class ElmanRnn<double>;

}  // namespace lwnet::nn
