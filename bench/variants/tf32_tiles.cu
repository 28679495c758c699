// v2_tf32_cublas_tiles and v3_tf32_fused_kb: the dot products z . x on tensor cores in TF32.
// For each (Z chunk, X tile): G = Z_chunk X_tile^T by cublasGemmEx with
// CUBLAS_COMPUTE_32F_FAST_TF32 (operands rounded to TF32, float32 accumulation) into a float32
// workspace (z_chunk, x_tile); then
//   v2: K = exp(-max(0, ||z||^2 + ||x||^2 - 2 G) / (2 sigma^2)) in place (one elementwise kernel),
//       T = K B_tile by a float32 GEMM with CUBLAS_COMPUTE_32F_PEDANTIC (no TF32), and out += T
//       in float64 (a small kernel);
//   v3: one kernel reads G once, forms K in registers and adds K B_tile straight into out, so
//       the K tile is neither written nor read back (8 bytes per entry instead of 16).
// Norms are summed in float64 and stored as float32, as the production kernel does. The
// accuracy bound of both is in README.md (accuracy.hpp computes it).
#include <algorithm>

#include "cuda_raii.cuh"
#include "variant.hpp"

namespace lwnet::bench {
namespace {

constexpr int kWarp = 32;
constexpr std::int64_t kMaxGridY = 65535;  // CUDA's limit on gridDim.y

// (rows) = ||row||^2 of a (rows, d) row-major matrix: one warp per row, float64 sums.
__global__ void row_sq_norms_kernel(const float* __restrict__ A, std::int64_t rows, std::int64_t d,
                                    float* __restrict__ norms) {
  const std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  if (row >= rows) return;
  double s = 0.0;
  for (std::int64_t f = lane; f < d; f += kWarp) {
    const double v = A[row * d + f];
    s += v * v;
  }
  for (int o = kWarp / 2; o > 0; o /= 2) s += __shfl_down_sync(0xffffffffu, s, o);
  if (lane == 0) norms[row] = static_cast<float>(s);
}

// The squared distance from norms and a dot product, clamped at 0 (rounding can make it < 0).
__device__ __forceinline__ float clamped_distance(float z_norm, float x_norm, float dot) {
  return fmaxf(fmaf(-2.0f, dot, z_norm + x_norm), 0.0f);
}

// v2: G (rows, cols), leading dimension cols, becomes K in place. A thread owns a column and
// strides over rows (grid.y), so no 64-bit division per entry and x's norm is read once.
__global__ void gaussian_from_dots_kernel(float* __restrict__ G, std::int64_t rows, std::int64_t cols,
                                          const float* __restrict__ z_norms, const float* __restrict__ x_norms,
                                          float neg_inv_two_sigma2) {
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= cols) return;
  const float x_norm = x_norms[j];
  for (std::int64_t i = blockIdx.y; i < rows; i += gridDim.y) {
    float& g = G[i * cols + j];
    g = expf(neg_inv_two_sigma2 * clamped_distance(z_norms[i], x_norm, g));
  }
}

// v2: out (rows, c) float64 += T (rows, c) float32.
__global__ void add_tile_kernel(const float* __restrict__ T, std::int64_t count, double* __restrict__ out) {
  const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e < count) out[e] += static_cast<double>(T[e]);
}

// v3: out rows (rows, c) float64 += exp(...G...) B_tile, classes [c0, c0 + kFusedClasses).
// A warp owns kFusedRowsPerWarp rows; its lanes stride over the tile's columns (coalesced reads
// of G) and sum in float32; the lanes' sums are then added by a shuffle tree, so each row has
// one writer and no atomics: the result does not depend on scheduling. B's tile is staged in
// shared memory class-major, so lanes reading consecutive columns hit distinct banks. Classes go
// kFusedClasses per launch; more classes: more passes over G.
constexpr int kFusedThreads = 256;
constexpr int kFusedRowsPerWarp = 2;
constexpr int kFusedRowsPerBlock = kFusedThreads / kWarp * kFusedRowsPerWarp;
constexpr int kFusedClasses = 16;
constexpr int kFusedStage = 256;  // columns of B staged per step

