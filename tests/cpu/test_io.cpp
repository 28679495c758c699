// Data files (io.hpp): CSV parsing (header auto-detection, CRLF, blank lines, spaces, number
// formats), malformed CSV (ragged row, non-numeric, NaN/Inf/overflowing or empty cell, no data)
// reported as IoError naming the source, line and column; label files; reading from disk; and
// encode_labels' order (numeric for integers — 2/4 -> 0/1, 10 after 9 — else lexicographic).
#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/error.hpp"
#include "lwnet/io.hpp"

namespace lwnet::test {
namespace {

std::vector<float> values_of(const CsvTable& t) {
  return std::vector<float>(t.values.data(), t.values.data() + t.values.size());
}

TEST(CpuCsv, HeaderIsDetectedFromANonNumericFirstRow) {
  const CsvTable t = parse_csv("a, b ,c\n1,2,3\n4,5,6\n", "mem.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(t.values.rows(), 2);
  ASSERT_EQ(t.values.cols(), 3);
  EXPECT_EQ(values_of(t), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // A header with some numeric names is still a header.
  const CsvTable t2 = parse_csv("x1,2\n1,2\n", "mem.csv");
  EXPECT_EQ(t2.header, (std::vector<std::string>{"x1", "2"}));
  EXPECT_EQ(t2.values.rows(), 1);
}

TEST(CpuCsv, NumericFirstRowIsData) {
  const CsvTable t = parse_csv("1.5,-2e-3,+7\n0,1e3,-0.25", "mem.csv");
  EXPECT_TRUE(t.header.empty());
  ASSERT_EQ(t.values.rows(), 2);
  EXPECT_EQ(values_of(t), (std::vector<float>{1.5f, -2e-3f, 7.0f, 0.0f, 1000.0f, -0.25f}));
}

TEST(CpuCsv, CrlfBlankLinesAndSpaces) {
  const CsvTable t = parse_csv("\r\nf1,f2\r\n\r\n 1 , 2 \r\n   \r\n\t3,\t4\r\n\r\n", "mem.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"f1", "f2"}));
  ASSERT_EQ(t.values.rows(), 2);
  EXPECT_EQ(values_of(t), (std::vector<float>{1, 2, 3, 4}));
  const CsvTable one = parse_csv("42", "mem.csv");
  ASSERT_EQ(one.values.rows(), 1);
  ASSERT_EQ(one.values.cols(), 1);
  EXPECT_EQ(one.values(0, 0), 42.0f);
}

TEST(CpuCsv, MalformedInputNamesSourceLineAndColumn) {
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2,3\n4,5,6\n7,8\n", "ragged.csv"); },
                                   {"ragged.csv:3", "has 2 cells, expected 3"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("a,b\n1,2\n\n3,4,5\n", "hdr.csv"); },
                                   {"hdr.csv:4", "has 3 cells, expected 2", "header"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\n3,abc\n", "text.csv"); },
                                   {"text.csv:2", "column 2", "'abc' is not a number"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\n3,4x\n", "trail.csv"); }, {"trail.csv:2", "'4x'"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\nnan,4\n", "nan.csv"); },
                                   {"nan.csv:2", "column 1", "not a finite"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\n3,inf\n", "inf.csv"); }, {"inf.csv:2", "column 2", "finite"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\n3,1e39\n", "big.csv"); }, {"big.csv:2", "1e39", "finite"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2,3\n1,,3\n", "hole.csv"); }, {"hole.csv:2", "column 2", "empty cell"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("", "empty.csv"); }, {"empty.csv", "no data rows"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("\n \r\n\n", "blank.csv"); }, {"blank.csv", "no data rows"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("a,b,c\n", "header_only.csv"); }, {"header_only.csv", "no data rows"}));
  // A header in the middle is a row of non-numbers.
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv("1,2\nx,y\n3,4\n", "mid.csv"); }, {"mid.csv:2", "'x' is not a number"}));
}

TEST(CpuCsv, HugeFieldCountsAreReadOrRejectedByRow) {
  // One row of 10^6 cells is a valid 1 x 10^6 table; a shorter row after it is named.
  std::string wide;
  for (int j = 0; j < 1000000; ++j) wide += j == 0 ? "1" : ",2";
  const CsvTable table = parse_csv(wide + "\n", "wide.csv");
  EXPECT_EQ(table.values.rows(), 1);
  EXPECT_EQ(table.values.cols(), 1000000);
  EXPECT_EQ(table.values(0, 999999), 2.0f);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_csv(wide + "\n1,2\n", "wide.csv"); },
                                   {"wide.csv:2", "has 2 cells, expected 1000000"}));
}

