// Row norms and materialised Gram / squared-distance matrices on the GPU.
#include <algorithm>

#include "common/check.cuh"
#include "gram/gram.cuh"

namespace lwnet::cuda {

namespace {

constexpr int kNormThreads = 256;
constexpr int kWarp = 32;
// gridDim.y is limited to 65535: larger grids loop over tile columns.
constexpr std::int64_t kMaxGridY = 65535;

__global__ void row_sq_norms_kernel(const float* X, std::int64_t ld, std::int64_t rows,
                                    std::int64_t d, float* norms) {
  const std::int64_t warp = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  if (warp >= rows) return;
  const float* x = X + warp * ld;
  double s = 0.0;
  for (std::int64_t f = lane; f < d; f += kWarp) s += static_cast<double>(x[f]) * x[f];
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2) s += __shfl_down_sync(0xffffffffu, s, offset);
  if (lane == 0) norms[warp] = static_cast<float>(s);
}

template <bool kL1>
__global__ void __launch_bounds__(tile::kThreads)
    gram_kernel(detail::KernelConstants kc, tile::Operand Z, tile::Operand X, std::int64_t d,
                std::int64_t self_offset, float* out, std::int64_t ld_out) {
  __shared__ tile::Staging staging;
  const std::int64_t z0 = static_cast<std::int64_t>(blockIdx.x) * tile::kBlockRows;
  const std::int64_t col_tiles = ceil_div(X.rows, tile::kBlockCols);
  for (std::int64_t t = blockIdx.y; t < col_tiles; t += gridDim.y) {
    const std::int64_t x0 = t * tile::kBlockCols;
    float acc[tile::kMicro][tile::kMicro];
    tile::accumulate<kL1>(Z, z0, X, x0, d, staging, acc);
#pragma unroll
    for (int i = 0; i < tile::kMicro; ++i) {
      const std::int64_t row = z0 + tile::thread_row() + tile::kThreadsPerDim * i;
#pragma unroll
      for (int j = 0; j < tile::kMicro; ++j) {
        const std::int64_t col = x0 + tile::thread_col() + tile::kThreadsPerDim * j;
        if (row < Z.rows && col < X.rows)
          out[row * ld_out + col] = tile::entry(kc, Z, z0, X, x0, self_offset, acc[i][j], i, j);
      }
    }
  }
}

}  // namespace

DeviceBuffer<float> row_sq_norms(const MatrixView<const float>& X, cudaStream_t stream) {
  DeviceBuffer<float> norms(static_cast<std::size_t>(X.rows()), stream);
  const std::int64_t threads = X.rows() * kWarp;
  const auto blocks = static_cast<unsigned>(ceil_div(threads, kNormThreads));
  row_sq_norms_kernel<<<blocks, kNormThreads, 0, stream>>>(X.data(), X.ld(), X.rows(), X.cols(), norms.data());
  LWNET_CUDA_CHECK_LAUNCH("row_sq_norms_kernel", stream);
  return norms;
}

tile::Operand make_operand(const detail::KernelConstants& kc, const MatrixView<const float>& X,
                           DeviceBuffer<float>& norms, cudaStream_t stream) {
  if (kc.uses_norms()) norms = row_sq_norms(X, stream);
  return tile::Operand{X.data(), X.ld(), X.rows(), kc.uses_norms() ? norms.data() : nullptr};
}

void launch_gram(const CudaContext& ctx, const detail::KernelConstants& kc, const MatrixView<const float>& Z,
                 const MatrixView<const float>& X, const MatrixView<float>& out) {
  cudaStream_t stream = ctx.stream();
  DeviceBuffer<float> z_norms;
  DeviceBuffer<float> x_norms;
  const tile::Operand z = make_operand(kc, Z, z_norms, stream);
  const tile::Operand x = make_operand(kc, X, x_norms, stream);
  const dim3 grid(static_cast<unsigned>(ceil_div(Z.rows(), tile::kBlockRows)),
                  static_cast<unsigned>(std::min(ceil_div(X.rows(), tile::kBlockCols), kMaxGridY)));
  const std::int64_t self_offset = detail::self_pair_offset(Z, X);
  if (kc.uses_dot())
    gram_kernel<false><<<grid, tile::kThreads, 0, stream>>>(kc, z, x, Z.cols(), self_offset, out.data(), out.ld());
  else
    gram_kernel<true><<<grid, tile::kThreads, 0, stream>>>(kc, z, x, Z.cols(), self_offset, out.data(), out.ld());
  LWNET_CUDA_CHECK_LAUNCH("gram_kernel", stream);
}

}  // namespace lwnet::cuda