__global__ void __launch_bounds__(kFusedThreads)
    fused_exp_kb_kernel(const float* __restrict__ G, std::int64_t rows, std::int64_t cols,
                        const float* __restrict__ z_norms, const float* __restrict__ x_norms,
                        const float* __restrict__ B_tile, std::int64_t c, int c0, int classes,
                        float neg_inv_two_sigma2, double* __restrict__ out) {
  __shared__ float b_stage[kFusedClasses][kFusedStage + 1];  // +1: transposed writes 2-way, not 16-way
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const std::int64_t row0 = static_cast<std::int64_t>(blockIdx.x) * kFusedRowsPerBlock + warp * kFusedRowsPerWarp;

  float z_norm[kFusedRowsPerWarp];
  float acc[kFusedRowsPerWarp][kFusedClasses];
#pragma unroll
  for (int r = 0; r < kFusedRowsPerWarp; ++r) {
    z_norm[r] = row0 + r < rows ? z_norms[row0 + r] : 0.0f;
#pragma unroll
    for (int k = 0; k < kFusedClasses; ++k) acc[r][k] = 0.0f;
  }

  for (std::int64_t s0 = 0; s0 < cols; s0 += kFusedStage) {
    __syncthreads();  // the previous stage's readers are done
    for (int e = static_cast<int>(threadIdx.x); e < kFusedStage * kFusedClasses; e += kFusedThreads) {
      const int jj = e / kFusedClasses;
      const int k = e % kFusedClasses;
      const std::int64_t j = s0 + jj;
      b_stage[k][jj] = (j < cols && k < classes) ? B_tile[j * c + c0 + k] : 0.0f;
    }
    __syncthreads();
    const int stage_cols = static_cast<int>(min(static_cast<std::int64_t>(kFusedStage), cols - s0));
#pragma unroll 4
    for (int jj = lane; jj < stage_cols; jj += kWarp) {
      const float x_norm = x_norms[s0 + jj];
#pragma unroll
      for (int r = 0; r < kFusedRowsPerWarp; ++r) {
        if (row0 + r >= rows) break;
        const float g = G[(row0 + r) * cols + s0 + jj];
        const float k_ij = expf(neg_inv_two_sigma2 * clamped_distance(z_norm[r], x_norm, g));
#pragma unroll
        for (int k = 0; k < kFusedClasses; ++k) acc[r][k] = fmaf(k_ij, b_stage[k][jj], acc[r][k]);
      }
    }
  }

#pragma unroll
  for (int r = 0; r < kFusedRowsPerWarp; ++r) {
#pragma unroll
    for (int k = 0; k < kFusedClasses; ++k) {
      float v = acc[r][k];
      for (int o = kWarp / 2; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
      if (lane == 0 && row0 + r < rows && k < classes) out[(row0 + r) * c + c0 + k] += static_cast<double>(v);
    }
  }
}

unsigned blocks_for(std::int64_t count, int threads) {
  return static_cast<unsigned>((count + threads - 1) / threads);
}

class Tf32TilesVariant final : public Variant {
 public:
  Tf32TilesVariant(const Shape& shape, TileSizes tiles, bool fused)
      : shape_(shape),
        z_chunk_(std::min(tiles.z_chunk, shape.m)),
        x_tile_(std::min(tiles.x_tile, shape.n)),
        fused_(fused),
        z_norms_(static_cast<std::size_t>(shape.m)),
        x_norms_(static_cast<std::size_t>(shape.n)),
        dots_(static_cast<std::size_t>(z_chunk_ * x_tile_)),
        tile_out_(fused ? 0 : static_cast<std::size_t>(z_chunk_ * shape.c)) {}

  void run(const DeviceInputs& in, double* out, cudaStream_t stream) override {
    if (!handle_ || stream != handle_stream_) {
      handle_ = std::make_unique<CublasHandle>(stream);
      handle_stream_ = stream;
    }
    constexpr int kNormThreads = 256;
    row_sq_norms_kernel<<<blocks_for(shape_.m * kWarp, kNormThreads), kNormThreads, 0, stream>>>(
        in.Z, shape_.m, shape_.d, z_norms_.data());
    LWNET_BENCH_CHECK_LAUNCH("row_sq_norms_kernel");
    row_sq_norms_kernel<<<blocks_for(shape_.n * kWarp, kNormThreads), kNormThreads, 0, stream>>>(
        in.X, shape_.n, shape_.d, x_norms_.data());
    LWNET_BENCH_CHECK_LAUNCH("row_sq_norms_kernel");
    const auto out_bytes = static_cast<std::size_t>(shape_.m * shape_.c) * sizeof(double);
    LWNET_BENCH_CUDA_CHECK(cudaMemsetAsync(out, 0, out_bytes, stream));

    for (std::int64_t z0 = 0; z0 < shape_.m; z0 += z_chunk_) {
      const std::int64_t rows = std::min(z_chunk_, shape_.m - z0);
      for (std::int64_t x0 = 0; x0 < shape_.n; x0 += x_tile_) {
        const std::int64_t cols = std::min(x_tile_, shape_.n - x0);
        tile_dots(in, z0, rows, x0, cols);
        if (fused_) {
          fused_tile(in, out, stream, z0, rows, x0, cols);
        } else {
          unfused_tile(in, out, stream, z0, rows, x0, cols);
        }
      }
    }
  }

 private:
  float neg_inv_two_sigma2() const { return static_cast<float>(-1.0 / (2.0 * shape_.sigma * shape_.sigma)); }

  // dots_ (rows, cols) row-major = Z[z0 : z0 + rows] X[x0 : x0 + cols]^T in TF32. cuBLAS is
  // column-major: the row-major (rows, cols) result is the column-major (cols, rows) matrix
  // X_tile Z_chunk^T, and a row-major (r, d) operand is a column-major (d, r) one.
  void tile_dots(const DeviceInputs& in, std::int64_t z0, std::int64_t rows, std::int64_t x0, std::int64_t cols) {
    const float one = 1.0f;
    const float zero = 0.0f;
    const int d = static_cast<int>(shape_.d);
    LWNET_BENCH_CUBLAS_CHECK(cublasGemmEx(handle_->get(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(cols),
                                          static_cast<int>(rows), d, &one, in.X + x0 * shape_.d, CUDA_R_32F, d,
                                          in.Z + z0 * shape_.d, CUDA_R_32F, d, &zero, dots_.data(), CUDA_R_32F,
                                          static_cast<int>(cols), CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT));
  }

  void unfused_tile(const DeviceInputs& in, double* out, cudaStream_t stream, std::int64_t z0, std::int64_t rows,
                    std::int64_t x0, std::int64_t cols) {
    constexpr int kThreads = 256;
    const dim3 grid(blocks_for(cols, kThreads), static_cast<unsigned>(std::min<std::int64_t>(rows, kMaxGridY)));
    gaussian_from_dots_kernel<<<grid, kThreads, 0, stream>>>(dots_.data(), rows, cols, z_norms_.data() + z0,
                                                             x_norms_.data() + x0, neg_inv_two_sigma2());
    LWNET_BENCH_CHECK_LAUNCH("gaussian_from_dots_kernel");
    // tile_out_ (rows, c) row-major = K (rows, cols) B_tile (cols, c); column-major: the
    // (c, rows) matrix B_tile^T K^T. Pedantic float32: no TF32 on this path.
    const float one = 1.0f;
    const float zero = 0.0f;
    const int c = static_cast<int>(shape_.c);
    LWNET_BENCH_CUBLAS_CHECK(cublasGemmEx(handle_->get(), CUBLAS_OP_N, CUBLAS_OP_N, c, static_cast<int>(rows),
                                          static_cast<int>(cols), &one, in.B + x0 * shape_.c, CUDA_R_32F, c,
                                          dots_.data(), CUDA_R_32F, static_cast<int>(cols), &zero, tile_out_.data(),
                                          CUDA_R_32F, c, CUBLAS_COMPUTE_32F_PEDANTIC, CUBLAS_GEMM_DEFAULT));
    const std::int64_t count = rows * shape_.c;
    add_tile_kernel<<<blocks_for(count, kThreads), kThreads, 0, stream>>>(tile_out_.data(), count,
                                                                          out + z0 * shape_.c);
    LWNET_BENCH_CHECK_LAUNCH("add_tile_kernel");
  }

  void fused_tile(const DeviceInputs& in, double* out, cudaStream_t stream, std::int64_t z0, std::int64_t rows,
                  std::int64_t x0, std::int64_t cols) {
    for (std::int64_t c0 = 0; c0 < shape_.c; c0 += kFusedClasses) {
      const int classes = static_cast<int>(std::min<std::int64_t>(kFusedClasses, shape_.c - c0));
      fused_exp_kb_kernel<<<blocks_for(rows, kFusedRowsPerBlock), kFusedThreads, 0, stream>>>(
          dots_.data(), rows, cols, z_norms_.data() + z0, x_norms_.data() + x0, in.B + x0 * shape_.c, shape_.c,
          static_cast<int>(c0), classes, neg_inv_two_sigma2(), out + z0 * shape_.c);
      LWNET_BENCH_CHECK_LAUNCH("fused_exp_kb_kernel");
    }
  }

  Shape shape_;
  std::int64_t z_chunk_;
  std::int64_t x_tile_;
  bool fused_;
  DeviceArray<float> z_norms_;   // (m)
  DeviceArray<float> x_norms_;   // (n)
  DeviceArray<float> dots_;      // (z_chunk, x_tile): G, then K in place (v2)
  DeviceArray<float> tile_out_;  // (z_chunk, c): v2's K B_tile
  std::unique_ptr<CublasHandle> handle_;
  cudaStream_t handle_stream_ = nullptr;
};

}  // namespace

std::unique_ptr<Variant> make_v2_tf32_cublas_tiles(const Shape& shape, TileSizes tiles) {
  return std::make_unique<Tf32TilesVariant>(shape, tiles, false);
}

std::unique_ptr<Variant> make_v3_tf32_fused_kb(const Shape& shape, TileSizes tiles) {
  return std::make_unique<Tf32TilesVariant>(shape, tiles, true);
}

}  // namespace lwnet::bench
