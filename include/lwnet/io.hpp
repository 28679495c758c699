// Reading data files. Errors throw IoError naming the file, and the row and column where known.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lwnet/matrix.hpp"
#include "lwnet/ops.hpp"

namespace lwnet {

// A numeric table from a CSV file.
struct CsvTable {
  Matrix<float> values;             // (rows, cols) host, finite
  std::vector<std::string> header;  // column names when the first row is a header, else empty
};

// Comma-separated numbers, one sample per line. A first line with a non-empty, non-numeric cell is
// taken as a header. Blank lines are skipped; CRLF line ends and spaces around cells are accepted.
// Every data row must have the same number of cells, each a finite number.
CsvTable read_csv(const std::string& path);
// The same for text already in memory; `source` names it in errors.
CsvTable parse_csv(std::string_view text, const std::string& source);

// One label per non-blank line (any integer or string).
std::vector<std::string> read_labels(const std::string& path);
std::vector<std::string> parse_labels(std::string_view text, const std::string& source);

// Labels re-indexed 0..c-1 in sorted order: numerically when every label is an integer,
// lexicographically otherwise (spec 1.4). classes[j] is the original text of class j.
struct LabelEncoding {
  Labels labels;
  std::vector<std::string> classes;
};
LabelEncoding encode_labels(const std::vector<std::string>& raw);

}  // namespace lwnet
