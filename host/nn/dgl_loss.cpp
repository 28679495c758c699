#include "nn/dgl_loss.hpp"

#include <utility>

namespace lwnet::nn {

DglLoss::DglLoss(Backend& backend, const net::DglOptions& options)
    : backend_(backend), options_(options), constants_(backend) {}

Matrix<double>& DglLoss::scratch(Matrix<double>& m, std::int64_t rows, std::int64_t cols) {
  if (m.rows() != rows || m.cols() != cols) m = backend_.allocate<double>(rows, cols);
  return m;
}

DglValue DglLoss::evaluate(MatrixView<const float> h, MatrixView<const double> Y, int layers_above,
                           MatrixView<float> dh) {
  const std::int64_t m = h.rows(), N = h.cols(), c = Y.cols();
  Blas& blas = backend_.blas();
  Solver& solver = backend_.solver();
  NnOps& ops = backend_.nn();
  constants_.resize(m);
  const double w = options_.sw2 / static_cast<double>(N);

  // K_0 = sw2 h h^T / N + sb2, then the arc-cosine steps of the layers above.
  backend_.nn().convert(h, scratch(h_, m, N).view());
  const auto steps = static_cast<std::size_t>(layers_above);
  if (kernels_.size() < steps + 1) kernels_.resize(steps + 1);
  for (std::size_t j = 0; j <= steps; ++j) scratch(kernels_[j], m, m);
  blas.gemm(Transpose::no, Transpose::yes, w, h_.cview(), h_.cview(), 0.0, kernels_[0].view());
  if (options_.sb2 != 0.0) blas.axpy(options_.sb2, constants_.ones(), kernels_[0].view());
  for (std::size_t j = 1; j <= steps; ++j)
    ops.arc_cosine_step(kernels_[j - 1].cview(), options_.sw2, options_.sb2, kernels_[j].view());

  // A = K + noise I, its factor, alpha = A^{-1} Y.
  scratch(A_, m, m);
  backend_.copy(kernels_[steps].cview(), A_.view());
  blas.axpy(options_.noise, constants_.identity(), A_.view());
  const JitteredCholesky factor = cholesky_with_jitter(backend_, constants_, A_.cview(), scratch(L_, m, m).view(), "dgl");
  backend_.copy(Y, scratch(alpha_, m, c).view());
  solver.potrs(L_.cview(), alpha_.view());
  solver.log_det(L_.cview(), scratch(log_det_, 1, 1).view());
  double fit = 0.0;
  for (double v : backend_.column_dots(Y, alpha_.cview())) fit += v;
  DglValue value;
  value.jitter = factor.jitter;
  value.loss = 0.5 * fit + 0.5 * static_cast<double>(c) * backend_.download(log_det_.cview())(0, 0);
  if (dh.empty()) return value;

  // G = dDGL/dK = 0.5 (c A^{-1} - alpha alpha^T), back through the steps to K_0.
  scratch(G_, m, m);
  backend_.copy(constants_.identity(), G_.view());
  solver.potrs(L_.cview(), G_.view());
  blas.scal(0.5 * static_cast<double>(c), G_.view());
  blas.gemm(Transpose::no, Transpose::yes, -0.5, alpha_.cview(), alpha_.cview(), 1.0, G_.view());
  scratch(G_below_, m, m);
  for (std::size_t j = steps; j >= 1; --j) {
    ops.arc_cosine_step_backward(kernels_[j - 1].cview(), G_.cview(), options_.sw2, G_below_.view());
    std::swap(G_, G_below_);
  }
  // dK_0/dh: dh = (sw2 / N) (G + G^T) h.
  scratch(dh_, m, N);
  blas.gemm(Transpose::no, Transpose::no, w, G_.cview(), h_.cview(), 0.0, dh_.view());
  blas.gemm(Transpose::yes, Transpose::no, w, G_.cview(), h_.cview(), 1.0, dh_.view());
  ops.convert(dh_.cview(), dh);
  return value;
}

}  // namespace lwnet::nn
