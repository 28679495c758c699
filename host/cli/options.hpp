// Options shared by several lwnet subcommands: where the data come from, and how to train.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "cli/net_options.hpp"
#include "lwnet/io.hpp"
#include "lwnet/kme.hpp"

namespace lwnet::cli {

// A feature file and its labels: a separate labels file, or a column of the feature file.
struct DataOptions {
  std::string data;          // empty: the embedded UCI Wine data
  std::string labels;
  std::string label_column;  // first | last | N
};
void add_data_options(CLI::App* cmd, DataOptions& opt, bool labels_required);

struct LabeledData {
  std::string name;
  Matrix<float> X;
  std::vector<std::string> labels;  // empty when none were asked for
  std::vector<std::int64_t> sample_shape;  // an IDX file's sample dimensions (Table::sample_shape)
};
// Loads the features and (when `need_labels`) their labels; IoError when the counts differ.
LabeledData load_data(const DataOptions& opt, bool need_labels);

// --noise: at most this, far beyond any useful noise, and small enough that noisy float32 data
// stay finite.
constexpr double kMaxNoise = 1e30;

// Training options (the flags of `lwnet train` and `lwnet cv`): the shared ones, the closed-form
// fit's and the trained networks' (cli/net_options.hpp). Numeric ones are range-checked as they
// are parsed (cli/parse.hpp), with KmeOptions' and NetOptions' bounds.
struct TrainOptions {
  std::string device = "auto";
  std::uint64_t seed = 0;
  int max_layers = 29;
  double sigma_smallest = 0.05;
  int sigma_count = 20;
  double hsic_threshold = 0.95;
  std::string standardize = "train";
  double noise = 0.0;
  std::string rho = "exact";
  std::string extra_columns = "on";
  std::string predict = "knn";
  int knn_k = 5;
  std::string select = "hsic";
  double validation_fraction = 0.2;
  bool json = false;
  NetCliOptions net;  // --method and the options of trained networks
};
void add_train_options(CLI::App* cmd, TrainOptions& opt);

// The reference protocol for a shipped dataset (spec 1.2 and 1.5): noise 0.02, separate
// standardisation, the published (sigma_smallest, sigma_count), and rho estimated as the reference
// did (200 random Fourier features from RBFSampler(random_state=1)). Options given on the command
// line override it.
void apply_preset(const std::string& preset, CLI::App* cmd, TrainOptions& opt);
std::vector<std::string> preset_names();

kme::TrainConfig make_train_config(const TrainOptions& opt);

// Labels to score predictions against, as the model's class indices.
struct Truth {
  std::vector<int> y;            // -1 for a label that is not a class of the model
  std::int64_t unknown = 0;      // how many labels are not classes of the model
};
// Maps label text (read from `source`) to the model's class indices. Labels the training data
// never had cannot be predicted: when none is a class of the model, InvalidArgument naming
// `source` (scoring them would print accuracy 0 for what is almost surely the wrong file); when
// some are not, a warning with their count (they count as misclassified).
Truth encode_truth(const std::vector<std::string>& classes, const std::vector<std::string>& labels,
                   const std::string& source);

}  // namespace lwnet::cli
