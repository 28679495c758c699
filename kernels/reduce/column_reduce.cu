// Column reductions: a block covers 32 columns x 8 row lanes over a chunk of rows; lanes are
// combined in shared memory in lane order, then a second kernel adds the chunks in order.
#include <algorithm>
#include <cmath>

#include "common/check.cuh"
#include "common/resources.cuh"
#include "reduce/reduce.cuh"

namespace lwnet::cuda {

namespace {

constexpr int kColumnsPerBlock = 32;
constexpr int kRowLanes = 8;
constexpr int kThreads = kColumnsPerBlock * kRowLanes;
constexpr std::int64_t kMinChunkRows = 256;
constexpr std::int64_t kMaxPartials = std::int64_t{1} << 22;  // bounds the chunk x column workspace
constexpr std::int64_t kMaxChunks = 4096;

template <class T, ColumnOp Op>
__global__ void __launch_bounds__(kThreads)
    column_chunk_kernel(const T* A, std::int64_t lda, const T* B, std::int64_t ldb, std::int64_t rows,
                        std::int64_t cols, std::int64_t chunk_rows, double* partial) {
  __shared__ double lanes[kRowLanes][kColumnsPerBlock];
  const int c_local = static_cast<int>(threadIdx.x) % kColumnsPerBlock;
  const int lane = static_cast<int>(threadIdx.x) / kColumnsPerBlock;
  const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * kColumnsPerBlock + c_local;
  const std::int64_t r0 = static_cast<std::int64_t>(blockIdx.y) * chunk_rows;
  const std::int64_t r1 = min(rows, r0 + chunk_rows);
  double s = 0.0;
  if (col < cols) {
    for (std::int64_t r = r0 + lane; r < r1; r += kRowLanes) {
      const double a = static_cast<double>(A[r * lda + col]);
      if constexpr (Op == ColumnOp::sum) s += a;
      if constexpr (Op == ColumnOp::dot) s += a * static_cast<double>(B[r * ldb + col]);
      if constexpr (Op == ColumnOp::nonfinite) s += isfinite(a) ? 0.0 : 1.0;
    }
  }
  lanes[lane][c_local] = s;
  __syncthreads();
  if (lane == 0 && col < cols) {
    double t = 0.0;
    for (int l = 0; l < kRowLanes; ++l) t += lanes[l][c_local];
    partial[static_cast<std::int64_t>(blockIdx.y) * cols + col] = t;
  }
}

__global__ void sum_chunks_kernel(const double* partial, std::int64_t chunks, std::int64_t cols, double* out) {
  const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (col >= cols) return;
  double s = 0.0;
  for (std::int64_t ch = 0; ch < chunks; ++ch) s += partial[ch * cols + col];
  out[col] = s;
}

}  // namespace

template <class T>
std::vector<double> column_reduce(const CudaContext& ctx, ColumnOp op, const MatrixView<const T>& A,
                                  const MatrixView<const T>& B) {
  cudaStream_t stream = ctx.stream();
  const std::int64_t rows = A.rows();
  const std::int64_t cols = A.cols();
  const std::int64_t max_chunks = std::clamp<std::int64_t>(kMaxPartials / cols, 1, kMaxChunks);
  const std::int64_t chunks = std::clamp<std::int64_t>(rows / kMinChunkRows, 1, max_chunks);
  const std::int64_t chunk_rows = (rows + chunks - 1) / chunks;
  DeviceBuffer<double> partial(static_cast<std::size_t>(chunks * cols), stream);
  DeviceBuffer<double> result(static_cast<std::size_t>(cols), stream);

  const dim3 grid(static_cast<unsigned>((cols + kColumnsPerBlock - 1) / kColumnsPerBlock), static_cast<unsigned>(chunks));
  const T* b = op == ColumnOp::dot ? B.data() : A.data();
  const std::int64_t ldb = op == ColumnOp::dot ? B.ld() : A.ld();
  switch (op) {
    case ColumnOp::sum:
      column_chunk_kernel<T, ColumnOp::sum><<<grid, kThreads, 0, stream>>>(A.data(), A.ld(), b, ldb, rows, cols, chunk_rows, partial.data());
      break;
    case ColumnOp::dot:
      column_chunk_kernel<T, ColumnOp::dot><<<grid, kThreads, 0, stream>>>(A.data(), A.ld(), b, ldb, rows, cols, chunk_rows, partial.data());
      break;
    case ColumnOp::nonfinite:
      column_chunk_kernel<T, ColumnOp::nonfinite><<<grid, kThreads, 0, stream>>>(A.data(), A.ld(), b, ldb, rows, cols, chunk_rows, partial.data());
      break;
  }
  LWNET_CUDA_CHECK_LAUNCH("column_chunk_kernel", stream);
  constexpr int kSumThreads = 256;
  sum_chunks_kernel<<<static_cast<unsigned>((cols + kSumThreads - 1) / kSumThreads), kSumThreads, 0, stream>>>(
      partial.data(), chunks, cols, result.data());
  LWNET_CUDA_CHECK_LAUNCH("sum_chunks_kernel", stream);

  std::vector<double> host(static_cast<std::size_t>(cols));
  LWNET_CUDA_CHECK(cudaMemcpyAsync(host.data(), result.data(), host.size() * sizeof(double), cudaMemcpyDeviceToHost, stream));
  LWNET_CUDA_CHECK(cudaStreamSynchronize(stream));
  return host;
}

template std::vector<double> column_reduce<float>(const CudaContext&, ColumnOp, const MatrixView<const float>&,
                                                  const MatrixView<const float>&);
template std::vector<double> column_reduce<double>(const CudaContext&, ColumnOp, const MatrixView<const double>&,
                                                   const MatrixView<const double>&);

}  // namespace lwnet::cuda
