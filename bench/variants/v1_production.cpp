// v1_production: the library's own fused product (kernels/gram/kernel_matmul.cu: CUDA cores,
// float32 FMA, 64 x 64 tiles) through the public API, exactly as lwnet's algorithms call it.
// The backend runs on its own streams, so run() waits for the caller's stream first and for the
// backend at the end: its time includes the API's input checks (a non-finite count over Z, X
// and B, O((m + n) d), and a pointer query per matrix) and one host wait.
#include <cuda_runtime_api.h>

#include <memory>
#include <string>
#include <type_traits>

#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "variant.hpp"

namespace lwnet::bench {
namespace {

class ProductionVariant final : public Variant {
 public:
  explicit ProductionVariant(const Shape& shape)
      : shape_(shape), backend_(make_backend(Device::cuda(0))) {}

  void run(const DeviceInputs& in, double* out, cudaStream_t stream) override {
    const cudaError_t status = cudaStreamSynchronize(stream);
    if (status != cudaSuccess)
      throw CudaError(std::string("cudaStreamSynchronize(stream) failed: ") + cudaGetErrorString(status));
    const auto device = [](auto* data, std::int64_t rows, std::int64_t cols) {
      return MatrixView<std::remove_pointer_t<decltype(data)>>(data, rows, cols, cols, MemorySpace::cuda, 0);
    };
    backend_->kernel_matmul(device(in.Z, shape_.m, shape_.d), device(in.X, shape_.n, shape_.d),
                            device(in.B, shape_.n, shape_.c), GramParams::gaussian(shape_.sigma),
                            device(out, shape_.m, shape_.c));
    backend_->synchronize();
  }

 private:
  Shape shape_;
  std::unique_ptr<Backend> backend_;
};

}  // namespace

std::unique_ptr<Variant> make_v1_production(const Shape& shape) {
  return std::make_unique<ProductionVariant>(shape);
}

}  // namespace lwnet::bench
