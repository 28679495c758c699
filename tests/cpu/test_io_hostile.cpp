// Data files a hostile (or unlucky) user hands lwnet, each read right or refused with one error
// naming the file and line (issue 10): RFC 4180 quoted cells and decimal commas inside them, a
// UTF-8 byte-order mark, malformed and edge-case numbers, UTF-16/UTF-32 text, NUL bytes, CR-only
// line endings, blank and non-UTF-8 labels, over-long lines (in memory, through a pipe that never
// ends), directories, devices and named pipes.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "io/csv_text.hpp"
#include "lwnet/error.hpp"
#include "lwnet/io.hpp"

namespace lwnet::test {
namespace {

using namespace std::string_literals;

std::vector<float> values_of(const Matrix<float>& m) { return std::vector<float>(m.data(), m.data() + m.size()); }

// ---- quoting and decimal commas ------------------------------------------------------------------

TEST(CpuCsvHostile, QuotedCellsFollowRfc4180) {
  const CsvTable t = parse_csv("\"a\", \"b \"\"x\"\", c\" ,d\n\"1.5\",\" 2 \",3\n", "quoted.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b \"x\", c", "d"}));
  EXPECT_EQ(values_of(t.values), (std::vector<float>{1.5f, 2.0f, 3.0f}));
  // A quoted label keeps its commas and inner spaces; a quote inside an unquoted cell is text.
  EXPECT_EQ(parse_labels("\"cat, big\"\n\" dog \"\n5\"\n", "y.csv"), (std::vector<std::string>{"cat, big", " dog ", "5\""}));
  const Table labelled = parse_csv_table("1,\"x,y\"\n2,\"z\"\n", "l.csv", LabelColumn::parse("last"));
  EXPECT_EQ(labelled.labels, (std::vector<std::string>{"x,y", "z"}));
  EXPECT_EQ(values_of(labelled.X), (std::vector<float>{1, 2}));

  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\n3,\"4\n", "open.csv"); },
                                   {"open.csv:2: column 2", "without its closing quote"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\n\"3\"x,4\n", "after.csv"); },
                                   {"after.csv:2: column 1", "after the closing quote"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_labels("a\n\"\"\n", "y.csv"); }, {"y.csv:2", "empty label"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\n\"\",4\n", "hole.csv"); }, {"hole.csv:2: column 1", "empty cell"}));
}

TEST(CpuCsvHostile, DecimalCommasAreRejectedNotSplit) {
  // European spreadsheets quote "1,5": one cell that is not a '.'-decimal number, never two features.
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("\"1,5\",\"2,5\"\n\"3,5\",\"4,5\"\n", "comma.csv"); },
                                   {"comma.csv:1: column 1", "'1,5'", "decimal comma", "'.'"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("a,b\n1.5,\"2,5\"\n", "comma.csv"); },
                                   {"comma.csv:2: column 2", "'2,5'", "decimal comma"}));
  for (const char* cell : {"\"1.234,5\"", "\"1,000\"", "\"-0,5e3\""})
    EXPECT_TRUE(throws_with<IoError>([&] { parse_csv("1,"s + cell + "\n", "c.csv"); }, {"c.csv:1: column 2", "decimal comma"}))
        << cell;
  // A first row of decimal-comma numbers is data (and so an error), not a header.
  EXPECT_TRUE(throws_with<IoError>(
      [] { parse_csv_table("\"0,5\",cat\n\"1,5\",dog\n", "first.csv", LabelColumn::parse("last")); },
      {"first.csv:1: column 1", "decimal comma"}));
  // Text with a comma is a header cell as before.
  EXPECT_EQ(parse_csv("\"x, cm\",y\n1,2\n", "h.csv").header, (std::vector<std::string>{"x, cm", "y"}));
}

// ---- encodings and line endings ------------------------------------------------------------------

