#include <string>

#include "lwnet/error.hpp"
#include "lwnet/ops.hpp"

namespace lwnet {

void Labels::validate(std::int64_t expected_size, const char* context) const {
  if (num_classes < 1)
    throw InvalidArgument(std::string(context) + ": labels need at least one class, got num_classes " +
                          std::to_string(num_classes));
  if (static_cast<std::int64_t>(y.size()) != expected_size)
    throw InvalidArgument(std::string(context) + ": " + std::to_string(y.size()) + " labels for " +
                          std::to_string(expected_size) + " samples");
  for (std::size_t i = 0; i < y.size(); ++i)
    if (y[i] < 0 || y[i] >= num_classes)
      throw InvalidArgument(std::string(context) + ": label " + std::to_string(y[i]) + " of sample " +
                            std::to_string(i) + " is outside [0, " + std::to_string(num_classes) + ")");
}

std::vector<std::int64_t> Labels::class_counts() const {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(num_classes > 0 ? num_classes : 0), 0);
  for (int label : y)
    if (label >= 0 && label < num_classes) ++counts[static_cast<std::size_t>(label)];
  return counts;
}

std::vector<std::vector<std::int64_t>> Labels::class_members() const {
  std::vector<std::vector<std::int64_t>> members(static_cast<std::size_t>(num_classes > 0 ? num_classes : 0));
  for (std::size_t i = 0; i < y.size(); ++i)
    if (y[i] >= 0 && y[i] < num_classes) members[static_cast<std::size_t>(y[i])].push_back(static_cast<std::int64_t>(i));
  return members;
}

double accuracy(const std::vector<int>& predicted, const std::vector<int>& truth) {
  if (predicted.size() != truth.size() || truth.empty())
    throw InvalidArgument("accuracy: " + std::to_string(predicted.size()) + " predictions for " +
                          std::to_string(truth.size()) + " labels");
  std::size_t correct = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) correct += predicted[i] == truth[i] ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(truth.size());
}

}  // namespace lwnet
