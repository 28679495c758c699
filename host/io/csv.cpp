// CSV reading: a small hand-written parser (numbers only; no quoting needed for numeric data),
// strict about shape and values, and precise in its error messages.
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lwnet/error.hpp"
#include "lwnet/io.hpp"

namespace lwnet {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_cells(std::string_view line) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    cells.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return cells;
}

// Parses a whole cell as a float; false if it is not a number.
bool parse_float(std::string_view cell, float& value) {
  if (cell.empty()) return false;
  if (cell.front() == '+') cell.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  // Out-of-range values (|x| > FLT_MAX) are reported as such by the caller.
  if (ec == std::errc::result_out_of_range) {
    value = INFINITY;
    return ptr == cell.data() + cell.size();
  }
  return ec == std::errc() && ptr == cell.data() + cell.size();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError(path + ": read error");
  return ss.str();
}

[[noreturn]] void fail_at(const std::string& source, std::size_t line, std::size_t column, const std::string& what) {
  std::string where = source + ":" + std::to_string(line);
  if (column > 0) where += ": column " + std::to_string(column);
  throw IoError(where + ": " + what);
}

// Calls f(line_number, line) for each non-blank line.
template <class F>
void for_each_line(std::string_view text, F f) {
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    ++line_no;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!trim(line).empty()) f(line_no, line);
    if (end == text.size()) break;
    pos = end + 1;
  }
}

}  // namespace

CsvTable parse_csv(std::string_view text, const std::string& source) {
  CsvTable table;
  std::vector<float> values;
  std::size_t cols = 0;
  std::size_t rows = 0;
  bool first = true;
  for_each_line(text, [&](std::size_t line_no, std::string_view line) {
    const auto cells = split_cells(line);
    if (first) {
      first = false;
      // A header has a non-empty, non-numeric cell; an empty cell alone is a data error below.
      float probe = 0.0f;
      bool header = false;
      for (auto cell : cells) header = header || (!cell.empty() && !parse_float(cell, probe));
      cols = cells.size();
      if (header) {
        for (auto cell : cells) table.header.emplace_back(cell);
        return;
      }
    }
    if (cells.size() != cols)
      fail_at(source, line_no, 0,
              "has " + std::to_string(cells.size()) + " cells, expected " + std::to_string(cols) +
                  (table.header.empty() ? " (as in the first row)" : " (as in the header)"));
    for (std::size_t j = 0; j < cells.size(); ++j) {
      float v = 0.0f;
      if (!parse_float(cells[j], v))
        fail_at(source, line_no, j + 1,
                cells[j].empty() ? "empty cell" : "'" + std::string(cells[j].substr(0, 40)) + "' is not a number");
      if (!std::isfinite(v))
        fail_at(source, line_no, j + 1, "'" + std::string(cells[j].substr(0, 40)) + "' is not a finite float32 value");
      values.push_back(v);
    }
    ++rows;
  });
  if (rows == 0) throw IoError(source + ": no data rows");
  table.values = Matrix<float>::host(static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols));
  std::copy(values.begin(), values.end(), table.values.data());
  return table;
}

CsvTable read_csv(const std::string& path) { return parse_csv(read_file(path), path); }

std::vector<std::string> parse_labels(std::string_view text, const std::string& source) {
  std::vector<std::string> labels;
  for_each_line(text, [&](std::size_t line_no, std::string_view line) {
    const auto cells = split_cells(line);
    if (cells.size() != 1)
      fail_at(source, line_no, 0, "has " + std::to_string(cells.size()) + " cells, expected one label per line");
    labels.emplace_back(cells[0]);
  });
  if (labels.empty()) throw IoError(source + ": no labels");
  return labels;
}

std::vector<std::string> read_labels(const std::string& path) { return parse_labels(read_file(path), path); }

}  // namespace lwnet