TEST(CpuCsvHostile, Utf8ByteOrderMarkIsDropped) {
  const std::string bom = "\xEF\xBB\xBF";
  const CsvTable data = parse_csv(bom + "1,2\n3,4\n", "bom.csv");
  EXPECT_TRUE(data.header.empty()) << "the BOM must not turn row 1 into a header";
  EXPECT_EQ(data.values.rows(), 2);
  EXPECT_EQ(values_of(data.values), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(parse_csv(bom + "a,b\r\n1,2\r\n", "bom.csv").header, (std::vector<std::string>{"a", "b"}));
  const std::vector<std::string> labels = parse_labels(bom + "0\n1\n0\n", "bom_labels.csv");
  EXPECT_EQ(labels, (std::vector<std::string>{"0", "1", "0"}));
  EXPECT_EQ(encode_labels(labels).classes, (std::vector<std::string>{"0", "1"}));
  const Table first = parse_csv_table(bom + "0,1.5\n1,2.5\n", "bom.csv", LabelColumn::parse("first"));
  EXPECT_EQ(first.labels, (std::vector<std::string>{"0", "1"}));
}

TEST(CpuCsvHostile, Utf16Utf32AndNulBytesAreNamed) {
  auto utf16 = [](const std::string& ascii, bool little_endian) {
    std::string out;
    for (char c : ascii) out += little_endian ? std::string{c, '\0'} : std::string{'\0', c};
    return out;
  };
  const std::string text = "1,2\r\n3,4\r\n";
  const std::string le_bom = "\xFF\xFE" + utf16(text, true);
  const std::string be_bom = "\xFE\xFF" + utf16(text, false);
  for (const auto& [file_bytes, needle] : std::vector<std::pair<std::string, std::string>>{
           {le_bom, "little-endian byte-order mark"},
           {be_bom, "big-endian byte-order mark"},
           {utf16(text, true), "little-endian, no byte-order mark"},
           {utf16(text, false), "big-endian, no byte-order mark"}}) {
    const std::string& bytes = file_bytes;  // a lambda may not capture a structured binding (C++17)
    EXPECT_TRUE(throws_with<IoError>([&] { parse_csv(bytes, "wide.csv"); }, {"wide.csv: looks like UTF-16", needle, "save it as UTF-8"}));
    EXPECT_TRUE(throws_with<IoError>([&] { parse_labels(bytes, "wide_labels.csv"); }, {"wide_labels.csv: looks like UTF-16"}));
  }
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("\xFF\xFE\0\0"s "1\0\0\0"s, "u32.csv"); }, {"u32.csv: looks like UTF-32"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\n3,4\n5,\0\n"s, "nul.csv"); }, {"nul.csv:3: holds a NUL byte"}));
}

TEST(CpuCsvHostile, CrOnlyLineEndingsAreNamed) {
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\r3,4\r5,6\r", "mac.csv"); },
                                   {"mac.csv: uses CR-only line endings", "LF or CRLF"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_labels("0\r1\r0", "mac_labels.csv"); }, {"mac_labels.csv: uses CR-only"}));
  // A lone CR among LF line ends names its line.
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\n3,4\r5,6\n", "mixed.csv"); },
                                   {"mixed.csv:2: a carriage return (CR) inside the line"}));
  // One line ending in CR, and CRLF, read as before.
  EXPECT_EQ(values_of(parse_csv("1,2\r", "one.csv").values), (std::vector<float>{1, 2}));
  EXPECT_EQ(values_of(parse_csv("1,2\r\n3,4\r\n", "crlf.csv").values), (std::vector<float>{1, 2, 3, 4}));
}

// ---- numbers -------------------------------------------------------------------------------------

TEST(CpuCsvHostile, MalformedNumbersAreRejected) {
  for (const char* cell : {"+-1.5", "-+1", "++1", "--1", "1e", "1e+", "1.2.3", "0x10", "0X1p3", "1_0", "1 2", "- 1",
                           "+", "-", ".", "e5", "1.5e-", "\xD9\xA1", "1\xC2\xA0"}) {
    const std::string csv = "1,2\n3,"s + cell + "\n";
    EXPECT_TRUE(throws_with<IoError>([&] { parse_csv(csv, "num.csv"); }, {"num.csv:2: column 2", "is not a number"}))
        << "'" << cell << "'";
  }
  // Every spelling of NaN and infinity, and values beyond float32, are numbers that are not finite.
  for (const char* cell : {"nan", "NaN", "-nan", "nan(1)", "inf", "-Inf", "+inf", "infinity", "INFINITY", "1e39",
                           "-1e39", "3.4028236e38", "1e999999999999"}) {
    const std::string csv = "1,2\n3,"s + cell + "\n";
    EXPECT_TRUE(throws_with<IoError>([&] { parse_csv(csv, "num.csv"); }, {"num.csv:2: column 2", "not a finite float32"}))
        << "'" << cell << "'";
  }
}

