// v0_naive: one thread per Z row; for every X row it forms ||z - x||^2 feature by feature from
// global memory, k = exp(-dist / (2 sigma^2)) and k * B_j. No shared memory, no tiling of the
// loads: the obvious version, the baseline the others are measured against.
// Precision as the spec asks: float32 sums over runs of kRun X rows, added into float64.
// Classes go kClassPass at a time (a fixed-size register array); more classes: more passes.
#include <algorithm>

#include "cuda_raii.cuh"
#include "variant.hpp"

namespace lwnet::bench {
namespace {

constexpr int kThreads = 128;
constexpr int kClassPass = 16;  // classes per pass: accumulators stay in registers
constexpr int kRun = 64;        // X rows summed in float32 before the float64 add (as the GPU tile)

__global__ void __launch_bounds__(kThreads)
    naive_kernel(const float* __restrict__ Z, const float* __restrict__ X, const float* __restrict__ B,
                 std::int64_t m, std::int64_t n, std::int64_t d, std::int64_t c, int c0, int classes,
                 float neg_inv_two_sigma2, double* __restrict__ out) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= m) return;
  const float* z = Z + i * d;
  double sums[kClassPass];
#pragma unroll
  for (int k = 0; k < kClassPass; ++k) sums[k] = 0.0;
  for (std::int64_t j0 = 0; j0 < n; j0 += kRun) {
    float run[kClassPass];
#pragma unroll
    for (int k = 0; k < kClassPass; ++k) run[k] = 0.0f;
    const std::int64_t j_end = j0 + kRun < n ? j0 + kRun : n;
    for (std::int64_t j = j0; j < j_end; ++j) {
      const float* x = X + j * d;
      float dist = 0.0f;
      for (std::int64_t f = 0; f < d; ++f) {
        const float diff = z[f] - x[f];
        dist = fmaf(diff, diff, dist);
      }
      const float k_ij = expf(neg_inv_two_sigma2 * dist);
      const float* b = B + j * c + c0;
#pragma unroll
      for (int k = 0; k < kClassPass; ++k)
        if (k < classes) run[k] = fmaf(k_ij, b[k], run[k]);
    }
#pragma unroll
    for (int k = 0; k < kClassPass; ++k) sums[k] += static_cast<double>(run[k]);
  }
#pragma unroll
  for (int k = 0; k < kClassPass; ++k)
    if (k < classes) out[i * c + c0 + k] = sums[k];
}

class NaiveVariant final : public Variant {
 public:
  explicit NaiveVariant(const Shape& shape) : shape_(shape) {}

  void run(const DeviceInputs& in, double* out, cudaStream_t stream) override {
    const auto blocks = static_cast<unsigned>((shape_.m + kThreads - 1) / kThreads);
    const auto neg_inv = static_cast<float>(-1.0 / (2.0 * shape_.sigma * shape_.sigma));
    for (std::int64_t c0 = 0; c0 < shape_.c; c0 += kClassPass) {
      const int classes = static_cast<int>(std::min<std::int64_t>(kClassPass, shape_.c - c0));
      naive_kernel<<<blocks, kThreads, 0, stream>>>(in.Z, in.X, in.B, shape_.m, shape_.n, shape_.d, shape_.c,
                                                    static_cast<int>(c0), classes, neg_inv, out);
      LWNET_BENCH_CHECK_LAUNCH("naive_kernel");
    }
  }

 private:
  Shape shape_;
};

}  // namespace

std::unique_ptr<Variant> make_v0_naive(const Shape& shape) { return std::make_unique<NaiveVariant>(shape); }

}  // namespace lwnet::bench
