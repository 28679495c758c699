// The fused K.B product for data larger than the backend's memory: Z, X and B stay on the host
// and move to the backend in chunks of rows sized to a memory budget, so n is limited by host
// memory. On the CPU backend the chunks are views of the host data (nothing is copied).
#pragma once

#include "lwnet/export.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lwnet/backend.hpp"
#include "lwnet/kernels.hpp"
#include "lwnet/transfer.hpp"

namespace lwnet {

// Rows per chunk for out (m x c) = K(Z, X) B, Z (m x d), X (n x d), B (n x c).
struct LWNET_API StreamPlan {
  std::int64_t z_rows = 0;  // rows of Z (and of out) per chunk
  std::int64_t x_rows = 0;  // rows of X and B per chunk
  std::size_t bytes = 0;    // backend memory held at once: the chunks, their norms, the float64
                            // result and the product's per-split partial sums
  std::int64_t z_chunks = 0;
  std::int64_t x_chunks = 0;
};

// The largest chunks whose backend memory fits `budget` bytes (two buffer sets when streaming). same_rows: Z and X are the same
// matrix, so chunks are equal and the diagonal chunk pairs keep self-pairs exact (k = 1).
// Throws InvalidArgument, naming the bytes one row needs, when even one-row chunks do not fit.
// The scratch of each chunk pair's product is what `device` reports (Backend::workspace_bytes); the
// overload without a device assumes Backend's default bound.
LWNET_API StreamPlan plan_streamed_kernel_matmul(const Backend& device, std::int64_t m, std::int64_t n, std::int64_t d,
                                       std::int64_t c, std::size_t budget, bool same_rows);
LWNET_API StreamPlan plan_streamed_kernel_matmul(std::int64_t m, std::int64_t n, std::int64_t d, std::int64_t c,
                                       std::size_t budget, bool same_rows);

// After each chunk pair: pairs done of `total`, kernel entries so far, seconds since the start.
struct LWNET_API StreamProgress {
  std::int64_t done = 0;
  std::int64_t total = 0;
  double entries = 0.0;
  double seconds = 0.0;
};
using StreamProgressCallback = std::function<void(const StreamProgress&)>;

// out (host, m x c) = K(Z, X) B for host Z, X and B, streamed through `backend` in the chunks of
// plan_streamed_kernel_matmul(..., budget, Z and X are the same view). Each Z chunk's sums over
// the X chunks are added in float64 on the host, in chunk order. With one X chunk the result is
// the backend's kernel_matmul bit for bit; with several it differs by float64 rounding only.
// A device backend gets the chunks through its transfer queue (pinned staging memory and a copy
// stream on CUDA, double buffered: the next pair's copies overlap this pair's compute); the CPU
// backend reads the host data in place.
LWNET_API void kernel_matmul_streamed(Backend& backend, MatrixView<const float> Z, MatrixView<const float> X,
                            MatrixView<const float> B, const GramParams& params, MatrixView<double> out,
                            std::size_t budget, const StreamProgressCallback& progress = {});

// The same through an explicit transfer queue, on any backend: chunks are always copied, through
// two buffer sets so that the next chunk pair's copies overlap this pair's compute.
LWNET_API void kernel_matmul_streamed(Backend& backend, TransferQueue& queue, MatrixView<const float> Z,
                            MatrixView<const float> X, MatrixView<const float> B, const GramParams& params,
                            MatrixView<double> out, std::size_t budget, const StreamProgressCallback& progress = {});

// "812 B", "3.5 KiB", "240 MiB", "2.0 GiB": sizes in messages.
LWNET_API std::string format_bytes(std::size_t bytes);

// Memory a streamed product may use when none is given: 80% of what the backend has free (the
// GPU's free memory; the CPU's available physical memory). 0 when the backend cannot tell.
LWNET_API std::size_t default_memory_budget(const Backend& backend);

// A backend that keeps every matrix in host memory and runs each K.B product through `device` in
// chunks held within `budget` bytes of its memory (kernel_matmul_streamed), so training is limited
// by host memory, not device memory. The O(n d) steps and the small-sample median heuristic run on
// the CPU backend (cpu_threads <= 0: all cores); k-NN runs on the device when its operands fit.
// device() and description() name the device. Throws InvalidArgument for no device or budget 0.
LWNET_API std::unique_ptr<Backend> make_streaming_backend(std::unique_ptr<Backend> device, std::size_t budget,
                                                int cpu_threads = 0);

// Backend memory a fit holding its training data (n x d, c classes) on the device needs at most:
// the layer input, a candidate layer's output and weights (c classes plus at most c extra
// columns), the float64 HSIC sums and the product's partial sums. An upper estimate.
LWNET_API std::size_t resident_fit_bytes(std::int64_t n, std::int64_t d, std::int64_t c);

}  // namespace lwnet
