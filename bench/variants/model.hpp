// Napkin models for the variants on an H100 SXM: the ceilings each is measured against and the
// time each is predicted to take, written down before any was measured (README.md derives
// them). The constants are the spec's (REFERENCE_RESULTS.md) unless marked as an assumption.
#pragma once

#include <string>

#include "variant.hpp"

namespace lwnet::bench {

namespace h100 {
inline constexpr double kFmaPerSecond = 3.35e13;   // 67 TFLOP/s FP32 on CUDA cores
inline constexpr double kExpPerSecond = 3.9e12;    // MUFU: 16 per clock per SM
inline constexpr double kTf32FlopPerSecond = 4.95e14;  // dense TF32 tensor cores
inline constexpr double kHbmBytesPerSecond = 3.35e12;
inline constexpr double kL2BytesPerSecond = 5.0e12;  // assumption: effective L2 hit bandwidth
inline constexpr double kL2Bytes = 50e6;
inline constexpr double kProductionEfficiency = 0.5;  // assumption: v1 reaches half its ceiling
inline constexpr double kTf32GemmEfficiency = 0.6;    // assumption: cuBLAS TF32 at 60% of peak
}  // namespace h100

enum class CeilingKind { cuda_cores, tf32 };

const char* to_string(CeilingKind kind);

// Entries (Z row, X row pairs) per second.
// CUDA cores: one entry costs d + c + 2 FMAs and one exp: min(exp rate, FMA rate / (d + c + 2)).
double cuda_core_ceiling(const Shape& s);
// Tensor cores: the Z X^T product alone at the TF32 peak, 2 d FLOP per entry.
double tf32_bound(const Shape& s);
double ceiling(CeilingKind kind, const Shape& s);

struct Prediction {
  double seconds = 0.0;
  std::string limit;  // what the model says bounds it, e.g. "HBM: X re-read per Z row"
};

Prediction predict_v0_naive(const Shape& s);
Prediction predict_v1_production(const Shape& s);
Prediction predict_v2_tf32_cublas_tiles(const Shape& s);
Prediction predict_v3_tf32_fused_kb(const Shape& s);

}  // namespace lwnet::bench
