// The NnOps front end: every public operation checks its arguments here, once for all backends
// (layout, memory space, shapes, parameters, overlap), then calls the backend's *_impl. Host
// metadata only: no value is read. Label values are each backend's to handle (nn_ops.hpp).
#include "lwnet/nn_ops.hpp"

#include <cmath>
#include <string>

#include "core/validate.hpp"
#include "lwnet/error.hpp"

namespace lwnet {

namespace {

using detail::check_no_overlap;
using detail::check_nonempty;
using detail::fail;
using detail::named;

std::string space_name(MemorySpace space, int device) {
  return space == MemorySpace::cuda ? "cuda:" + std::to_string(device) : std::string("host");
}

// Layout, non-emptiness and memory space of one argument.
template <class T>
void check_operand(MemorySpace space, int device, const char* op, const char* name, const MatrixView<T>& m) {
  check_nonempty(op, name, m);
  const bool ok = m.space() == space && (space == MemorySpace::host || m.device() == device);
  if (!ok)
    fail(op,
         std::string(name) + " is in " + space_name(m.space(), m.device()) + " memory but this backend needs " +
             space_name(space, device) + " memory; copy it there first (Backend::upload or download)",
         {named(name, m)});
}

// `out` is the very view `in` (same data, ld and shape): the in-place case an operation allows.
template <class T, class U>
bool same_view(const MatrixView<T>& out, const MatrixView<U>& in) {
  return static_cast<const void*>(out.data()) == static_cast<const void*>(in.data()) && out.ld() == in.ld() &&
         out.rows() == in.rows() && out.cols() == in.cols();
}

// No overlap, except that `out` may be exactly `in`.
template <class T, class U>
void check_in_place_or_disjoint(const char* op, const char* out_name, const MatrixView<T>& out,
                                const char* in_name, const MatrixView<U>& in) {
  if (same_view(out, in)) return;
  check_no_overlap(op, out_name, out, in_name, in);
}

template <class T, class U>
void check_same_shape(const char* op, const char* a_name, const MatrixView<T>& a, const char* b_name,
                      const MatrixView<U>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols())
    fail(op, std::string(a_name) + " and " + b_name + " must have the same shape", {named(a_name, a), named(b_name, b)});
}

template <class T>
void check_shape(const char* op, const char* name, const MatrixView<T>& m, std::int64_t rows, std::int64_t cols,
                 const std::string& why) {
  if (m.rows() != rows || m.cols() != cols)
    fail(op, std::string(name) + " must be " + std::to_string(rows) + "x" + std::to_string(cols) + " (" + why + ")",
         {named(name, m)});
}

void check_activation(const char* op, Activation f) {
  if (f != Activation::relu && f != Activation::tanh)
    fail(op, "unknown activation " + std::to_string(static_cast<int>(f)));
}

void check_channels(const char* op, const char* name, std::int64_t features, std::int64_t channels) {
  if (channels < 1 || features % channels != 0)
    fail(op, "channels = " + std::to_string(channels) + " must be >= 1 and divide the " + std::to_string(features) +
                 " columns of " + name);
}

// a * b, or fail when it overflows int64.
std::int64_t checked_product(const char* op, std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) fail(op, std::string(what) + " overflows a 64-bit count");
  return r;
}

void check_conv_shape(const char* op, const Conv3x3Shape& s) {
  if (s.height < 1 || s.width < 1 || s.channels < 1 || s.stride < 1)
    fail(op, "the convolution shape needs height, width, channels >= 1 and stride >= 1, got H=" +
                 std::to_string(s.height) + " W=" + std::to_string(s.width) + " C=" + std::to_string(s.channels) +
                 " stride=" + std::to_string(s.stride));
  checked_product(op, checked_product(op, s.height, s.width, "H*W"), s.channels, "H*W*C");
  checked_product(op, 9, s.channels, "9*C");
}

