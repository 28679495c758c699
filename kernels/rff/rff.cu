// Random Fourier features on the GPU: X omega / sigma by cuBLAS, then the cosine in place.
#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

#include "common/check.cuh"
#include "common/launch.cuh"
#include "lwnet/error.hpp"
#include "rff/rff.cuh"

namespace lwnet::cuda {

namespace {

int cublas_int(std::int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw InvalidArgument(std::string(what) + " = " + std::to_string(v) + " exceeds the 32-bit cuBLAS range");
  return static_cast<int>(v);
}

// Row-major out (m x n) = alpha X (m x k) omega (k x n): the column-major product out^T = omega^T X^T.
void row_major_sgemm(const CudaContext& ctx, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                     const float* X, std::int64_t ldx, const float* omega, std::int64_t ldo, float* out,
                     std::int64_t ld_out) {
  const float beta = 0.0f;
  LWNET_CUBLAS_CHECK(cublasSgemm(ctx.cublas(), CUBLAS_OP_N, CUBLAS_OP_N, cublas_int(n, "rff D"), cublas_int(m, "rff rows"),
                                 cublas_int(k, "rff d"), &alpha, omega, cublas_int(ldo, "rff omega ld"), X,
                                 cublas_int(ldx, "rff X ld"), &beta, out, cublas_int(ld_out, "rff out ld")));
}

__global__ void cos_features_kernel(float* out, std::int64_t ld, std::int64_t rows, std::int64_t cols,
                                    const float* phase, float scale) {
  const std::int64_t total = rows * cols;
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / cols;
    const std::int64_t j = e % cols;
    float* v = out + i * ld + j;
    *v = scale * cosf(*v + phase[j]);
  }
}

}  // namespace

void random_fourier_features(const CudaContext& ctx, const MatrixView<const float>& X,
                             const MatrixView<const float>& omega, const MatrixView<const float>& phase,
                             double sigma, const MatrixView<float>& out) {
  const std::int64_t D = omega.cols();
  row_major_sgemm(ctx, X.rows(), D, X.cols(), static_cast<float>(1.0 / sigma), X.data(), X.ld(), omega.data(),
                  omega.ld(), out.data(), out.ld());
  constexpr int kThreads = 256;
  const unsigned blocks = grid_stride_blocks(X.rows() * D, kThreads, ctx.sm_count());
  const auto scale = static_cast<float>(std::sqrt(2.0 / static_cast<double>(D)));
  cos_features_kernel<<<blocks, kThreads, 0, ctx.stream()>>>(out.data(), out.ld(), out.rows(), D, phase.data(), scale);
  LWNET_CUDA_CHECK_LAUNCH("cos_features_kernel", ctx.stream());
}

}  // namespace lwnet::cuda
