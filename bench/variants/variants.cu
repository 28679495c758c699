// lwnet_variants: numbered versions of out (m x c) = K_sigma(Z, X) B on the GPU, each validated
// against the CPU backend before it is timed (llm.c's dev/cuda pattern; README.md).
// For each variant: print its predicted time, run it once on the full problem and compare a
// sample of Z rows with lwnet's CPU backend within a bound derived from the data (accuracy.hpp);
// a variant outside its bound is reported FAILED and not timed. Then time it with CUDA events
// (the validation run is the warm-up; L2 flushed before each run; best of --repeats).
// Exit codes: 0 all variants passed, 1 a variant failed or raised, 2 bad arguments, 3 no GPU.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "accuracy.hpp"
#include "cuda_raii.cuh"
#include "lwnet/backend.hpp"
#include "lwnet/device.hpp"
#include "lwnet/random.hpp"
#include "model.hpp"
#include "report.hpp"
#include "variant.hpp"

namespace lwnet::bench {
namespace {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr const char* kUsage =
    "usage: lwnet_variants [--n N] [--m M] [--d D] [--c C] [--sigma S] [--repeats R]\n"
    "                      [--variants v0,v1,v2,v3] [--json FILE] [--z-chunk Z] [--x-tile T]\n"
    "                      [--check-rows K] [--time-budget SECONDS] [--seed S]\n"
    "  m defaults to n, sigma to sqrt(d); Z (m, d) and X (n, d) are N(0, 1), B (n, c) |N(0, 1)|.\n"
    "  A variant gets min(R, budget / predicted time) timed runs, at least one.\n";

struct Options {
  Shape shape{100000, 100000, 16, 10, 0.0};
  bool m_given = false;
  bool sigma_given = false;
  TileSizes tiles;
  int repeats = 3;
  double time_budget_s = 20.0;
  std::string variants = "v0,v1,v2,v3";
  std::string json;
  std::int64_t check_rows = 256;
  std::uint64_t seed = 1;
};

std::int64_t positive_int(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < 1) throw UsageError(flag + " wants a positive integer, not '" + text + "'");
  return v;
}

double positive_real(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(v > 0.0) || !std::isfinite(v))
    throw UsageError(flag + " wants a positive number, not '" + text + "'");
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int a = 1; a < argc; ++a) {
    const std::string flag = argv[a];
    if (flag == "--help" || flag == "-h") throw UsageError("");
    if (a + 1 >= argc) throw UsageError("unknown option or missing value: " + flag);
    const std::string v = argv[++a];
    if (flag == "--n") o.shape.n = positive_int(flag, v);
    else if (flag == "--m") {
      o.shape.m = positive_int(flag, v);
      o.m_given = true;
    }
    else if (flag == "--d") o.shape.d = positive_int(flag, v);
    else if (flag == "--c") o.shape.c = positive_int(flag, v);
    else if (flag == "--sigma") {
      o.shape.sigma = positive_real(flag, v);
      o.sigma_given = true;
    }
    else if (flag == "--repeats") o.repeats = static_cast<int>(std::min<std::int64_t>(positive_int(flag, v), 1000));
    else if (flag == "--variants") o.variants = v;
    else if (flag == "--json") o.json = v;
    else if (flag == "--z-chunk") o.tiles.z_chunk = positive_int(flag, v);
    else if (flag == "--x-tile") o.tiles.x_tile = positive_int(flag, v);
    else if (flag == "--check-rows") o.check_rows = positive_int(flag, v);
    else if (flag == "--time-budget") o.time_budget_s = positive_real(flag, v);
    else if (flag == "--seed") o.seed = static_cast<std::uint64_t>(positive_int(flag, v));
    else throw UsageError("unknown option: " + flag);
  }
  if (!o.m_given) o.shape.m = o.shape.n;
  if (!o.sigma_given) o.shape.sigma = std::sqrt(static_cast<double>(o.shape.d));
  return o;
}

