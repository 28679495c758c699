#include "cli/train_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/checks.hpp"
#include "cli/interrupt.hpp"
#include "cli/parse.hpp"
#include "lwnet/error.hpp"
#include "lwnet/random.hpp"

namespace lwnet::cli {

namespace {

constexpr std::uint64_t kSplitSeedSalt = 0x53504c4954303031ULL;

// Moves a seeded random fraction of `data`'s rows into the returned test set (both keep order).
LabeledData split_off(LabeledData& data, double fraction, std::uint64_t seed) {
  const std::int64_t n = data.X.rows();
  const auto n_test = static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(n)));
  if (n_test < 1 || n_test >= n)
    throw InvalidArgument("--test-fraction " + format_real(fraction) + " of " + std::to_string(n) +
                          " samples leaves no test or no training sample");
  Rng rng(seed ^ kSplitSeedSalt);
  std::vector<char> is_test(static_cast<std::size_t>(n), 0);
  for (std::int64_t i : rng.sample_without_replacement(n, n_test)) is_test[static_cast<std::size_t>(i)] = 1;
  LabeledData test{data.name + " (test split)", Matrix<float>::host(n_test, data.X.cols()), {}, data.sample_shape};
  Matrix<float> train_X = Matrix<float>::host(n - n_test, data.X.cols());
  std::vector<std::string> train_labels;
  std::int64_t a = 0;
  std::int64_t b = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = data.X.data() + i * data.X.cols();
    if (is_test[static_cast<std::size_t>(i)]) {
      std::copy(row, row + data.X.cols(), test.X.data() + a++ * data.X.cols());
      test.labels.push_back(data.labels[static_cast<std::size_t>(i)]);
    } else {
      std::copy(row, row + data.X.cols(), train_X.data() + b++ * data.X.cols());
      train_labels.push_back(data.labels[static_cast<std::size_t>(i)]);
    }
  }
  data.X = std::move(train_X);
  data.labels = std::move(train_labels);
  return test;
}

}  // namespace

void check_train_command(const TrainCommand& opt) {
  const bool split = opt.test_fraction > 0.0;  // given: the parser refuses anything outside (0, 1)
  if (!opt.test.empty() && split) throw InvalidArgument("give either --test or --test-fraction, not both");
  if (opt.test.empty() && !opt.test_labels.empty()) throw InvalidArgument("--test-labels needs --test");
  check_output_file("--out", opt.out,
                    {{"--data", opt.data.data}, {"--labels", opt.data.labels}, {"--test", opt.test},
                     {"--test-labels", opt.test_labels}});
}

TrainData load_train_data(const TrainCommand& opt) {
  TrainData d;
  d.split = opt.test_fraction > 0.0;
  d.data = load_data(opt.data, true);
  if (!opt.test.empty()) {
    d.test = load_data(DataOptions{opt.test, opt.test_labels, opt.data.label_column}, true);
    if (d.test->X.cols() != d.data.X.cols())
      throw IoError(opt.test + ": " + std::to_string(d.test->X.cols()) + " features, but the training data have " +
                    std::to_string(d.data.X.cols()));
  } else if (d.split) {
    d.test = split_off(d.data, opt.test_fraction, opt.train.seed);
  }
  d.encoding = encode_labels(d.data.labels);
  d.label_source = !opt.data.labels.empty() ? opt.data.labels
                   : !opt.data.data.empty() ? opt.data.data + " (label column " + opt.data.label_column + ")"
                                            : d.data.name;
  if (d.encoding.labels.num_classes < 2) {
    // Caught here rather than by the fit so that the message names the file holding the labels.
    throw InvalidArgument(d.label_source + ": the training labels hold a single class ('" +
                          d.encoding.classes.front() + "')" + (d.split ? " after the --test-fraction split" : "") +
                          "; the network needs at least two");
  }
  return d;
}

std::string test_label_source(const TrainCommand& opt, const TrainData& d) {
  return !opt.test_labels.empty() ? opt.test_labels
         : !opt.test.empty()       ? opt.test
                                   : d.label_source + " (the --test-fraction split)";
}

void save_and_report(const std::string& out, bool json, const std::function<void(const std::string&)>& save,
                     const std::function<nlohmann::json()>& make_json, const std::function<void()>& print_summary) {
  if (!out.empty()) {
    stop_if_interrupted("after training, before the model was saved: no model was written");
    save(out);
    stop_if_interrupted("while the model was saved: " + out + " holds the complete model");
  }
  if (json) {
    nlohmann::json j = make_json();
    if (!out.empty()) j["model"] = out;
    std::cout << j.dump(2) << "\n";
    return;
  }
  print_summary();
  if (!out.empty()) std::printf("model   saved to %s\n", out.c_str());
}

void print_data_and_device(const TrainData& d, const BackendChoice& choice) {
  std::printf("data    %s: %lld samples x %lld features, %d classes%s\n", d.data.name.c_str(),
              static_cast<long long>(d.data.X.rows()), static_cast<long long>(d.data.X.cols()),
              d.encoding.labels.num_classes,
              d.test ? (", test " + std::to_string(d.test->X.rows()) + " samples").c_str() : "");
  std::printf("device  %s\n        %s\n", choice.backend->description().c_str(), choice.reason.c_str());
}

NetTrainData load_net_train_data(const TrainCommand& opt, net::NetOptions& options) {
  NetTrainData n{load_train_data(opt), std::nullopt};
  const LabeledData& data = n.d.data;
  options.image = resolve_image(opt.train.net, options.arch, data.X.cols(), data.sample_shape, data.name);
  options.validate();
  if (n.d.test) n.test_truth = encode_truth(n.d.encoding.classes, n.d.test->labels, test_label_source(opt, n.d));
  return n;
}

}  // namespace lwnet::cli
