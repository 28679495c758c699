#include <algorithm>
#include <cmath>

#include "common/check.cuh"
#include "linalg/linalg.cuh"
#include "rff/rff.cuh"

namespace lwnet::cuda {

namespace {

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
  row_major_sgemm(ctx, false, false, X.rows(), D, X.cols(), static_cast<float>(1.0 / sigma), X.data(), X.ld(),
                  omega.data(), omega.ld(), 0.0f, out.data(), out.ld());
  constexpr int kThreads = 256;
  const auto blocks = static_cast<unsigned>(std::min<std::int64_t>((X.rows() * D + kThreads - 1) / kThreads, 65535));
  const auto scale = static_cast<float>(std::sqrt(2.0 / static_cast<double>(D)));
  cos_features_kernel<<<blocks, kThreads, 0, ctx.stream()>>>(out.data(), out.ld(), out.rows(), D, phase.data(), scale);
  LWNET_CUDA_CHECK_LAUNCH("cos_features_kernel", ctx.stream());
}

}  // namespace lwnet::cuda
