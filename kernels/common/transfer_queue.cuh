// The CUDA TransferQueue: copies on their own non-blocking stream, out of and into page-locked
// staging memory, ordered against the backend's compute stream with events.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "common/cuda_context.cuh"
#include "common/resources.cuh"
#include "lwnet/transfer.hpp"

namespace lwnet::cuda {

class CudaTransferQueue final : public TransferQueue {
 public:
  explicit CudaTransferQueue(std::shared_ptr<CudaContext> context);
  ~CudaTransferQueue() override;

  Matrix<float> allocate_staging_float(std::int64_t rows, std::int64_t cols) override;
  Matrix<double> allocate_staging_double(std::int64_t rows, std::int64_t cols) override;
  CopyFence copy(MatrixView<const float> src, MatrixView<float> dst) override;
  CopyFence copy(MatrixView<const double> src, MatrixView<double> dst) override;
  void compute_waits_for(CopyFence fence) override;
  void copies_wait_for_compute() override;
  void host_waits_for(CopyFence fence) override;
  void wait_all() noexcept override;

 private:
  template <class T>
  Matrix<T> allocate_staging(std::int64_t rows, std::int64_t cols);
  CopyFence copy_bytes(void* dst, std::size_t dst_pitch, const void* src, std::size_t src_pitch,
                       std::size_t row_bytes, std::size_t rows);
  // The event of copy `fence`, or nullptr when the host has already waited past it.
  const Event* event_of(CopyFence fence) const;

  std::shared_ptr<CudaContext> context_;
  Stream copies_;
  Event compute_point_;
  std::deque<Event> events_;        // one per copy not yet known to be finished
  std::uint64_t first_ordinal_ = 1;  // the ordinal of events_.front()
};

}  // namespace lwnet::cuda
