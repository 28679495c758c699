#include "io/csv_text.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "lwnet/error.hpp"

namespace lwnet::io {

namespace {

using namespace std::string_view_literals;

std::string line_too_long() {
  return "line longer than " + std::to_string(kMaxLineBytes) + " bytes (" + std::to_string(kMaxLineBytes >> 20) +
         " MiB), the longest lwnet reads; is this a CSV file?";
}

std::size_t line_number_at(std::string_view text, std::size_t offset) {
  return 1 + static_cast<std::size_t>(std::count(text.data(), text.data() + offset, '\n'));
}

// UTF-16 text without a byte-order mark: in its first bytes, zeros sit at odd offsets (little-endian
// ASCII and Latin text) or even ones (big-endian), rarely at the other.
const char* utf16_byte_order(std::string_view text) {
  const std::size_t n = std::min<std::size_t>(text.size(), 1024) & ~std::size_t{1};
  std::size_t zero_even = 0;
  std::size_t zero_odd = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (text[i] == '\0') ++(i % 2 == 0 ? zero_even : zero_odd);
  const std::size_t pairs = n / 2;
  if (pairs == 0) return nullptr;
  if (zero_odd * 4 >= pairs && zero_even * 8 <= zero_odd) return "little-endian";
  if (zero_even * 4 >= pairs && zero_odd * 8 <= zero_even) return "big-endian";
  return nullptr;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

void fail_at(const std::string& source, std::size_t line, std::size_t column, const std::string& what) {
  std::string where = source + ":" + std::to_string(line);
  if (column > 0) where += ": column " + std::to_string(column);
  throw IoError(where + ": " + what);
}

std::string_view checked_text(std::string_view text, const std::string& source) {
  const std::string save_as_utf8 = "; save it as UTF-8 (in a spreadsheet: CSV UTF-8)";
  if (starts_with(text, "\xFF\xFE\0\0"sv) || starts_with(text, "\0\0\xFE\xFF"sv))
    throw IoError(source + ": looks like UTF-32 text (it starts with a UTF-32 byte-order mark)" + save_as_utf8);
  if (starts_with(text, "\xFF\xFE"sv) || starts_with(text, "\xFE\xFF"sv))
    throw IoError(source + ": looks like UTF-16 text (it starts with a UTF-16 " +
                  (text[0] == '\xFF' ? "little" : "big") + "-endian byte-order mark)" + save_as_utf8);
  if (starts_with(text, "\xEF\xBB\xBF"sv)) text.remove_prefix(3);  // UTF-8's byte-order mark
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    if (const char* order = utf16_byte_order(text))
      throw IoError(source + ": looks like UTF-16 text (" + order + ", no byte-order mark)" + save_as_utf8);
    fail_at(source, line_number_at(text, static_cast<std::size_t>(static_cast<const char*>(nul) - text.data())), 0,
            "holds a NUL byte: binary data, not CSV text");
  }
  if (text.find('\n') == std::string_view::npos) {
    const std::size_t cr = text.find('\r');
    if (cr != std::string_view::npos && cr + 1 < text.size())
      throw IoError(source + ": uses CR-only line endings (classic Mac OS); convert them to LF or CRLF");
  }
  return text;
}

void LineLengthGuard::operator()(std::string_view bytes) {
  if (bytes.size() >= 2 && bytes[0] == '\0' && bytes[1] == '\0') return;  // binary: IDX
  while (scanned_ < bytes.size()) {
    const void* lf = std::memchr(bytes.data() + scanned_, '\n', bytes.size() - scanned_);
    const std::size_t end =
        lf != nullptr ? static_cast<std::size_t>(static_cast<const char*>(lf) - bytes.data()) : bytes.size();
    if (end - line_start_ > kMaxLineBytes) fail_at(source_, line_number_at(bytes, line_start_), 0, line_too_long());
    scanned_ = end;
    if (lf != nullptr) line_start_ = scanned_ = end + 1;
  }
}

bool LineReader::next(std::string_view& line) {
  if (pos_ >= text_.size()) return false;
  const void* lf = std::memchr(text_.data() + pos_, '\n', text_.size() - pos_);
  const std::size_t end = lf != nullptr ? static_cast<std::size_t>(static_cast<const char*>(lf) - text_.data()) : text_.size();
  ++number_;
  if (end - pos_ > kMaxLineBytes) fail_at(source_, number_, 0, line_too_long());
  line = text_.substr(pos_, end - pos_);
  pos_ = end + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (std::memchr(line.data(), '\r', line.size()) != nullptr)
    fail_at(source_, number_, 0, "a carriage return (CR) inside the line; lines must end in LF or CRLF");
  return true;
}

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_blank(std::string_view line) { return trim_blanks(line).empty(); }

const std::vector<std::string_view>& CellSplitter::split(std::string_view line, const std::string& source,
                                                          std::size_t line_no) {
  cells_.clear();
  if (std::memchr(line.data(), '"', line.size()) == nullptr) {  // the common case: no quoting
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = line.find(',', start);
      if (comma == std::string_view::npos) {
        cells_.push_back(trim_blanks(line.substr(start)));
        return cells_;
      }
      cells_.push_back(trim_blanks(line.substr(start, comma - start)));
      start = comma + 1;
    }
  }
  // unquoted_ never reallocates below, so the views into it stay valid.
  unquoted_.clear();
  unquoted_.reserve(line.size());
  std::size_t pos = 0;
  while (true) {
    const std::size_t column = cells_.size() + 1;
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    std::size_t next = std::string_view::npos;  // the comma that ends this cell
    if (pos < line.size() && line[pos] == '"') {
      const std::size_t begin = unquoted_.size();
      ++pos;
      while (true) {
        const std::size_t quote = line.find('"', pos);
        if (quote == std::string_view::npos)
          fail_at(source, line_no, column, "quoted cell without its closing quote (a quoted cell must end on its line)");
        unquoted_.append(line.data() + pos, quote - pos);
        pos = quote + 1;
        if (pos < line.size() && line[pos] == '"') {  // "" stands for one quote
          unquoted_.push_back('"');
          ++pos;
          continue;
        }
        break;
      }
      cells_.emplace_back(unquoted_.data() + begin, unquoted_.size() - begin);
      while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
      if (pos < line.size() && line[pos] != ',')
        fail_at(source, line_no, column, "text after the closing quote of a quoted cell");
      next = pos < line.size() ? pos : std::string_view::npos;
    } else {
      next = line.find(',', pos);
      cells_.push_back(trim_blanks(line.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos)));
    }
    if (next == std::string_view::npos) return cells_;
    pos = next + 1;
  }
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    // The second byte's range rules out overlong forms, surrogates and code points past U+10FFFF.
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < length || p[1] < low || p[1] > high) return false;
    for (std::size_t k = 2; k < length; ++k)
      if (p[k] < 0x80 || p[k] > 0xBF) return false;
    p += length;
  }
  return true;
}

std::string shown(std::string_view cell) {
  constexpr std::size_t kShownBytes = 40;
  const bool utf8 = is_valid_utf8(cell);
  std::string out;
  std::size_t i = 0;
  for (; i < cell.size(); ++i) {
    const auto c = static_cast<unsigned char>(cell[i]);
    if (i >= kShownBytes && (!utf8 || (c & 0xC0) != 0x80)) break;  // cut between characters
    if (c < 0x20 || c == 0x7F || (!utf8 && c >= 0x80)) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", c);
      out += escaped;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (i < cell.size()) out += "...";
  return out;
}

}  // namespace lwnet::io
