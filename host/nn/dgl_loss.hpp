// DGL_l (spec section 3, a reading: docs/DGL.md): the GP negative log marginal likelihood of a
// batch's targets Y (m x c) under the NNGP kernel that infinitely wide ReLU layers above a layer
// give its outputs h (m x N):
//   K_0 = sw2 h h^T / N + sb2, K_{j+1} = arc_cosine_step(K_j) for each hidden layer above,
//   A = K + noise I,  DGL = 0.5 sum_c y_c^T A^{-1} y_c + (c / 2) log det A,
// and its gradient with respect to h: dDGL/dK = 0.5 (c A^{-1} - alpha alpha^T), alpha = A^{-1} Y,
// back through the arc-cosine steps and K_0. All of it in float64 on the backend (Cholesky:
// LAPACK on the CPU, cuSOLVER on the GPU); h and the gradient are float32.
#pragma once

#include <cstdint>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/net.hpp"
#include "nn/batch_kernels.hpp"

namespace lwnet::nn {

struct DglValue {
  double loss = 0.0;
  double jitter = 0.0;  // added to A's diagonal for its Cholesky factor (0: none needed)
};

class DglLoss {
 public:
  DglLoss(Backend& backend, const net::DglOptions& options);

  // DGL of h (m x N, float32) against Y (m x c, float64) with `layers_above` arc-cosine steps.
  // With `dh` (m x N) non-empty, also writes dDGL/dh there. Throws NumericalError (nothing
  // written) when A has no Cholesky factor even with jitter.
  DglValue evaluate(MatrixView<const float> h, MatrixView<const double> Y, int layers_above, MatrixView<float> dh);

 private:
  Matrix<double>& scratch(Matrix<double>& m, std::int64_t rows, std::int64_t cols);

  Backend& backend_;
  net::DglOptions options_;
  BatchConstants constants_;
  Matrix<double> h_, dh_, A_, L_, alpha_, G_, G_below_, log_det_;
  std::vector<Matrix<double>> kernels_;  // K_0 ... K_steps
};

}  // namespace lwnet::nn
