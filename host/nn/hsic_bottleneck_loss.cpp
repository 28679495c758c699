#include "nn/hsic_bottleneck_loss.hpp"

#include <cmath>

#include "lwnet/kernels.hpp"

namespace lwnet::nn {

namespace {

Matrix<double>& sized(Backend& backend, Matrix<double>& m, std::int64_t rows, std::int64_t cols) {
  if (m.rows() != rows || m.cols() != cols) m = backend.allocate<double>(rows, cols);
  return m;
}

double sum_of(const std::vector<double>& values) {
  double s = 0.0;
  for (double v : values) s += v;
  return s;
}

}  // namespace

HsicBottleneckLoss::HsicBottleneckLoss(Backend& backend, const net::HsicBottleneckOptions& options)
    : backend_(backend), options_(options), constants_(backend) {}

double HsicBottleneckLoss::sigma_for(std::int64_t dim) const {
  return options_.sigma * std::sqrt(static_cast<double>(dim));
}

void HsicBottleneckLoss::residual_of(MatrixView<const float> V, MatrixView<double> out, bool q_only) {
  const std::int64_t m = V.rows();
  const double lambda = options_.epsilon * static_cast<double>(m);
  constants_.resize(m);
  Blas& blas = backend_.blas();
  Solver& solver = backend_.solver();
  if (kernel_f_.rows() != m) kernel_f_ = backend_.allocate<float>(m, m);
  backend_.gram(V, V, GramParams::gaussian(sigma_for(V.cols())), kernel_f_.view());
  sized(backend_, kernel_, m, m);
  backend_.nn().convert(kernel_f_.cview(), kernel_.view());
  // A = K + lambda I (in place), its factor, a = A^{-1} 1, Q = A^{-1} + (1 - lambda a) a^T / (lambda 1^T a).
  blas.axpy(lambda, constants_.identity(), kernel_.view());
  cholesky_with_jitter(backend_, constants_, kernel_.cview(), sized(backend_, L_, m, m).view(), "hsic-bottleneck");
  backend_.copy(constants_.ones_column(), sized(backend_, a_, m, 1).view());
  solver.potrs(L_.cview(), a_.view());
  const double a_sum = sum_of(backend_.column_sums(a_.cview()));
  MatrixView<double> Q = q_only ? out : sized(backend_, Q_, m, m).view();
  backend_.copy(constants_.identity(), Q);
  solver.potrs(L_.cview(), Q);
  backend_.copy(constants_.ones_column(), sized(backend_, w_, m, 1).view());
  blas.axpy(-lambda, a_.cview(), w_.view());
  blas.gemm(Transpose::no, Transpose::yes, 1.0 / (lambda * a_sum), w_.cview(), a_.cview(), 1.0, Q);
  if (q_only) return;
  backend_.copy(constants_.identity(), out);
  blas.axpy(-lambda, MatrixView<const double>(Q), out);
}

void HsicBottleneckLoss::set_batch(MatrixView<const float> X, MatrixView<const float> Y_one_hot) {
  const std::int64_t m = X.rows();
  Blas& blas = backend_.blas();
  for (auto [V, transposed, trace] : {std::tuple{X, &RXt_, &trace_x_}, std::tuple{Y_one_hot, &RYt_, &trace_y_}}) {
    residual_of(V, sized(backend_, R_tmp_, m, m).view(), false);
    *trace = sum_of(backend_.column_dots(R_tmp_.cview(), constants_.identity()));
    blas.gemm(Transpose::yes, Transpose::no, 1.0, R_tmp_.cview(), constants_.identity(), 0.0,
              sized(backend_, *transposed, m, m).view());
  }
  // M^T = R_X^T - beta R_Y^T, the gradient's middle factor.
  backend_.copy(RXt_.cview(), sized(backend_, Mt_, m, m).view());
  blas.axpy(-options_.beta, RYt_.cview(), Mt_.view());
}

HsicBlockValue HsicBottleneckLoss::block_loss(MatrixView<const float> Z, MatrixView<float> dZ) {
  const std::int64_t m = Z.rows();
  const double lambda = options_.epsilon * static_cast<double>(m);
  Blas& blas = backend_.blas();
  residual_of(Z, sized(backend_, Q_, m, m).view(), true);
  // tr(R_Z R_B) = tr(R_B) - lambda sum(Q_Z .* R_B^T).
  HsicBlockValue value;
  value.hsic_x = trace_x_ - lambda * sum_of(backend_.column_dots(Q_.cview(), RXt_.cview()));
  value.hsic_y = trace_y_ - lambda * sum_of(backend_.column_dots(Q_.cview(), RYt_.cview()));
  value.loss = value.hsic_x - options_.beta * value.hsic_y;
  if (dZ.empty()) return value;
  // G = lambda Q^T M^T Q^T H.
  blas.gemm(Transpose::yes, Transpose::no, lambda, Q_.cview(), Mt_.cview(), 0.0, sized(backend_, R_tmp_, m, m).view());
  blas.gemm(Transpose::no, Transpose::yes, 1.0, R_tmp_.cview(), Q_.cview(), 0.0, sized(backend_, P_, m, m).view());
  center_rows(backend_, constants_, P_.view(), sized(backend_, row_sums_, m, 1).view());
  if (G_f_.rows() != m) G_f_ = backend_.allocate<float>(m, m);
  backend_.nn().convert(P_.cview(), G_f_.view());
  backend_.gaussian_gram_gradient(Z, G_f_.cview(), sigma_for(Z.cols()), dZ);
  return value;
}

double HsicBottleneckLoss::normalized_hsic(MatrixView<const float> A, MatrixView<const float> B) {
  const std::int64_t m = A.rows();
  Matrix<double> RA = backend_.allocate<double>(m, m), RB = backend_.allocate<double>(m, m),
                 RBt = backend_.allocate<double>(m, m);
  residual_of(A, RA.view(), false);
  residual_of(B, RB.view(), false);
  backend_.blas().gemm(Transpose::yes, Transpose::no, 1.0, RB.cview(), constants_.identity(), 0.0, RBt.view());
  return sum_of(backend_.column_dots(RA.cview(), RBt.cview()));
}

}  // namespace lwnet::nn
