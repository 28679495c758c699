// The default TransferQueue: each copy joins the backend's own (in-order) queue, so compute
// queued later already sees it; the host waits by synchronising the backend.
#include "lwnet/transfer.hpp"

#include <memory>

#include "lwnet/backend.hpp"

namespace lwnet {

namespace {

class InOrderTransferQueue final : public TransferQueue {
 public:
  explicit InOrderTransferQueue(Backend& backend) : backend_(backend) {}

  Matrix<float> allocate_staging_float(std::int64_t rows, std::int64_t cols) override {
    return Matrix<float>::host(rows, cols);
  }
  Matrix<double> allocate_staging_double(std::int64_t rows, std::int64_t cols) override {
    return Matrix<double>::host(rows, cols);
  }
  CopyFence copy(MatrixView<const float> src, MatrixView<float> dst) override { return queue(src, dst); }
  CopyFence copy(MatrixView<const double> src, MatrixView<double> dst) override { return queue(src, dst); }
  void compute_waits_for(CopyFence) override {}
  void copies_wait_for_compute() override {}
  void host_waits_for(CopyFence) override { backend_.synchronize(); }
  void wait_all() noexcept override {
    try {
      backend_.synchronize();
    } catch (...) {  // unwinding already: the first error is the one reported
    }
  }

 private:
  template <class T>
  CopyFence queue(MatrixView<const T> src, MatrixView<T> dst) {
    backend_.copy(src, dst);
    return CopyFence{++copies_};
  }

  Backend& backend_;
  std::uint64_t copies_ = 0;
};

}  // namespace

std::unique_ptr<TransferQueue> Backend::make_transfer_queue() {
  return std::make_unique<InOrderTransferQueue>(*this);
}

}  // namespace lwnet