TEST(CpuCsvHostile, EdgeCaseNumbersReadExactly) {
  const CsvTable t = parse_csv(" +7 ,\t.5\t,5.,-.5,1E5,00012,3.4028235e38,1e-45,1e-50,-1e-50,0.000001e-300,-0\n", "ok.csv");
  const std::vector<float> v = values_of(t.values);
  ASSERT_EQ(v.size(), 12u);
  EXPECT_EQ(std::vector<float>(v.begin(), v.begin() + 7), (std::vector<float>{7, 0.5f, 5, -0.5f, 1e5f, 12, FLT_MAX}));
  EXPECT_EQ(v[7], std::nextafter(0.0f, 1.0f)) << "the smallest subnormal";
  // Below float32's smallest subnormal: zero with its sign, not "not finite" (was a wrong error).
  EXPECT_EQ(v[8], 0.0f);
  EXPECT_FALSE(std::signbit(v[8]));
  EXPECT_EQ(v[9], 0.0f);
  EXPECT_TRUE(std::signbit(v[9]));
  EXPECT_EQ(v[10], 0.0f);
  EXPECT_TRUE(std::signbit(v[11]));
  // Labels: "+-1" is text, not the integer -1.
  const LabelEncoding e = encode_labels({"+-1", "-1"});
  EXPECT_EQ(e.classes, (std::vector<std::string>{"+-1", "-1"}));
}

// ---- labels --------------------------------------------------------------------------------------

TEST(CpuLabelsHostile, BlankLineBetweenLabelsIsNamed) {
  EXPECT_TRUE(throws_with<IoError>([] { parse_labels("0\n1\n\n0\n", "y.csv"); }, {"y.csv:3: empty label"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_labels("\n0\n1\n", "y.csv"); }, {"y.csv:1: empty label"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_labels("0\r\n \t\r\n\r\n1\r\n", "y.csv"); }, {"y.csv:2: empty label"}));
  // Blank lines after the last label are the end of the file.
  EXPECT_EQ(parse_labels("0\n1\n\n\n  \n", "y.csv"), (std::vector<std::string>{"0", "1"}));
}

TEST(CpuLabelsHostile, LabelsMustBeUtf8) {
  EXPECT_EQ(parse_labels("caf\xC3\xA9\n\xE7\x8C\xAB\n\xF0\x9F\x90\x88\n", "y.csv"),
            (std::vector<std::string>{"caf\xC3\xA9", "\xE7\x8C\xAB", "\xF0\x9F\x90\x88"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_labels("a\ncaf\xE9\n", "latin1.csv"); },
                                   {"latin1.csv:2: label 'caf\\xE9' is not valid UTF-8", "save the file as UTF-8"}));
  EXPECT_TRUE(throws_with<IoError>(
      [] { parse_csv_table("1,a\n2,caf\xE9\n", "latin1.csv", LabelColumn::parse("last")); },
      {"latin1.csv:2: column 2: label", "not valid UTF-8"}));
  // Overlong forms, UTF-16 surrogates, code points past U+10FFFF and cut sequences are not UTF-8.
  for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE7\x8C", "\x80"})
    EXPECT_TRUE(throws_with<IoError>([&] { parse_labels("a\n"s + bad + "\n", "bad.csv"); }, {"bad.csv:2", "UTF-8"}));
}

// ---- over-long lines -----------------------------------------------------------------------------

TEST(CpuCsvHostile, OverlongLinesAreRefused) {
  const std::string long_line(io::kMaxLineBytes + 1, '1');
  EXPECT_TRUE(throws_with<IoError>([&] { parse_csv("1\n" + long_line, "long.csv"); },
                                   {"long.csv:2: line longer than 67108864 bytes (64 MiB)"}));
  EXPECT_TRUE(throws_with<IoError>([&] { parse_labels(long_line + "\n1\n", "long_labels.csv"); }, {"long_labels.csv:1: line longer"}));
  // The reader's guard stops at the same limit: a line of exactly kMaxLineBytes is fine.
  io::LineLengthGuard exact("exact.csv");
  std::string bytes = "1\n" + std::string(io::kMaxLineBytes, '2');
  EXPECT_NO_THROW(exact(bytes));
  bytes += "\n3";
  EXPECT_NO_THROW(exact(bytes));
  io::LineLengthGuard over("over.csv");
  EXPECT_TRUE(throws_with<IoError>([&] { over("1\n2\n" + long_line); }, {"over.csv:3: line longer"}));
  // Binary data (IDX starts with two zero bytes) have no lines.
  io::LineLengthGuard binary("images.idx");
  EXPECT_NO_THROW(binary(std::string(2, '\0') + long_line));
}

