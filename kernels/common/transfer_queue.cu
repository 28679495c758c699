#include "common/transfer_queue.cuh"

#include <string>
#include <utility>

#include "common/check.cuh"
#include "lwnet/error.hpp"

namespace lwnet::cuda {

CudaTransferQueue::CudaTransferQueue(std::shared_ptr<CudaContext> context) : context_(std::move(context)) {
  DeviceGuard guard(context_->device());
  copies_ = Stream::create();
  compute_point_ = Event::create();
}

CudaTransferQueue::~CudaTransferQueue() { wait_all(); }

template <class T>
Matrix<T> CudaTransferQueue::allocate_staging(std::int64_t rows, std::int64_t cols) {
  if (rows < 1 || cols < 1)
    throw InvalidArgument("staging buffer: shape " + std::to_string(rows) + "x" + std::to_string(cols));
  void* p = pinned_allocate(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols) * sizeof(T));
  return Matrix<T>(static_cast<T*>(p), rows, cols, MemorySpace::host, 0, [](void* q) { pinned_free(q); });
}

Matrix<float> CudaTransferQueue::allocate_staging_float(std::int64_t rows, std::int64_t cols) {
  return allocate_staging<float>(rows, cols);
}

Matrix<double> CudaTransferQueue::allocate_staging_double(std::int64_t rows, std::int64_t cols) {
  return allocate_staging<double>(rows, cols);
}

namespace {

// One matrix each side, of one shape (a batched view would be copied as its first entry).
template <class T>
void check_copy(const MatrixView<const T>& src, const MatrixView<T>& dst) {
  if (src.batch_count() != 1 || dst.batch_count() != 1)
    throw InvalidArgument("transfer: copies one matrix, not a batch (src " + describe(src) + ", dst " + describe(dst) + ")");
  if (src.rows() != dst.rows() || src.cols() != dst.cols()) throw InvalidArgument("transfer: src and dst differ in shape");
}

}  // namespace

CopyFence CudaTransferQueue::copy(MatrixView<const float> src, MatrixView<float> dst) {
  check_copy(src, dst);
  return copy_bytes(dst.data(), static_cast<std::size_t>(dst.ld()) * sizeof(float), src.data(),
                    static_cast<std::size_t>(src.ld()) * sizeof(float), static_cast<std::size_t>(src.cols()) * sizeof(float),
                    static_cast<std::size_t>(src.rows()));
}

CopyFence CudaTransferQueue::copy(MatrixView<const double> src, MatrixView<double> dst) {
  check_copy(src, dst);
  return copy_bytes(dst.data(), static_cast<std::size_t>(dst.ld()) * sizeof(double), src.data(),
                    static_cast<std::size_t>(src.ld()) * sizeof(double),
                    static_cast<std::size_t>(src.cols()) * sizeof(double), static_cast<std::size_t>(src.rows()));
}

CopyFence CudaTransferQueue::copy_bytes(void* dst, std::size_t dst_pitch, const void* src, std::size_t src_pitch,
                                        std::size_t row_bytes, std::size_t rows) {
  DeviceGuard guard(context_->device());
  if (rows == 1 || (dst_pitch == row_bytes && src_pitch == row_bytes))
    LWNET_CUDA_CHECK(cudaMemcpyAsync(dst, src, rows * row_bytes, cudaMemcpyDefault, copies_.get()));
  else
    LWNET_CUDA_CHECK(
        cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, row_bytes, rows, cudaMemcpyDefault, copies_.get()));
  events_.push_back(Event::create());
  events_.back().record(copies_.get());
  return CopyFence{first_ordinal_ + events_.size() - 1};
}

const Event* CudaTransferQueue::event_of(CopyFence fence) const {
  if (fence.ordinal < first_ordinal_) return nullptr;  // 0, or already waited for
  const std::uint64_t index = fence.ordinal - first_ordinal_;
  if (index >= events_.size()) throw InvalidArgument("transfer: fence " + std::to_string(fence.ordinal) + " was never issued");
  return &events_[index];
}

void CudaTransferQueue::compute_waits_for(CopyFence fence) {
  const Event* event = event_of(fence);
  if (event == nullptr) return;
  DeviceGuard guard(context_->device());
  LWNET_CUDA_CHECK(cudaStreamWaitEvent(context_->stream(), event->get(), 0));
}

void CudaTransferQueue::copies_wait_for_compute() {
  DeviceGuard guard(context_->device());
  compute_point_.record(context_->stream());
  LWNET_CUDA_CHECK(cudaStreamWaitEvent(copies_.get(), compute_point_.get(), 0));
}

void CudaTransferQueue::host_waits_for(CopyFence fence) {
  const Event* event = event_of(fence);
  if (event == nullptr) return;
  event->synchronize();
  // Copies finish in order: every event up to this one is done.
  const std::uint64_t done = fence.ordinal - first_ordinal_ + 1;
  for (std::uint64_t i = 0; i < done; ++i) events_.pop_front();
  first_ordinal_ += done;
}

void CudaTransferQueue::wait_all() noexcept {
  const NoThrowDeviceGuard guard(context_->device());
  if (guard.ok()) checks::ignore_error(cudaStreamSynchronize(copies_.get()));
}

}  // namespace lwnet::cuda
