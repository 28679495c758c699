#include <algorithm>
#include <charconv>
#include <map>
#include <string>

#include "lwnet/error.hpp"
#include "lwnet/io.hpp"

namespace lwnet {

namespace {

// A whole label as a decimal integer with an optional sign ("+7" is 7; "+-7" is text).
bool parse_integer(const std::string& s, long long& value) {
  const char* first = s.data();
  if (!s.empty() && s[0] == '+') ++first;
  if (first == s.data() + s.size() || *first == '+' || (*first == '-' && first != s.data())) return false;
  const auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), value);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

LabelEncoding encode_labels(const std::vector<std::string>& raw) {
  if (raw.empty()) throw InvalidArgument("no labels to encode (the label list is empty)");
  LabelEncoding enc;
  std::vector<long long> numbers(raw.size());
  bool numeric = true;
  for (std::size_t i = 0; i < raw.size() && numeric; ++i) numeric = parse_integer(raw[i], numbers[i]);

  enc.labels.y.resize(raw.size());
  if (numeric) {
    std::map<long long, int> index;
    for (auto v : numbers) index.emplace(v, 0);
    int next = 0;
    for (auto& [value, j] : index) {
      j = next++;
      enc.classes.push_back(std::to_string(value));
    }
    for (std::size_t i = 0; i < raw.size(); ++i) enc.labels.y[i] = index[numbers[i]];
  } else {
    std::map<std::string, int> index;
    for (const auto& s : raw) index.emplace(s, 0);
    int next = 0;
    for (auto& [text, j] : index) {
      j = next++;
      enc.classes.push_back(text);
    }
    for (std::size_t i = 0; i < raw.size(); ++i) enc.labels.y[i] = index[raw[i]];
  }
  enc.labels.num_classes = static_cast<int>(enc.classes.size());
  return enc;
}

}  // namespace lwnet
