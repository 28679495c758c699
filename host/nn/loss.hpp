// Training losses as means over the batch, with their gradient dL/dF (the output error e):
//   cross-entropy: softmax cross-entropy against the labels;
//   mse: mean over batch x classes of (f - y)^2 with y = one-hot - 0.1 (spec 2.1), so
//        e = 2 (f - y) / (N * classes).
#pragma once

#include <cstdint>

#include "lwnet/net.hpp"
#include "nn/module.hpp"

namespace lwnet::nn {

// What a batch is scored against: the labels (N x 1) always; the regression targets (N x classes)
// for mse.
template <class T>
struct BatchTargets {
  MatrixView<const std::int32_t> labels;
  MatrixView<const T> values;
};

// The mse targets of label y: one-hot - 0.1 (host, n x classes).
Matrix<float> mse_targets(const std::vector<int>& labels, int num_classes);

template <class T>
class Loss {
 public:
  Loss(Backend& backend, net::LossKind kind, int num_classes);
  net::LossKind kind() const { return kind_; }
  // Adds the batch's mean loss to loss_sum(0, 0) (backend memory) and returns e = dL/dF, valid
  // until the next call.
  MatrixView<const T> error(MatrixView<const T> F, const BatchTargets<T>& targets, MatrixView<double> loss_sum);

 private:
  Backend& backend_;
  net::LossKind kind_;
  RowBuffer<T> error_;
};

}  // namespace lwnet::nn
