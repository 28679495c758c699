// The numbered variants of out (m x c) = K_sigma(Z, X) B, K(z, x) = exp(-||z - x||^2 / (2 sigma^2)),
// as the harness sees them: a shape, device inputs, and a run() that enqueues the product.
// Plain C++ apart from the CUDA runtime's stream type, so v1 (the library call) compiles with g++.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>

namespace lwnet::bench {

struct Shape {
  std::int64_t m = 0;  // rows of Z
  std::int64_t n = 0;  // rows of X and B
  std::int64_t d = 0;  // features
  std::int64_t c = 0;  // columns of B
  double sigma = 1.0;
  double entries() const { return static_cast<double>(m) * static_cast<double>(n); }
};

// The inputs, device memory, row-major and dense: Z (m, d), X (n, d), B (n, c).
struct DeviceInputs {
  const float* Z = nullptr;
  const float* X = nullptr;
  const float* B = nullptr;
};

// Tile sizes of the tensor-core variants: a Z chunk of `z_chunk` rows against an X tile of
// `x_tile` rows per step; their product (float32) is the workspace.
struct TileSizes {
  std::int64_t z_chunk = 4096;
  std::int64_t x_tile = 4096;
};

class Variant {
 public:
  Variant() = default;
  Variant(const Variant&) = delete;
  Variant& operator=(const Variant&) = delete;
  virtual ~Variant() = default;
  // Enqueues out (m, c) float64, device, overwritten = K(Z, X) B on `stream`. A variant whose
  // work runs on streams of its own (v1) waits for `stream` first and returns when it is done.
  virtual void run(const DeviceInputs& in, double* out, cudaStream_t stream) = 0;
};

// Each factory allocates the variant's workspace for `shape` (outside any timed region).
std::unique_ptr<Variant> make_v0_naive(const Shape& shape);
std::unique_ptr<Variant> make_v1_production(const Shape& shape);
std::unique_ptr<Variant> make_v2_tf32_cublas_tiles(const Shape& shape, TileSizes tiles);
std::unique_ptr<Variant> make_v3_tf32_fused_kb(const Shape& shape, TileSizes tiles);

}  // namespace lwnet::bench
