// Micro-benchmarks of the kernel primitives on every usable backend in one run, so the CPU
// backend is the baseline measured beside the GPU. Each benchmark reports
//   entries_per_second          kernel entries (pairs of rows) per second,
//   GFLOP_per_second            2 (d + c + 2) flops per entry (the FMAs of the per-shape model),
//   ceiling_entries_per_second  the per-shape ceiling of the device it ran on, and
//   of_ceiling                  the fraction of that ceiling reached.
// Ceilings: on the CPU, measured at start-up (cpu_ceiling.hpp); on an H100/H200,
// min(3.9e12, 3.35e13 / (d + c + 2)) entries/s (spec REFERENCE_RESULTS.md); none elsewhere.
//
//   build/release/bench/lwnet_bench [--benchmark_filter=...] [--benchmark_out=results.json]
// bench/run.sh runs the whole suite with the baselines and renders docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cpu_ceiling.hpp"
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

// Entries per second a device can reach for one shape, given the FMAs an entry costs and
// whether it needs an exponential.
using Ceiling = std::function<double(double fmas_per_entry, bool exp)>;

Ceiling cpu_ceiling(const lwnet::bench::CpuCeiling& c) {
  return [c](double fmas, bool exp) {
    return 1.0 / ((exp ? 1.0 / c.exp_per_second : 0.0) + fmas / c.fma_per_second);
  };
}

Ceiling hopper_ceiling() {
  return [](double fmas, bool exp) { return exp ? std::min(3.9e12, 3.35e13 / fmas) : 3.35e13 / fmas; };
}

struct Fixture {
  std::shared_ptr<Backend> backend;
  Ceiling ceiling;  // empty: unknown device
};

// Sets the rate counters for `entries` entries per iteration; `ceiling_rate` <= 0: unknown.
void report(benchmark::State& state, double entries, double fmas_per_entry, double ceiling_rate) {
  using benchmark::Counter;
  state.counters["entries_per_second"] = Counter(entries, Counter::kIsIterationInvariantRate);
  state.counters["GFLOP_per_second"] =
      Counter(entries * 2.0 * fmas_per_entry * 1e-9, Counter::kIsIterationInvariantRate);
  if (ceiling_rate > 0.0) {
    state.counters["ceiling_entries_per_second"] = ceiling_rate;
    // time at the ceiling / measured time, as a rate: (entries / ceiling) per second.
    state.counters["of_ceiling"] = Counter(entries / ceiling_rate, Counter::kIsIterationInvariantRate);
  }
}

double ceiling_or_zero(const Fixture& fx, double fmas, bool exp) { return fx.ceiling ? fx.ceiling(fmas, exp) : 0.0; }

struct Shape {
  std::int64_t n, d, c;
  explicit Shape(const benchmark::State& s) : n(s.range(0)), d(s.range(1)), c(s.range(2)) {}
  double pairs() const { return static_cast<double>(n) * static_cast<double>(n); }
};

lwnet::GramParams unit_width(std::int64_t d) { return lwnet::GramParams::gaussian(std::sqrt(static_cast<double>(d))); }

// out = K(X, X) B: the fused primitive every layer and HSIC is built on.
void bench_kernel_matmul(benchmark::State& state, const Fixture& fx) {
  const Shape s(state);
  Backend& be = *fx.backend;
  const auto X = be.upload(random_host(s.n, s.d, 1).cview());
  const auto B = be.upload(random_host(s.n, s.c, 2).cview());
  auto out = be.allocate<float>(s.n, s.c);
  for (auto _ : state) {
    be.kernel_matmul(X.cview(), X.cview(), B.cview(), unit_width(s.d), out.view());
    be.synchronize();
  }
  const double fmas = static_cast<double>(s.d + s.c + 2);
  report(state, s.pairs(), fmas, ceiling_or_zero(fx, fmas, true));
}

