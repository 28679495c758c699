#include "cli/options.hpp"

#include <map>
#include <utility>

#include "cli/dataset.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cli {

void add_data_options(CLI::App* cmd, DataOptions& opt, bool labels_required) {
  cmd->add_option("--data", opt.data, "Features: CSV (one sample per row; header auto-detected) or IDX (.gz too)");
  cmd->add_option("--labels", opt.labels,
                  labels_required ? "Labels file (one per line, any integers or strings; or IDX)"
                                  : "Labels file, when --data is given");
  cmd->add_option("--label-column", opt.label_column, "The labels are this column of --data: first, last or N (1-based)");
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
  cmd->add_option("--device", opt.device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--seed", opt.seed, "Seed of every random draw (subsamples, noise, splits)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--max-layers", opt.max_layers, "Most layers to grow")->capture_default_str();
  cmd->add_option("--sigma-smallest", opt.sigma_smallest, "Last width of each candidate grid")->capture_default_str();
  cmd->add_option("--sigma-count", opt.sigma_count, "Widths per candidate grid")->capture_default_str();
  cmd->add_option("--hsic-threshold", opt.hsic_threshold, "Stop once a layer's normalised HSIC exceeds this")
      ->capture_default_str();
  cmd->add_option("--standardize", opt.standardize,
                  "train: test data with the training statistics; separate: each set with its own; none")
      ->capture_default_str();
  cmd->add_option("--noise", opt.noise, "Std of Gaussian noise added to the raw training data")->capture_default_str();
  cmd->add_option("--rho", opt.rho, "Class norms: exact, or rff (a seeded 200-feature estimate)")->capture_default_str();
  cmd->add_option("--extra-columns", opt.extra_columns, "on | off: the reference code's misclassified-class columns")
      ->capture_default_str();
  cmd->add_option("--predict", opt.predict, "knn | mean | argmax")->capture_default_str();
  cmd->add_option("--knn-k", opt.knn_k, "Neighbours for --predict knn")->capture_default_str();
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
}

TrainConfig make_train_config(const TrainOptions& opt) {
  TrainConfig config;
  KmeOptions& o = config.options;
  o.max_layers = opt.max_layers;
  o.sigma_smallest = opt.sigma_smallest;
  o.sigma_count = opt.sigma_count;
  o.hsic_threshold = opt.hsic_threshold;
  o.rho = parse_rho_method(opt.rho);
  if (opt.extra_columns != "on" && opt.extra_columns != "off")
    throw InvalidArgument("--extra-columns: expected on or off, got '" + opt.extra_columns + "'");
  o.extra_columns = opt.extra_columns == "on";
  o.predictor = parse_predictor(opt.predict);
  o.knn_k = opt.knn_k;
  o.seed = opt.seed;
  o.validate();
  config.standardize = parse_standardize_mode(opt.standardize);
  config.noise = opt.noise;
  return config;
}

std::vector<int> encode_with(const std::vector<std::string>& classes, const std::vector<std::string>& labels) {
  // Integer labels compare as numbers ("02" is class "2"), as encode_labels maps them.
  const LabelEncoding probe = encode_labels(labels);
  std::map<std::string, int> index;
  for (std::size_t j = 0; j < classes.size(); ++j) index.emplace(classes[j], static_cast<int>(j));
  std::vector<int> y(labels.size(), -1);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::string& canonical = probe.classes[static_cast<std::size_t>(probe.labels.y[i])];
    const auto it = index.find(canonical);
    if (it != index.end()) y[i] = it->second;
  }
  return y;
}

}  // namespace lwnet::cli
