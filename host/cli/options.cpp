#include "cli/options.hpp"

#include <map>
#include <utility>

#include "cli/dataset.hpp"
#include "cli/parse.hpp"
#include "cli/report.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cli {

void add_data_options(CLI::App* cmd, DataOptions& opt, bool labels_required) {
  cmd->add_option("--data", opt.data, "Features: CSV (one sample per row; header auto-detected) or IDX (.gz too)")
      ->check(non_empty());
  cmd->add_option("--labels", opt.labels,
                  labels_required ? "Labels file (one per line, any integers or strings; or IDX)"
                                  : "Labels file, when --data is given")
      ->check(non_empty());
  cmd->add_option("--label-column", opt.label_column, "The labels are this column of --data: first, last or N (1-based)")
      ->check(non_empty());
}

LabeledData load_data(const DataOptions& opt, bool need_labels) {
  LabeledData out;
  if (opt.data.empty()) {
    if (!opt.labels.empty() || !opt.label_column.empty())
      throw InvalidArgument("--labels and --label-column need --data");
    Dataset wine = load_dataset("", "");
    out.name = wine.name;
    out.X = std::move(wine.X);
    if (need_labels)
      for (int y : wine.labels.labels.y) out.labels.push_back(wine.labels.classes[static_cast<std::size_t>(y)]);
    return out;
  }
  if (!opt.labels.empty() && !opt.label_column.empty())
    throw InvalidArgument("give either --labels or --label-column, not both");
  const LabelColumn column = opt.label_column.empty() ? LabelColumn{} : LabelColumn::parse(opt.label_column);
  Table table = read_table(opt.data, column);
  out.name = opt.data;
  out.X = std::move(table.X);
  out.sample_shape = std::move(table.sample_shape);
  if (!opt.labels.empty()) {
    if (!need_labels) throw InvalidArgument("--labels is not used here");
    out.labels = read_labels(opt.labels);
    if (static_cast<std::int64_t>(out.labels.size()) != out.X.rows())
      throw IoError(opt.labels + ": " + std::to_string(out.labels.size()) + " labels for the " +
                    std::to_string(out.X.rows()) + " rows of " + opt.data);
  } else if (column.kind != LabelColumn::Kind::none) {
    out.labels = std::move(table.labels);  // dropped when not needed: the column is not a feature
    if (!need_labels) out.labels.clear();
  } else if (need_labels) {
    throw InvalidArgument(opt.data + ": no labels: give --labels FILE or --label-column first|last|N");
  }
  return out;
}

void add_train_options(CLI::App* cmd, TrainOptions& opt) {
  cmd->add_option("--device", opt.device, "auto | cpu | cuda | cuda:N")->capture_default_str()->check(non_empty());
  add_seed_option(cmd, opt.seed,
                  "Seed of every random draw (subsamples, noise, splits; a network's weights and batch order), "
                  "0 to 2^64-1");
  add_integer_option(cmd, "--max-layers", opt.max_layers, 0, kme::KmeOptions::kMaxLayersLimit,
                     "--method kme: most layers to grow");
  add_real_option(cmd, "--sigma-smallest", opt.sigma_smallest,
                  {kme::KmeOptions::kSigmaSmallestMin, kme::KmeOptions::kSigmaSmallestMax},
                  "--method kme: last width of each candidate grid");
  add_integer_option(cmd, "--sigma-count", opt.sigma_count, 1, kme::KmeOptions::kSigmaCountLimit,
                     "--method kme: widths per candidate grid");
  add_real_option(cmd, "--hsic-threshold", opt.hsic_threshold, {0.0, 1.0, true, false},
                  "--method kme: stop once a layer's normalised HSIC exceeds this; 1 turns the rule off");
  cmd->add_option("--standardize", opt.standardize,
                  "train: test data with the training statistics; separate (--method kme only): each set with its "
                  "own; none")
      ->capture_default_str();
  add_real_option(cmd, "--noise", opt.noise, {0.0, kMaxNoise},
                  "--method kme: std of Gaussian noise added to the raw training data");
  cmd->add_option("--rho", opt.rho, "--method kme: class norms: exact, or rff (a seeded 200-feature estimate)")
      ->capture_default_str();
  cmd->add_option("--extra-columns", opt.extra_columns,
                  "--method kme: on | off: the reference code's misclassified-class columns")
      ->capture_default_str();
  cmd->add_option("--predict", opt.predict, "--method kme: knn | mean | argmax")->capture_default_str();
  add_integer_option(cmd, "--knn-k", opt.knn_k, 1, Backend::kMaxKnn, "--method kme: neighbours for --predict knn");
  cmd->add_option("--select", opt.select,
                  "--method kme: how each layer's width is chosen: hsic (the paper's rule, on the training set) or "
                  "validation (the predictor's accuracy on a held-out part of the training set)")
      ->capture_default_str()
      ->check(non_empty());
  add_real_option(cmd, "--validation-fraction", opt.validation_fraction,
                  {kme::KmeOptions::kValidationFractionMin, kme::KmeOptions::kValidationFractionMax},
                  "--method kme, --select validation: the part of each class held out");
  add_net_options(cmd, opt.net);
  cmd->add_flag("--json", opt.json, "Print one JSON object instead of progress lines");
}

