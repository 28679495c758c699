// A backend for training sets larger than the device: matrices stay in host memory (the CPU
// backend's), and every K.B product, the O(n^2 d) work, streams through the device in chunks
// sized to a memory budget. The O(n d) work and the small-sample steps (median heuristic) run on
// the CPU, where the data already are.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "cpu/cpu_backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/stream.hpp"

namespace lwnet {

namespace {

class StreamingBackend final : public cpu::CpuBackend {
 public:
  StreamingBackend(std::unique_ptr<Backend> device, std::size_t budget, int cpu_threads)
      : CpuBackend(cpu_threads), device_(std::move(device)), budget_(budget) {}

  Device device() const override { return device_->device(); }
  MemorySpace memory_space() const override { return MemorySpace::host; }
  std::string description() const override {
    return device_->description() + ", data streamed from host memory in chunks of at most " + format_bytes(budget_);
  }

 protected:
  void kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                          const GramParams& params, MatrixView<double> out) override {
    kernel_matmul_streamed(*device_, Z, X, B, params, out, budget_);
  }
  void kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                          const GramParams& params, MatrixView<float> out) override {
    Matrix<double> sums = Matrix<double>::host(out.rows(), out.cols());
    kernel_matmul_streamed(*device_, Z, X, B, params, sums.view(), budget_);
    for (std::int64_t i = 0; i < out.rows(); ++i)
      for (std::int64_t j = 0; j < out.cols(); ++j) out(i, j) = static_cast<float>(sums(i, j));
  }
  // Every backend finds the same neighbours bit for bit, so the device takes them when both
  // operands fit the budget, and the CPU otherwise.
  void knn_impl(MatrixView<const float> queries, MatrixView<const float> reference, int k,
                MatrixView<std::int64_t> indices, MatrixView<float> sq_distances) override {
    const auto bytes = static_cast<std::size_t>(queries.rows() + reference.rows()) *
                           static_cast<std::size_t>(queries.cols()) * sizeof(float) +
                       static_cast<std::size_t>(queries.rows()) * static_cast<std::size_t>(k) *
                           (sizeof(std::int64_t) + sizeof(float));
    if (device_->memory_space() == MemorySpace::host || bytes > budget_) {
      CpuBackend::knn_impl(queries, reference, k, indices, sq_distances);
      return;
    }
    const Matrix<float> q = device_->upload(queries);
    const Matrix<float> r = device_->upload(reference);
    Matrix<std::int64_t> found = device_->allocate<std::int64_t>(queries.rows(), k);
    Matrix<float> distances = device_->allocate<float>(queries.rows(), k);
    device_->knn(q.cview(), r.cview(), k, found.view(), distances.view());
    device_->copy(found.cview(), indices);
    device_->copy(distances.cview(), sq_distances);
    device_->synchronize();
  }

 private:
  std::unique_ptr<Backend> device_;
  std::size_t budget_;
};

}  // namespace

std::unique_ptr<Backend> make_streaming_backend(std::unique_ptr<Backend> device, std::size_t budget,
                                                int cpu_threads) {
  if (!device) throw InvalidArgument("make_streaming_backend: no device backend given");
  if (budget == 0) throw InvalidArgument("make_streaming_backend: the memory budget must be positive");
  return std::make_unique<StreamingBackend>(std::move(device), budget, cpu_threads);
}

}  // namespace lwnet