// A layer's kernel sums K(X, X) W with W the one-hot class indicators (c columns): the training
// pass of every width tried. The CPU groups X's rows by class (one addition per entry instead of
// c multiply-adds) and, K being symmetric, evaluates each pair of rows once: its rate per entry
// of K can exceed the per-evaluation ceiling (of_ceiling > 1).
void bench_layer_sums(benchmark::State& state, const Fixture& fx) {
  const Shape s(state);
  Backend& be = *fx.backend;
  const auto X = be.upload(random_host(s.n, s.d, 6).cview());
  Matrix<float> w_host = Matrix<float>::host(s.n, s.c);
  for (std::int64_t i = 0; i < s.n; ++i) w_host(i, i % s.c) = 1.0f;
  const auto W = be.upload(w_host.cview());
  auto out = be.allocate<double>(s.n, s.c);
  for (auto _ : state) {
    be.kernel_matmul(X.cview(), X.cview(), W.cview(), unit_width(s.d), out.view());
    be.synchronize();
  }
  const double fmas = static_cast<double>(s.d + 2);
  report(state, s.pairs(), fmas, ceiling_or_zero(fx, fmas, true));
}

// Normalised HSIC against c classes: one fused pass, K [Y 1] with the sum of K^2 beside it (on
// the CPU grouped by class and each pair of rows once, as for bench_layer_sums).
void bench_hsic_labels(benchmark::State& state, const Fixture& fx) {
  const Shape s(state);
  Backend& be = *fx.backend;
  const auto X = be.upload(random_host(s.n, s.d, 3).cview());
  lwnet::Labels labels;
  labels.num_classes = static_cast<int>(s.c);
  for (std::int64_t i = 0; i < s.n; ++i) labels.y.push_back(static_cast<int>(i % s.c));
  for (auto _ : state) {
    auto r = lwnet::hsic_labels(be, X.cview(), labels, unit_width(s.d), lwnet::HsicNormalization::code);
    benchmark::DoNotOptimize(r.normalized);
  }
  const double fmas = static_cast<double>(s.d + 3);  // the distance, the group sum, the square
  report(state, s.pairs(), fmas, ceiling_or_zero(fx, fmas, true));
}

// The 5 nearest rows of X for every row of X (fused, no n x n buffer). An entry costs a
// subtraction and an FMA per feature; the selection is not in the model.
void bench_knn(benchmark::State& state, const Fixture& fx) {
  const Shape s(state);
  Backend& be = *fx.backend;
  const auto X = be.upload(random_host(s.n, s.d, 4).cview());
  constexpr int kNeighbours = 5;
  auto indices = be.allocate<std::int64_t>(s.n, kNeighbours);
  auto distances = be.allocate<float>(s.n, kNeighbours);
  for (auto _ : state) {
    be.knn(X.cview(), X.cview(), kNeighbours, indices.view(), distances.view());
    be.synchronize();
  }
  const double fmas = static_cast<double>(2 * s.d + 2);
  report(state, s.pairs(), fmas, ceiling_or_zero(fx, fmas, false));
}

// The materialised n x n Gaussian Gram matrix (what numpy/PyTorch baselines compute).
void bench_gram(benchmark::State& state, const Fixture& fx) {
  const Shape s(state);
  Backend& be = *fx.backend;
  const auto X = be.upload(random_host(s.n, s.d, 5).cview());
  auto K = be.allocate<float>(s.n, s.n);
  for (auto _ : state) {
    be.gram(X.cview(), X.cview(), unit_width(s.d), K.view());
    be.synchronize();
  }
  const double fmas = static_cast<double>(s.d + 2);
  report(state, s.pairs(), fmas, ceiling_or_zero(fx, fmas, true));
}

void skipped(benchmark::State& state, std::string why) {
  for (auto _ : state) state.SkipWithError(why.c_str());
}