namespace {

struct Preset {
  double sigma_smallest;
  int sigma_count;
};

const std::map<std::string, Preset>& presets() {
  static const std::map<std::string, Preset> table = {
      {"adversarial", {0.001, 20}}, {"wine", {0.05, 20}}, {"cancer", {0.05, 20}}, {"random", {0.05, 20}},
      {"spiral", {0.05, 20}},       {"car", {0.05, 20}},  {"cifar10", {0.05, 20}}, {"divorce", {0.1, 40}}};
  return table;
}

bool given(CLI::App* cmd, const char* name) { return cmd->get_option(name)->count() > 0; }

}  // namespace

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& entry : presets()) names.push_back(entry.first);
  return names;
}

void apply_preset(const std::string& preset, CLI::App* cmd, TrainOptions& opt) {
  if (preset.empty()) return;
  const auto it = presets().find(preset);
  if (it == presets().end()) {
    std::string known;
    for (const auto& name : preset_names()) known += (known.empty() ? "" : ", ") + name;
    throw InvalidArgument("unknown --preset '" + preset + "': expected one of " + known);
  }
  if (!given(cmd, "--noise")) opt.noise = 0.02;
  if (!given(cmd, "--standardize")) opt.standardize = "separate";
  if (!given(cmd, "--rho")) opt.rho = "rff";  // the reference's RBFSampler(random_state=1) estimate
  if (!given(cmd, "--sigma-smallest")) opt.sigma_smallest = it->second.sigma_smallest;
  if (!given(cmd, "--sigma-count")) opt.sigma_count = it->second.sigma_count;
  if (!given(cmd, "--select")) opt.select = "hsic";  // the paper's rule
}

kme::TrainConfig make_train_config(const TrainOptions& opt) {
  kme::TrainConfig config;
  kme::KmeOptions& o = config.options;
  o.max_layers = opt.max_layers;
  o.sigma_smallest = opt.sigma_smallest;
  o.sigma_count = opt.sigma_count;
  o.hsic_threshold = opt.hsic_threshold;
  o.rho = kme::parse_rho_method(opt.rho);
  if (opt.extra_columns != "on" && opt.extra_columns != "off")
    throw InvalidArgument("--extra-columns: expected on or off, got '" + opt.extra_columns + "'");
  o.extra_columns = opt.extra_columns == "on";
  o.predictor = kme::parse_predictor(opt.predict);
  o.knn_k = opt.knn_k;
  o.seed = opt.seed;
  o.selection = kme::parse_selection(opt.select);
  o.validation_fraction = opt.validation_fraction;
  o.validate();
  config.standardize = parse_standardize_mode(opt.standardize);
  config.noise = opt.noise;
  return config;
}

Truth encode_truth(const std::vector<std::string>& classes, const std::vector<std::string>& labels,
                   const std::string& source) {
  // Integer labels compare as numbers ("02" is class "2"), as encode_labels maps them.
  const LabelEncoding probe = encode_labels(labels);
  std::map<std::string, int> index;
  for (std::size_t j = 0; j < classes.size(); ++j) index.emplace(classes[j], static_cast<int>(j));
  Truth truth;
  truth.y.assign(labels.size(), -1);
  std::string first_unknown;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::string& canonical = probe.classes[static_cast<std::size_t>(probe.labels.y[i])];
    const auto it = index.find(canonical);
    if (it != index.end()) {
      truth.y[i] = it->second;
    } else if (truth.unknown++ == 0) {
      first_unknown = labels[i];
    }
  }
  if (truth.unknown == 0) return truth;
  std::string known;
  constexpr std::size_t kShown = 10;
  for (std::size_t j = 0; j < classes.size() && j < kShown; ++j) known += (j ? ", " : "") + classes[j];
  if (classes.size() > kShown) known += ", ... (" + std::to_string(classes.size()) + " in all)";
  const auto n = static_cast<std::int64_t>(labels.size());
  if (truth.unknown == n)
    throw InvalidArgument(source + ": none of the " + std::to_string(n) + " labels is a class of the model (its classes: " +
                          known + "; the first label here is '" + first_unknown +
                          "'): these labels cannot be scored; are they the labels of this data and model?");
  warn(source + ": " + std::to_string(truth.unknown) + " of the " + std::to_string(n) + " labels " +
       (truth.unknown == 1 ? "is not a class" : "are not classes") + " of the model (" +
       (truth.unknown == 1 ? "'" : "e.g. '") + first_unknown + "'; its classes: " + known +
       "): they count as misclassified");
  return truth;
}

}  // namespace lwnet::cli
