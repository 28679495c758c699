// CudaBackend: validation already happened in the Backend front end; each *_impl makes the
// backend's device current and queues work on its stream.
#include "cuda_backend.cuh"

#include <memory>
#include <string>
#include <utility>

#include "common/check.cuh"
#include "cuda_families.cuh"
#include "common/transfer_queue.cuh"
#include "data/gather.cuh"
#include "gram/gram.cuh"
#include "knn/knn.cuh"
#include "reduce/reduce.cuh"
#include "rff/rff.cuh"

namespace lwnet::cuda {

CudaBackend::CudaBackend(int device) : CudaBackend(CudaContext::shared(device)) {}

CudaBackend::CudaBackend(int device, cudaStream_t stream)
    : CudaBackend(std::make_shared<CudaContext>(device, stream)) {}

CudaBackend::CudaBackend(std::shared_ptr<CudaContext> context)
    : context_(std::move(context)),
      blas_(make_cuda_blas(context_)),
      solver_(make_cuda_solver(context_)),
      nn_(make_cuda_nn_ops(context_)) {}

std::string CudaBackend::description() const {
  const cudaDeviceProp& p = context_->properties();
  return "cuda:" + std::to_string(context_->device()) + " (" + p.name + ", sm_" + std::to_string(p.major) +
         std::to_string(p.minor) + ", " + std::to_string(p.multiProcessorCount) + " SMs, " +
         std::to_string(p.totalGlobalMem >> 30) + " GiB)";
}

std::size_t CudaBackend::workspace_bytes(WorkspaceOp op, const WorkspaceShape& shape) const {
  (void)op;  // kernel_matmul is the only operation planned so far
  return kernel_matmul_workspace_bytes(*context_, shape.m, shape.n, shape.c);
}

std::size_t CudaBackend::free_memory_bytes() const {
  DeviceGuard guard(context_->device());
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  LWNET_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return free_bytes;
}

std::string CudaBackend::memory_error(const void* data) const {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, data) != cudaSuccess) {
    cudaGetLastError();  // clear it: an unknown pointer is not a CUDA failure
    return "is not CUDA device memory";
  }
  switch (attributes.type) {
    case cudaMemoryTypeDevice:
      if (attributes.device != context_->device())
        return "is memory of cuda:" + std::to_string(attributes.device) + ", not of cuda:" +
               std::to_string(context_->device());
      return {};
    case cudaMemoryTypeManaged: return {};
    default:
      return "is host memory but is labelled as CUDA device memory; copy it with Backend::upload first";
  }
}

void CudaBackend::synchronize() {
  DeviceGuard guard(context_->device());
  context_->synchronize();
}

namespace {

void synchronize_event(void* event) { LWNET_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event))); }

void destroy_event(void* event) noexcept { checks::ignore_error(cudaEventDestroy(static_cast<cudaEvent_t>(event))); }

}  // namespace

// A new CUDA event per record: an Event is immutable, so recording never moves an event that
// another queue or the caller may be waiting on.
lwnet::Event CudaBackend::record_event_impl() {
  DeviceGuard guard(context_->device());
  cudaEvent_t raw = nullptr;
  LWNET_CUDA_CHECK(cudaEventCreateWithFlags(&raw, cudaEventDisableTiming));
  std::shared_ptr<void> handle(static_cast<void*>(raw), &destroy_event);  // destroys raw if this throws
  LWNET_CUDA_CHECK(cudaEventRecord(raw, context_->stream()));
  return lwnet::Event(device(), std::move(handle), &synchronize_event);
}

// A CUDA event may come from any device: the stream waits on the device either way.
void CudaBackend::wait_impl(const lwnet::Event& event) {
  if (event.device().kind != Device::Kind::cuda) {
    event.synchronize();
    return;
  }
  DeviceGuard guard(context_->device());
  LWNET_CUDA_CHECK(cudaStreamWaitEvent(context_->stream(), static_cast<cudaEvent_t>(event.native_handle()), 0));
}

std::unique_ptr<TransferQueue> CudaBackend::make_transfer_queue() {
  return std::make_unique<CudaTransferQueue>(context_);
}

Backend::Allocation CudaBackend::allocate_bytes(std::size_t bytes) {
  DeviceGuard guard(context_->device());
  void* p = device_allocate(bytes, context_->stream());
  std::shared_ptr<CudaContext> context = context_;
  return {p, [context](void* q) {
            const NoThrowDeviceGuard device_guard(context->device());
            if (device_guard.ok()) device_free(q, context->stream());
          }};
}

