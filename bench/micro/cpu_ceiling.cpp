#include "cpu_ceiling.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "core/vector_exp.hpp"

namespace lwnet::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Runs body(iterations) on every thread, doubling the iteration count until one run lasts
// `seconds`; returns work units per second (body returns the units it did).
template <class Body>
double rate_on_all_threads(int threads, double seconds, Body body) {
  for (std::int64_t iterations = 16;; iterations *= 2) {
    double units = 0.0;
    const auto start = Clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : units)
    units += body(iterations);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (elapsed >= seconds) return units / elapsed;
  }
}

// Keeps a value alive so the compiler cannot drop the loop that produced it.
volatile float g_sink;

}  // namespace

double measure_exp_rate(int threads, double seconds) {
  return rate_on_all_threads(threads, seconds, [](std::int64_t iterations) {
    constexpr int kLength = 2048;  // in and out stay in L1
    std::vector<float> in(kLength), out(kLength);
    for (int i = 0; i < kLength; ++i) in[i] = -0.01f * static_cast<float>(i % 1000);
    for (std::int64_t it = 0; it < iterations; ++it) {
      float* o = out.data();
      const float* x = in.data();
#pragma omp simd
      for (int i = 0; i < kLength; ++i) o[i] = detail::exp_nonpositive(x[i]);
      in[static_cast<std::size_t>(it % kLength)] = -o[0] * 1e-3f;  // a dependency between passes
    }
    g_sink = out[kLength - 1];
    return static_cast<double>(iterations) * kLength;
  });
}

double measure_fma_rate(int threads, double seconds) {
  return rate_on_all_threads(threads, seconds, [](std::int64_t iterations) {
    // 128 independent accumulators: enough chains to cover the FMA latency on 2 pipes of
    // 16 lanes, few enough to stay in registers.
    constexpr int kChains = 128;
    constexpr int kStepsPerIteration = 64;
    float acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = 1.0f + 1e-3f * static_cast<float>(i);
    const float scale = 0.999999f;
    const float shift = 1e-7f;
    for (std::int64_t it = 0; it < iterations; ++it)
      for (int s = 0; s < kStepsPerIteration; ++s) {
#pragma omp simd
        for (int i = 0; i < kChains; ++i) acc[i] = std::fma(acc[i], scale, shift);
      }
    float total = 0.0f;
    for (float a : acc) total += a;
    g_sink = total;
    return static_cast<double>(iterations) * kStepsPerIteration * kChains;
  });
}

CpuCeiling measure_cpu_ceiling(int threads, double seconds) {
  // The best of several runs: the first ones pay for thread start-up and clock ramp-up, and a
  // ceiling measured low would flatter every ratio against it.
  constexpr int kRuns = 5;
  CpuCeiling c;
  c.threads = threads;
  for (int run = 0; run < kRuns; ++run) {
    c.exp_per_second = std::max(c.exp_per_second, measure_exp_rate(threads, seconds));
    c.fma_per_second = std::max(c.fma_per_second, measure_fma_rate(threads, seconds));
  }
  return c;
}

}  // namespace lwnet::bench
