// Micro-benchmarks of the fused kernel primitives on every usable backend in one run, so the
// CPU backend is the baseline measured beside the GPU. Reports kernel entries per second
// (m * n per K.B product) and, on an H100, the fraction of the per-shape ceiling
// min(3.9e12, 3.35e13 / (d + c + 2)) entries/s (spec REFERENCE_RESULTS.md).
//
//   build/release/bench/lwnet_bench [--benchmark_filter=...] [--benchmark_out=results.json]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "lwnet/lwnet.hpp"

namespace {

using lwnet::Backend;
using lwnet::Matrix;

Matrix<float> random_host(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  lwnet::Rng rng(seed);
  Matrix<float> m = Matrix<float>::host(rows, cols);
  for (std::int64_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.normal());
  return m;
}

double h100_ceiling(std::int64_t d, std::int64_t c) {
  return std::min(3.9e12, 3.35e13 / static_cast<double>(d + c + 2));
}

struct Fixture {
  std::shared_ptr<Backend> backend;
  bool is_h100 = false;
};

void bench_kernel_matmul(benchmark::State& state, Fixture fx) {
  const std::int64_t n = state.range(0);
  const std::int64_t d = state.range(1);
  const std::int64_t c = state.range(2);
  Backend& be = *fx.backend;
  const auto X = be.upload(random_host(n, d, 1).cview());
  const auto B = be.upload(random_host(n, c, 2).cview());
  auto out = be.allocate<float>(n, c);
  const auto params = lwnet::GramParams::gaussian(std::sqrt(static_cast<double>(d)));
  for (auto _ : state) {
    be.kernel_matmul(X.cview(), X.cview(), B.cview(), params, out.view());
    be.synchronize();
  }
  const double entries = static_cast<double>(n) * static_cast<double>(n);
  state.counters["entries/s"] = benchmark::Counter(entries, benchmark::Counter::kIsIterationInvariantRate);
  if (fx.is_h100)  // entries/s divided by the ceiling: a rate counter of entries / ceiling
    state.counters["of_ceiling"] =
        benchmark::Counter(entries / h100_ceiling(d, c), benchmark::Counter::kIsIterationInvariantRate);
}

void bench_hsic_labels(benchmark::State& state, Fixture fx) {
  const std::int64_t n = state.range(0);
  const std::int64_t d = state.range(1);
  const int c = static_cast<int>(state.range(2));
  Backend& be = *fx.backend;
  const auto X = be.upload(random_host(n, d, 3).cview());
  lwnet::Labels labels;
  labels.num_classes = c;
  for (std::int64_t i = 0; i < n; ++i) labels.y.push_back(static_cast<int>(i % c));
  const auto params = lwnet::GramParams::gaussian(std::sqrt(static_cast<double>(d)));
  for (auto _ : state) {
    auto r = lwnet::hsic_labels(be, X.cview(), labels, params, lwnet::HsicNormalization::code);
    benchmark::DoNotOptimize(r.normalized);
  }
  // Two fused passes: K [Y 1] and K_sq 1.
  state.counters["entries/s"] =
      benchmark::Counter(2.0 * static_cast<double>(n) * static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

void bench_gemm(benchmark::State& state, Fixture fx) {
  const std::int64_t n = state.range(0);
  Backend& be = *fx.backend;
  const auto A = be.upload(random_host(n, n, 4).cview());
  const auto B = be.upload(random_host(n, n, 5).cview());
  auto C = be.allocate<float>(n, n);
  for (auto _ : state) {
    be.gemm(lwnet::Transpose::no, lwnet::Transpose::no, 1.0f, A.cview(), B.cview(), 0.0f, C.view());
    be.synchronize();
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * n * n * static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

void register_backend(const std::string& tag, Fixture fx, bool gpu) {
  const std::vector<std::int64_t> ns = gpu ? std::vector<std::int64_t>{1000, 10000, 100000}
                                           : std::vector<std::int64_t>{1000, 10000};
  for (std::int64_t n : ns)
    for (std::int64_t d : {2, 10, 16, 64, 784})
      for (std::int64_t c : {2, 10}) {
        if (!gpu && n > 1000 && d > 64) continue;  // keeps a CPU run to minutes
        benchmark::RegisterBenchmark(("kernel_matmul/" + tag).c_str(), bench_kernel_matmul, fx)
            ->Args({n, d, c})->ArgNames({"n", "d", "c"})->UseRealTime()->Unit(benchmark::kMillisecond);
      }
  for (std::int64_t n : ns)
    benchmark::RegisterBenchmark(("hsic_labels/" + tag).c_str(), bench_hsic_labels, fx)
        ->Args({n, 10, 3})->ArgNames({"n", "d", "c"})->UseRealTime()->Unit(benchmark::kMillisecond);
  for (std::int64_t n : {512, 2048})
    benchmark::RegisterBenchmark(("gemm/" + tag).c_str(), bench_gemm, fx)
        ->Arg(n)->ArgName("n")->UseRealTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  register_backend("cpu", Fixture{lwnet::make_cpu_backend(), false}, false);
  const lwnet::CudaProbe probe = lwnet::probe_cuda();
  if (probe.usable()) {
    std::shared_ptr<Backend> gpu = lwnet::make_backend(lwnet::Device::cuda(0));
    const bool h100 = probe.names.front().find("H100") != std::string::npos;
    register_backend("cuda", Fixture{gpu, h100}, true);
  } else {
    std::fprintf(stderr, "lwnet_bench: CUDA benchmarks skipped: %s\n", probe.reason.c_str());
  }
  benchmark::AddCustomContext("cuda", probe.usable() ? probe.names.front() : "none (" + probe.reason + ")");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
