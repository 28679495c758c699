// NnOps: the operation family trained networks are built from (spec section 2's nets, the local
// losses of sections 3-4): bias, activations, batch normalisation, pooling, losses, optimiser
// updates, 3x3 convolution lowering and seeded random draws. One validating front end over every
// backend that has the family (Backend::supports(OpFamily::nn)); float32 for training, float64 for
// the finite-difference and oracle tests. The kernel-matrix losses' m x m steps (the arc-cosine
// recursion and its backward) are here too; their Gaussian-kernel gradient back to the points is a
// kernel primitive (Backend::gaussian_gram_gradient).
//
// Layout: a batch of N samples is an N x F matrix, one sample per row. An image batch is N x (H*W*C)
// in HWC order (channel fastest), so the same memory is also an (N*H*W) x C matrix of pixels: a 3x3
// convolution is im2col followed by one GEMM, and its output is again N x (Ho*Wo*Cout).
//
// Validation (always, host metadata only): memory space, shapes, and that outputs do not overlap
// inputs except where an operation says it may run in place. No operation scans values for
// non-finite entries and none waits for the device: scalars (loss sums, correct counts) are
// accumulated in backend memory and read when the caller downloads them.
//
// Thread safety: one NnOps belongs to its Backend; calls from several host threads on the same
// backend must be serialised by the caller (as for every Backend call).
#pragma once

#include "lwnet/export.h"

#include <cstdint>

#include "lwnet/matrix.hpp"

namespace lwnet {

enum class Activation { relu, tanh };

// A 3x3 convolution's input geometry with SAME padding as TensorFlow defines it (the Align code's
// framework): the output is ceil(H / stride) x ceil(W / stride), the padding total
// max((out - 1) * stride + 3 - in, 0) split with the smaller half on top/left.
struct LWNET_API Conv3x3Shape {
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::int64_t channels = 0;
  int stride = 1;

  std::int64_t out_height() const { return (height + stride - 1) / stride; }
  std::int64_t out_width() const { return (width + stride - 1) / stride; }
  std::int64_t pad_top() const { return pad_before(height, out_height()); }
  std::int64_t pad_left() const { return pad_before(width, out_width()); }
  // Columns of one input row (H*W*C) and of one im2col row (9*C).
  std::int64_t input_features() const { return height * width * channels; }
  std::int64_t patch_features() const { return 9 * channels; }

 private:
  std::int64_t pad_before(std::int64_t in, std::int64_t out) const {
    const std::int64_t total = (out - 1) * stride + 3 - in;
    return total > 0 ? total / 2 : 0;
  }
};

struct LWNET_API SgdParams {
  double learning_rate = 0.01;
  double momentum = 0.0;      // 0: plain SGD, the velocity is not used
  double weight_decay = 0.0;  // L2 term added to the gradient (as PyTorch's SGD)
};

struct LWNET_API AdamParams {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double weight_decay = 0.0;  // L2 term added to the gradient (as PyTorch's Adam)
};

enum class Distribution { normal, uniform, bernoulli };

// A seeded draw that every backend reproduces: element (i, j) of a rows x cols view uses counter
// offset + i * cols + j of a counter-based generator keyed by seed (docs/DESIGN.md, "random
// draws"), so the numbers depend on neither the backend's thread count nor its launch geometry.
struct LWNET_API RandomDraw {
  Distribution distribution = Distribution::normal;
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;
  double a = 0.0;  // normal: mean; uniform: low; bernoulli: probability of a 1
  double b = 1.0;  // normal: standard deviation; uniform: high (exclusive); bernoulli: unused
};

class LWNET_API NnOps {
 public:
  NnOps() = default;
  NnOps(const NnOps&) = delete;
  NnOps& operator=(const NnOps&) = delete;
  virtual ~NnOps() = default;

  // ---- elementwise -------------------------------------------------------------------------
  // A(i, j) = value.
  template <class T>
  void fill(MatrixView<T> A, T value);
  // Y(i, j) += row(0, j): a bias broadcast over the rows (row is 1 x Y.cols).
  template <class T>
  void add_row_vector(MatrixView<T> Y, MatrixView<const T> row);
  // out(0, j) = alpha * sum_i A(i, j) + beta * out(0, j): bias gradients, batch means.
  // beta == 0 ignores out's previous content (NaN included).
  template <class T>
  void column_sums(MatrixView<const T> A, T alpha, T beta, MatrixView<T> out);
  // Y = f(X). Y may be X itself (in place).
  template <class T>
  void activation_forward(Activation f, MatrixView<const T> X, MatrixView<T> Y);
  // dX = dY * f'(x), written with the forward OUTPUT Y: relu' = [Y > 0], tanh' = 1 - Y^2.
  // dX may be dY itself (in place).
  template <class T>
  void activation_backward(Activation f, MatrixView<const T> Y, MatrixView<const T> dY, MatrixView<T> dX);