// The image batch (N x H*W*C) and its im2col matrix ((N*Ho*Wo) x 9C) agree with the shape.
template <class A, class B>
void check_conv_operands(const char* op, const Conv3x3Shape& s, const char* image_name, const MatrixView<A>& image,
                         const char* cols_name, const MatrixView<B>& cols) {
  check_conv_shape(op, s);
  const std::string geometry = "H=" + std::to_string(s.height) + " W=" + std::to_string(s.width) +
                               " C=" + std::to_string(s.channels) + " stride=" + std::to_string(s.stride);
  if (image.cols() != s.input_features())
    fail(op, std::string(image_name) + " must have H*W*C = " + std::to_string(s.input_features()) + " columns for " +
                 geometry,
         {named(image_name, image)});
  const std::int64_t patches = checked_product(
      op, image.rows(), checked_product(op, s.out_height(), s.out_width(), "Ho*Wo"), "N*Ho*Wo");
  if (cols.rows() != patches || cols.cols() != s.patch_features())
    fail(op,
         std::string(cols_name) + " must be (N*Ho*Wo) x 9C = " + std::to_string(patches) + "x" +
             std::to_string(s.patch_features()) + " for " + geometry + " (Ho=" + std::to_string(s.out_height()) +
             ", Wo=" + std::to_string(s.out_width()) + ")",
         {named(image_name, image), named(cols_name, cols)});
}

void check_finite_param(const char* op, const char* name, double value) {
  if (!std::isfinite(value)) fail(op, std::string(name) + " must be finite, got " + std::to_string(value));
}

// value in [0, 1): momentum and Adam's betas.
void check_unit_interval(const char* op, const char* name, double value) {
  if (!(value >= 0.0 && value < 1.0)) fail(op, std::string(name) + " must be in [0, 1), got " + std::to_string(value));
}

void check_non_negative(const char* op, const char* name, double value) {
  check_finite_param(op, name, value);
  if (value < 0.0) fail(op, std::string(name) + " must be >= 0, got " + std::to_string(value));
}

void check_random_draw(const char* op, const RandomDraw& d) {
  switch (d.distribution) {
    case Distribution::normal:
      check_finite_param(op, "the normal mean (a)", d.a);
      check_non_negative(op, "the normal standard deviation (b)", d.b);
      return;
    case Distribution::uniform:
      check_finite_param(op, "the uniform low bound (a)", d.a);
      check_finite_param(op, "the uniform high bound (b)", d.b);
      if (!(d.a < d.b) || !std::isfinite(d.b - d.a))
        fail(op, "the uniform bounds need a < b with a finite width, got a=" + std::to_string(d.a) +
                     " b=" + std::to_string(d.b));
      return;
    case Distribution::bernoulli:
      if (!(d.a >= 0.0 && d.a <= 1.0))
        fail(op, "the bernoulli probability (a) must be in [0, 1], got " + std::to_string(d.a));
      return;
  }
  fail(op, "unknown distribution " + std::to_string(static_cast<int>(d.distribution)));
}

}  // namespace

#define LWNET_NN_OPERAND(op, name) check_operand(space(), device_index(), op, #name, name)

template <class T>
void NnOps::fill(MatrixView<T> A, T value) {
  LWNET_NN_OPERAND("fill", A);
  fill_impl(A, value);
}

template <class T>
void NnOps::add_row_vector(MatrixView<T> Y, MatrixView<const T> row) {
  const char* op = "add_row_vector";
  LWNET_NN_OPERAND(op, Y);
  LWNET_NN_OPERAND(op, row);
  check_shape(op, "row", row, 1, Y.cols(), "1 x Y.cols");
  check_no_overlap(op, "Y", Y, "row", row);
  add_row_vector_impl(Y, row);
}

template <class T>
void NnOps::column_sums(MatrixView<const T> A, T alpha, T beta, MatrixView<T> out) {
  const char* op = "column_sums";
  LWNET_NN_OPERAND(op, A);
  LWNET_NN_OPERAND(op, out);
  check_shape(op, "out", out, 1, A.cols(), "1 x A.cols");
  check_finite_param(op, "alpha", static_cast<double>(alpha));
  check_finite_param(op, "beta", static_cast<double>(beta));
  check_no_overlap(op, "out", out, "A", A);
  column_sums_impl(A, alpha, beta, out);
}

template <class T>
void NnOps::activation_forward(Activation f, MatrixView<const T> X, MatrixView<T> Y) {
  const char* op = "activation_forward";
  check_activation(op, f);
  LWNET_NN_OPERAND(op, X);
  LWNET_NN_OPERAND(op, Y);
  check_same_shape(op, "X", X, "Y", Y);
  check_in_place_or_disjoint(op, "Y", Y, "X", X);
  activation_forward_impl(f, X, Y);
}

