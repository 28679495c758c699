// CSV reading: a small hand-written parser for numeric tables and label files, strict about shape,
// values and encoding, and precise in its error messages. Lines and cells come from csv_text.hpp
// (RFC 4180 quoting, UTF-8 only); numbers are '.'-decimal, as from_chars reads them.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "io/csv_text.hpp"
#include "io/file.hpp"
#include "io/idx.hpp"
#include "lwnet/error.hpp"
#include "lwnet/io.hpp"

namespace lwnet {

using io::CellSplitter;
using io::checked_text;
using io::fail_at;
using io::is_blank;
using io::LineLengthGuard;
using io::LineReader;
using io::looks_like_idx;
using io::read_file;
using io::read_idx_labels;
using io::read_idx_matrix;
using io::shown;

namespace {

// For a decimal number that from_chars found outside float32's range: true when it is too small
// (it rounds to zero), false when too large. The decimal exponent of its first significant digit
// tells them apart (below 0: tiny, else huge; float32 spans 1e-45 .. 3.4e38).
bool underflows(std::string_view number) {
  std::size_t i = number.front() == '-' ? 1 : 0;
  long long exponent = 0;
  bool significant = false;  // a nonzero digit seen
  for (; i < number.size() && number[i] >= '0' && number[i] <= '9'; ++i) {
    significant = significant || number[i] != '0';
    if (significant) ++exponent;
  }
  exponent -= significant ? 1 : 0;
  if (i < number.size() && number[i] == '.')
    for (++i; i < number.size() && number[i] >= '0' && number[i] <= '9'; ++i)
      if (!significant) {
        --exponent;
        significant = number[i] != '0';
      }
  if (i < number.size() && (number[i] == 'e' || number[i] == 'E')) {
    ++i;
    const bool negative = i < number.size() && number[i] == '-';
    if (i < number.size() && (number[i] == '-' || number[i] == '+')) ++i;
    long long e = 0;
    for (; i < number.size() && number[i] >= '0' && number[i] <= '9'; ++i) e = std::min(e * 10 + (number[i] - '0'), 1000000000LL);
    exponent += negative ? -e : e;
  }
  return exponent < 0;
}

// Parses a whole cell (spaces around it allowed) as a float32; false if it is not a number.
// Accepted: an optional sign, decimal digits with an optional '.', an optional exponent (1.5,
// -.5, 5., +2e-3, 1E5). Not: hex, '1e', '+-1', '1.2.3', decimal commas. A value below float32's
// smallest reads as (signed) zero, one above its largest as infinity; 'nan' and 'inf' in any
// spelling read as such: the caller rejects every non-finite value.
bool parse_float(std::string_view cell, float& value) {
  cell = io::trim_blanks(cell);
  if (!cell.empty() && cell.front() == '+') {
    cell.remove_prefix(1);
    if (!cell.empty() && cell.front() == '-') return false;  // from_chars would read "+-1" as -1
  }
  if (cell.empty()) return false;
  const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ptr != cell.data() + cell.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    const float magnitude = underflows(cell) ? 0.0f : INFINITY;
    value = cell.front() == '-' ? -magnitude : magnitude;
    return true;
  }
  return ec == std::errc();
}

// A number written with a decimal comma or thousands separators ("1,5", "1.234,5", "1,000"): the
// comma reaches a cell only inside quotes. Ambiguous ("1,000" is 1 or 1000), so never read.
bool has_decimal_comma(std::string_view cell) {
  if (cell.find(',') == std::string_view::npos) return false;
  bool digit = false;
  for (char c : cell) {
    if (c >= '0' && c <= '9') digit = true;
    else if (c != ',' && c != '.' && c != '+' && c != '-' && c != 'e' && c != 'E' && c != ' ') return false;
  }
  return digit;
}

std::string not_a_number(std::string_view cell) {
  if (cell.empty()) return "empty cell";
  if (has_decimal_comma(cell))
    return "'" + shown(cell) + "' has a decimal comma or a thousands separator, which lwnet does not read; " +
           "write numbers with '.' as the decimal mark and no separators (export the file with '.' decimals)";
  return "'" + shown(cell) + "' is not a number";
}

// Labels are text that ends up in a model file, which holds UTF-8 only: checked here, where the
// file and line are known, not after a whole fit.
void check_label(std::string_view label, const std::string& source, std::size_t line, std::size_t column) {
  if (label.empty()) fail_at(source, line, column, "empty label");
  if (!io::is_valid_utf8(label))
    fail_at(source, line, column, "label '" + shown(label) + "' is not valid UTF-8 text; save the file as UTF-8");
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
  LineReader lines(checked_text(text, source), source);
  CellSplitter splitter;
  std::string_view line;
  while (lines.next(line)) {
    if (is_blank(line)) continue;
    const std::size_t line_no = lines.number();
    const std::vector<std::string_view>& cells = splitter.split(line, source, line_no);
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
      // A header has a non-empty, non-numeric cell outside the label column; an empty cell or a
      // decimal-comma number alone is a data error below.
      float probe = 0.0f;
      for (std::size_t j = 0; j < cells.size(); ++j)
        header = header || (!(has_labels && j == label_at) && !cells[j].empty() && !parse_float(cells[j], probe) &&
                            !has_decimal_comma(cells[j]));
      if (header) {
        for (auto cell : cells) table.header.emplace_back(cell);
        continue;
      }
    }
    if (cells.size() != cols)
      fail_at(source, line_no, 0,
              "has " + std::to_string(cells.size()) + " cells, expected " + std::to_string(cols) +
                  (header ? " (as in the header)" : " (as in the first row)"));
    for (std::size_t j = 0; j < cells.size(); ++j) {
      if (has_labels && j == label_at) {
        check_label(cells[j], source, line_no, j + 1);
        table.labels.emplace_back(cells[j]);
        continue;
      }
      float v = 0.0f;
      if (!parse_float(cells[j], v)) fail_at(source, line_no, j + 1, not_a_number(cells[j]));
      if (!std::isfinite(v)) fail_at(source, line_no, j + 1, "'" + shown(cells[j]) + "' is not a finite float32 value");
      values.push_back(v);
    }
    ++rows;
  }
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

CsvTable read_csv(const std::string& path) { return parse_csv(read_file(path, LineLengthGuard(path)), path); }

Table read_table(const std::string& path, LabelColumn label_column) {
  const std::string bytes = read_file(path, LineLengthGuard(path));
  if (looks_like_idx(bytes)) {
    if (label_column.kind != LabelColumn::Kind::none)
      throw IoError(path + ": an IDX file has no label column; give the labels' IDX file with --labels");
    return io::read_idx_table(bytes, path);
  }
  return parse_csv_table(bytes, path, label_column);
}

// A blank line among the labels is a missing label (skipping it would pair every later label with
// the wrong row); blank lines after the last label are only the file's end.
std::vector<std::string> parse_labels(std::string_view text, const std::string& source) {
  std::vector<std::string> labels;
  LineReader lines(checked_text(text, source), source);
  CellSplitter splitter;
  std::size_t blank_line = 0;  // the first blank line since the last label, if any
  std::string_view line;
  while (lines.next(line)) {
    if (is_blank(line)) {
      if (blank_line == 0) blank_line = lines.number();
      continue;
    }
    if (blank_line != 0)
      fail_at(source, blank_line, 0, "empty label (a blank line before the last label; every row needs a label)");
    const std::vector<std::string_view>& cells = splitter.split(line, source, lines.number());
    if (cells.size() != 1)
      fail_at(source, lines.number(), 0,
              "has " + std::to_string(cells.size()) + " cells, expected one label per line");
    check_label(cells[0], source, lines.number(), 0);
    labels.emplace_back(cells[0]);
  }
  if (labels.empty()) throw IoError(source + ": no labels");
  return labels;
}

std::vector<std::string> read_labels(const std::string& path) {
  const std::string bytes = read_file(path, LineLengthGuard(path));
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
