// Elementwise NnOps: fill, bias broadcast, activations and their derivatives (from the forward
// output), and the SGD and Adam updates. Arithmetic is in the element type T with the
// hyper-parameters rounded to T once, as PyTorch's optimisers and the CPU backend do; Adam's bias
// corrections 1 - beta^step are formed in float64 on the host. In-place calls (Y == X, dX == dY) are safe:
// each thread reads its element before writing it.
#include <cmath>

#include "nn/nn_kernels.cuh"

namespace lwnet::cuda::nn {

namespace {

template <class T>
struct FillOp {
  T* a;
  std::int64_t lda;
  T value;
  __device__ void operator()(std::int64_t i, std::int64_t j) const { a[i * lda + j] = value; }
};

template <class T>
struct AddRowOp {
  T* y;
  std::int64_t ldy;
  const T* row;
  __device__ void operator()(std::int64_t i, std::int64_t j) const { y[i * ldy + j] += row[j]; }
};

template <class T>
struct ActivationForwardOp {
  Activation f;
  const T* x;
  std::int64_t ldx;
  T* y;
  std::int64_t ldy;
  __device__ void operator()(std::int64_t i, std::int64_t j) const {
    const T v = x[i * ldx + j];
    // As on the CPU: NaN (and -0) pass through relu unchanged.
    y[i * ldy + j] = f == Activation::relu ? (v < T(0) ? T(0) : v) : tanh(v);
  }
};

template <class T>
struct ActivationBackwardOp {
  Activation f;
  const T* y;
  std::int64_t ldy;
  const T* dy;
  std::int64_t lddy;
  T* dx;
  std::int64_t lddx;
  __device__ void operator()(std::int64_t i, std::int64_t j) const {
    const T out = y[i * ldy + j];
    const T g = dy[i * lddy + j];
    dx[i * lddx + j] = f == Activation::relu ? (out > T(0) ? g : T(0)) : g * (T(1) - mul_rn(out, out));
  }
};

template <class T>
struct SgdOp {
  T* w;
  std::int64_t ldw;
  const T* dw;
  std::int64_t lddw;
  T* velocity;  // unused (may be null) when momentum == 0
  std::int64_t ldv;
  T learning_rate;
  T momentum;
  T weight_decay;
  __device__ void operator()(std::int64_t i, std::int64_t j) const {
    T& wij = w[i * ldw + j];
    const T g = dw[i * lddw + j] + mul_rn(weight_decay, wij);
    T step = g;
    if (momentum != T(0)) {
      T& v = velocity[i * ldv + j];
      v = mul_rn(momentum, v) + g;
      step = v;
    }
    wij -= mul_rn(learning_rate, step);
  }
};

template <class T>
struct AdamOp {
  T* w;
  std::int64_t ldw;
  const T* dw;
  std::int64_t lddw;
  T* m;
  std::int64_t ldm;
  T* v;
  std::int64_t ldv;
  T beta1, one_minus_beta1, beta2, one_minus_beta2, epsilon, weight_decay;
  T step_size;    // lr / (1 - beta1^step)
  T inv_sqrt_c2;  // 1 / sqrt(1 - beta2^step)
  // PyTorch's form of lr m_hat / (sqrt(v_hat) + eps), term for term the CPU backend's.
  __device__ void operator()(std::int64_t i, std::int64_t j) const {
    T& wij = w[i * ldw + j];
    T& mij = m[i * ldm + j];
    T& vij = v[i * ldv + j];
    const T g = dw[i * lddw + j] + mul_rn(weight_decay, wij);
    mij = mul_rn(beta1, mij) + mul_rn(one_minus_beta1, g);
    vij = mul_rn(beta2, vij) + mul_rn(mul_rn(one_minus_beta2, g), g);
    wij -= mul_rn(step_size, mij) / (mul_rn(sqrt(vij), inv_sqrt_c2) + epsilon);
  }
};

}  // namespace

template <class T>
void launch_fill(const CudaContext& ctx, MatrixView<T> A, T value) {
  launch_for_each_element(ctx, "fill_kernel", A.rows(), A.cols(), FillOp<T>{A.data(), A.ld(), value});
}

template <class T>
void launch_add_row_vector(const CudaContext& ctx, MatrixView<T> Y, MatrixView<const T> row) {
  launch_for_each_element(ctx, "add_row_vector_kernel", Y.rows(), Y.cols(), AddRowOp<T>{Y.data(), Y.ld(), row.data()});
}

template <class T>
void launch_activation_forward(const CudaContext& ctx, Activation f, MatrixView<const T> X, MatrixView<T> Y) {
  launch_for_each_element(ctx, "activation_forward_kernel", X.rows(), X.cols(),
                          ActivationForwardOp<T>{f, X.data(), X.ld(), Y.data(), Y.ld()});
}

template <class T>
void launch_activation_backward(const CudaContext& ctx, Activation f, MatrixView<const T> Y, MatrixView<const T> dY,
                                MatrixView<T> dX) {
  launch_for_each_element(ctx, "activation_backward_kernel", Y.rows(), Y.cols(),
                          ActivationBackwardOp<T>{f, Y.data(), Y.ld(), dY.data(), dY.ld(), dX.data(), dX.ld()});
}

template <class T>
void launch_sgd_update(const CudaContext& ctx, MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> velocity,
                       const SgdParams& p) {
  const SgdOp<T> op{W.data(),
                    W.ld(),
                    dW.data(),
                    dW.ld(),
                    velocity.data(),
                    velocity.ld(),
                    static_cast<T>(p.learning_rate),
                    static_cast<T>(p.momentum),
                    static_cast<T>(p.weight_decay)};
  launch_for_each_element(ctx, "sgd_update_kernel", W.rows(), W.cols(), op);
}

template <class T>
void launch_adam_update(const CudaContext& ctx, MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> m,
                        MatrixView<T> v, const AdamParams& p, std::int64_t step) {
  const double correction1 = 1.0 - std::pow(p.beta1, static_cast<double>(step));
  const double correction2 = 1.0 - std::pow(p.beta2, static_cast<double>(step));
  const AdamOp<T> op{W.data(),
                     W.ld(),
                     dW.data(),
                     dW.ld(),
                     m.data(),
                     m.ld(),
                     v.data(),
                     v.ld(),
                     static_cast<T>(p.beta1),
                     static_cast<T>(1.0 - p.beta1),
                     static_cast<T>(p.beta2),
                     static_cast<T>(1.0 - p.beta2),
                     static_cast<T>(p.epsilon),
                     static_cast<T>(p.weight_decay),
                     static_cast<T>(p.learning_rate / correction1),
                     static_cast<T>(1.0 / std::sqrt(correction2))};
  launch_for_each_element(ctx, "adam_update_kernel", W.rows(), W.cols(), op);
}

#define LWNET_INSTANTIATE_NN_ELEMENTWISE(T)                                                                       \
  template void launch_fill<T>(const CudaContext&, MatrixView<T>, T);                                              \
  template void launch_add_row_vector<T>(const CudaContext&, MatrixView<T>, MatrixView<const T>);                  \
  template void launch_activation_forward<T>(const CudaContext&, Activation, MatrixView<const T>, MatrixView<T>);  \
  template void launch_activation_backward<T>(const CudaContext&, Activation, MatrixView<const T>,                 \
                                              MatrixView<const T>, MatrixView<T>);                                 \
  template void launch_sgd_update<T>(const CudaContext&, MatrixView<T>, MatrixView<const T>, MatrixView<T>,        \
                                     const SgdParams&);                                                            \
  template void launch_adam_update<T>(const CudaContext&, MatrixView<T>, MatrixView<const T>, MatrixView<T>,       \
                                      MatrixView<T>, const AdamParams&, std::int64_t);
LWNET_INSTANTIATE_NN_ELEMENTWISE(float)
LWNET_INSTANTIATE_NN_ELEMENTWISE(double)
#undef LWNET_INSTANTIATE_NN_ELEMENTWISE

}  // namespace lwnet::cuda::nn