template <class T>
void NnOps::activation_backward(Activation f, MatrixView<const T> Y, MatrixView<const T> dY, MatrixView<T> dX) {
  const char* op = "activation_backward";
  check_activation(op, f);
  LWNET_NN_OPERAND(op, Y);
  LWNET_NN_OPERAND(op, dY);
  LWNET_NN_OPERAND(op, dX);
  check_same_shape(op, "Y", Y, "dY", dY);
  check_same_shape(op, "Y", Y, "dX", dX);
  check_no_overlap(op, "dX", dX, "Y", Y);
  check_in_place_or_disjoint(op, "dX", dX, "dY", dY);
  activation_backward_impl(f, Y, dY, dX);
}

template <class T>
void NnOps::batch_norm_forward(MatrixView<const T> X, T epsilon, MatrixView<T> Y, MatrixView<T> mean,
                               MatrixView<T> inv_std) {
  const char* op = "batch_norm_forward";
  LWNET_NN_OPERAND(op, X);
  LWNET_NN_OPERAND(op, Y);
  LWNET_NN_OPERAND(op, mean);
  LWNET_NN_OPERAND(op, inv_std);
  if (!(std::isfinite(static_cast<double>(epsilon)) && epsilon > T(0)))
    fail(op, "epsilon must be finite and > 0, got " + std::to_string(static_cast<double>(epsilon)));
  check_same_shape(op, "X", X, "Y", Y);
  check_shape(op, "mean", mean, 1, X.cols(), "1 x X.cols");
  check_shape(op, "inv_std", inv_std, 1, X.cols(), "1 x X.cols");
  check_no_overlap(op, "Y", Y, "X", X);
  check_no_overlap(op, "mean", mean, "X", X);
  check_no_overlap(op, "inv_std", inv_std, "X", X);
  check_no_overlap(op, "mean", mean, "Y", MatrixView<const T>(Y));
  check_no_overlap(op, "inv_std", inv_std, "Y", MatrixView<const T>(Y));
  check_no_overlap(op, "inv_std", inv_std, "mean", MatrixView<const T>(mean));
  batch_norm_forward_impl(X, epsilon, Y, mean, inv_std);
}

template <class T>
void NnOps::batch_norm_backward(MatrixView<const T> Y, MatrixView<const T> inv_std, MatrixView<const T> dY,
                                MatrixView<T> dX) {
  const char* op = "batch_norm_backward";
  LWNET_NN_OPERAND(op, Y);
  LWNET_NN_OPERAND(op, inv_std);
  LWNET_NN_OPERAND(op, dY);
  LWNET_NN_OPERAND(op, dX);
  check_shape(op, "inv_std", inv_std, 1, Y.cols(), "1 x Y.cols");
  check_same_shape(op, "Y", Y, "dY", dY);
  check_same_shape(op, "Y", Y, "dX", dX);
  check_no_overlap(op, "dX", dX, "Y", Y);
  check_no_overlap(op, "dX", dX, "inv_std", inv_std);
  check_in_place_or_disjoint(op, "dX", dX, "dY", dY);
  batch_norm_backward_impl(Y, inv_std, dY, dX);
}

template <class T>
void NnOps::global_avg_pool_forward(MatrixView<const T> X, std::int64_t channels, MatrixView<T> Y) {
  const char* op = "global_avg_pool_forward";
  LWNET_NN_OPERAND(op, X);
  LWNET_NN_OPERAND(op, Y);
  check_channels(op, "X", X.cols(), channels);
  check_shape(op, "Y", Y, X.rows(), channels, "X.rows x channels");
  check_no_overlap(op, "Y", Y, "X", X);
  global_avg_pool_forward_impl(X, channels, Y);
}

template <class T>
void NnOps::global_avg_pool_backward(MatrixView<const T> dY, std::int64_t channels, MatrixView<T> dX) {
  const char* op = "global_avg_pool_backward";
  LWNET_NN_OPERAND(op, dY);
  LWNET_NN_OPERAND(op, dX);
  check_channels(op, "dX", dX.cols(), channels);
  check_shape(op, "dY", dY, dX.rows(), channels, "dX.rows x channels");
  check_no_overlap(op, "dX", dX, "dY", dY);
  global_avg_pool_backward_impl(dY, channels, dX);
}