struct VariantSpec {
  std::string name;
  CeilingKind ceiling;
  std::function<Prediction(const Shape&)> predict;
  std::function<RoundingModel(const Shape&, TileSizes)> rounding;
  std::function<std::unique_ptr<Variant>(const Shape&, TileSizes)> make;
};

std::vector<VariantSpec> all_variants() {
  // Float32 runs of K B products before each float64 add: v0 and v1 sum 64 X rows; v2's SGEMM
  // sums a whole X tile; v3's lanes sum tile / 32 each, then a 5-level shuffle tree.
  const auto float32_runs = [](double length) {
    return [length](const Shape&, TileSizes) { return RoundingModel{0.0, length}; };
  };
  const auto tile_of = [](const Shape& s, TileSizes t) { return static_cast<double>(std::min(t.x_tile, s.n)); };
  return {
      {"v0_naive", CeilingKind::cuda_cores, predict_v0_naive, float32_runs(64.0),
       [](const Shape& s, TileSizes) { return make_v0_naive(s); }},
      {"v1_production", CeilingKind::cuda_cores, predict_v1_production, float32_runs(64.0),
       [](const Shape& s, TileSizes) { return make_v1_production(s); }},
      {"v2_tf32_cublas_tiles", CeilingKind::tf32, predict_v2_tf32_cublas_tiles,
       [tile_of](const Shape& s, TileSizes t) { return RoundingModel{kTf32OperandRounding, tile_of(s, t)}; },
       make_v2_tf32_cublas_tiles},
      {"v3_tf32_fused_kb", CeilingKind::tf32, predict_v3_tf32_fused_kb,
       [tile_of](const Shape& s, TileSizes t) {
         return RoundingModel{kTf32OperandRounding, std::ceil(tile_of(s, t) / 32.0) + 5.0};
       },
       make_v3_tf32_fused_kb},
  };
}

// "v0,v2" or full names, in the order given.
std::vector<VariantSpec> select_variants(const std::string& list) {
  const std::vector<VariantSpec> all = all_variants();
  std::vector<VariantSpec> chosen;
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    bool found = false;
    for (const VariantSpec& spec : all) {
      if (spec.name == item || spec.name.rfind(item + "_", 0) == 0) {
        chosen.push_back(spec);
        found = true;
        break;
      }
    }
    if (!found) throw UsageError("unknown variant '" + item + "' (v0, v1, v2 or v3)");
  }
  if (chosen.empty()) throw UsageError("--variants names no variant");
  return chosen;
}

// N(0, 1) entries, or |N(0, 1)| when `absolute`.
Matrix<float> normal_host(std::int64_t rows, std::int64_t cols, std::uint64_t seed, bool absolute) {
  Rng rng(seed);
  Matrix<float> m = Matrix<float>::host(rows, cols);
  for (std::int64_t i = 0; i < m.size(); ++i) {
    const double v = rng.normal();
    m.data()[i] = static_cast<float>(absolute ? std::fabs(v) : v);
  }
  return m;
}

DeviceArray<float> upload(const Matrix<float>& host, cudaStream_t stream) {
  DeviceArray<float> dev(static_cast<std::size_t>(host.size()));
  LWNET_BENCH_CUDA_CHECK(cudaMemcpyAsync(dev.data(), host.data(), dev.bytes(), cudaMemcpyHostToDevice, stream));
  return dev;
}

// Evenly spaced Z rows, first and last included: every Z chunk of the tiled variants is seen.
std::vector<std::int64_t> sample_rows(std::int64_t m, std::int64_t count) {
  std::vector<std::int64_t> rows;
  if (count >= m) {
    for (std::int64_t i = 0; i < m; ++i) rows.push_back(i);
  } else if (count == 1) {
    rows.push_back(0);
  } else {
    for (std::int64_t k = 0; k < count; ++k) rows.push_back(k * (m - 1) / (count - 1));
  }
  return rows;
}

// The state every variant is run and checked against.
struct Bench {
  Shape shape;
  cudaStream_t stream;
  DeviceInputs inputs;
  DeviceArray<double>& out;              // (m, c)
  DeviceArray<unsigned char>& flush;     // twice the L2: overwritten before each timed run
  const std::vector<std::int64_t>& rows;  // validated Z rows
  const Matrix<double>& reference;       // (rows, c), CPU backend
};

