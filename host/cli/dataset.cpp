#include "cli/dataset.hpp"

#include "lwnet/error.hpp"

namespace lwnet::cli {

Dataset load_dataset(const std::string& features_path, const std::string& labels_path) {
  if (features_path.empty() != labels_path.empty())
    throw InvalidArgument("give both --x and --labels, or neither to use the embedded wine data");
  Dataset data;
  std::vector<std::string> raw_labels;
  std::string label_source;
  if (features_path.empty()) {
    data.name = "UCI Wine (embedded)";
    data.X = parse_csv(kWineCsv, "embedded wine.csv").values;
    raw_labels = parse_labels(kWineLabels, "embedded wine_label.csv");
    label_source = "embedded wine_label.csv";
  } else {
    data.name = features_path;
    data.X = read_csv(features_path).values;
    raw_labels = read_labels(labels_path);
    label_source = labels_path;
  }
  if (static_cast<std::int64_t>(raw_labels.size()) != data.X.rows())
    throw IoError(label_source + ": " + std::to_string(raw_labels.size()) + " labels for " +
                  std::to_string(data.X.rows()) + " rows of " + data.name);
  data.labels = encode_labels(raw_labels);
  return data;
}

}  // namespace lwnet::cli
