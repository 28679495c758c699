// CudaBlas: lwnet::Blas on cuBLAS. Everything is queued on the context's stream; nothing waits.
//
// Row-major vs column-major: a row-major m x n matrix at (data, ld) is cuBLAS's column-major
// n x m matrix (its transpose). C = op(A) op(B) is C^T = op(B)^T op(A)^T, so each GEMM passes B
// before A with the dimensions swapped and the same transpose flags. The handle is in
// CUBLAS_PEDANTIC_MATH (resources.cuh): float32 products stay float32, no TF32.
//
// axpy and scal are lwnet's own element-wise kernels: one launch for any leading dimension (a
// cuBLAS call covers one contiguous range), with alpha = 0 times a NaN giving NaN as on the CPU
// (cuBLAS's scal does not document that case). Either compiler may fuse y + alpha x into one FMA.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "common/check.cuh"
#include "common/launch.cuh"
#include "common/resources.cuh"
#include "cuda_families.cuh"
#include "lwnet/error.hpp"

namespace lwnet::cuda {

namespace {

int cublas_int(std::int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw InvalidArgument(std::string(what) + " = " + std::to_string(v) + " exceeds the 32-bit cuBLAS range");
  return static_cast<int>(v);
}

// The leading dimension to pass for a row-major view: a single row's is never used (lwnet lets it
// be anything), but cuBLAS insists on ld >= max(1, cols).
template <class T>
int cublas_ld(const MatrixView<T>& m, const char* what) {
  return cublas_int(m.rows() <= 1 ? std::max<std::int64_t>(m.cols(), 1) : m.ld(), what);
}

cublasOperation_t cublas_op(bool transpose) { return transpose ? CUBLAS_OP_T : CUBLAS_OP_N; }

// Column-major C = alpha op(X) op(Y) + beta C, one overload per precision.
cublasStatus_t cublas_gemm(cublasHandle_t h, cublasOperation_t tx, cublasOperation_t ty, int m, int n, int k,
                           const float* alpha, const float* X, int ldx, const float* Y, int ldy, const float* beta,
                           float* C, int ldc) {
  return cublasSgemm(h, tx, ty, m, n, k, alpha, X, ldx, Y, ldy, beta, C, ldc);
}
cublasStatus_t cublas_gemm(cublasHandle_t h, cublasOperation_t tx, cublasOperation_t ty, int m, int n, int k,
                           const double* alpha, const double* X, int ldx, const double* Y, int ldy,
                           const double* beta, double* C, int ldc) {
  return cublasDgemm(h, tx, ty, m, n, k, alpha, X, ldx, Y, ldy, beta, C, ldc);
}

cublasStatus_t cublas_gemm_strided(cublasHandle_t h, cublasOperation_t tx, cublasOperation_t ty, int m, int n,
                                   int k, const float* alpha, const float* X, int ldx, long long sx, const float* Y,
                                   int ldy, long long sy, const float* beta, float* C, int ldc, long long sc,
                                   int count) {
  return cublasSgemmStridedBatched(h, tx, ty, m, n, k, alpha, X, ldx, sx, Y, ldy, sy, beta, C, ldc, sc, count);
}
cublasStatus_t cublas_gemm_strided(cublasHandle_t h, cublasOperation_t tx, cublasOperation_t ty, int m, int n,
                                   int k, const double* alpha, const double* X, int ldx, long long sx,
                                   const double* Y, int ldy, long long sy, const double* beta, double* C, int ldc,
                                   long long sc, int count) {
  return cublasDgemmStridedBatched(h, tx, ty, m, n, k, alpha, X, ldx, sx, Y, ldy, sy, beta, C, ldc, sc, count);
}

constexpr int kThreads = 256;


// y(i, j) += alpha x(i, j) over a rows x cols view; 64-bit indices.
template <class T>
__global__ void axpy_kernel(T alpha, const T* x, std::int64_t ldx, T* y, std::int64_t ldy, std::int64_t rows,
                            std::int64_t cols) {
  const std::int64_t total = rows * cols;
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / cols;
    const std::int64_t j = e % cols;
    y[i * ldy + j] += alpha * x[i * ldx + j];
  }
}

template <class T>
__global__ void scal_kernel(T alpha, T* x, std::int64_t ldx, std::int64_t rows, std::int64_t cols) {
  const std::int64_t total = rows * cols;
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / cols;
    const std::int64_t j = e % cols;
    x[i * ldx + j] *= alpha;
  }
}

class CudaBlas final : public Blas {
 public:
  explicit CudaBlas(std::shared_ptr<CudaContext> context) : context_(std::move(context)) {}