Comparison validate(Variant& variant, const Bench& b, MatrixView<const double> bound) {
  // All-ones bytes are NaNs: an entry the variant does not write fails the comparison.
  LWNET_BENCH_CUDA_CHECK(cudaMemsetAsync(b.out.data(), 0xff, b.out.bytes(), b.stream));
  variant.run(b.inputs, b.out.data(), b.stream);
  std::vector<double> all(b.out.size());
  LWNET_BENCH_CUDA_CHECK(cudaMemcpyAsync(all.data(), b.out.data(), b.out.bytes(), cudaMemcpyDeviceToHost, b.stream));
  LWNET_BENCH_CUDA_CHECK(cudaStreamSynchronize(b.stream));
  const std::int64_t c = b.shape.c;
  Matrix<double> got = Matrix<double>::host(static_cast<std::int64_t>(b.rows.size()), c);
  for (std::size_t k = 0; k < b.rows.size(); ++k)
    for (std::int64_t j = 0; j < c; ++j)
      got(static_cast<std::int64_t>(k), j) = all[static_cast<std::size_t>(b.rows[k] * c + j)];
  return compare(got.cview(), b.reference.cview(), bound, b.rows);
}

// Milliseconds of each of `runs` runs, timed by events on the bench's stream; nothing waits for
// the device until all runs are queued (a variant on its own streams waits inside run()).
std::vector<double> time_runs(Variant& variant, const Bench& b, int runs) {
  std::vector<Event> start(static_cast<std::size_t>(runs));
  std::vector<Event> stop(static_cast<std::size_t>(runs));
  for (std::size_t r = 0; r < start.size(); ++r) {
    LWNET_BENCH_CUDA_CHECK(cudaMemsetAsync(b.flush.data(), static_cast<int>(r & 1u), b.flush.bytes(), b.stream));
    LWNET_BENCH_CUDA_CHECK(cudaEventRecord(start[r].get(), b.stream));
    variant.run(b.inputs, b.out.data(), b.stream);
    LWNET_BENCH_CUDA_CHECK(cudaEventRecord(stop[r].get(), b.stream));
  }
  LWNET_BENCH_CUDA_CHECK(cudaEventSynchronize(stop.back().get()));
  std::vector<double> ms;
  for (std::size_t r = 0; r < start.size(); ++r) {
    float t = 0.0f;
    LWNET_BENCH_CUDA_CHECK(cudaEventElapsedTime(&t, start[r].get(), stop[r].get()));
    ms.push_back(t);
  }
  return ms;
}

