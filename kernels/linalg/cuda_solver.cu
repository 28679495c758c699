// CudaSolver: lwnet::Solver on cuSOLVER and cuBLAS, float64, queued on the context's stream.
// Only potrf waits for the device: its positive-definiteness verdict is a host value.
//
// Row-major vs column-major: the row-major n x n view at (data, ld) is, to cuSOLVER/cuBLAS, the
// column-major matrix of its transpose. So the row-major lower triangle is their upper one: the
// row-major lower factor L (A = L L^T) is their upper U = L^T (A = U^T U), and a row-major B
// (n x k) is their B^T (k x n), which turns a left-sided solve into a right-sided one and back.
#include <algorithm>
#include <climits>
#include <cmath>
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

int solver_int(std::int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw InvalidArgument(std::string(what) + " = " + std::to_string(v) + " exceeds the 32-bit cuSOLVER/cuBLAS range");
  return static_cast<int>(v);
}

// A single row's leading dimension is never used (lwnet lets it be anything), but cuSOLVER and
// cuBLAS insist on ld >= max(1, cols).
int solver_ld(std::int64_t rows, std::int64_t cols, std::int64_t ld, const char* what) {
  return solver_int(rows <= 1 ? std::max<std::int64_t>(cols, 1) : ld, what);
}
template <class T>
int solver_ld(const MatrixView<T>& m, const char* what) {
  return solver_ld(m.rows(), m.cols(), m.ld(), what);
}

constexpr int kThreads = 256;  

// Zeroes the strict upper triangle of a row-major n x n matrix.
__global__ void zero_upper_kernel(double* A, std::int64_t ld, std::int64_t n) {
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n * n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / n;
    const std::int64_t j = e % n;
    if (j > i) A[i * ld + j] = 0.0;
  }
}

// syevd's last step without a host wait: transposes the eigenvectors in place (cuSOLVER's
// column k is the row-major row k) and copies the eigenvalues into their n x 1 view; when
// cuSOLVER reported a failure (*info != 0) both are set to NaN instead, so a failure never looks
// like an answer.
__global__ void finish_syevd_kernel(double* V, std::int64_t ldv, const double* w, double* values,
                                    std::int64_t ld_values, std::int64_t n, const int* info) {
  const bool failed = *info != 0;
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n * n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / n;
    const std::int64_t j = e % n;
    if (failed) {
      V[i * ldv + j] = NAN;
    } else if (i < j) {
      const double t = V[i * ldv + j];
      V[i * ldv + j] = V[j * ldv + i];
      V[j * ldv + i] = t;
    }
    if (j == 0) values[i * ld_values] = failed ? NAN : w[i];
  }
}

// out = 2 sum_i log L_ii in one block: per-thread sums, then a tree in shared memory (a fixed
// order, so the result is the same on every run).
__global__ void log_det_kernel(const double* L, std::int64_t ld, std::int64_t n, double* out) {
  __shared__ double partial[kThreads];
  double sum = 0.0;
  for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += log(L[i * ld + i]);
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = 2.0 * partial[0];
}

class CudaSolver final : public Solver {
 public:
  explicit CudaSolver(std::shared_ptr<CudaContext> context) : context_(std::move(context)) {}

 protected:
  void potrf_impl(MatrixView<double> A) override {
    DeviceGuard guard(context_->device());
    cudaStream_t stream = context_->stream();
    const int n = solver_int(A.rows(), "potrf n");
    const int lda = solver_ld(A, "potrf ld");
    int work_size = 0;
    LWNET_CUSOLVER_CHECK(
        cusolverDnDpotrf_bufferSize(context_->cusolver(), CUBLAS_FILL_MODE_UPPER, n, A.data(), lda, &work_size));
    DeviceBuffer<double> work(static_cast<std::size_t>(work_size), stream);
    DeviceBuffer<int> info(1, stream);
    LWNET_CUSOLVER_CHECK(cusolverDnDpotrf(context_->cusolver(), CUBLAS_FILL_MODE_UPPER, n, A.data(), lda, work.data(),
                                          work_size, info.data()));
    int status = 0;
    LWNET_CUDA_CHECK(cudaMemcpyAsync(&status, info.data(), sizeof(int), cudaMemcpyDeviceToHost, stream));
    LWNET_CUDA_CHECK(cudaStreamSynchronize(stream));
    if (status > 0)
      throw NumericalError("potrf: A (" + std::to_string(n) + "x" + std::to_string(n) +
                           ") is not positive definite (leading minor " + std::to_string(status) +
                           " is not positive); add a ridge to the diagonal");
    if (status < 0) throw Error("potrf: cusolverDnDpotrf rejected argument " + std::to_string(-status));
    const unsigned blocks = grid_stride_blocks(A.rows() * A.rows(), kThreads, context_->sm_count());
    zero_upper_kernel<<<blocks, kThreads, 0, stream>>>(A.data(), A.ld(), A.rows());
    LWNET_CUDA_CHECK_LAUNCH("zero_upper_kernel", stream);
  }

