// The prediction model (README.md, "Predictions"): each variant's time is the sum or the
// maximum of a few terms, each a count (entries, bytes, FLOP) over an H100 rate.
#include "model.hpp"

#include <algorithm>

namespace lwnet::bench {

const char* to_string(CeilingKind kind) { return kind == CeilingKind::cuda_cores ? "cuda_cores" : "tf32"; }

double cuda_core_ceiling(const Shape& s) {
  const double fmas = static_cast<double>(s.d + s.c + 2);
  return std::min(h100::kExpPerSecond, h100::kFmaPerSecond / fmas);
}

double tf32_bound(const Shape& s) { return h100::kTf32FlopPerSecond / (2.0 * static_cast<double>(s.d)); }

double ceiling(CeilingKind kind, const Shape& s) {
  return kind == CeilingKind::cuda_cores ? cuda_core_ceiling(s) : tf32_bound(s);
}

namespace {

// TF32 GEMM G = Z X^T: 2 m n d FLOP at kTf32GemmEfficiency of the peak.
double tf32_gemm_seconds(const Shape& s) {
  return 2.0 * s.entries() * static_cast<double>(s.d) / (h100::kTf32GemmEfficiency * h100::kTf32FlopPerSecond);
}

// The tiled variants pass float32 tiles between kernels through HBM at `bytes_per_entry`
// (the assumption; a tile that stays in L2 makes this pessimistic), plus one exp each.
Prediction tiled(const Shape& s, double bytes_per_entry, const char* traffic) {
  const double gemm = tf32_gemm_seconds(s);
  const double tile = s.entries() * bytes_per_entry / h100::kHbmBytesPerSecond;
  const double exp = s.entries() / h100::kExpPerSecond;
  Prediction p;
  p.seconds = gemm + tile + exp;
  p.limit = gemm >= tile ? "TF32 GEMM, then " : "";
  p.limit += traffic;
  if (gemm < tile) p.limit += ", then TF32 GEMM";
  return p;
}

}  // namespace

// Each thread re-reads d floats per X row. The issue counts them as X re-read by every Z row,
// from L2 while X fits in it and from HBM otherwise; the FMA side costs 2 d + c + 2 operations
// per entry (a subtraction and an FMA per feature) and one exp.
Prediction predict_v0_naive(const Shape& s) {
  const double x_bytes = static_cast<double>(s.n) * static_cast<double>(s.d) * 4.0;
  const bool in_l2 = x_bytes <= h100::kL2Bytes;
  const double bytes = s.entries() * static_cast<double>(s.d) * 4.0;
  const double memory = bytes / (in_l2 ? h100::kL2BytesPerSecond : h100::kHbmBytesPerSecond);
  const double ops = s.entries() * static_cast<double>(2 * s.d + s.c + 2) / h100::kFmaPerSecond;
  const double exp = s.entries() / h100::kExpPerSecond;
  Prediction p;
  p.seconds = std::max({memory, ops, exp});
  if (p.seconds == memory) {
    p.limit = in_l2 ? "L2: X re-read per Z row" : "HBM: X re-read per Z row";
  } else {
    p.limit = p.seconds == ops ? "FMA" : "exp";
  }
  return p;
}

Prediction predict_v1_production(const Shape& s) {
  Prediction p;
  p.seconds = s.entries() / (h100::kProductionEfficiency * cuda_core_ceiling(s));
  p.limit = "half the CUDA-core ceiling";
  return p;
}

// G written by the GEMM and read by the exp kernel, K written by it and read by the SGEMM.
Prediction predict_v2_tf32_cublas_tiles(const Shape& s) { return tiled(s, 16.0, "G/K tiles in HBM"); }

// G written by the GEMM and read once by the fused kernel.
Prediction predict_v3_tf32_fused_kb(const Shape& s) { return tiled(s, 8.0, "G tile in HBM"); }

}  // namespace lwnet::bench