int run_all(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  const std::vector<VariantSpec> specs = select_variants(opt.variants);
  const CudaProbe probe = probe_cuda();
  if (!probe.usable()) {
    std::fprintf(stderr, "lwnet_variants: no usable CUDA device: %s\n",
                 probe.reason.empty() ? "none found" : probe.reason.c_str());
    return 3;
  }
  const Shape& s = opt.shape;
  RunInfo info{probe.names.front(), argv[0], s, opt.tiles, std::min(opt.check_rows, s.m), opt.seed};
  for (int a = 1; a < argc; ++a) info.command += std::string(" ") + argv[a];
  std::vector<ResultRow> rows;
  for (const VariantSpec& spec : specs) {
    ResultRow row;
    row.variant = spec.name;
    row.prediction = spec.predict(s);
    row.ceiling_kind = spec.ceiling;
    row.ceiling_entries_per_s = ceiling(spec.ceiling, s);
    std::printf("predicted %-22s %12.3f ms  (%s)\n", spec.name.c_str(), row.prediction.seconds * 1e3,
                row.prediction.limit.c_str());
    rows.push_back(row);
  }
  std::fflush(stdout);

  LWNET_BENCH_CUDA_CHECK(cudaSetDevice(0));
  // B >= 0, like lwnet's one-hot B: a missing or repeated block of X rows then adds up rather
  // than cancelling, so the worst-case error bound can see it.
  const Matrix<float> Z = normal_host(s.m, s.d, opt.seed, false);
  const Matrix<float> X = normal_host(s.n, s.d, opt.seed + 1, false);
  const Matrix<float> B = normal_host(s.n, s.c, opt.seed + 2, true);
  Stream stream;
  const DeviceArray<float> Z_dev = upload(Z, stream.get());
  const DeviceArray<float> X_dev = upload(X, stream.get());
  const DeviceArray<float> B_dev = upload(B, stream.get());
  DeviceArray<double> out(static_cast<std::size_t>(s.m * s.c));
  int l2_bytes = 0;
  LWNET_BENCH_CUDA_CHECK(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, 0));
  DeviceArray<unsigned char> flush(2 * static_cast<std::size_t>(std::max(l2_bytes, 1 << 20)));
  LWNET_BENCH_CUDA_CHECK(cudaStreamSynchronize(stream.get()));

  // The reference and the bounds, on the CPU, for the sampled Z rows.
  const std::vector<std::int64_t> sample = sample_rows(s.m, opt.check_rows);
  const auto sample_count = static_cast<std::int64_t>(sample.size());
  Matrix<float> Z_sample = Matrix<float>::host(sample_count, s.d);
  for (std::int64_t k = 0; k < sample_count; ++k)
    for (std::int64_t f = 0; f < s.d; ++f) Z_sample(k, f) = Z(sample[static_cast<std::size_t>(k)], f);
  std::fprintf(stderr, "lwnet_variants: CPU reference for %lld Z rows\n", static_cast<long long>(sample_count));
  const std::unique_ptr<Backend> cpu = make_cpu_backend();
  Matrix<double> reference = Matrix<double>::host(sample_count, s.c);
  cpu->kernel_matmul(Z_sample.cview(), X.cview(), B.cview(), GramParams::gaussian(s.sigma), reference.view());
  std::vector<RoundingModel> models;
  for (const VariantSpec& spec : specs) models.push_back(spec.rounding(s, opt.tiles));
  const std::vector<Matrix<double>> bounds =
      error_bounds(*cpu, Z_sample.cview(), X.cview(), B.cview(), s.sigma, models);

  const Bench bench{s, stream.get(), {Z_dev.data(), X_dev.data(), B_dev.data()}, out, flush, sample, reference};
  bool all_ok = true;
  for (std::size_t v = 0; v < specs.size(); ++v) {
    ResultRow& row = rows[v];
    try {
      std::fprintf(stderr, "lwnet_variants: %s: validating\n", row.variant.c_str());
      const std::unique_ptr<Variant> variant = specs[v].make(s, opt.tiles);
      row.accuracy = validate(*variant, bench, bounds[v].cview());
      row.validated = true;
      row.message = row.accuracy.detail;
      if (!row.accuracy.passed) {
        row.status = "FAILED";
        all_ok = false;
        continue;
      }
      const double fit = std::floor(opt.time_budget_s / row.prediction.seconds);
      const int runs = static_cast<int>(std::max(1.0, std::min(static_cast<double>(opt.repeats), fit)));
      std::fprintf(stderr, "lwnet_variants: %s: timing %d run(s)\n", row.variant.c_str(), runs);
      row.run_ms = time_runs(*variant, bench, runs);
      row.status = "ok";
    } catch (const std::exception& e) {
      row.status = "error";
      row.message = e.what();
      all_ok = false;
    }
  }

  print_table(stdout, info, rows);
  if (!opt.json.empty()) {
    write_json(opt.json, info, rows);
    std::printf("wrote %s\n", opt.json.c_str());
  }
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace lwnet::bench

int main(int argc, char** argv) {
  try {
    return lwnet::bench::run_all(argc, argv);
  } catch (const lwnet::bench::UsageError& e) {
    if (e.what()[0] == '\0') {  // --help
      std::printf("%s", lwnet::bench::kUsage);
      return 0;
    }
    std::fprintf(stderr, "lwnet_variants: %s\n%s", e.what(), lwnet::bench::kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lwnet_variants: %s\n", e.what());
    return 1;
  }
}
