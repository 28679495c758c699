// The HSIC bottleneck's loss (spec section 4, the code choasma/HSIC-bottleneck) for a hidden
// block's outputs Z (m x N) on a batch with inputs X (m x d) and one-hot labels Y (m x c):
//   loss = nHSIC(Z, X) - beta nHSIC(Z, Y),  nHSIC(A, B) = tr(R_A R_B),
//   R = K H (K H + lambda I)^{-1},  lambda = eps m,
// each K the Gaussian kernel exp(-||a - b||^2 / (2 sigma^2 dim)) of its own argument's dimension.
// With P = K H and Q = (P + lambda I)^{-1}, R = I - lambda Q (P and Q commute), and
//   Q = A^{-1} + (1 - lambda a) a^T / (lambda 1^T a),  A = K + lambda I,  a = A^{-1} 1
// (Sherman-Morrison on KH = K - (K 1) 1^T / m), so every solve is a Cholesky solve with the
// positive definite A. The gradient with respect to K_Z is G = lambda Q^T M^T Q^T H with
// M = R_X - beta R_Y; Backend::gaussian_gram_gradient takes it back to Z. Float64 on the backend.
#pragma once

#include <cstdint>
#include <tuple>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/net.hpp"
#include "nn/batch_kernels.hpp"

namespace lwnet::nn {

struct HsicBlockValue {
  double hsic_x = 0.0;  // nHSIC(Z, X)
  double hsic_y = 0.0;  // nHSIC(Z, Y)
  double loss = 0.0;    // hsic_x - beta hsic_y
};

class HsicBottleneckLoss {
 public:
  HsicBottleneckLoss(Backend& backend, const net::HsicBottleneckOptions& options);

  // The batch every following block_loss() is scored against: R_X and R_Y.
  void set_batch(MatrixView<const float> X, MatrixView<const float> Y_one_hot);
  // The loss of a block's outputs Z (m x N, the batch's rows); with dZ non-empty, also dloss/dZ.
  HsicBlockValue block_loss(MatrixView<const float> Z, MatrixView<float> dZ);

  // nHSIC(A, B) = tr(R_A R_B) with the kernels above: for tests and monitoring.
  double normalized_hsic(MatrixView<const float> A, MatrixView<const float> B);

 private:
  // R (or, with `q_only`, Q) of the Gaussian kernel of V's rows.
  void residual_of(MatrixView<const float> V, MatrixView<double> out, bool q_only);
  double sigma_for(std::int64_t dim) const;

  Backend& backend_;
  net::HsicBottleneckOptions options_;
  BatchConstants constants_;
  Matrix<float> kernel_f_, G_f_;
  Matrix<double> kernel_, L_, a_, w_, Q_, RXt_, RYt_, Mt_, P_, row_sums_, R_tmp_;
  double trace_x_ = 0.0, trace_y_ = 0.0;
};

}  // namespace lwnet::nn
