// Losses and predictions: mean squared error, softmax cross-entropy (row maximum subtracted
// before exp), count_correct and argmax_rows. One warp per row; the loss of each row is written
// to a buffer and a single block adds the rows in a fixed order (per-thread strided sums, then a
// shared-memory tree) before adding the mean to loss_sum: the result depends on the shape alone,
// not on the grid or on scheduling. Correct counts are integers, so adding them with atomics is
// exact in any order.
//
// Labels are device data the front end cannot see without waiting, so the kernels check them: a
// label outside [0, C) is never used as an index. Its row's loss and gradient row become NaN (so
// loss_sum is NaN and the caller sees it), and count_correct counts that row as wrong.
#include <cmath>

#include "common/resources.cuh"
#include "nn/nn_kernels.cuh"

namespace lwnet::cuda::nn {

namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kSumThreads = 256;

// Butterfly reductions: every lane ends with the same value (each step adds a pair in both
// lanes, and floating-point addition is commutative).
__device__ double warp_all_sum(double v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

template <class T>
__device__ T warp_all_max(T v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v = fmax(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

// The first column where row f (C entries) is maximal, as a serial scan `if (f[j] > f[best])
// best = j` from best = 0 finds it: NaN entries are never chosen, and a NaN in column 0 gives 0.
template <class T>
__device__ std::int32_t warp_row_argmax(const T* f, std::int64_t C, int lane) {
  T best = T(0);
  std::int64_t index = -1;  // none yet: this lane saw only NaN (or nothing)
  for (std::int64_t j = lane; j < C; j += kWarpSize) {
    const T v = f[j];
    if (!isnan(v) && (index < 0 || v > best)) {
      best = v;
      index = j;
    }
  }
  // Combine (value, index) pairs: any over none, then the larger value, then the smaller index.
  // A total order, so the result does not depend on the pairing.
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    const T other_best = __shfl_xor_sync(kFullMask, best, offset);
    const std::int64_t other_index = __shfl_xor_sync(kFullMask, index, offset);
    const bool take = other_index >= 0 &&
                      (index < 0 || other_best > best || (other_best == best && other_index < index));
    if (take) {
      best = other_best;
      index = other_index;
    }
  }
  if (index < 0 || isnan(f[0])) return 0;
  return static_cast<std::int32_t>(index);
}

// The formulas are the CPU backend's (cpu_nn_ops.cpp), term for term: differences and
// exponentials in float64, gradients scaled by multiplying with precomputed factors.
template <class T>
struct MseRowOp {
  const T* f;
  std::int64_t ldf;
  const T* targets;
  std::int64_t ldt;
  T* df;
  std::int64_t lddf;
  std::int64_t cols;
  double scale;  // 2 / (N C)
  double* row_loss;
  __device__ void operator()(std::int64_t i, int lane) const {
    double s = 0.0;
    for (std::int64_t j = lane; j < cols; j += kWarpSize) {
      const double d = static_cast<double>(f[i * ldf + j]) - static_cast<double>(targets[i * ldt + j]);
      s += mul_rn(d, d);
      df[i * lddf + j] = static_cast<T>(d * scale);
    }
    s = warp_all_sum(s);
    if (lane == 0) row_loss[i] = s;
  }
};

// m = max F_i, s = sum exp(F_ij - m), loss = log s - (F_i,label - m),
// dF_ij = exp(F_ij - m) (1 / N) / s - [j == label] / N. Subtracting the row max keeps exp <= 1.
template <class T>
struct SoftmaxCrossEntropyRowOp {
  const T* f;
  std::int64_t ldf;
  const std::int32_t* labels;
  std::int64_t ldl;
  T* df;
  std::int64_t lddf;
  std::int64_t cols;
  double inv_rows;
  double* row_loss;
  __device__ void operator()(std::int64_t i, int lane) const {
    const T* fi = f + i * ldf;
    T* dfi = df + i * lddf;
    T max_t = -INFINITY;
    for (std::int64_t j = lane; j < cols; j += kWarpSize) max_t = fmax(max_t, fi[j]);
    const auto m = static_cast<double>(warp_all_max(max_t));
    double s = 0.0;
    for (std::int64_t j = lane; j < cols; j += kWarpSize) s += exp(static_cast<double>(fi[j]) - m);
    s = warp_all_sum(s);
    const std::int32_t label = labels[i * ldl];
    const bool valid = label >= 0 && label < cols;
    const double scale = inv_rows / s;
    for (std::int64_t j = lane; j < cols; j += kWarpSize) {
      const double e = exp(static_cast<double>(fi[j]) - m);
      dfi[j] = !valid ? static_cast<T>(NAN) : static_cast<T>(j == label ? mul_rn(e, scale) - inv_rows : e * scale);
    }
    if (lane == 0) row_loss[i] = valid ? log(s) - (static_cast<double>(fi[label]) - m) : NAN;
  }
};

template <class T>
struct CountCorrectRowOp {
  const T* f;
  std::int64_t ldf;
  const std::int32_t* labels;
  std::int64_t ldl;
  std::int64_t cols;
  unsigned long long* correct;  // NOLINT(google-runtime-int): atomicAdd's 64-bit type
  __device__ void operator()(std::int64_t i, int lane) const {
    const std::int32_t predicted = warp_row_argmax(f + i * ldf, cols, lane);
    // An out-of-range label never equals a column index, so its row counts as wrong.
    if (lane == 0 && predicted == labels[i * ldl]) atomicAdd(correct, 1ull);
  }
};

template <class T>
struct ArgmaxRowOp {
  const T* f;
  std::int64_t ldf;
  std::int64_t cols;
  std::int32_t* predicted;
  std::int64_t ldp;
  __device__ void operator()(std::int64_t i, int lane) const {
    const std::int32_t index = warp_row_argmax(f + i * ldf, cols, lane);
    if (lane == 0) predicted[i * ldp] = index;
  }
};

// loss_sum[0] += total * multiplier / divisor, total = the sum of the n row losses, in one block
// and a fixed order. One of multiplier and divisor is 1 (each loss keeps the CPU's own formula).
__global__ void __launch_bounds__(kSumThreads)
    add_total_kernel(const double* row_loss, std::int64_t n, double multiplier, double divisor, double* loss_sum) {
  __shared__ double partial[kSumThreads];
  double s = 0.0;
  for (std::int64_t i = threadIdx.x; i < n; i += kSumThreads) s += row_loss[i];
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int half = kSumThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) *loss_sum += mul_rn(partial[0], multiplier) / divisor;
}

void launch_add_total(const CudaContext& ctx, const double* row_loss, std::int64_t n, double multiplier,
                      double divisor, double* loss_sum) {
  add_total_kernel<<<1, kSumThreads, 0, ctx.stream()>>>(row_loss, n, multiplier, divisor, loss_sum);
  LWNET_CUDA_CHECK_LAUNCH("add_total_kernel", ctx.stream());
}

}  // namespace

template <class T>
void launch_mse_loss(const CudaContext& ctx, MatrixView<const T> F, MatrixView<const T> targets, MatrixView<T> dF,
                     MatrixView<double> loss_sum) {
  const std::int64_t rows = F.rows();
  if (F.empty()) return;
  const auto count = static_cast<double>(rows) * static_cast<double>(F.cols());
  DeviceBuffer<double> row_loss(static_cast<std::size_t>(rows), ctx.stream());
  launch_for_each_row_warp(ctx, "mse_loss_kernel", rows,
                           MseRowOp<T>{F.data(), F.ld(), targets.data(), targets.ld(), dF.data(), dF.ld(), F.cols(),
                                       2.0 / count, row_loss.data()});
  launch_add_total(ctx, row_loss.data(), rows, 1.0, count, loss_sum.data());
}

template <class T>
void launch_softmax_cross_entropy(const CudaContext& ctx, MatrixView<const T> F, MatrixView<const std::int32_t> labels,
                                  MatrixView<T> dF, MatrixView<double> loss_sum) {
  const std::int64_t rows = F.rows();
  if (F.empty()) return;
  const double inv_rows = 1.0 / static_cast<double>(rows);
  DeviceBuffer<double> row_loss(static_cast<std::size_t>(rows), ctx.stream());
  launch_for_each_row_warp(ctx, "softmax_cross_entropy_kernel", rows,
                           SoftmaxCrossEntropyRowOp<T>{F.data(), F.ld(), labels.data(), labels.ld(), dF.data(),
                                                       dF.ld(), F.cols(), inv_rows, row_loss.data()});
  launch_add_total(ctx, row_loss.data(), rows, inv_rows, 1.0, loss_sum.data());
}

template <class T>
void launch_count_correct(const CudaContext& ctx, MatrixView<const T> F, MatrixView<const std::int32_t> labels,
                          MatrixView<std::int64_t> correct) {
  if (F.empty()) return;
  static_assert(sizeof(unsigned long long) == sizeof(std::int64_t));  // NOLINT(google-runtime-int)
  // Adding a non-negative count to the int64 through its unsigned image is two's-complement addition.
  auto* counter = reinterpret_cast<unsigned long long*>(correct.data());  // NOLINT(google-runtime-int)
  launch_for_each_row_warp(ctx, "count_correct_kernel", F.rows(),
                           CountCorrectRowOp<T>{F.data(), F.ld(), labels.data(), labels.ld(), F.cols(), counter});
}

template <class T>
void launch_argmax_rows(const CudaContext& ctx, MatrixView<const T> F, MatrixView<std::int32_t> predicted) {
  if (F.empty()) return;
  launch_for_each_row_warp(ctx, "argmax_rows_kernel", F.rows(),
                           ArgmaxRowOp<T>{F.data(), F.ld(), F.cols(), predicted.data(), predicted.ld()});
}

#define LWNET_INSTANTIATE_NN_LOSS(T)                                                                              \
  template void launch_mse_loss<T>(const CudaContext&, MatrixView<const T>, MatrixView<const T>, MatrixView<T>,   \
                                   MatrixView<double>);                                                           \
  template void launch_softmax_cross_entropy<T>(const CudaContext&, MatrixView<const T>,                          \
                                                MatrixView<const std::int32_t>, MatrixView<T>, MatrixView<double>); \
  template void launch_count_correct<T>(const CudaContext&, MatrixView<const T>, MatrixView<const std::int32_t>,  \
                                        MatrixView<std::int64_t>);                                                \
  template void launch_argmax_rows<T>(const CudaContext&, MatrixView<const T>, MatrixView<std::int32_t>);
LWNET_INSTANTIATE_NN_LOSS(float)
LWNET_INSTANTIATE_NN_LOSS(double)
#undef LWNET_INSTANTIATE_NN_LOSS

}  // namespace lwnet::cuda::nn
