// Per-column reductions over the rows (column_sums, batch normalisation) and global average
// pooling. Column sums accumulate in float64 in an order fixed by the shape alone, the CPU
// backend's (cpu_nn_ops.cpp): rows are cut into blocks of kChunkRows, one thread adds a column's
// rows of one block in row order, and a second kernel adds the blocks in block order. So results
// are reproducible run to run and device to device (the grid only decides which thread computes
// which block), and differ from the CPU's only where the compilers contract a*b+c differently.
// Batch norm is two-pass (the mean, then the squared deviations from it); means are sums times
// 1/N, as on the CPU.
#include <algorithm>
#include <cmath>

#include "common/resources.cuh"
#include "nn/nn_kernels.cuh"

namespace lwnet::cuda::nn {

namespace {

constexpr int kReduceThreads = 256;       // columns per block
constexpr std::int64_t kChunkRows = 1024;  // rows per float64 partial sum (the CPU's kReduceRows)

std::int64_t chunk_count(std::int64_t rows) { return (std::max<std::int64_t>(rows, 1) + kChunkRows - 1) / kChunkRows; }

// partial[(chunk * K + k) * cols + j] = the sum over the chunk's rows r, in order, of term(r, j)[k].
// term(r, j, s) adds its K values into s. Consecutive threads read consecutive columns of a row.
template <int K, class Term>
__global__ void __launch_bounds__(kReduceThreads)
    column_partials_kernel(std::int64_t rows, std::int64_t cols, std::int64_t chunks, Term term, double* partial) {
  for (std::int64_t chunk = blockIdx.y; chunk < chunks; chunk += gridDim.y) {
    const std::int64_t r0 = chunk * kChunkRows;
    const std::int64_t r1 = min(rows, r0 + kChunkRows);
    for (std::int64_t j = global_thread_index(); j < cols; j += global_thread_count()) {
      double s[K];
      for (int k = 0; k < K; ++k) s[k] = 0.0;
      for (std::int64_t r = r0; r < r1; ++r) term(r, j, s);
      for (int k = 0; k < K; ++k) partial[(chunk * K + k) * cols + j] = s[k];
    }
  }
}

// finish(j, totals) with totals[k] = the column's sum of term k, chunks added in order.
template <int K, class Finish>
__global__ void column_finish_kernel(std::int64_t cols, std::int64_t chunks, const double* partial, Finish finish) {
  for (std::int64_t j = global_thread_index(); j < cols; j += global_thread_count()) {
    double t[K];
    for (int k = 0; k < K; ++k) {
      t[k] = 0.0;
      for (std::int64_t ch = 0; ch < chunks; ++ch) t[k] += partial[(ch * K + k) * cols + j];
    }
    finish(j, t);
  }
}

// The two-kernel column reduction; the partials live in a stream-ordered buffer freed (in stream
// order) on return.
template <int K, class Term, class Finish>
void reduce_columns(const CudaContext& ctx, std::int64_t rows, std::int64_t cols, Term term, Finish finish) {
  if (cols == 0) return;
  cudaStream_t stream = ctx.stream();
  const std::int64_t chunks = chunk_count(rows);
  DeviceBuffer<double> partial(static_cast<std::size_t>(chunks * K * cols), stream);
  const dim3 grid(grid_stride_blocks(cols, kReduceThreads, ctx.sm_count()), grid_dim_yz(chunks));
  column_partials_kernel<K><<<grid, kReduceThreads, 0, stream>>>(rows, cols, chunks, term, partial.data());
  LWNET_CUDA_CHECK_LAUNCH("column_partials_kernel", stream);
  column_finish_kernel<K><<<grid_stride_blocks(cols, kDefaultBlockThreads, ctx.sm_count()), kDefaultBlockThreads, 0,
                            stream>>>(cols, chunks, partial.data(), finish);
  LWNET_CUDA_CHECK_LAUNCH("column_finish_kernel", stream);
}

template <class T>
struct ValueTerm {
  const T* a;
  std::int64_t lda;
  __device__ void operator()(std::int64_t i, std::int64_t j, double* s) const { s[0] += static_cast<double>(a[i * lda + j]); }
};

template <class T>
struct ColumnSumsFinish {
  T* out;
  double alpha;
  double beta;
  __device__ void operator()(std::int64_t j, const double* t) const {
    // beta == 0 ignores out's content, NaN included.
    const double scaled = mul_rn(alpha, t[0]);
    out[j] = static_cast<T>(beta == 0.0 ? scaled : scaled + mul_rn(beta, static_cast<double>(out[j])));
  }
};

// mean_j in float64 (for the later passes) and as T.
template <class T>
struct MeanFinish {
  double inv_rows;
  double* mean64;
  T* mean;
  __device__ void operator()(std::int64_t j, const double* t) const {
    const double m = t[0] * inv_rows;
    mean64[j] = m;
    mean[j] = static_cast<T>(m);
  }
};

template <class T>
struct SquaredDeviationTerm {
  const T* x;
  std::int64_t ldx;
  const double* mean64;
  __device__ void operator()(std::int64_t i, std::int64_t j, double* s) const {
    const double d = static_cast<double>(x[i * ldx + j]) - mean64[j];
    s[0] += mul_rn(d, d);
  }
};

template <class T>
struct InvStdFinish {
  double inv_rows;
  double epsilon;
  double* inv_std64;
  T* inv_std;
  __device__ void operator()(std::int64_t j, const double* t) const {
    const double inv = 1.0 / sqrt(mul_rn(t[0], inv_rows) + epsilon);
    inv_std64[j] = inv;
    inv_std[j] = static_cast<T>(inv);
  }
};

template <class T>
struct NormaliseOp {
  const T* x;
  std::int64_t ldx;
  const double* mean64;
  const double* inv_std64;
  T* y;
  std::int64_t ldy;
  __device__ void operator()(std::int64_t i, std::int64_t j) const {
    y[i * ldy + j] = static_cast<T>((static_cast<double>(x[i * ldx + j]) - mean64[j]) * inv_std64[j]);
  }
};

// s[0] += dY, s[1] += dY * Y.
template <class T>
struct BatchNormBackwardTerm {
  const T* y;
  std::int64_t ldy;
  const T* dy;
  std::int64_t lddy;
  __device__ void operator()(std::int64_t i, std::int64_t j, double* s) const {
    const double g = static_cast<double>(dy[i * lddy + j]);
    s[0] += g;
    s[1] += mul_rn(g, static_cast<double>(y[i * ldy + j]));
  }
};

// means[j] = mean_rows(dY), means[cols + j] = mean_rows(dY * Y).
struct RowMeansFinish {
  double inv_rows;
  std::int64_t cols;
  double* means;
  __device__ void operator()(std::int64_t j, const double* t) const {
    means[j] = t[0] * inv_rows;
    means[cols + j] = t[1] * inv_rows;
  }
};

template <class T>
struct BatchNormBackwardOp {
  const T* y;
  std::int64_t ldy;
  const T* inv_std;
  const T* dy;
  std::int64_t lddy;
  const double* means;
  std::int64_t cols;
  T* dx;
  std::int64_t lddx;
  __device__ void operator()(std::int64_t i, std::int64_t j) const {
    const double g = static_cast<double>(dy[i * lddy + j]);
    const double out = static_cast<double>(y[i * ldy + j]);
    dx[i * lddx + j] = static_cast<T>(static_cast<double>(inv_std[j]) * (g - means[j] - mul_rn(out, means[cols + j])));
  }
};

// Y(n, c) = (1 / P) sum_p X(n, p C + c), the pixels added in order in float64 (as on the CPU).
template <class T>
struct PoolForwardOp {
  const T* x;
  std::int64_t ldx;
  std::int64_t pixels;
  double inv_pixels;
  std::int64_t channels;
  T* y;
  std::int64_t ldy;
  __device__ void operator()(std::int64_t n, std::int64_t c) const {
    const T* row = x + n * ldx + c;
    double s = 0.0;
    for (std::int64_t p = 0; p < pixels; ++p) s += static_cast<double>(row[p * channels]);
    y[n * ldy + c] = static_cast<T>(s * inv_pixels);
  }
};

// dX(n, p C + c) = dY(n, c) / P: one correctly rounded division (P is exact in T).
template <class T>
struct PoolBackwardOp {
  const T* dy;
  std::int64_t lddy;
  std::int64_t channels;
  T pixels;
  T* dx;
  std::int64_t lddx;
  __device__ void operator()(std::int64_t n, std::int64_t k) const { dx[n * lddx + k] = dy[n * lddy + k % channels] / pixels; }
};

}  // namespace

template <class T>
void launch_column_sums(const CudaContext& ctx, MatrixView<const T> A, T alpha, T beta, MatrixView<T> out) {
  reduce_columns<1>(ctx, A.rows(), A.cols(), ValueTerm<T>{A.data(), A.ld()},
                    ColumnSumsFinish<T>{out.data(), static_cast<double>(alpha), static_cast<double>(beta)});
}

template <class T>
void launch_batch_norm_forward(const CudaContext& ctx, MatrixView<const T> X, T epsilon, MatrixView<T> Y,
                               MatrixView<T> mean, MatrixView<T> inv_std) {
  const std::int64_t rows = X.rows();
  const std::int64_t cols = X.cols();
  if (cols == 0) return;
  const double inv_rows = 1.0 / static_cast<double>(rows);
  DeviceBuffer<double> stats(static_cast<std::size_t>(2 * cols), ctx.stream());  // mean, then inv_std, in float64
  double* mean64 = stats.data();
  double* inv_std64 = stats.data() + cols;
  reduce_columns<1>(ctx, rows, cols, ValueTerm<T>{X.data(), X.ld()}, MeanFinish<T>{inv_rows, mean64, mean.data()});
  reduce_columns<1>(ctx, rows, cols, SquaredDeviationTerm<T>{X.data(), X.ld(), mean64},
                    InvStdFinish<T>{inv_rows, static_cast<double>(epsilon), inv_std64, inv_std.data()});
  launch_for_each_element(ctx, "batch_norm_normalise_kernel", rows, cols,
                          NormaliseOp<T>{X.data(), X.ld(), mean64, inv_std64, Y.data(), Y.ld()});
}

template <class T>
void launch_batch_norm_backward(const CudaContext& ctx, MatrixView<const T> Y, MatrixView<const T> inv_std,
                                MatrixView<const T> dY, MatrixView<T> dX) {
  const std::int64_t rows = Y.rows();
  const std::int64_t cols = Y.cols();
  if (cols == 0) return;
  DeviceBuffer<double> means(static_cast<std::size_t>(2 * cols), ctx.stream());
  reduce_columns<2>(ctx, rows, cols, BatchNormBackwardTerm<T>{Y.data(), Y.ld(), dY.data(), dY.ld()},
                    RowMeansFinish{1.0 / static_cast<double>(rows), cols, means.data()});
  // In place (dX == dY) is safe: each element is read, then written, by one thread.
  launch_for_each_element(ctx, "batch_norm_backward_kernel", rows, cols,
                          BatchNormBackwardOp<T>{Y.data(), Y.ld(), inv_std.data(), dY.data(), dY.ld(), means.data(),
                                                 cols, dX.data(), dX.ld()});
}

template <class T>
void launch_global_avg_pool_forward(const CudaContext& ctx, MatrixView<const T> X, std::int64_t channels,
                                    MatrixView<T> Y) {
  const std::int64_t pixels = X.cols() / channels;
  launch_for_each_element(ctx, "global_avg_pool_forward_kernel", X.rows(), channels,
                          PoolForwardOp<T>{X.data(), X.ld(), pixels, 1.0 / static_cast<double>(pixels), channels, Y.data(), Y.ld()});
}

template <class T>
void launch_global_avg_pool_backward(const CudaContext& ctx, MatrixView<const T> dY, std::int64_t channels,
                                     MatrixView<T> dX) {
  const std::int64_t pixels = dX.cols() / channels;
  launch_for_each_element(ctx, "global_avg_pool_backward_kernel", dX.rows(), dX.cols(),
                          PoolBackwardOp<T>{dY.data(), dY.ld(), channels, static_cast<T>(pixels), dX.data(), dX.ld()});
}

#define LWNET_INSTANTIATE_NN_NORM_POOL(T)                                                                           \
  template void launch_column_sums<T>(const CudaContext&, MatrixView<const T>, T, T, MatrixView<T>);                 \
  template void launch_batch_norm_forward<T>(const CudaContext&, MatrixView<const T>, T, MatrixView<T>,              \
                                             MatrixView<T>, MatrixView<T>);                                          \
  template void launch_batch_norm_backward<T>(const CudaContext&, MatrixView<const T>, MatrixView<const T>,          \
                                              MatrixView<const T>, MatrixView<T>);                                   \
  template void launch_global_avg_pool_forward<T>(const CudaContext&, MatrixView<const T>, std::int64_t,             \
                                                  MatrixView<T>);                                                    \
  template void launch_global_avg_pool_backward<T>(const CudaContext&, MatrixView<const T>, std::int64_t,            \
                                                   MatrixView<T>);
LWNET_INSTANTIATE_NN_NORM_POOL(float)
LWNET_INSTANTIATE_NN_NORM_POOL(double)
#undef LWNET_INSTANTIATE_NN_NORM_POOL

}  // namespace lwnet::cuda::nn