void register_backend(const std::string& tag, const Fixture& fx, bool gpu) {
  std::vector<std::int64_t> ns{1000, 10000, 100000};
  if (gpu) ns.push_back(1000000);
  const auto add = [&](const std::string& name, void (*fn)(benchmark::State&, const Fixture&), std::int64_t n,
                       std::int64_t d, std::int64_t c) {
    benchmark::RegisterBenchmark((name + "/" + tag).c_str(), fn, fx)
        ->Args({n, d, c})->ArgNames({"n", "d", "c"})->UseRealTime()->Unit(benchmark::kMillisecond);
  };
  for (std::int64_t n : ns)
    for (std::int64_t d : {2, 10, 16, 64, 784}) {
      if (n > 100000 && d > 16) continue;  // n = 1e6 for d <= 16 only
      if (!gpu && n >= 100000 && d >= 784) {  // about 15 minutes on two cores: n = 1e4 shows the rate
        for (const char* name : {"kernel_matmul", "layer_sums", "hsic_labels", "knn", "gram"})
          benchmark::RegisterBenchmark((std::string(name) + "/" + tag).c_str(), skipped,
                                       std::string("skipped on the CPU: n = 1e4 gives the rate"))
              ->Args({n, d, 0})->ArgNames({"n", "d", "c"})->Iterations(1);
        continue;
      }
      for (std::int64_t c : {2, 10}) {
        add("kernel_matmul", bench_kernel_matmul, n, d, c);
        add("layer_sums", bench_layer_sums, n, d, c);
        add("hsic_labels", bench_hsic_labels, n, d, c);
      }
      add("knn", bench_knn, n, d, 0);
      if (n * n * 4 <= (std::int64_t{1} << 32)) {
        add("gram", bench_gram, n, d, 0);
      } else {
        const std::string why = "skipped: n x n output of " + std::to_string(n * n * 4 / 1000000000) + " GB";
        benchmark::RegisterBenchmark(("gram/" + tag).c_str(), skipped, why)
            ->Args({n, d, 0})->ArgNames({"n", "d", "c"})->Iterations(1);
      }
    }
}

// The CPU's exp and FMA rates as benchmarks, so the JSON holds them beside the results.
void register_cpu_ceiling(const lwnet::bench::CpuCeiling& c) {
  const auto add = [](const char* name, double rate) {
    benchmark::RegisterBenchmark(name, [rate](benchmark::State& state) {
      for (auto _ : state) benchmark::DoNotOptimize(rate);
      state.counters["per_second"] = rate;
    })->Iterations(1);
  };
  add("ceiling/cpu/exp", c.exp_per_second);
  add("ceiling/cpu/fma", c.fma_per_second);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto cpu = std::shared_ptr<Backend>(lwnet::make_cpu_backend());
  const int threads = omp_get_max_threads();  // the CPU backend's default
  const lwnet::bench::CpuCeiling ceiling = lwnet::bench::measure_cpu_ceiling(threads);
  std::fprintf(stderr, "lwnet_bench: CPU ceiling with %d threads: %.3g exp/s, %.3g FMA/s\n", threads,
               ceiling.exp_per_second, ceiling.fma_per_second);
  register_cpu_ceiling(ceiling);
  register_backend("cpu", Fixture{cpu, cpu_ceiling(ceiling)}, false);
  benchmark::AddCustomContext("cpu_backend", cpu->description());
  benchmark::AddCustomContext("cpu_ceiling_exp_per_s", std::to_string(ceiling.exp_per_second));
  benchmark::AddCustomContext("cpu_ceiling_fma_per_s", std::to_string(ceiling.fma_per_second));

  const lwnet::CudaProbe probe = lwnet::probe_cuda();
  if (probe.usable()) {
    std::shared_ptr<Backend> gpu = lwnet::make_backend(lwnet::Device::cuda(0));
    const std::string& name = probe.names.front();
    const bool hopper = name.find("H100") != std::string::npos || name.find("H200") != std::string::npos;
    register_backend("cuda", Fixture{gpu, hopper ? hopper_ceiling() : Ceiling{}}, true);
  } else {
    std::fprintf(stderr, "lwnet_bench: CUDA benchmarks skipped: %s\n", probe.reason.c_str());
  }
  benchmark::AddCustomContext("cuda", probe.usable() ? probe.names.front() : "none (" + probe.reason + ")");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
