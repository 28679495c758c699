#include "nn/shape_ops.hpp"

namespace lwnet::nn {

template <class T>
ActivationModule<T>::ActivationModule(Backend& backend, Activation f, std::int64_t features)
    : Module<T>(backend), f_(f), output_(backend, features), input_grad_(backend, features) {}

template <class T>
MatrixView<const T> ActivationModule<T>::forward(MatrixView<const T> X) {
  MatrixView<T> Y = output_.rows(X.rows());
  this->backend().nn().activation_forward(f_, X, Y);
  last_ = Y;
  return last_;
}

template <class T>
MatrixView<const T> ActivationModule<T>::backward(MatrixView<const T> dY, bool want_input_grad) {
  if (!want_input_grad) return {};
  MatrixView<T> dX = input_grad_.rows(dY.rows());
  this->backend().nn().activation_backward(f_, last_, dY, dX);
  return dX;
}

template <class T>
BatchNorm<T>::BatchNorm(Backend& backend, std::int64_t features, double epsilon)
    : Module<T>(backend),
      epsilon_(static_cast<T>(epsilon)),
      output_(backend, features),
      input_grad_(backend, features),
      mean_(backend.allocate<T>(1, features)),
      inv_std_(backend.allocate<T>(1, features)) {}

template <class T>
MatrixView<const T> BatchNorm<T>::forward(MatrixView<const T> X) {
  MatrixView<T> Y = output_.rows(X.rows());
  this->backend().nn().batch_norm_forward(X, epsilon_, Y, mean_.view(), inv_std_.view());
  last_ = Y;
  return last_;
}

template <class T>
MatrixView<const T> BatchNorm<T>::backward(MatrixView<const T> dY, bool want_input_grad) {
  if (!want_input_grad) return {};
  MatrixView<T> dX = input_grad_.rows(dY.rows());
  this->backend().nn().batch_norm_backward(last_, inv_std_.cview(), dY, dX);
  return dX;
}

template <class T>
GlobalAvgPool<T>::GlobalAvgPool(Backend& backend, std::int64_t pixels, std::int64_t channels)
    : Module<T>(backend),
      pixels_(pixels),
      channels_(channels),
      output_(backend, channels),
      input_grad_(backend, pixels * channels) {}

template <class T>
MatrixView<const T> GlobalAvgPool<T>::forward(MatrixView<const T> X) {
  MatrixView<T> Y = output_.rows(X.rows());
  this->backend().nn().global_avg_pool_forward(X, channels_, Y);
  return Y;
}

template <class T>
MatrixView<const T> GlobalAvgPool<T>::backward(MatrixView<const T> dY, bool want_input_grad) {
  if (!want_input_grad) return {};
  MatrixView<T> dX = input_grad_.rows(dY.rows());
  this->backend().nn().global_avg_pool_backward(dY, channels_, dX);
  return dX;
}

template class ActivationModule<float>;
template class ActivationModule<double>;
template class BatchNorm<float>;
template class BatchNorm<double>;
template class GlobalAvgPool<float>;
template class GlobalAvgPool<double>;

}  // namespace lwnet::nn