  // ---- batch normalisation without affine parameters -----------------------------------------
  // Per column j (a feature, or an (h, w, c) position of an image batch), over the N rows:
  // mean_j, var_j = the biased variance, inv_std_j = 1 / sqrt(var_j + epsilon),
  // Y = (X - mean) * inv_std. mean and inv_std (1 x F) are written for the backward pass.
  template <class T>
  void batch_norm_forward(MatrixView<const T> X, T epsilon, MatrixView<T> Y, MatrixView<T> mean,
                          MatrixView<T> inv_std);
  // dX = inv_std * (dY - mean_rows(dY) - Y * mean_rows(dY * Y)), Y the forward output.
  // dX may be dY itself.
  template <class T>
  void batch_norm_backward(MatrixView<const T> Y, MatrixView<const T> inv_std, MatrixView<const T> dY,
                           MatrixView<T> dX);

  // ---- pooling -----------------------------------------------------------------------------
  // X is N x (P * C) (P pixels, channel fastest); Y (N x C) = the mean over the P pixels.
  template <class T>
  void global_avg_pool_forward(MatrixView<const T> X, std::int64_t channels, MatrixView<T> Y);
  // dX (N x P*C) = dY / P broadcast over the pixels.
  template <class T>
  void global_avg_pool_backward(MatrixView<const T> dY, std::int64_t channels, MatrixView<T> dX);

  // ---- losses (per-batch means; the gradient is of that mean) --------------------------------
  // Labels must lie in [0, C). The front end does not read them (no device wait); the CPU backend
  // checks them first and throws InvalidArgument naming the row; the CUDA backend never indexes
  // with an out-of-range label: that row's loss and gradient become NaN (so does loss_sum) and
  // count_correct counts it as wrong. Trainers validate labels on the host beforehand.
  // loss_sum(0, 0) += mean over N x C of (F - Targets)^2; dF = 2 (F - Targets) / (N C).
  template <class T>
  void mse_loss(MatrixView<const T> F, MatrixView<const T> targets, MatrixView<T> dF,
                MatrixView<double> loss_sum);
  // loss_sum(0, 0) += mean over rows of -log softmax(F_i)[labels_i];
  // dF = (softmax(F) - onehot(labels)) / N. labels: N x 1, each in [0, C).
  template <class T>
  void softmax_cross_entropy(MatrixView<const T> F, MatrixView<const std::int32_t> labels, MatrixView<T> dF,
                             MatrixView<double> loss_sum);
  // correct(0, 0) += the number of rows whose first maximal column equals the label.
  template <class T>
  void count_correct(MatrixView<const T> F, MatrixView<const std::int32_t> labels,
                     MatrixView<std::int64_t> correct);
  // predicted(i, 0) = the first column where row i of F is maximal.
  template <class T>
  void argmax_rows(MatrixView<const T> F, MatrixView<std::int32_t> predicted);

  // ---- optimiser updates (in place, W, dW, state of one shape) -------------------------------
  // g = dW + weight_decay W; v = momentum v + g (skipped when momentum == 0: v may be empty);
  // W -= lr * (momentum ? v : g).
  template <class T>
  void sgd_update(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> velocity, const SgdParams& p);
  // PyTorch's Adam: g = dW + wd W; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
  // W -= lr * (m / (1 - b1^step)) / (sqrt(v / (1 - b2^step)) + eps). step counts from 1.
  template <class T>
  void adam_update(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> m, MatrixView<T> v,
                   const AdamParams& p, std::int64_t step);

  // ---- 3x3 convolution lowering --------------------------------------------------------------
  // X: N x (H*W*C). cols: (N*Ho*Wo) x (9*C); row (n, oy, ox) holds the patch in (ky, kx, c) order,
  // zeros where it reaches into the padding.
  template <class T>
  void im2col_3x3(MatrixView<const T> X, const Conv3x3Shape& shape, MatrixView<T> cols);
  // The adjoint: dX (N x H*W*C) = the sum of every patch entry of dcols back into its pixel.
  // dX is overwritten.
  template <class T>
  void col2im_3x3(MatrixView<const T> dcols, const Conv3x3Shape& shape, MatrixView<T> dX);

  // ---- random draws on the backend -----------------------------------------------------------
  template <class T>
  void fill_random(MatrixView<T> A, const RandomDraw& draw);

