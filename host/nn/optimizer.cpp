#include "nn/optimizer.hpp"

namespace lwnet::nn {

template <class T>
Optimizer<T>::Optimizer(Backend& backend, const net::NetOptions& options, std::vector<Parameter<T>*> parameters)
    : backend_(backend), kind_(options.optimizer), parameters_(std::move(parameters)) {
  sgd_.learning_rate = options.effective_learning_rate();
  sgd_.momentum = options.momentum;
  sgd_.weight_decay = options.weight_decay;
  adam_.learning_rate = options.effective_learning_rate();
  adam_.beta1 = options.adam_beta1;
  adam_.beta2 = options.adam_beta2;
  adam_.epsilon = options.adam_epsilon;
  adam_.weight_decay = options.weight_decay;
  const bool adam = kind_ == net::OptimizerKind::adam;
  const bool first_moment = adam || sgd_.momentum != 0.0;
  for (Parameter<T>* p : parameters_) {
    const auto rows = p->value.rows();
    const auto cols = p->value.cols();
    first_.push_back(first_moment ? backend.allocate<T>(rows, cols) : Matrix<T>());
    second_.push_back(adam ? backend.allocate<T>(rows, cols) : Matrix<T>());
    if (first_moment) backend.nn().fill(first_.back().view(), T(0));
    if (adam) backend.nn().fill(second_.back().view(), T(0));
  }
}

template <class T>
void Optimizer<T>::step() {
  ++steps_;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Parameter<T>& p = *parameters_[i];
    if (kind_ == net::OptimizerKind::adam)
      backend_.nn().adam_update(p.value.view(), p.grad.cview(), first_[i].view(), second_[i].view(), adam_, steps_);
    else
      backend_.nn().sgd_update(p.value.view(), p.grad.cview(), first_[i].view(), sgd_);
  }
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace lwnet::nn