 protected:
#define LWNET_CUDA_BLAS_IMPL(T)                                                                               \
  void gemm_impl(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A, MatrixView<const T> B,   \
                 T beta, MatrixView<T> C) override {                                                           \
    run_gemm(trans_a == Transpose::yes, trans_b == Transpose::yes, alpha, A, B, beta, C);                     \
  }                                                                                                            \
  void gemm_strided_batched_impl(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A,         \
                                 MatrixView<const T> B, T beta, MatrixView<T> C) override {                    \
    run_gemm_batched(trans_a == Transpose::yes, trans_b == Transpose::yes, alpha, A, B, beta, C);             \
  }                                                                                                            \
  void axpy_impl(T alpha, MatrixView<const T> X, MatrixView<T> Y) override { run_axpy(alpha, X, Y); }          \
  void scal_impl(T alpha, MatrixView<T> X) override { run_scal(alpha, X); }
  LWNET_CUDA_BLAS_IMPL(float)
  LWNET_CUDA_BLAS_IMPL(double)
#undef LWNET_CUDA_BLAS_IMPL

  MemorySpace space() const override { return MemorySpace::cuda; }
  int device_index() const override { return context_->device(); }

 private:
  template <class T>
  void run_gemm(bool ta, bool tb, T alpha, const MatrixView<const T>& A, const MatrixView<const T>& B, T beta,
                const MatrixView<T>& C) {
    DeviceGuard guard(context_->device());
    const int m = cublas_int(C.rows(), "gemm m");
    const int n = cublas_int(C.cols(), "gemm n");
    const int k = cublas_int(ta ? A.rows() : A.cols(), "gemm k");
    // Row-major C (m x n) is column-major C^T (n x m) = op(B)^T op(A)^T.
    LWNET_CUBLAS_CHECK(cublas_gemm(context_->cublas(), cublas_op(tb), cublas_op(ta), n, m, k, &alpha, B.data(),
                                   cublas_ld(B, "gemm ld(B)"), A.data(), cublas_ld(A, "gemm ld(A)"), &beta, C.data(),
                                   cublas_ld(C, "gemm ld(C)")));
  }

  // One cuBLAS call for the whole batch; each entry maps row-major to column-major as in run_gemm
  // (B before A). A and B have C's batch_count; a stride of 0 (a broadcast input) repeats it, and
  // cuBLAS reads strided inputs as given.
  template <class T>
  void run_gemm_batched(bool ta, bool tb, T alpha, const MatrixView<const T>& A, const MatrixView<const T>& B,
                        T beta, const MatrixView<T>& C) {
    DeviceGuard guard(context_->device());
    const int m = cublas_int(C.rows(), "gemm_strided_batched m");
    const int n = cublas_int(C.cols(), "gemm_strided_batched n");
    const int k = cublas_int(ta ? A.rows() : A.cols(), "gemm_strided_batched k");
    const int count = cublas_int(C.batch_count(), "gemm_strided_batched count");
    LWNET_CUBLAS_CHECK(cublas_gemm_strided(
        context_->cublas(), cublas_op(tb), cublas_op(ta), n, m, k, &alpha, B.data(),
        cublas_ld(B, "gemm_strided_batched ld(B)"), B.batch_stride(), A.data(),
        cublas_ld(A, "gemm_strided_batched ld(A)"), A.batch_stride(), &beta, C.data(),
        cublas_ld(C, "gemm_strided_batched ld(C)"), C.batch_stride(), count));
  }

  template <class T>
  void run_axpy(T alpha, const MatrixView<const T>& X, const MatrixView<T>& Y) {
    DeviceGuard guard(context_->device());
    cudaStream_t stream = context_->stream();
    const unsigned blocks = grid_stride_blocks(Y.size(), kThreads, context_->sm_count());
    axpy_kernel<T><<<blocks, kThreads, 0, stream>>>(alpha, X.data(), X.ld(), Y.data(), Y.ld(), Y.rows(), Y.cols());
    LWNET_CUDA_CHECK_LAUNCH("axpy_kernel", stream);
  }

  template <class T>
  void run_scal(T alpha, const MatrixView<T>& X) {
    DeviceGuard guard(context_->device());
    cudaStream_t stream = context_->stream();
    const unsigned blocks = grid_stride_blocks(X.size(), kThreads, context_->sm_count());
    scal_kernel<T><<<blocks, kThreads, 0, stream>>>(alpha, X.data(), X.ld(), X.rows(), X.cols());
    LWNET_CUDA_CHECK_LAUNCH("scal_kernel", stream);
  }

  std::shared_ptr<CudaContext> context_;
};

}  // namespace

std::unique_ptr<Blas> make_cuda_blas(std::shared_ptr<CudaContext> context) {
  return std::make_unique<CudaBlas>(std::move(context));
}

}  // namespace lwnet::cuda