template <class T>
void NnOps::mse_loss(MatrixView<const T> F, MatrixView<const T> targets, MatrixView<T> dF,
                     MatrixView<double> loss_sum) {
  const char* op = "mse_loss";
  LWNET_NN_OPERAND(op, F);
  LWNET_NN_OPERAND(op, targets);
  LWNET_NN_OPERAND(op, dF);
  LWNET_NN_OPERAND(op, loss_sum);
  check_same_shape(op, "F", F, "targets", targets);
  check_same_shape(op, "F", F, "dF", dF);
  check_shape(op, "loss_sum", loss_sum, 1, 1, "one accumulator");
  check_no_overlap(op, "dF", dF, "F", F);
  check_no_overlap(op, "dF", dF, "targets", targets);
  check_no_overlap(op, "loss_sum", loss_sum, "F", F);
  check_no_overlap(op, "loss_sum", loss_sum, "targets", targets);
  check_no_overlap(op, "loss_sum", loss_sum, "dF", MatrixView<const T>(dF));
  mse_loss_impl(F, targets, dF, loss_sum);
}

template <class T>
void NnOps::softmax_cross_entropy(MatrixView<const T> F, MatrixView<const std::int32_t> labels, MatrixView<T> dF,
                                  MatrixView<double> loss_sum) {
  const char* op = "softmax_cross_entropy";
  LWNET_NN_OPERAND(op, F);
  LWNET_NN_OPERAND(op, labels);
  LWNET_NN_OPERAND(op, dF);
  LWNET_NN_OPERAND(op, loss_sum);
  check_shape(op, "labels", labels, F.rows(), 1, "one label per row of F");
  check_same_shape(op, "F", F, "dF", dF);
  check_shape(op, "loss_sum", loss_sum, 1, 1, "one accumulator");
  check_no_overlap(op, "dF", dF, "F", F);
  check_no_overlap(op, "dF", dF, "labels", labels);
  check_no_overlap(op, "loss_sum", loss_sum, "F", F);
  check_no_overlap(op, "loss_sum", loss_sum, "labels", labels);
  check_no_overlap(op, "loss_sum", loss_sum, "dF", MatrixView<const T>(dF));
  softmax_cross_entropy_impl(F, labels, dF, loss_sum);
}

template <class T>
void NnOps::count_correct(MatrixView<const T> F, MatrixView<const std::int32_t> labels,
                          MatrixView<std::int64_t> correct) {
  const char* op = "count_correct";
  LWNET_NN_OPERAND(op, F);
  LWNET_NN_OPERAND(op, labels);
  LWNET_NN_OPERAND(op, correct);
  check_shape(op, "labels", labels, F.rows(), 1, "one label per row of F");
  check_shape(op, "correct", correct, 1, 1, "one accumulator");
  check_no_overlap(op, "correct", correct, "F", F);
  check_no_overlap(op, "correct", correct, "labels", labels);
  count_correct_impl(F, labels, correct);
}

template <class T>
void NnOps::argmax_rows(MatrixView<const T> F, MatrixView<std::int32_t> predicted) {
  const char* op = "argmax_rows";
  LWNET_NN_OPERAND(op, F);
  LWNET_NN_OPERAND(op, predicted);
  check_shape(op, "predicted", predicted, F.rows(), 1, "one column index per row of F");
  if (F.cols() > 2147483647LL) fail(op, "F has more columns than an int32 index can name", {named("F", F)});
  check_no_overlap(op, "predicted", predicted, "F", F);
  argmax_rows_impl(F, predicted);
}

template <class T>
void NnOps::sgd_update(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> velocity, const SgdParams& p) {
  const char* op = "sgd_update";
  check_non_negative(op, "learning_rate", p.learning_rate);
  check_unit_interval(op, "momentum", p.momentum);
  check_non_negative(op, "weight_decay", p.weight_decay);
  LWNET_NN_OPERAND(op, W);
  LWNET_NN_OPERAND(op, dW);
  check_same_shape(op, "W", W, "dW", dW);
  check_no_overlap(op, "W", W, "dW", dW);
  // Without momentum the velocity is not used and may be empty; when given it must still fit.
  if (p.momentum != 0.0 || !velocity.empty()) {
    LWNET_NN_OPERAND(op, velocity);
    check_same_shape(op, "W", W, "velocity", velocity);
    check_no_overlap(op, "velocity", velocity, "W", MatrixView<const T>(W));
    check_no_overlap(op, "velocity", velocity, "dW", dW);
  }
  sgd_update_impl(W, dW, velocity, p);
}

