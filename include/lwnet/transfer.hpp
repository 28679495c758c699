// Copies between host staging memory and a backend that overlap the backend's compute: the
// double buffering behind the streamed products (stream.hpp).
//
// A TransferQueue runs copies in the order they are queued, beside the backend's compute queue.
// Ordering between the two is explicit:
//   - every copy returns a CopyFence; compute_waits_for(f) makes compute queued afterwards start
//     only once the copy f (and every copy queued before it) has finished;
//   - copies_wait_for_compute() makes copies queued afterwards start only once all compute queued
//     so far has finished (before overwriting a buffer that compute reads, or reading one it writes);
//   - host_waits_for(f) blocks the calling thread until copy f has finished (before the host
//     refills the staging buffer f read, or reads the staging buffer f wrote).
// On the CPU backend every call completes at once; on CUDA the copies run on their own stream
// from page-locked staging memory, and the fences are CUDA events.
#pragma once

#include "lwnet/export.h"

#include <cstdint>

#include "lwnet/matrix.hpp"

namespace lwnet {

struct LWNET_API CopyFence {
  std::uint64_t ordinal = 0;  // 1 for the queue's first copy, 2 for the next, ...; 0: no copy
};

class LWNET_API TransferQueue {
 public:
  TransferQueue() = default;
  TransferQueue(const TransferQueue&) = delete;
  TransferQueue& operator=(const TransferQueue&) = delete;
  virtual ~TransferQueue() = default;

  // Host memory the queue copies from and to fastest (page-locked on CUDA).
  virtual Matrix<float> allocate_staging_float(std::int64_t rows, std::int64_t cols) = 0;
  virtual Matrix<double> allocate_staging_double(std::int64_t rows, std::int64_t cols) = 0;

  // Queue a copy between views of equal shape, one on the host and one in the backend's memory.
  // The views must stay valid, and the host side untouched, until the copy's fence is reached.
  virtual CopyFence copy(MatrixView<const float> src, MatrixView<float> dst) = 0;
  virtual CopyFence copy(MatrixView<const double> src, MatrixView<double> dst) = 0;

  virtual void compute_waits_for(CopyFence fence) = 0;
  virtual void copies_wait_for_compute() = 0;
  virtual void host_waits_for(CopyFence fence) = 0;
  // Blocks until every queued copy has finished, ignoring errors: before the buffers they touch
  // are freed, also while an exception unwinds.
  virtual void wait_all() noexcept = 0;
};

}  // namespace lwnet