void CudaBackend::copy_rows(void* dst, std::size_t dst_pitch, MemorySpace dst_space, const void* src,
                            std::size_t src_pitch, MemorySpace src_space, std::size_t row_bytes, std::size_t rows) {
  DeviceGuard guard(context_->device());
  cudaStream_t stream = context_->stream();
  const auto max_pitch = static_cast<std::size_t>(context_->properties().memPitch);
  if (rows == 1 || (dst_pitch == row_bytes && src_pitch == row_bytes)) {
    LWNET_CUDA_CHECK(cudaMemcpyAsync(dst, src, rows * row_bytes, cudaMemcpyDefault, stream));
  } else if (dst_pitch <= max_pitch && src_pitch <= max_pitch) {
    LWNET_CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, row_bytes, rows, cudaMemcpyDefault, stream));
  } else {  // pitches beyond the 2-D copy engine's limit: row by row
    for (std::size_t r = 0; r < rows; ++r)
      LWNET_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst) + r * dst_pitch,
                                       static_cast<const char*>(src) + r * src_pitch, row_bytes,
                                       cudaMemcpyDefault, stream));
  }
  // A host buffer on either side may be reused as soon as this returns.
  if (dst_space == MemorySpace::host || src_space == MemorySpace::host) context_->synchronize();
}

void CudaBackend::squared_distances_impl(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<float> out) {
  DeviceGuard guard(context_->device());
  launch_gram(*context_, detail::squared_distance_constants(), Z, X, out);
}

void CudaBackend::gram_impl(MatrixView<const float> Z, MatrixView<const float> X, const GramParams& params,
                            MatrixView<float> out) {
  DeviceGuard guard(context_->device());
  launch_gram(*context_, detail::make_kernel_constants(params), Z, X, out);
}

void CudaBackend::kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                                     const GramParams& params, MatrixView<float> out) {
  DeviceGuard guard(context_->device());
  launch_kernel_matmul(*context_, detail::make_kernel_constants(params), Z, X, B, out);
}

void CudaBackend::kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                                     const GramParams& params, MatrixView<double> out) {
  DeviceGuard guard(context_->device());
  launch_kernel_matmul(*context_, detail::make_kernel_constants(params), Z, X, B, out);
}

double CudaBackend::kernel_pair_sum_impl(MatrixView<const float> X, const GramParams& x_params,
                                         MatrixView<const float> Y, const GramParams& y_params) {
  DeviceGuard guard(context_->device());
  return cuda::kernel_pair_sum(*context_, detail::make_kernel_constants(x_params), X, detail::make_kernel_constants(y_params), Y);
}

void CudaBackend::gaussian_gram_gradient_impl(MatrixView<const float> Z, MatrixView<const float> G, double sigma,
                                              MatrixView<float> out) {
  DeviceGuard guard(context_->device());
  cuda::gaussian_gram_gradient(*context_, Z, G, sigma, out);
}

void CudaBackend::knn_impl(MatrixView<const float> queries, MatrixView<const float> reference, int k,
                           MatrixView<std::int64_t> indices, MatrixView<float> sq_distances) {
  DeviceGuard guard(context_->device());
  cuda::knn(*context_, queries, reference, k, indices, sq_distances);
}

std::vector<double> CudaBackend::column_sums_impl(MatrixView<const float> A) {
  DeviceGuard guard(context_->device());
  return column_reduce(*context_, ColumnOp::sum, A, A);
}

std::vector<double> CudaBackend::column_sums_impl(MatrixView<const double> A) {
  DeviceGuard guard(context_->device());
  return column_reduce(*context_, ColumnOp::sum, A, A);
}

std::vector<double> CudaBackend::column_dots_impl(MatrixView<const float> A, MatrixView<const float> B) {
  DeviceGuard guard(context_->device());
  return column_reduce(*context_, ColumnOp::dot, A, B);
}

std::vector<double> CudaBackend::column_dots_impl(MatrixView<const double> A, MatrixView<const double> B) {
  DeviceGuard guard(context_->device());
  return column_reduce(*context_, ColumnOp::dot, A, B);
}

namespace {
template <class T>
std::int64_t total_nonfinite(const CudaContext& ctx, const MatrixView<const T>& A) {
  double total = 0.0;
  for (double v : column_reduce(ctx, ColumnOp::nonfinite, A, A)) total += v;
  return static_cast<std::int64_t>(total);
}
}  // namespace

std::int64_t CudaBackend::count_nonfinite_impl(MatrixView<const float> A) {
  DeviceGuard guard(context_->device());
  return total_nonfinite(*context_, A);
}

std::int64_t CudaBackend::count_nonfinite_impl(MatrixView<const double> A) {
  DeviceGuard guard(context_->device());
  return total_nonfinite(*context_, A);
}

double CudaBackend::median_pairwise_distance_impl(MatrixView<const float> X) {
  DeviceGuard guard(context_->device());
  return cuda::median_pairwise_distance(*context_, X);
}

void CudaBackend::gather_rows_impl(MatrixView<const float> X, const std::vector<std::int64_t>& indices,
                                   MatrixView<float> out) {
  DeviceGuard guard(context_->device());
  cuda::gather_rows(*context_, X, indices, out);
}

void CudaBackend::random_fourier_features_impl(MatrixView<const float> X, MatrixView<const float> omega,
                                               MatrixView<const float> phase, double sigma, MatrixView<float> out) {
  DeviceGuard guard(context_->device());
  cuda::random_fourier_features(*context_, X, omega, phase, sigma, out);
}

}  // namespace lwnet::cuda