template <class T>
void NnOps::adam_update(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> m, MatrixView<T> v,
                        const AdamParams& p, std::int64_t step) {
  const char* op = "adam_update";
  check_non_negative(op, "learning_rate", p.learning_rate);
  check_unit_interval(op, "beta1", p.beta1);
  check_unit_interval(op, "beta2", p.beta2);
  check_finite_param(op, "epsilon", p.epsilon);
  if (p.epsilon <= 0.0) fail(op, "epsilon must be > 0, got " + std::to_string(p.epsilon));
  check_non_negative(op, "weight_decay", p.weight_decay);
  if (step < 1) fail(op, "step counts from 1, got " + std::to_string(step));
  LWNET_NN_OPERAND(op, W);
  LWNET_NN_OPERAND(op, dW);
  LWNET_NN_OPERAND(op, m);
  LWNET_NN_OPERAND(op, v);
  check_same_shape(op, "W", W, "dW", dW);
  check_same_shape(op, "W", W, "m", m);
  check_same_shape(op, "W", W, "v", v);
  check_no_overlap(op, "W", W, "dW", dW);
  check_no_overlap(op, "m", m, "W", MatrixView<const T>(W));
  check_no_overlap(op, "m", m, "dW", dW);
  check_no_overlap(op, "v", v, "W", MatrixView<const T>(W));
  check_no_overlap(op, "v", v, "dW", dW);
  check_no_overlap(op, "v", v, "m", MatrixView<const T>(m));
  adam_update_impl(W, dW, m, v, p, step);
}

template <class T>
void NnOps::im2col_3x3(MatrixView<const T> X, const Conv3x3Shape& shape, MatrixView<T> cols) {
  const char* op = "im2col_3x3";
  LWNET_NN_OPERAND(op, X);
  LWNET_NN_OPERAND(op, cols);
  check_conv_operands(op, shape, "X", X, "cols", cols);
  check_no_overlap(op, "cols", cols, "X", X);
  im2col_3x3_impl(X, shape, cols);
}

template <class T>
void NnOps::col2im_3x3(MatrixView<const T> dcols, const Conv3x3Shape& shape, MatrixView<T> dX) {
  const char* op = "col2im_3x3";
  LWNET_NN_OPERAND(op, dcols);
  LWNET_NN_OPERAND(op, dX);
  check_conv_operands(op, shape, "dX", dX, "dcols", dcols);
  check_no_overlap(op, "dX", dX, "dcols", dcols);
  col2im_3x3_impl(dcols, shape, dX);
}

template <class T>
void NnOps::fill_random(MatrixView<T> A, const RandomDraw& draw) {
  const char* op = "fill_random";
  check_random_draw(op, draw);
  LWNET_NN_OPERAND(op, A);
  fill_random_impl(A, draw);
}

namespace {

template <class T>
void check_kernel_matrix(const char* op, const char* name, const MatrixView<T>& K) {
  if (K.rows() != K.cols())
    fail(op, std::string(name) + " must be square (a kernel matrix, m x m)", {named(name, K)});
}

}  // namespace

void NnOps::convert(MatrixView<const float> src, MatrixView<double> dst) {
  const char* op = "convert";
  LWNET_NN_OPERAND(op, src);
  LWNET_NN_OPERAND(op, dst);
  check_same_shape(op, "src", src, "dst", dst);
  check_no_overlap(op, "dst", dst, "src", src);
  convert_impl(src, dst);
}

void NnOps::convert(MatrixView<const double> src, MatrixView<float> dst) {
  const char* op = "convert";
  LWNET_NN_OPERAND(op, src);
  LWNET_NN_OPERAND(op, dst);
  check_same_shape(op, "src", src, "dst", dst);
  check_no_overlap(op, "dst", dst, "src", src);
  convert_impl(src, dst);
}

