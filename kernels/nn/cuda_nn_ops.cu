// The CUDA NnOps: each *_impl makes the context's device current and queues the operation's
// kernels (nn_*.cu) on the context's stream. Nothing here waits for the device: loss sums and
// correct counts stay in device memory until the caller downloads them.
#include <memory>
#include <utility>

#include "common/resources.cuh"
#include "cuda_families.cuh"
#include "nn/nn_kernels.cuh"

namespace lwnet::cuda {

namespace {

class CudaNnOps final : public NnOps {
 public:
  explicit CudaNnOps(std::shared_ptr<CudaContext> context) : context_(std::move(context)) {}

 protected:
  // Every override has the same shape: guard the device, then call the launcher.
#define LWNET_CUDA_NN_OPS_IMPL(T)                                                                                \
  void fill_impl(MatrixView<T> A, T value) override {                                                             \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_fill(*context_, A, value);                                                                         \
  }                                                                                                               \
  void add_row_vector_impl(MatrixView<T> Y, MatrixView<const T> row) override {                                   \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_add_row_vector(*context_, Y, row);                                                                 \
  }                                                                                                               \
  void column_sums_impl(MatrixView<const T> A, T alpha, T beta, MatrixView<T> out) override {                     \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_column_sums(*context_, A, alpha, beta, out);                                                       \
  }                                                                                                               \
  void activation_forward_impl(Activation f, MatrixView<const T> X, MatrixView<T> Y) override {                   \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_activation_forward(*context_, f, X, Y);                                                            \
  }                                                                                                               \
  void activation_backward_impl(Activation f, MatrixView<const T> Y, MatrixView<const T> dY, MatrixView<T> dX)    \
      override {                                                                                                  \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_activation_backward(*context_, f, Y, dY, dX);                                                      \
  }                                                                                                               \
  void batch_norm_forward_impl(MatrixView<const T> X, T epsilon, MatrixView<T> Y, MatrixView<T> mean,             \
                               MatrixView<T> inv_std) override {                                                  \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_batch_norm_forward(*context_, X, epsilon, Y, mean, inv_std);                                       \
  }                                                                                                               \
  void batch_norm_backward_impl(MatrixView<const T> Y, MatrixView<const T> inv_std, MatrixView<const T> dY,       \
                                MatrixView<T> dX) override {                                                      \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_batch_norm_backward(*context_, Y, inv_std, dY, dX);                                                \
  }                                                                                                               \
  void global_avg_pool_forward_impl(MatrixView<const T> X, std::int64_t channels, MatrixView<T> Y) override {     \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_global_avg_pool_forward(*context_, X, channels, Y);                                                \
  }                                                                                                               \
  void global_avg_pool_backward_impl(MatrixView<const T> dY, std::int64_t channels, MatrixView<T> dX) override {  \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_global_avg_pool_backward(*context_, dY, channels, dX);                                             \
  }                                                                                                               \
  void mse_loss_impl(MatrixView<const T> F, MatrixView<const T> targets, MatrixView<T> dF,                        \
                     MatrixView<double> loss_sum) override {                                                      \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_mse_loss(*context_, F, targets, dF, loss_sum);                                                     \
  }                                                                                                               \
  void softmax_cross_entropy_impl(MatrixView<const T> F, MatrixView<const std::int32_t> labels, MatrixView<T> dF, \
                                  MatrixView<double> loss_sum) override {                                         \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_softmax_cross_entropy(*context_, F, labels, dF, loss_sum);                                         \
  }                                                                                                               \
  void count_correct_impl(MatrixView<const T> F, MatrixView<const std::int32_t> labels,                           \
                          MatrixView<std::int64_t> correct) override {                                            \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_count_correct(*context_, F, labels, correct);                                                      \
  }                                                                                                               \
  void argmax_rows_impl(MatrixView<const T> F, MatrixView<std::int32_t> predicted) override {                     \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_argmax_rows(*context_, F, predicted);                                                              \
  }                                                                                                               \
  void sgd_update_impl(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> velocity, const SgdParams& p)       \
      override {                                                                                                  \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_sgd_update(*context_, W, dW, velocity, p);                                                         \
  }                                                                                                               \
  void adam_update_impl(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> m, MatrixView<T> v,                \
                        const AdamParams& p, std::int64_t step) override {                                        \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_adam_update(*context_, W, dW, m, v, p, step);                                                      \
  }                                                                                                               \
  void im2col_3x3_impl(MatrixView<const T> X, const Conv3x3Shape& shape, MatrixView<T> cols) override {           \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_im2col_3x3(*context_, X, shape, cols);                                                             \
  }                                                                                                               \
  void col2im_3x3_impl(MatrixView<const T> dcols, const Conv3x3Shape& shape, MatrixView<T> dX) override {         \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_col2im_3x3(*context_, dcols, shape, dX);                                                           \
  }                                                                                                               \
  void fill_random_impl(MatrixView<T> A, const RandomDraw& draw) override {                                       \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_fill_random(*context_, A, draw);                                                                   \
  }                                                                                                               \
  void arc_cosine_step_impl(MatrixView<const T> K, double sw2, double sb2, MatrixView<T> out) override {          \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_arc_cosine_step(*context_, K, sw2, sb2, out);                                                      \
  }                                                                                                               \
  void arc_cosine_step_backward_impl(MatrixView<const T> K, MatrixView<const T> G, double sw2, MatrixView<T> dK)   \
      override {                                                                                                  \
    const DeviceGuard guard(context_->device());                                                                  \
    nn::launch_arc_cosine_step_backward(*context_, K, G, sw2, dK);                                                \
  }
  LWNET_CUDA_NN_OPS_IMPL(float)
  LWNET_CUDA_NN_OPS_IMPL(double)
#undef LWNET_CUDA_NN_OPS_IMPL
  void convert_impl(MatrixView<const float> src, MatrixView<double> dst) override {
    const DeviceGuard guard(context_->device());
    nn::launch_convert(*context_, src, dst);
  }
  void convert_impl(MatrixView<const double> src, MatrixView<float> dst) override {
    const DeviceGuard guard(context_->device());
    nn::launch_convert(*context_, src, dst);
  }

  MemorySpace space() const override { return MemorySpace::cuda; }
  int device_index() const override { return context_->device(); }

 private:
  std::shared_ptr<CudaContext> context_;
};

}  // namespace

std::unique_ptr<NnOps> make_cuda_nn_ops(std::shared_ptr<CudaContext> context) {
  return std::make_unique<CudaNnOps>(std::move(context));
}

}  // namespace lwnet::cuda