// ---- what is not a data file ---------------------------------------------------------------------

class CpuFilesHostile : public ::testing::Test {
 protected:
  std::string path(const std::string& name) {
    const std::string p = ::testing::TempDir() + "lwnet_test_io_hostile_" + name;
    paths_.push_back(p);
    return p;
  }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string p = path(name);
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
    return p;
  }
  ~CpuFilesHostile() override {
    for (const auto& p : paths_) {
      std::remove(p.c_str());
      ::rmdir(p.c_str());
    }
  }
  std::vector<std::string> paths_;
};

TEST_F(CpuFilesHostile, DirectoriesDevicesAndNamedPipesGiveOneError) {
  const std::string dir = path("dir");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(dir); }, {dir + ": is a directory"}));
  EXPECT_TRUE(throws_with<IoError>([&] { read_labels(dir); }, {dir + ": is a directory"}));
  EXPECT_TRUE(throws_with<IoError>([&] { read_csv(dir); }, {dir + ": is a directory"}));
  for (const char* device : {"/dev/zero", "/dev/null", "/dev/urandom"}) {
    if (::access(device, R_OK) != 0) continue;
    EXPECT_TRUE(throws_with<IoError>([&] { read_table(device); }, {std::string(device) + ": is a character device"}));
  }
  // A named pipe nobody writes to: the open does not wait for a writer.
  const std::string fifo = path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(fifo); }, {fifo + ": is a pipe that gave no data"}));
  EXPECT_TRUE(throws_with<IoError>([&] { read_labels(fifo); }, {fifo + ": is a pipe that gave no data"}));
}

// Writes `total` bytes of `unit` repeated into the write end of a pipe, stopping when the reader
// goes away; returns how many bytes went in.
std::size_t feed_pipe(int fd, const std::string& unit, std::size_t total) {
  std::size_t written = 0;
  while (written < total) {
    const ssize_t n = ::write(fd, unit.data(), std::min(unit.size(), total - written));
    if (n <= 0) break;  // EPIPE: the reader closed its end
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return written;
}

TEST_F(CpuFilesHostile, PipesAreReadAndAnEndlessLineStopsAt64MiB) {
  // A pipe (as /dev/stdin or a shell's <(...) gives) holding a small table reads as a file does.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string table = "\xEF\xBB\xBF" "a,b\n1,2\n3,4\n";
  std::thread small([&] { feed_pipe(fds[1], table, table.size()); });
  const Table t = read_table("/dev/fd/" + std::to_string(fds[0]));
  small.join();
  ::close(fds[0]);
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(values_of(t.X), (std::vector<float>{1, 2, 3, 4}));

  // A line that never ends (like `cat /dev/zero |`, here 256 MiB of digits): the reader stops at the
  // line limit instead of reading on, so the writer cannot get much past 64 MiB.
  const auto old_handler = ::signal(SIGPIPE, SIG_IGN);  // the writer sees EPIPE instead
  ASSERT_EQ(::pipe(fds), 0);
  const std::string megabyte(std::size_t{1} << 20, '7');
  constexpr std::size_t kOffered = std::size_t{256} << 20;
  std::size_t written = 0;
  std::thread endless([&] { written = feed_pipe(fds[1], megabyte, kOffered); });
  const std::string endless_path = "/dev/fd/" + std::to_string(fds[0]);
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(endless_path); }, {endless_path + ":1: line longer than"}));
  ::close(fds[0]);  // the last read end: the writer's next write fails
  endless.join();
  ::signal(SIGPIPE, old_handler);
  // At most the limit, the reader's last chunk (1 MiB), the pipe's buffer and one write past them.
  EXPECT_LT(written, io::kMaxLineBytes + (std::size_t{8} << 20)) << "the reader read on past the limit";
}

}  // namespace
}  // namespace lwnet::test