  // X = A^{-1} B. To cuBLAS, B is C = B^T (k x n) and X^T = C A^{-1} = C U^{-1} U^{-T}: two
  // right-sided triangular solves (cusolverDnDpotrs would need B column-major, and reports
  // through a device info this call has no reason to read).
  void potrs_impl(MatrixView<const double> L, MatrixView<double> B) override {
    DeviceGuard guard(context_->device());
    const int n = solver_int(L.rows(), "potrs n");
    const int k = solver_int(B.cols(), "potrs k");
    const int lda = solver_ld(L, "potrs ld(L)");
    const int ldb = solver_ld(B, "potrs ld(B)");
    const double one = 1.0;
    LWNET_CUBLAS_CHECK(cublasDtrsm(context_->cublas(), CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_N,
                                   CUBLAS_DIAG_NON_UNIT, k, n, &one, L.data(), lda, B.data(), ldb));
    LWNET_CUBLAS_CHECK(cublasDtrsm(context_->cublas(), CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_T,
                                   CUBLAS_DIAG_NON_UNIT, k, n, &one, L.data(), lda, B.data(), ldb));
  }

  // Transposing X = alpha op(L)^{-1} B gives X^T = alpha B^T op(L)^{-T}, and op(L)^T is U when
  // op(L) = L, U^T when op(L) = L^T: the column-major solve is on the other side with the same
  // transpose flag (and likewise for side right).
  void trsm_impl(Side side, Transpose trans, double alpha, MatrixView<const double> L,
                 MatrixView<double> B) override {
    DeviceGuard guard(context_->device());
    const int m = solver_int(B.cols(), "trsm m");  // B^T is B.cols x B.rows to cuBLAS
    const int n = solver_int(B.rows(), "trsm n");
    const cublasSideMode_t column_major_side = side == Side::left ? CUBLAS_SIDE_RIGHT : CUBLAS_SIDE_LEFT;
    const cublasOperation_t op = trans == Transpose::yes ? CUBLAS_OP_T : CUBLAS_OP_N;
    LWNET_CUBLAS_CHECK(cublasDtrsm(context_->cublas(), column_major_side, CUBLAS_FILL_MODE_UPPER, op,
                                   CUBLAS_DIAG_NON_UNIT, m, n, &alpha, L.data(), solver_ld(L, "trsm ld(L)"), B.data(),
                                   solver_ld(B, "trsm ld(B)")));
  }

  // cusolverDnDsyevd on a copy in `eigenvectors` (it reads cuSOLVER's upper triangle, the
  // row-major lower one). Its info stays on the device: finish_syevd_kernel turns a failure into
  // NaN outputs rather than waiting here.
  void syevd_impl(MatrixView<const double> A, MatrixView<double> eigenvalues,
                  MatrixView<double> eigenvectors) override {
    DeviceGuard guard(context_->device());
    cudaStream_t stream = context_->stream();
    const std::int64_t n64 = A.rows();
    const int n = solver_int(n64, "syevd n");
    const int ld = solver_ld(eigenvectors, "syevd ld");
    LWNET_CUDA_CHECK(cudaMemcpy2DAsync(eigenvectors.data(), ld * sizeof(double), A.data(),
                                       solver_ld(A, "syevd ld(A)") * sizeof(double), A.cols() * sizeof(double),
                                       A.rows(), cudaMemcpyDeviceToDevice, stream));
    DeviceBuffer<double> w(static_cast<std::size_t>(n), stream);
    int work_size = 0;
    LWNET_CUSOLVER_CHECK(cusolverDnDsyevd_bufferSize(context_->cusolver(), CUSOLVER_EIG_MODE_VECTOR,
                                                     CUBLAS_FILL_MODE_UPPER, n, eigenvectors.data(), ld, w.data(),
                                                     &work_size));
    DeviceBuffer<double> work(static_cast<std::size_t>(work_size), stream);
    DeviceBuffer<int> info(1, stream);
    LWNET_CUSOLVER_CHECK(cusolverDnDsyevd(context_->cusolver(), CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_UPPER, n,
                                          eigenvectors.data(), ld, w.data(), work.data(), work_size, info.data()));
    const unsigned blocks = grid_stride_blocks(n64 * n64, kThreads, context_->sm_count());
    finish_syevd_kernel<<<blocks, kThreads, 0, stream>>>(eigenvectors.data(), eigenvectors.ld(), w.data(),
                                                         eigenvalues.data(), eigenvalues.ld(), n64, info.data());
    LWNET_CUDA_CHECK_LAUNCH("finish_syevd_kernel", stream);
  }

  void log_det_impl(MatrixView<const double> L, MatrixView<double> out) override {
    DeviceGuard guard(context_->device());
    cudaStream_t stream = context_->stream();
    log_det_kernel<<<1, kThreads, 0, stream>>>(L.data(), L.ld(), L.rows(), out.data());
    LWNET_CUDA_CHECK_LAUNCH("log_det_kernel", stream);
  }

  MemorySpace space() const override { return MemorySpace::cuda; }
  int device_index() const override { return context_->device(); }

 private:
  std::shared_ptr<CudaContext> context_;
};

}  // namespace

std::unique_ptr<Solver> make_cuda_solver(std::shared_ptr<CudaContext> context) {
  return std::make_unique<CudaSolver>(std::move(context));
}

}  // namespace lwnet::cuda
