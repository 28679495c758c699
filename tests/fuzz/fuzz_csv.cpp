// Fuzz target: the CSV readers (tables with and without a label column, label files). A table
// that loads must keep its promises: finite values, one label per row, a header of the table's
// width.
#include <cmath>
#include <cstdlib>

#include "fuzz_input.hpp"
#include "lwnet/error.hpp"
#include "lwnet/io.hpp"

namespace {

void check(const lwnet::Table& t, bool with_labels) {
  for (std::int64_t i = 0; i < t.X.size(); ++i)
    if (!std::isfinite(t.X.data()[i])) std::abort();
  if (with_labels && static_cast<std::int64_t>(t.labels.size()) != t.X.rows()) std::abort();
  if (!t.header.empty() && static_cast<std::int64_t>(t.header.size()) != t.X.cols() + (with_labels ? 1 : 0))
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = lwnet::fuzz::as_text(data, size);
  for (const char* column : {"", "first", "last", "2"}) {
    try {
      const bool with_labels = *column != '\0';
      const lwnet::LabelColumn label_column = with_labels ? lwnet::LabelColumn::parse(column) : lwnet::LabelColumn{};
      check(lwnet::parse_csv_table(text, "fuzz.csv", label_column), with_labels);
    } catch (const lwnet::Error&) {
    }
  }
  try {
    const auto labels = lwnet::parse_labels(text, "fuzz_labels.csv");
    const lwnet::LabelEncoding encoding = lwnet::encode_labels(labels);
    if (encoding.labels.y.size() != labels.size()) std::abort();
  } catch (const lwnet::Error&) {
  }
  return 0;
}
