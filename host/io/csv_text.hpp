// CSV bytes into lines and cells. Text that is not UTF-8 CSV gets one error naming what it is
// instead of a misleading one about its content: UTF-16/UTF-32 text, NUL bytes, CR-only line
// endings, lines longer than kMaxLineBytes, a quoted cell left open. A UTF-8 byte-order mark is
// dropped. Cells follow RFC 4180 quoting, one line per record.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lwnet::io {

// The longest line read (bytes before its LF; 200x a Fashion-MNIST row). A longer one is surely
// not a table row (/dev/zero, a binary file, a table written on one line) and would cost memory
// out of proportion to the file.
inline constexpr std::size_t kMaxLineBytes = std::size_t{64} << 20;

// `text` without a leading UTF-8 byte-order mark. IoError naming `source` when the bytes are
// UTF-16 or UTF-32 text, hold a NUL byte, or end their lines with CR alone.
std::string_view checked_text(std::string_view text, const std::string& source);

// A read_file observer that stops at the first line longer than kMaxLineBytes, so an endless or
// huge line is refused after 64 MiB instead of being read whole. Binary data (starting with two
// zero bytes, as every IDX file does) are left alone.
class LineLengthGuard {
 public:
  explicit LineLengthGuard(std::string source) : source_(std::move(source)) {}
  void operator()(std::string_view bytes_so_far);

 private:
  std::string source_;
  std::size_t scanned_ = 0;     // bytes already looked at
  std::size_t line_start_ = 0;  // where the unfinished line begins
};

// The lines of checked text, without their LF or CRLF ending, numbered from 1. IoError for a line
// longer than kMaxLineBytes or with a CR inside it.
class LineReader {
 public:
  LineReader(std::string_view text, const std::string& source) : text_(text), source_(source) {}
  // The next line; false at the end of the text.
  bool next(std::string_view& line);
  // The number of the line `next` returned last.
  std::size_t number() const { return number_; }

 private:
  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
  std::size_t number_ = 0;
};

// Splits lines into cells at commas, dropping spaces and tabs around each cell. A cell that starts
// with a double quote runs to its closing quote and may hold commas and "" for a quote (RFC 4180);
// it must close on its own line, with nothing but spaces after it. A quote inside an unquoted cell
// is kept as text.
class CellSplitter {
 public:
  // The cells of `line` (number `line_no` of `source`), valid until the next call.
  const std::vector<std::string_view>& split(std::string_view line, const std::string& source, std::size_t line_no);

 private:
  std::vector<std::string_view> cells_;
  std::string unquoted_;  // quoted cells' text, without quotes and escapes
};

std::string_view trim_blanks(std::string_view s);
bool is_blank(std::string_view line);
bool is_valid_utf8(std::string_view text);

// A cell as an error message shows it: at most 40 bytes, control bytes and (in text that is not
// UTF-8) bytes above 0x7F written as \xNN, "..." when cut.
std::string shown(std::string_view cell);

// Throws IoError "SOURCE:LINE: column C: WHAT" (no column when it is 0).
[[noreturn]] void fail_at(const std::string& source, std::size_t line, std::size_t column, const std::string& what);

}  // namespace lwnet::io
