// `lwnet train`'s options and the data both methods train on: the training set, an optional test
// set (--test, or a seeded --test-fraction split of the training data) and the label encoding.
// The closed-form fit runs in cmd_train.cpp, a trained network in cmd_train_net.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/options.hpp"
#include "lwnet/backend.hpp"

namespace lwnet::cli {

struct TrainCommand {
  DataOptions data;
  std::string test;
  std::string test_labels;
  double test_fraction = 0.0;  // 0: not given (the parser refuses 0 itself)
  std::string out;
  std::string memory_budget = "auto";
  TrainOptions train;
};

// --test / --test-labels / --test-fraction that contradict each other, and an --out that would
// replace an input or cannot be written: refused before any data is read.
void check_train_command(const TrainCommand& opt);

struct TrainData {
  LabeledData data;
  std::optional<LabeledData> test;
  LabelEncoding encoding;
  std::string label_source;  // where the training labels came from, for messages
  bool split = false;        // the test set is a --test-fraction split of --data
};
// Loads the training data and the test set (or splits it off with `seed`) and encodes the labels;
// InvalidArgument / IoError naming the file when the test set's width differs or the training
// labels hold a single class.
TrainData load_train_data(const TrainCommand& opt);
// Where the test labels came from, for messages.
std::string test_label_source(const TrainCommand& opt, const TrainData& d);

// The text output's first lines, for both methods: the data (and test set) and the device chosen.
void print_data_and_device(const TrainData& d, const BackendChoice& choice);

// The end of a fit, for both methods: the model saved to `out` (when given) between two
// interruption checks, then the JSON (with "model") or the text summary.
void save_and_report(const std::string& out, bool json, const std::function<void(const std::string&)>& save,
                     const std::function<nlohmann::json()>& make_json, const std::function<void()>& print_summary);

// A trained network's data (after check_train_command): loaded, options.image resolved from it,
// options validated, the test labels encoded.
struct NetTrainData {
  TrainData d;
  std::optional<Truth> test_truth;
};
NetTrainData load_net_train_data(const TrainCommand& opt, net::NetOptions& options);

// A trained network (--method backprop): fit, report per epoch and in sum, save.
void run_train_net(const TrainCommand& opt, net::Method method);

// --arch rnn:WIDTH: the recurrent Add task (cmd_train_add.cpp) instead of the data options.
bool is_recurrent_arch(const std::string& arch);
void run_train_add(const TrainCommand& opt, CLI::App* cmd, net::Method method);

}  // namespace lwnet::cli
