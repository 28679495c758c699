// CSV reading: a small hand-written parser (numbers only; no quoting needed for numeric data),
// strict about shape and values, and precise in its error messages.
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "io/file.hpp"
#include "io/idx.hpp"
#include "lwnet/error.hpp"
#include "lwnet/io.hpp"

namespace lwnet {

using io::looks_like_idx;
using io::read_file;
using io::read_idx_labels;
using io::read_idx_matrix;

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

Table parse_csv_table(std::string_view text, const std::string& source, LabelColumn label_column) {
  Table table;
  std::vector<float> values;
  std::size_t cols = 0;
  std::size_t label_at = 0;  // the label column's index, when there is one
  const bool has_labels = label_column.kind != LabelColumn::Kind::none;
  std::size_t rows = 0;
  bool first = true;
  bool header = false;
  for_each_line(text, [&](std::size_t line_no, std::string_view line) {
    const auto cells = split_cells(line);
    if (first) {
      first = false;
      cols = cells.size();
      if (has_labels) {
        label_at = label_column.kind == LabelColumn::Kind::first  ? 0
                   : label_column.kind == LabelColumn::Kind::last ? cols - 1
                                                                  : static_cast<std::size_t>(label_column.index);
        if (label_at >= cols || cols < 2)
          fail_at(source, line_no, 0,
                  "has " + std::to_string(cols) + " cells: no label column " + std::to_string(label_at + 1) +
                      " beside at least one feature");
      }
      // A header has a non-empty, non-numeric cell outside the label column; an empty cell alone
      // is a data error below.
      float probe = 0.0f;
      for (std::size_t j = 0; j < cells.size(); ++j)
        header = header || (!(has_labels && j == label_at) && !cells[j].empty() && !parse_float(cells[j], probe));
      if (header) {
        for (auto cell : cells) table.header.emplace_back(cell);
        return;
      }
    }
    if (cells.size() != cols)
      fail_at(source, line_no, 0,
              "has " + std::to_string(cells.size()) + " cells, expected " + std::to_string(cols) +
                  (header ? " (as in the header)" : " (as in the first row)"));
    for (std::size_t j = 0; j < cells.size(); ++j) {
      if (has_labels && j == label_at) {
        if (cells[j].empty()) fail_at(source, line_no, j + 1, "empty label");
        table.labels.emplace_back(cells[j]);
        continue;
      }
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
  const std::size_t features = has_labels ? cols - 1 : cols;
  table.X = Matrix<float>::host(static_cast<std::int64_t>(rows), static_cast<std::int64_t>(features));
  std::copy(values.begin(), values.end(), table.X.data());
  return table;
}

CsvTable parse_csv(std::string_view text, const std::string& source) {
  Table table = parse_csv_table(text, source);
  return CsvTable{std::move(table.X), std::move(table.header)};
}

CsvTable read_csv(const std::string& path) { return parse_csv(read_file(path), path); }

Table read_table(const std::string& path, LabelColumn label_column) {
  const std::string bytes = read_file(path);
  if (looks_like_idx(bytes)) {
    if (label_column.kind != LabelColumn::Kind::none)
      throw IoError(path + ": an IDX file has no label column; give the labels' IDX file with --labels");
    return Table{read_idx_matrix(bytes, path), {}, {}};
  }
  return parse_csv_table(bytes, path, label_column);
}

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

std::vector<std::string> read_labels(const std::string& path) {
  const std::string bytes = read_file(path);
  if (looks_like_idx(bytes)) return read_idx_labels(bytes, path);
  return parse_labels(bytes, path);
}

LabelColumn LabelColumn::parse(const std::string& text) {
  if (text == "first") return {Kind::first, 0};
  if (text == "last") return {Kind::last, 0};
  std::int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size() || n < 1)
    throw InvalidArgument("--label-column: expected first, last or a column number >= 1, got '" + text + "'");
  return {Kind::index, n - 1};
}

Fold read_fold(const std::string& stem, int k) {
  const std::string base = stem + "_" + std::to_string(k);
  Fold fold;
  fold.train.X = read_csv(base + ".csv").values;
  fold.train.labels = read_labels(base + "_label.csv");
  fold.test.X = read_csv(base + "_test.csv").values;
  fold.test.labels = read_labels(base + "_label_test.csv");
  if (fold.train.labels.size() != static_cast<std::size_t>(fold.train.X.rows()))
    throw IoError(base + "_label.csv: " + std::to_string(fold.train.labels.size()) + " labels for the " +
                  std::to_string(fold.train.X.rows()) + " rows of " + base + ".csv");
  if (fold.test.labels.size() != static_cast<std::size_t>(fold.test.X.rows()))
    throw IoError(base + "_label_test.csv: " + std::to_string(fold.test.labels.size()) + " labels for the " +
                  std::to_string(fold.test.X.rows()) + " rows of " + base + "_test.csv");
  if (fold.test.X.cols() != fold.train.X.cols())
    throw IoError(base + "_test.csv: " + std::to_string(fold.test.X.cols()) + " features, but " + base + ".csv has " +
                  std::to_string(fold.train.X.cols()));
  return fold;
}

}  // namespace lwnet
