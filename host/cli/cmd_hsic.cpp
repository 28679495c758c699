// `lwnet hsic`: kernel figures of a labelled dataset on the chosen device — the kernel width,
// HSIC against the labels and its two normalisations, the class-wise kernel mean embeddings
// (and how well their argmax classifies the data), and the within-class RKHS norms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "cli/dataset.hpp"
#include "cli/parse.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"
#include "lwnet/preprocess.hpp"

namespace lwnet::cli {

namespace {

struct HsicOptions {
  std::string x_path;
  std::string labels_path;
  std::string device = "auto";
  std::string kernel = "gaussian";
  std::string sigma = "median";
  std::string standardize = "on";
  std::string normalized = "code";
  int degree = 2;
  std::uint64_t seed = 0;
  bool json = false;
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The kernel's usable widths (validate(GramParams)), checked here to name the option.
const RealRange kSigmaRange{1e-18, 1e18};

double parse_sigma(const std::string& text) {
  try {
    return parse_real("--sigma", text, kSigmaRange);
  } catch (const InvalidArgument&) {
    throw InvalidArgument("--sigma: expected 'median' or a width in " + kSigmaRange.str() + ", got '" + text + "'");
  }
}

// Fraction of rows whose largest class mean embedding is their own class.
double kme_argmax_accuracy(const Matrix<float>& embeddings, const Labels& labels) {
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < embeddings.rows(); ++i) {
    const float* row = embeddings.data() + i * embeddings.cols();
    const auto best = std::max_element(row, row + embeddings.cols()) - row;  // first maximum wins
    correct += best == labels.y[static_cast<std::size_t>(i)] ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(embeddings.rows());
}

void run_hsic(const HsicOptions& opt, const CLI::App* cmd) {
  const auto start = Clock::now();
  // Every option is checked before the data are read.
  if (opt.standardize != "on" && opt.standardize != "off")
    throw InvalidArgument("--standardize: expected on or off, got '" + opt.standardize + "'");
  const HsicNormalization reported = parse_hsic_normalization(opt.normalized);
  GramParams params;
  params.kind = parse_kernel_kind(opt.kernel);
  params.degree = opt.degree;
  const bool has_width = params.kind == KernelKind::gaussian || params.kind == KernelKind::laplacian;
  if (has_width && opt.sigma != "median") params.sigma = parse_sigma(opt.sigma);
  // An option the kernel does not use would be silently ignored.
  if (!has_width && cmd->count("--sigma") > 0)
    throw InvalidArgument("--sigma applies to the gaussian and laplacian kernels, not --kernel " + opt.kernel);
  if (params.kind != KernelKind::polynomial && cmd->count("--degree") > 0)
    throw InvalidArgument("--degree applies to the polynomial kernel, not --kernel " + opt.kernel);

  Dataset data = load_dataset(opt.x_path, opt.labels_path);
  if (data.labels.labels.num_classes < 2)
    throw InvalidArgument((opt.labels_path.empty() ? data.name : opt.labels_path) +
                          ": the labels hold a single class ('" + data.labels.classes.front() +
                          "'): HSIC against one class is 0 by definition");
  if (opt.standardize == "on") Standardizer::fit(data.X.cview()).apply(data.X.view());
  const Labels& labels = data.labels.labels;
  const std::int64_t n = data.X.rows();

  BackendChoice choice = select_backend(Device::parse(opt.device));
  Backend& backend = *choice.backend;
  const auto compute_start = Clock::now();
  const Matrix<float> X = backend.upload(data.X.cview());

  std::string sigma_source = "given";
  Rng rng(opt.seed);
  if (has_width && opt.sigma == "median") {
    params.sigma = median_heuristic_sigma(backend, X.cview(), rng);
    if (!(params.sigma >= kSigmaRange.lo && params.sigma <= kSigmaRange.hi))
      throw InvalidArgument(data.name + ": the median heuristic gives the kernel width " + format_real(params.sigma) +
                            " (the median distance between sampled rows), outside " + kSigmaRange.str() +
                            "; give --sigma");
    sigma_source = "median heuristic on " + std::to_string(std::min<std::int64_t>(n, 200)) + " rows, seed " +
                   std::to_string(opt.seed);
  }

  const HsicResult code = hsic_labels(backend, X.cview(), labels, params, HsicNormalization::code);
  const HsicResult textbook = hsic_labels(backend, X.cview(), labels, params, HsicNormalization::textbook);
  Matrix<float> embeddings_dev = backend.allocate<float>(n, labels.num_classes);
  class_mean_embeddings(backend, X.cview(), X.cview(), labels, params, embeddings_dev.view());
  const Matrix<float> embeddings = backend.download(embeddings_dev.cview());
  const double kme_accuracy = kme_argmax_accuracy(embeddings, labels);
  const std::vector<double> rho = class_norms(backend, X.cview(), labels, params);
  backend.synchronize();
  const double compute_seconds = seconds_since(compute_start);
  const auto counts = labels.class_counts();

  if (opt.json) {
    nlohmann::json j;
    j["dataset"] = data.name;
    j["n"] = n;
    j["d"] = data.X.cols();
    j["classes"] = data.labels.classes;
    j["class_counts"] = counts;
    j["device"] = backend.device().str();
    j["device_description"] = backend.description();
    j["device_reason"] = choice.reason;
    j["standardize"] = opt.standardize == "on";
    j["kernel"] = to_string(params);
    j["sigma"] = params.sigma;
    j["hsic"] = reported == HsicNormalization::none ? code.hsic
                : reported == HsicNormalization::code ? code.normalized
                                                       : textbook.normalized;
    j["normalized"] = to_string(reported);
    j["hsic_unnormalized"] = code.hsic;
    j["hsic_normalized_code"] = code.normalized;
    j["hsic_normalized_textbook"] = textbook.normalized;
    j["class_norms"] = rho;
    j["kme_argmax_accuracy"] = kme_accuracy;
    j["compute_seconds"] = compute_seconds;
    j["total_seconds"] = seconds_since(start);
    std::cout << j.dump(2) << "\n";
    return;
  }

  std::printf("dataset   %s: %lld samples x %lld features, %d classes (", data.name.c_str(),
              static_cast<long long>(n), static_cast<long long>(data.X.cols()), labels.num_classes);
  for (std::size_t j = 0; j < counts.size(); ++j)
    std::printf("%s%s: %lld", j ? ", " : "", data.labels.classes[j].c_str(), static_cast<long long>(counts[j]));
  std::printf(")\n");
  std::printf("features  %s\n", opt.standardize == "on" ? "standardised (mean 0, population std 1)" : "raw");
  std::printf("device    %s\n          %s\n", backend.description().c_str(), choice.reason.c_str());
  std::printf("kernel    %s%s\n", to_string(params).c_str(),
              params.kind == KernelKind::gaussian || params.kind == KernelKind::laplacian
                  ? ("  [" + sigma_source + "]").c_str()
                  : "");
  std::printf("HSIC      tr(KHLH) with L = YY^T: %.6g\n", code.hsic);
  std::printf("          normalised, code     (/ ||HK|| ||HL||):   %.6f\n", code.normalized);
  std::printf("          normalised, textbook (/ ||HKH|| ||HLH||): %.6f\n", textbook.normalized);
  std::printf("KME       class mean embeddings; argmax_j mu_j(x) classifies the data with accuracy %.4f\n",
              kme_accuracy);
  std::printf("rho       within-class RKHS norms:");
  for (std::size_t j = 0; j < rho.size(); ++j) std::printf(" %s=%.4f", data.labels.classes[j].c_str(), rho[j]);
  std::printf("\n");
  std::printf("time      %.4f s on the device, %.4f s in all\n", compute_seconds, seconds_since(start));
}

}  // namespace

void add_hsic_command(CLI::App& app) {
  auto opt = std::make_shared<HsicOptions>();
  CLI::App* cmd = app.add_subcommand(
      "hsic", "Kernel figures of a labelled dataset: HSIC, normalised HSIC, class mean embeddings, class norms "
              "(default data: the embedded UCI Wine set)");
  cmd->add_option("--x", opt->x_path, "Features CSV (one sample per row); default: embedded UCI Wine")->check(non_empty());
  cmd->add_option("--labels", opt->labels_path, "Labels file, one label per line (any integers or strings)")
      ->check(non_empty());
  cmd->add_option("--device", opt->device, "auto | cpu | cuda | cuda:N")->capture_default_str()->check(non_empty());
  cmd->add_option("--kernel", opt->kernel, "gaussian | laplacian | linear | polynomial")->capture_default_str();
  cmd->add_option("--sigma", opt->sigma, "Kernel width, or 'median' for the median heuristic")->capture_default_str();
  add_integer_option(cmd, "--degree", opt->degree, 1, GramParams::kMaxPolynomialDegree, "Polynomial kernel degree");
  cmd->add_option("--standardize", opt->standardize, "on | off: standardise each feature first")->capture_default_str();
  add_seed_option(cmd, opt->seed, "Seed of the median heuristic's subsample");
  cmd->add_option("--normalized", opt->normalized, "The value --json reports as \"hsic\": code | textbook | none")
      ->capture_default_str();
  cmd->add_flag("--json", opt->json, "Print one JSON object instead of text");
  cmd->callback([opt, cmd] { run_hsic(*opt, cmd); });
}

}  // namespace lwnet::cli
