// The CPU's own ceiling for the fused Gaussian reductions, measured rather than looked up:
// the vectorised exponential lwnet uses and a register-resident FMA loop, on every core.
// A K.B entry costs one exponential and about d + c + 2 FMAs; on a CPU both run on the same
// vector pipes, so their times add: ceiling(d, c) = 1 / (1/exp_rate + (d + c + 2)/fma_rate).
#pragma once

#include <cstdint>

namespace lwnet::bench {

struct CpuCeiling {
  double exp_per_second = 0.0;  // exp_nonpositive results per second, all threads
  double fma_per_second = 0.0;  // float32 fused multiply-adds per second, all threads
  int threads = 0;

  double entries_per_second(std::int64_t d, std::int64_t c) const {
    return 1.0 / (1.0 / exp_per_second + static_cast<double>(d + c + 2) / fma_per_second);
  }
};

// Measures a rate with `threads` OpenMP threads for about `seconds`; measure_cpu_ceiling keeps
// the best of five runs of each.
double measure_exp_rate(int threads, double seconds);
double measure_fma_rate(int threads, double seconds);
CpuCeiling measure_cpu_ceiling(int threads, double seconds = 0.2);

}  // namespace lwnet::bench