TEST(CpuLabels, OnePerLine) {
  // Spaces around a label are dropped; blank lines after the last label are the file's end (a
  // blank line between labels is an error: CpuLabelsHostile.BlankLineBetweenLabelsIsNamed).
  EXPECT_EQ(parse_labels("2\r\n4\n  2 \n cat\n\r\n\n", "y.txt"), (std::vector<std::string>{"2", "4", "2", "cat"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_labels("1\n2,3\n", "y.txt"); }, {"y.txt:2", "has 2 cells"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_labels("\n\n", "none.txt"); }, {"none.txt", "no labels"}));
}

class CpuFiles : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + "lwnet_test_io_" + name;
    std::ofstream(path, std::ios::binary) << text;
    paths_.push_back(path);
    return path;
  }
  ~CpuFiles() override {
    for (const auto& p : paths_) std::remove(p.c_str());
  }
  std::vector<std::string> paths_;
};

TEST_F(CpuFiles, ReadsFromDiskAndNamesThePath) {
  const std::string x = write("x.csv", "u,v\r\n1,2\r\n3,4\r\n");
  const CsvTable t = read_csv(x);
  EXPECT_EQ(t.header, (std::vector<std::string>{"u", "v"}));
  EXPECT_EQ(values_of(t), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(read_labels(write("y.txt", "4\n2\n")), (std::vector<std::string>{"4", "2"}));

  const std::string ragged = write("ragged.csv", "1,2\n3\n");
  EXPECT_TRUE(throws_with<IoError>([&] { read_csv(ragged); }, {ragged + ":2", "has 1 cells, expected 2"}));
  const std::string missing = ::testing::TempDir() + "lwnet_test_io_does_not_exist.csv";
  EXPECT_TRUE(throws_with<IoError>([&] { read_csv(missing); }, {missing, "cannot open"}));
  EXPECT_TRUE(throws_with<IoError>([&] { read_labels(missing); }, {missing, "cannot open"}));
}

TEST(CpuEncodeLabels, NumericLabelsSortNumerically) {
  const LabelEncoding e = encode_labels({"4", "2", "2", "4", "4"});
  EXPECT_EQ(e.labels.y, (std::vector<int>{1, 0, 0, 1, 1}));
  EXPECT_EQ(e.labels.num_classes, 2);
  EXPECT_EQ(e.classes, (std::vector<std::string>{"2", "4"}));
  EXPECT_NO_THROW(e.labels.validate(5, "test"));

  const LabelEncoding tens = encode_labels({"10", "9", "1", "10", "-3"});
  EXPECT_EQ(tens.classes, (std::vector<std::string>{"-3", "1", "9", "10"}));
  EXPECT_EQ(tens.labels.y, (std::vector<int>{3, 2, 1, 3, 0}));
}

TEST(CpuEncodeLabels, OtherLabelsSortLexicographically) {
  const LabelEncoding e = encode_labels({"b", "a", "c", "a"});
  EXPECT_EQ(e.classes, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(e.labels.y, (std::vector<int>{1, 0, 2, 0}));
  // One non-integer makes the whole set textual: "10" < "9" < "x" as strings.
  const LabelEncoding mixed = encode_labels({"9", "10", "x"});
  EXPECT_EQ(mixed.classes, (std::vector<std::string>{"10", "9", "x"}));
  EXPECT_EQ(mixed.labels.y, (std::vector<int>{1, 0, 2}));
  const LabelEncoding decimals = encode_labels({"1.5", "10", "2"});
  EXPECT_EQ(decimals.classes, (std::vector<std::string>{"1.5", "10", "2"}));
  EXPECT_TRUE(throws_with<InvalidArgument>([] { encode_labels({}); }, {"no labels"}));
}

}  // namespace
}  // namespace lwnet::test