template <class T>
void NnOps::arc_cosine_step(MatrixView<const T> K, double sw2, double sb2, MatrixView<T> out) {
  const char* op = "arc_cosine_step";
  check_non_negative(op, "sw2", sw2);
  check_non_negative(op, "sb2", sb2);
  LWNET_NN_OPERAND(op, K);
  LWNET_NN_OPERAND(op, out);
  check_kernel_matrix(op, "K", K);
  check_same_shape(op, "K", K, "out", out);
  check_no_overlap(op, "out", out, "K", K);
  arc_cosine_step_impl(K, sw2, sb2, out);
}

template <class T>
void NnOps::arc_cosine_step_backward(MatrixView<const T> K, MatrixView<const T> G, double sw2, MatrixView<T> dK) {
  const char* op = "arc_cosine_step_backward";
  check_non_negative(op, "sw2", sw2);
  LWNET_NN_OPERAND(op, K);
  LWNET_NN_OPERAND(op, G);
  LWNET_NN_OPERAND(op, dK);
  check_kernel_matrix(op, "K", K);
  check_same_shape(op, "K", K, "G", G);
  check_same_shape(op, "K", K, "dK", dK);
  check_no_overlap(op, "dK", dK, "K", K);
  check_no_overlap(op, "dK", dK, "G", G);
  arc_cosine_step_backward_impl(K, G, sw2, dK);
}

#undef LWNET_NN_OPERAND

#define LWNET_NN_OPS_INSTANTIATE(T)                                                                             \
  template void NnOps::fill(MatrixView<T>, T);                                                                  \
  template void NnOps::add_row_vector(MatrixView<T>, MatrixView<const T>);                                      \
  template void NnOps::column_sums(MatrixView<const T>, T, T, MatrixView<T>);                                   \
  template void NnOps::activation_forward(Activation, MatrixView<const T>, MatrixView<T>);                      \
  template void NnOps::activation_backward(Activation, MatrixView<const T>, MatrixView<const T>, MatrixView<T>); \
  template void NnOps::batch_norm_forward(MatrixView<const T>, T, MatrixView<T>, MatrixView<T>, MatrixView<T>);  \
  template void NnOps::batch_norm_backward(MatrixView<const T>, MatrixView<const T>, MatrixView<const T>,        \
                                           MatrixView<T>);                                                      \
  template void NnOps::global_avg_pool_forward(MatrixView<const T>, std::int64_t, MatrixView<T>);               \
  template void NnOps::global_avg_pool_backward(MatrixView<const T>, std::int64_t, MatrixView<T>);              \
  template void NnOps::mse_loss(MatrixView<const T>, MatrixView<const T>, MatrixView<T>, MatrixView<double>);   \
  template void NnOps::softmax_cross_entropy(MatrixView<const T>, MatrixView<const std::int32_t>, MatrixView<T>, \
                                             MatrixView<double>);                                               \
  template void NnOps::count_correct(MatrixView<const T>, MatrixView<const std::int32_t>,                       \
                                     MatrixView<std::int64_t>);                                                 \
  template void NnOps::argmax_rows(MatrixView<const T>, MatrixView<std::int32_t>);                              \
  template void NnOps::sgd_update(MatrixView<T>, MatrixView<const T>, MatrixView<T>, const SgdParams&);         \
  template void NnOps::adam_update(MatrixView<T>, MatrixView<const T>, MatrixView<T>, MatrixView<T>,            \
                                   const AdamParams&, std::int64_t);                                            \
  template void NnOps::im2col_3x3(MatrixView<const T>, const Conv3x3Shape&, MatrixView<T>);                     \
  template void NnOps::col2im_3x3(MatrixView<const T>, const Conv3x3Shape&, MatrixView<T>);                     \
  template void NnOps::fill_random(MatrixView<T>, const RandomDraw&);                                           \
  template void NnOps::arc_cosine_step(MatrixView<const T>, double, double, MatrixView<T>);                     \
  template void NnOps::arc_cosine_step_backward(MatrixView<const T>, MatrixView<const T>, double, MatrixView<T>);
LWNET_NN_OPS_INSTANTIATE(float)
LWNET_NN_OPS_INSTANTIATE(double)
#undef LWNET_NN_OPS_INSTANTIATE

}  // namespace lwnet
