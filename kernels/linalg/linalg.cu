// cuBLAS / cuSOLVER calls for row-major matrices. A row-major matrix is the column-major view of
// its transpose: GEMM swaps its operands; a row-major lower Cholesky factor is the column-major
// upper one; solving A X = B for row-major B is the right-sided solve X^T A = B^T.
#include <climits>
#include <string>

#include "common/check.cuh"
#include "common/resources.cuh"
#include "gram/gram.cuh"
#include "linalg/linalg.cuh"
#include "lwnet/error.hpp"

namespace lwnet::cuda {

namespace {

int checked_int(std::int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw InvalidArgument(std::string(what) + " = " + std::to_string(v) + " exceeds the 32-bit cuBLAS/cuSOLVER range");
  return static_cast<int>(v);
}

// Zeroes the strict upper triangle of a row-major n x n matrix.
__global__ void zero_upper_kernel(float* A, std::int64_t ld, std::int64_t n) {
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n * n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / n;
    const std::int64_t j = e % n;
    if (j > i) A[i * ld + j] = 0.0f;
  }
}

// In-place transpose of a square row-major matrix: each thread swaps one (i, j), i < j, pair.
__global__ void transpose_square_kernel(float* A, std::int64_t ld, std::int64_t n) {
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n * n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / n;
    const std::int64_t j = e % n;
    if (i < j) {
      const float t = A[i * ld + j];
      A[i * ld + j] = A[j * ld + i];
      A[j * ld + i] = t;
    }
  }
}

constexpr int kThreads = 256;
unsigned blocks_for(std::int64_t elements) {
  return static_cast<unsigned>(std::min<std::int64_t>((elements + kThreads - 1) / kThreads, 65535));
}

int read_info(const CudaContext& ctx, const DeviceBuffer<int>& info) {
  int host = 0;
  LWNET_CUDA_CHECK(cudaMemcpyAsync(&host, info.data(), sizeof(int), cudaMemcpyDeviceToHost, ctx.stream()));
  LWNET_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
  return host;
}

}  // namespace

void row_major_sgemm(const CudaContext& ctx, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
                     std::int64_t k, float alpha, const float* A, std::int64_t lda, const float* B,
                     std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  LWNET_CUBLAS_CHECK(cublasSgemm(ctx.cublas(), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                                 checked_int(n, "gemm n"), checked_int(m, "gemm m"), checked_int(k, "gemm k"), &alpha, B,
                                 checked_int(ldb, "gemm ldb"), A, checked_int(lda, "gemm lda"), &beta, C,
                                 checked_int(ldc, "gemm ldc")));
}

void cholesky(const CudaContext& ctx, const MatrixView<float>& A) {
  const int n = checked_int(A.rows(), "cholesky n");
  const int lda = checked_int(A.ld(), "cholesky ld");
  int work_size = 0;
  LWNET_CUSOLVER_CHECK(cusolverDnSpotrf_bufferSize(ctx.cusolver(), CUBLAS_FILL_MODE_UPPER, n, A.data(), lda, &work_size));
  DeviceBuffer<float> work(static_cast<std::size_t>(work_size), ctx.stream());
  DeviceBuffer<int> info(1, ctx.stream());
  LWNET_CUSOLVER_CHECK(cusolverDnSpotrf(ctx.cusolver(), CUBLAS_FILL_MODE_UPPER, n, A.data(), lda, work.data(), work_size,
                                        info.data()));
  const int status = read_info(ctx, info);
  if (status > 0)
    throw NumericalError("cholesky: A (" + std::to_string(n) + "x" + std::to_string(n) +
                         ") is not positive definite (leading minor " + std::to_string(status) +
                         " is not positive); add a ridge to the diagonal");
  if (status < 0) throw Error("cholesky: cusolverDnSpotrf rejected argument " + std::to_string(-status));
  zero_upper_kernel<<<blocks_for(A.rows() * A.rows()), kThreads, 0, ctx.stream()>>>(A.data(), A.ld(), A.rows());
  LWNET_CUDA_CHECK_LAUNCH("zero_upper_kernel", ctx.stream());
}

void cholesky_solve(const CudaContext& ctx, const MatrixView<const float>& L, const MatrixView<float>& B) {
  const int n = checked_int(L.rows(), "cholesky_solve n");
  const int k = checked_int(B.cols(), "cholesky_solve k");
  const int lda = checked_int(L.ld(), "cholesky_solve ld(L)");
  const int ldb = checked_int(B.ld(), "cholesky_solve ld(B)");
  const float one = 1.0f;
  // Column-major C = B^T (k x n); A = U^T U with U the column-major view of L: C <- C U^{-1} U^{-T}.
  LWNET_CUBLAS_CHECK(cublasStrsm(ctx.cublas(), CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_N,
                                 CUBLAS_DIAG_NON_UNIT, k, n, &one, L.data(), lda, B.data(), ldb));
  LWNET_CUBLAS_CHECK(cublasStrsm(ctx.cublas(), CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_T,
                                 CUBLAS_DIAG_NON_UNIT, k, n, &one, L.data(), lda, B.data(), ldb));
}

void symmetric_eigen(const CudaContext& ctx, const MatrixView<const float>& A, const MatrixView<float>& eigenvalues,
                     const MatrixView<float>& eigenvectors) {
  cudaStream_t stream = ctx.stream();
  const int n = checked_int(A.rows(), "symmetric_eigen n");
  const int ld = checked_int(eigenvectors.ld(), "symmetric_eigen ld");
  LWNET_CUDA_CHECK(cudaMemcpy2DAsync(eigenvectors.data(), eigenvectors.ld() * sizeof(float), A.data(),
                                     A.ld() * sizeof(float), A.cols() * sizeof(float), A.rows(),
                                     cudaMemcpyDeviceToDevice, stream));
  DeviceBuffer<float> w(static_cast<std::size_t>(n), stream);
  int work_size = 0;
  LWNET_CUSOLVER_CHECK(cusolverDnSsyevd_bufferSize(ctx.cusolver(), CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_UPPER, n,
                                                   eigenvectors.data(), ld, w.data(), &work_size));
  DeviceBuffer<float> work(static_cast<std::size_t>(work_size), stream);
  DeviceBuffer<int> info(1, stream);
  LWNET_CUSOLVER_CHECK(cusolverDnSsyevd(ctx.cusolver(), CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_UPPER, n,
                                        eigenvectors.data(), ld, w.data(), work.data(), work_size, info.data()));
  const int status = read_info(ctx, info);
  if (status > 0)
    throw NumericalError("symmetric_eigen: the eigensolver did not converge (info " + std::to_string(status) + ")");
  if (status < 0) throw Error("symmetric_eigen: cusolverDnSsyevd rejected argument " + std::to_string(-status));
  // Column-major eigenvector k is row k of the row-major view: transpose to put it in column k.
  transpose_square_kernel<<<blocks_for(A.rows() * A.rows()), kThreads, 0, stream>>>(eigenvectors.data(),
                                                                                     eigenvectors.ld(), A.rows());
  LWNET_CUDA_CHECK_LAUNCH("transpose_square_kernel", stream);
  LWNET_CUDA_CHECK(cudaMemcpy2DAsync(eigenvalues.data(), eigenvalues.ld() * sizeof(float), w.data(), sizeof(float),
                                     sizeof(float), static_cast<std::size_t>(n), cudaMemcpyDeviceToDevice, stream));
}

}  // namespace lwnet::cuda
