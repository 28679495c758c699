// The gradient of a Gaussian kernel-matrix loss back to the points on the GPU,
//   out_a = sum_b W_ab (z_b - z_a) / sigma^2,  W_ab = (G_ab + G_ba) k(z_a, z_b),
// in one fused kernel, one block per row a (grid-stride over rows), in two phases:
//   1. the block's warps share the b's; a warp's lanes share the features of the squared distance
//      sum_f (z_af - z_bf)^2 (float64, from the differences: no cancellation for rows far from the
//      origin, and a self-pair's distance is exactly 0, so k = 1), and lane 0 stores W_ab (float64)
//      in the block's scratch row;
//   2. the block's threads share the features f and add W_ab (z_bf - z_af) over b in ascending
//      order in float64, the CPU's order (cpu_gram_gradient.cpp).
// Chosen over W (m x m) then a cuBLAS GEMM W Z minus rowsum(W) z_a: that float32 difference cancels
// for data far from the origin, and the CPU reference sums the differences themselves. The scratch
// is one row of m float64 weights per block (at most m x m), from the stream-ordered allocator.
// Results depend on the shape alone (fixed lane, warp and b orders), not on the grid.
#include <cmath>

#include "common/check.cuh"
#include "common/launch.cuh"
#include "gram/gram.cuh"

namespace lwnet::cuda {

namespace {

constexpr int kGradientThreads = 256;
constexpr int kGradientWarps = kGradientThreads / 32;
constexpr unsigned kFullMask = 0xffffffffu;

struct GramGradientArgs {
  const float* z;
  std::int64_t ldz;
  const float* g;
  std::int64_t ldg;
  float* out;
  std::int64_t ld_out;
  std::int64_t m;
  std::int64_t d;
  double neg_inv_two_sigma2;
  double inv_sigma2;
};

__global__ void __launch_bounds__(kGradientThreads)
    gaussian_gram_gradient_kernel(GramGradientArgs p, double* scratch) {
  double* w = scratch + static_cast<std::int64_t>(blockIdx.x) * p.m;  // this block's row of weights
  const int lane = static_cast<int>(threadIdx.x) % 32;
  const int warp = static_cast<int>(threadIdx.x) / 32;
  for (std::int64_t a = blockIdx.x; a < p.m; a += gridDim.x) {
    const float* z_a = p.z + a * p.ldz;
    // Phase 1: W_ab for every b.
    for (std::int64_t b = warp; b < p.m; b += kGradientWarps) {
      const float* z_b = p.z + b * p.ldz;
      double s = 0.0;
      for (std::int64_t f = lane; f < p.d; f += 32) {
        const double diff = static_cast<double>(z_a[f]) - static_cast<double>(z_b[f]);
        s += diff * diff;
      }
      for (int offset = 16; offset > 0; offset /= 2) s += __shfl_xor_sync(kFullMask, s, offset);
      if (lane == 0) {
        const double k = exp(s * p.neg_inv_two_sigma2);
        w[b] = (static_cast<double>(p.g[a * p.ldg + b]) + static_cast<double>(p.g[b * p.ldg + a])) * k;
      }
    }
    __syncthreads();  // the weights are visible to the whole block
    // Phase 2: out_af for every f.
    for (std::int64_t f = threadIdx.x; f < p.d; f += blockDim.x) {
      const double z_af = static_cast<double>(z_a[f]);
      double acc = 0.0;
      for (std::int64_t b = 0; b < p.m; ++b) acc += w[b] * (static_cast<double>(p.z[b * p.ldz + f]) - z_af);
      p.out[a * p.ld_out + f] = static_cast<float>(acc * p.inv_sigma2);
    }
    __syncthreads();  // every thread is done with the weights before the next row overwrites them
  }
}

}  // namespace

void gaussian_gram_gradient(const CudaContext& ctx, const MatrixView<const float>& Z, const MatrixView<const float>& G,
                            double sigma, const MatrixView<float>& out) {
  const std::int64_t m = Z.rows();
  if (m == 0 || Z.cols() == 0) return;
  cudaStream_t stream = ctx.stream();
  const unsigned blocks = grid_stride_blocks(m, 1, ctx.sm_count());
  DeviceBuffer<double> scratch(static_cast<std::size_t>(blocks) * static_cast<std::size_t>(m), stream);
  const GramGradientArgs args{Z.data(), Z.ld(), G.data(), G.ld(), out.data(), out.ld(), m, Z.cols(),
                              -1.0 / (2.0 * sigma * sigma), 1.0 / (sigma * sigma)};
  gaussian_gram_gradient_kernel<<<blocks, kGradientThreads, 0, stream>>>(args, scratch.data());
  LWNET_CUDA_CHECK_LAUNCH("gaussian_gram_gradient_kernel", stream);
}

}  // namespace lwnet::cuda
