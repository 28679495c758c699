#include "nn/loss.hpp"

namespace lwnet::nn {

Matrix<float> mse_targets(const std::vector<int>& labels, int num_classes) {
  Matrix<float> y = Matrix<float>::host(static_cast<std::int64_t>(labels.size()), num_classes);
  for (std::size_t i = 0; i < labels.size(); ++i)
    for (int j = 0; j < num_classes; ++j)
      y(static_cast<std::int64_t>(i), j) = (labels[i] == j ? 1.0f : 0.0f) - 0.1f;
  return y;
}

template <class T>
Loss<T>::Loss(Backend& backend, net::LossKind kind, int num_classes)
    : backend_(backend), kind_(kind), error_(backend, num_classes) {}

template <class T>
MatrixView<const T> Loss<T>::error(MatrixView<const T> F, const BatchTargets<T>& targets,
                                   MatrixView<double> loss_sum) {
  MatrixView<T> e = error_.rows(F.rows());
  if (kind_ == net::LossKind::mse)
    backend_.nn().mse_loss(F, targets.values, e, loss_sum);
  else
    backend_.nn().softmax_cross_entropy(F, targets.labels, e, loss_sum);
  return e;
}

template class Loss<float>;
template class Loss<double>;

}  // namespace lwnet::nn
