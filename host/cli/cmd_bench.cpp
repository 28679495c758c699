// `lwnet bench`: time the fused K.B product or the normalised HSIC on synthetic data of any size
// on the chosen device. The K.B product streams its data through the device in chunks when it
// needs more memory than the budget (--memory-budget, default 80% of the device's free memory),
// so n is bounded by host memory; HSIC keeps O(n) data on the device and no n x n buffer.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/memory_budget.hpp"
#include "cli/parse.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"
#include "lwnet/random.hpp"
#include "lwnet/stream.hpp"

namespace lwnet::cli {

namespace {

struct BenchOptions {
  std::string op = "kernel_matmul";
  std::int64_t n = 100000;
  std::int64_t d = 16;
  std::int64_t c = 10;
  std::string device = "auto";
  std::string memory_budget = "auto";
  std::uint64_t seed = 0;
  bool json = false;
};

// Generous bounds on the synthetic problem (a typo must not allocate or run without end): up to
// 10^8 samples (10^16 kernel entries, minutes on a large GPU), 10^5 features, 10^4 columns, and in
// any case no more host memory than the machine has.
constexpr std::int64_t kMaxSamples = 100'000'000;
constexpr std::int64_t kMaxFeatures = 100'000;
constexpr std::int64_t kMaxColumns = 10'000;

using Clock = std::chrono::steady_clock;

// Host memory the synthetic data and the result take (the CPU backend's upload for HSIC too).
double host_bytes_needed(const BenchOptions& opt) {
  const auto n = static_cast<double>(opt.n);
  const auto d = static_cast<double>(opt.d);
  const auto c = static_cast<double>(opt.c);
  return opt.op == "hsic" ? n * d * 4.0 * 2.0 + n * 4.0 + n * (c + 1.0) * 8.0 * 2.0
                          : n * d * 4.0 + n * c * 4.0 + n * c * 8.0;
}

void check_problem_size(const BenchOptions& opt) {
  if (opt.op != "kernel_matmul" && opt.op != "hsic")
    throw InvalidArgument("--op: expected kernel_matmul or hsic, got '" + opt.op + "'");
  if (opt.op == "hsic" && opt.c < 2) throw InvalidArgument("--op hsic needs --c of at least 2 classes");
  if (opt.op == "hsic" && opt.c > opt.n)
    throw InvalidArgument("--op hsic: --c " + std::to_string(opt.c) + " classes need at least as many samples (--n " +
                          std::to_string(opt.n) + ")");
  const double needed = host_bytes_needed(opt);
  const double physical = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  if (physical > 0.0 && needed > physical)
    throw InvalidArgument("--n " + std::to_string(opt.n) + " --d " + std::to_string(opt.d) + " --c " +
                          std::to_string(opt.c) + " needs " + format_bytes(static_cast<std::size_t>(needed)) +
                          " of host memory; this machine has " + format_bytes(static_cast<std::size_t>(physical)));
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Matrix<float> normal_matrix(std::int64_t rows, std::int64_t cols, Rng& rng) {
  Matrix<float> m = Matrix<float>::host(rows, cols);
  for (std::int64_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.normal());
  return m;
}

// Progress on stderr for long streamed runs (every 2 s after the first 2): chunk pairs done,
// rate and time left.
StreamProgressCallback stream_progress(bool enabled) {
  if (!enabled) return {};
  return [last = Clock::now()](const StreamProgress& p) mutable {
    if (seconds_since(last) < 2.0) return;
    last = Clock::now();
    const double left = p.seconds / static_cast<double>(p.done) * static_cast<double>(p.total - p.done);
    std::fprintf(stderr, "  chunk pairs %lld/%lld  %.3g entries/s  %.0f s left\n", static_cast<long long>(p.done),
                 static_cast<long long>(p.total), p.entries / p.seconds, left);
  };
}

void run_bench(const BenchOptions& opt) {
  check_problem_size(opt);
  BackendChoice choice = select_backend(Device::parse(opt.device));
  Backend& backend = *choice.backend;
  Rng rng(opt.seed);
  const Matrix<float> X = normal_matrix(opt.n, opt.d, rng);
  const GramParams params = GramParams::gaussian(std::sqrt(static_cast<double>(opt.d)));
  nlohmann::json result = {{"op", opt.op}, {"n", opt.n}, {"d", opt.d}, {"c", opt.c}, {"device", backend.description()}};
  double seconds = 0.0;
  double entries = 0.0;

  if (opt.op == "kernel_matmul") {
    const std::size_t budget = parse_memory_budget(opt.memory_budget, backend);
    check_chunk_rows(opt.n, opt.d, opt.c, budget);
    const Matrix<float> B = normal_matrix(opt.n, opt.c, rng);
    const StreamPlan plan = plan_streamed_kernel_matmul(opt.n, opt.n, opt.d, opt.c, budget, true);
    Matrix<double> out = Matrix<double>::host(opt.n, opt.c);
    const auto start = Clock::now();
    kernel_matmul_streamed(backend, X.cview(), X.cview(), B.cview(), params, out.view(), budget,
                           stop_on_interrupt(stream_progress(!opt.json)));
    seconds = seconds_since(start);
    entries = static_cast<double>(opt.n) * static_cast<double>(opt.n);
    double checksum = 0.0;
    for (std::int64_t i = 0; i < out.size(); ++i) checksum += out.data()[i];
    result["memory_budget_bytes"] = budget;
    result["chunk_rows"] = plan.z_rows;
    result["chunk_pairs"] = plan.z_chunks * plan.x_chunks;
    result["device_bytes"] = plan.bytes;
    result["checksum"] = checksum;
  } else {
    Labels labels;
    labels.num_classes = static_cast<int>(opt.c);
    for (std::int64_t i = 0; i < opt.n; ++i) labels.y.push_back(static_cast<int>(i % opt.c));
    const auto start = Clock::now();  // the upload is part of the work
    const Matrix<float> X_dev = backend.upload(X.cview());
    const HsicResult r = hsic_labels(backend, X_dev.cview(), labels, params, HsicNormalization::code);
    seconds = seconds_since(start);
    entries = 2.0 * static_cast<double>(opt.n) * static_cast<double>(opt.n);  // K [Y 1] and K_sq 1
    result["hsic"] = r.normalized;
  }
  result["seconds"] = seconds;
  result["entries"] = entries;
  result["entries_per_second"] = entries / seconds;

  if (opt.json) {
    std::cout << result.dump() << "\n";
    return;
  }
  std::printf("device  %s\n        %s\n", backend.description().c_str(), choice.reason.c_str());
  std::printf("%s  n %lld  d %lld  c %lld: %.3f s, %.3g kernel entries/s\n", opt.op.c_str(),
              static_cast<long long>(opt.n), static_cast<long long>(opt.d), static_cast<long long>(opt.c), seconds,
              entries / seconds);
  if (opt.op == "kernel_matmul")
    std::printf("memory  budget %.1f MiB: %lld chunk pair%s of %lld rows, %.1f MiB on the device\n",
                static_cast<double>(result["memory_budget_bytes"].get<std::size_t>()) / 1048576.0,
                static_cast<long long>(result["chunk_pairs"].get<std::int64_t>()),
                result["chunk_pairs"].get<std::int64_t>() == 1 ? "" : "s",
                static_cast<long long>(result["chunk_rows"].get<std::int64_t>()),
                static_cast<double>(result["device_bytes"].get<std::size_t>()) / 1048576.0);
  else
    std::printf("normalised HSIC %.6f\n", result["hsic"].get<double>());
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto opt = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Time the fused K.B product (streamed through the device when it needs more memory than the budget) "
               "or the normalised HSIC on synthetic data");
  cmd->add_option("--op", opt->op, "kernel_matmul | hsic")->capture_default_str();
  add_integer_option(cmd, "--n", opt->n, 1, kMaxSamples, "Samples");
  add_integer_option(cmd, "--d", opt->d, 1, kMaxFeatures, "Features");
  add_integer_option(cmd, "--c", opt->c, 1, kMaxColumns, "Columns of B (kernel_matmul) or classes (hsic)");
  cmd->add_option("--device", opt->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--memory-budget", opt->memory_budget,
                  "Device memory for kernel_matmul's chunks: auto (80% of the free memory) or a size such as 512M, 2G")
      ->capture_default_str();
  add_seed_option(cmd, opt->seed, "Seed of the synthetic data");
  cmd->add_flag("--json", opt->json, "Print one JSON object");
  cmd->callback([opt] { run_bench(*opt); });
}

}  // namespace lwnet::cli
