// Reading data files. Errors throw IoError naming the file, and the row and column where known.
#pragma once

#include "lwnet/export.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lwnet/matrix.hpp"
#include "lwnet/ops.hpp"

namespace lwnet {

// A numeric table from a CSV file.
struct LWNET_API CsvTable {
  Matrix<float> values;             // (rows, cols) host, finite
  std::vector<std::string> header;  // column names when the first row is a header, else empty
};

// Comma-separated numbers, one sample per line. A first line with a non-empty, non-numeric cell is
// taken as a header. Blank lines are skipped; CRLF line ends and spaces and tabs around cells are
// accepted. Every data row must have the same number of cells, each a finite float32 number.
//  - Text: UTF-8 (a leading byte-order mark is dropped), LF or CRLF line ends, lines of at most
//    64 MiB. UTF-16/UTF-32 text, NUL bytes, CR-only line ends and longer lines are IoErrors that
//    say so.
//  - Cells: RFC 4180 quoting: "a, b" is one cell and "" inside quotes is a quote; a quoted cell
//    ends on its own line.
//  - Numbers: an optional sign, digits with '.' as the decimal mark, an optional exponent (7, +7,
//    -.5, 5., 1E5, 2.5e-3). Not numbers: decimal commas or thousands separators ("1,5", named as
//    such), hex, '1e', '+-1', '1.2.3'. NaN, infinities (any spelling) and values beyond float32
//    are rejected; values below its smallest subnormal read as zero.
LWNET_API CsvTable read_csv(const std::string& path);
// The same for text already in memory; `source` names it in errors.
LWNET_API CsvTable parse_csv(std::string_view text, const std::string& source);

// Where a data file keeps its labels.
struct LWNET_API LabelColumn {
  enum class Kind { none, first, last, index };
  Kind kind = Kind::none;
  std::int64_t index = 0;  // 0-based, for Kind::index

  // "first", "last" or a 1-based column number N.
  static LabelColumn parse(const std::string& text);
};

// A data table: numeric features and, when a label column is named, the labels as text.
struct LWNET_API Table {
  Matrix<float> X;                  // (rows, features) host, finite
  std::vector<std::string> labels;  // one per row when a label column was read, else empty
  std::vector<std::string> header;  // the header's cells (label column included), when there is one
  // The shape of one sample as the file stores it: an IDX file's dimensions after the first
  // ({28, 28} for MNIST), so an image keeps its height and width; empty for CSV.
  std::vector<std::int64_t> sample_shape;
};

// A CSV file (as parse_csv, with the label column's cells kept as text, which must be UTF-8) or an
// IDX file (MNIST format): the first dimension is the rows, the others are flattened into
// features (and kept in Table::sample_shape). IDX files hold no label column. Either may be gzip-compressed, in one member or
// several (detected from the content). Regular files and pipes are read; a directory or a device
// is an IoError.
LWNET_API Table read_table(const std::string& path, LabelColumn label_column = {});
LWNET_API Table parse_csv_table(std::string_view text, const std::string& source, LabelColumn label_column = {});

// One label per line (any integer or string; UTF-8 text, quoted as CSV cells are), or an IDX file
// of one dimension. A blank line before the last label is an empty label (an IoError naming the
// line); blank lines after it are ignored.
LWNET_API std::vector<std::string> read_labels(const std::string& path);
LWNET_API std::vector<std::string> parse_labels(std::string_view text, const std::string& source);

// The 10-fold layout of the reference data: DIR/NAME_K.csv, DIR/NAME_K_label.csv,
// DIR/NAME_K_test.csv and DIR/NAME_K_label_test.csv for fold K.
struct LWNET_API Fold {
  Table train;  // with labels
  Table test;   // with labels
};
// `stem` is DIR/NAME; throws IoError naming a missing or malformed file.
LWNET_API Fold read_fold(const std::string& stem, int k);

// Labels re-indexed 0..c-1 in sorted order: numerically when every label is an integer,
// lexicographically otherwise (spec 1.4). classes[j] is the original text of class j.
struct LWNET_API LabelEncoding {
  Labels labels;
  std::vector<std::string> classes;
};
LWNET_API LabelEncoding encode_labels(const std::vector<std::string>& raw);

}  // namespace lwnet