  // ---- kernel-matrix losses (spec sections 3-4: DGL, HSIC bottleneck) --------------------------
  // dst = src in the other precision (same shape; float64 -> float32 rounds to nearest, values
  // beyond float32's range become +-inf).
  void convert(MatrixView<const float> src, MatrixView<double> dst);
  void convert(MatrixView<const double> src, MatrixView<float> dst);
  // One step of the ReLU NNGP (arc-cosine) recursion on a kernel matrix K (m x m, read in full):
  //   out_ab = sb2 + sw2 / (2 pi) * s_ab * (sin t_ab + (pi - t_ab) cos t_ab),
  //   s_ab = sqrt(K_aa K_bb), t_ab = arccos(clamp(K_ab / s_ab, -1, 1));  out_aa = sb2 + sw2 / 2 * K_aa.
  // Where s_ab == 0 (a zero diagonal entry), out_ab = sb2. Evaluated in float64 for float too.
  // K's diagonal must be >= 0 (a kernel matrix; not scanned): a negative product K_aa K_bb gives NaN.
  template <class T>
  void arc_cosine_step(MatrixView<const T> K, double sw2, double sb2, MatrixView<T> out);
  // Its backward pass: dK (m x m) = dL/dK given G = dL/dout, every entry of K an independent variable:
  //   dK_ab (a != b) = G_ab * c * (pi - t_ab),  c = sw2 / (2 pi)
  //   dK_aa = G_aa * sw2 / 2 + c / (2 K_aa) * sum_{b != a} (G_ab r_ab + G_ba r_ba),
  //   r_ab = sqrt(max(K_aa K_bb - K_ab^2, 0))
  // (terms with s_ab == 0 contribute 0). For a symmetric K (r_ab = r_ba) the sum is
  // sum_{b != a} (G_ab + G_ba) c r_ab / (2 K_aa). Float64 arithmetic, each diagonal sum in a fixed
  // order (b ascending on the CPU). dK must not overlap K or G.
  template <class T>
  void arc_cosine_step_backward(MatrixView<const T> K, MatrixView<const T> G, double sw2, MatrixView<T> dK);

 protected:
#define LWNET_NN_OPS_IMPL(T)                                                                               \
  virtual void fill_impl(MatrixView<T> A, T value) = 0;                                                     \
  virtual void add_row_vector_impl(MatrixView<T> Y, MatrixView<const T> row) = 0;                           \
  virtual void column_sums_impl(MatrixView<const T> A, T alpha, T beta, MatrixView<T> out) = 0;             \
  virtual void activation_forward_impl(Activation f, MatrixView<const T> X, MatrixView<T> Y) = 0;           \
  virtual void activation_backward_impl(Activation f, MatrixView<const T> Y, MatrixView<const T> dY,        \
                                        MatrixView<T> dX) = 0;                                              \
  virtual void batch_norm_forward_impl(MatrixView<const T> X, T epsilon, MatrixView<T> Y,                   \
                                       MatrixView<T> mean, MatrixView<T> inv_std) = 0;                      \
  virtual void batch_norm_backward_impl(MatrixView<const T> Y, MatrixView<const T> inv_std,                 \
                                        MatrixView<const T> dY, MatrixView<T> dX) = 0;                      \
  virtual void global_avg_pool_forward_impl(MatrixView<const T> X, std::int64_t channels,                   \
                                            MatrixView<T> Y) = 0;                                           \
  virtual void global_avg_pool_backward_impl(MatrixView<const T> dY, std::int64_t channels,                 \
                                             MatrixView<T> dX) = 0;                                         \
  virtual void mse_loss_impl(MatrixView<const T> F, MatrixView<const T> targets, MatrixView<T> dF,          \
                             MatrixView<double> loss_sum) = 0;                                              \
  virtual void softmax_cross_entropy_impl(MatrixView<const T> F, MatrixView<const std::int32_t> labels,     \
                                          MatrixView<T> dF, MatrixView<double> loss_sum) = 0;               \
  virtual void count_correct_impl(MatrixView<const T> F, MatrixView<const std::int32_t> labels,             \
                                  MatrixView<std::int64_t> correct) = 0;                                    \
  virtual void argmax_rows_impl(MatrixView<const T> F, MatrixView<std::int32_t> predicted) = 0;             \
  virtual void sgd_update_impl(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> velocity,             \
                               const SgdParams& p) = 0;                                                     \
  virtual void adam_update_impl(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> m,                   \
                                MatrixView<T> v, const AdamParams& p, std::int64_t step) = 0;               \
  virtual void im2col_3x3_impl(MatrixView<const T> X, const Conv3x3Shape& shape, MatrixView<T> cols) = 0;  \
  virtual void col2im_3x3_impl(MatrixView<const T> dcols, const Conv3x3Shape& shape, MatrixView<T> dX) = 0; \
  virtual void fill_random_impl(MatrixView<T> A, const RandomDraw& draw) = 0;                                \
  virtual void arc_cosine_step_impl(MatrixView<const T> K, double sw2, double sb2, MatrixView<T> out) = 0;  \
  virtual void arc_cosine_step_backward_impl(MatrixView<const T> K, MatrixView<const T> G, double sw2,       \
                                             MatrixView<T> dK) = 0;
  LWNET_NN_OPS_IMPL(float)
  LWNET_NN_OPS_IMPL(double)
#undef LWNET_NN_OPS_IMPL
  virtual void convert_impl(MatrixView<const float> src, MatrixView<double> dst) = 0;
  virtual void convert_impl(MatrixView<const double> src, MatrixView<float> dst) = 0;

  // The backend's memory space and device, which every argument must be in.
  virtual MemorySpace space() const = 0;
  virtual int device_index() const { return 0; }
};

}  // namespace lwnet
