// Data tables (io.hpp): read_table with a label column (first, last, a 1-based N; labels kept as
// text; the header detected while ignoring the label column), LabelColumn::parse; IDX files
// (types 0x08 and 0x0D, 2-D and 3-D flattened row-major, labels, gzip-compressed) written here
// byte by byte; malformed IDX and gzip (IoError naming the file); multi-member gzip files; a
// gzip file of one endless line; read_fold on the committed wine fold and on missing files.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "io/idx.hpp"
#include "kme_models.hpp"
#include "lwnet/error.hpp"
#include "lwnet/io.hpp"

namespace lwnet::test {
namespace {

std::vector<float> values_of(const Matrix<float>& m) { return std::vector<float>(m.data(), m.data() + m.size()); }

class CpuTableFiles : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = ::testing::TempDir() + "lwnet_test_io_tables_" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    paths_.push_back(path);
    return path;
  }
  ~CpuTableFiles() override {
    for (const auto& p : paths_) std::remove(p.c_str());
  }
  std::vector<std::string> paths_;
};

// ---- label columns -------------------------------------------------------------------------------

TEST(CpuLabelColumn, Parse) {
  EXPECT_EQ(LabelColumn::parse("first").kind, LabelColumn::Kind::first);
  EXPECT_EQ(LabelColumn::parse("last").kind, LabelColumn::Kind::last);
  const LabelColumn one = LabelColumn::parse("1");
  EXPECT_EQ(one.kind, LabelColumn::Kind::index);
  EXPECT_EQ(one.index, 0);
  EXPECT_EQ(LabelColumn::parse("14").index, 13);
  for (const char* bad : {"0", "-1", "", "abc", "2x", "1.5", " 3", "First", "+"})
    EXPECT_TRUE(throws_with<InvalidArgument>([&] { LabelColumn::parse(bad); }, {"--label-column", bad})) << "'" << bad << "'";
  EXPECT_EQ(LabelColumn{}.kind, LabelColumn::Kind::none);
}

TEST(CpuReadTable, LabelColumnFirstLastAndN) {
  const Table first = parse_csv_table("7,1.5,2\n9,3,4\n", "m.csv", LabelColumn::parse("first"));
  EXPECT_EQ(first.labels, (std::vector<std::string>{"7", "9"}));
  ASSERT_EQ(first.X.rows(), 2);
  ASSERT_EQ(first.X.cols(), 2);
  EXPECT_EQ(values_of(first.X), (std::vector<float>{1.5f, 2, 3, 4}));

  // Labels are kept as text exactly as written (no numeric normalisation).
  const Table last = parse_csv_table("1,2,+03\n3,4,2.50\r\n5,6, b c \n", "m.csv", LabelColumn::parse("last"));
  EXPECT_EQ(last.labels, (std::vector<std::string>{"+03", "2.50", "b c"}));
  EXPECT_EQ(values_of(last.X), (std::vector<float>{1, 2, 3, 4, 5, 6}));

  const Table middle = parse_csv_table("1,cat,2\n3,dog,4\n", "m.csv", LabelColumn::parse("2"));
  EXPECT_EQ(middle.labels, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(values_of(middle.X), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_TRUE(middle.header.empty());

  const Table none = parse_csv_table("1,2\n3,4\n", "m.csv");
  EXPECT_TRUE(none.labels.empty());
  EXPECT_EQ(none.X.cols(), 2);
}

TEST(CpuReadTable, HeaderDetectionIgnoresTheLabelColumn) {
  // Text in the label column of the first row is a label, not a header ...
  const Table data = parse_csv_table("setosa,5.1,3.5\nvirginica,6.3,2.9\n", "iris.csv", LabelColumn::parse("first"));
  EXPECT_TRUE(data.header.empty());
  EXPECT_EQ(data.labels, (std::vector<std::string>{"setosa", "virginica"}));
  EXPECT_EQ(data.X.rows(), 2);
  // ... text elsewhere makes it a header (label column included in the header's cells) ...
  const Table with_header =
      parse_csv_table("species,length,width\nsetosa,5.1,3.5\n", "iris.csv", LabelColumn::parse("first"));
  EXPECT_EQ(with_header.header, (std::vector<std::string>{"species", "length", "width"}));
  EXPECT_EQ(with_header.labels, (std::vector<std::string>{"setosa"}));
  EXPECT_EQ(values_of(with_header.X), (std::vector<float>{5.1f, 3.5f}));
  // ... and without a label column, text in that column is a header too.
  const Table no_labels = parse_csv_table("setosa,5.1,3.5\n1,2,3\n", "iris.csv");
  EXPECT_EQ(no_labels.header.size(), 3u);
  EXPECT_EQ(no_labels.X.rows(), 1);
}

TEST(CpuReadTable, LabelColumnErrors) {
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv_table("1,2\n3,4\n", "few.csv", LabelColumn::parse("3")); },
                                   {"few.csv:1", "no label column 3"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv_table("1\n2\n", "one.csv", LabelColumn::parse("first")); },
                                   {"one.csv:1", "at least one feature"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv_table("a,1\n,2\n", "hole.csv", LabelColumn::parse("first")); },
                                   {"hole.csv:2", "column 1", "empty label"}));
  EXPECT_TRUE(throws_with<IoError>([] { parse_csv_table("a,1\nb,x\n", "text.csv", LabelColumn::parse("first")); },
                                   {"text.csv:2", "column 2", "'x'"}));
}

TEST_F(CpuTableFiles, ReadTableFromDisk) {
  const std::string path = write("labelled.csv", "f1,f2,class\n0.5,1,yes\n2,3,no\n");
  const Table t = read_table(path, LabelColumn::parse("last"));
  EXPECT_EQ(t.header, (std::vector<std::string>{"f1", "f2", "class"}));
  EXPECT_EQ(t.labels, (std::vector<std::string>{"yes", "no"}));
  EXPECT_EQ(values_of(t.X), (std::vector<float>{0.5f, 1, 2, 3}));
  const std::string missing = ::testing::TempDir() + "lwnet_test_io_tables_missing.csv";
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(missing); }, {missing, "cannot open"}));
}

// ---- IDX -----------------------------------------------------------------------------------------

void put_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string idx_header(unsigned char type, const std::vector<std::uint32_t>& dims) {
  std::string out{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims) put_be32(out, d);
  return out;
}

std::string idx_bytes(const std::vector<std::uint32_t>& dims, const std::vector<unsigned char>& values) {
  std::string out = idx_header(0x08, dims);
  for (auto v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string idx_floats(const std::vector<std::uint32_t>& dims, const std::vector<float>& values) {
  std::string out = idx_header(0x0D, dims);
  for (float v : values) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, 4);
    put_be32(out, bits);  // big-endian, as IDX stores every multi-byte value
  }
  return out;
}

// gzip (not zlib) framing: deflate with windowBits 15 + 16.
std::string gzip(const std::string& raw) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, static_cast<uLong>(raw.size())) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  s.avail_in = static_cast<uInt>(raw.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x8b);
  return out;
}

std::vector<unsigned char> byte_ramp(std::size_t count) {
  std::vector<unsigned char> v;
  for (std::size_t i = 0; i < count; ++i) v.push_back(static_cast<unsigned char>((i * 37 + 11) % 256));
  return v;
}

std::vector<float> as_floats(const std::vector<unsigned char>& v) { return std::vector<float>(v.begin(), v.end()); }

TEST_F(CpuTableFiles, IdxUnsignedBytes2dAnd3d) {
  const std::vector<unsigned char> v = byte_ramp(24);
  for (const bool compressed : {false, true}) {
    SCOPED_TRACE(compressed ? "gzip" : "plain");
    auto maybe = [&](const std::string& raw) { return compressed ? gzip(raw) : raw; };
    const Table two = read_table(write(compressed ? "u8_2d.idx.gz" : "u8_2d.idx", maybe(idx_bytes({3, 8}, v))));
    ASSERT_EQ(two.X.rows(), 3);
    ASSERT_EQ(two.X.cols(), 8);
    EXPECT_EQ(values_of(two.X), as_floats(v));
    EXPECT_TRUE(two.labels.empty());
    EXPECT_TRUE(two.header.empty());
    // (2, 3, 4): each 3 x 4 image becomes one row of 12 features, row-major.
    const Table three = read_table(write(compressed ? "u8_3d.idx.gz" : "u8_3d.idx", maybe(idx_bytes({2, 3, 4}, v))));
    ASSERT_EQ(three.X.rows(), 2);
    ASSERT_EQ(three.X.cols(), 12);
    EXPECT_EQ(three.X(1, 0), static_cast<float>(v[12]));
    EXPECT_EQ(three.X(0, 11), static_cast<float>(v[11]));
    EXPECT_EQ(values_of(three.X), as_floats(v));
  }
}

TEST_F(CpuTableFiles, IdxFloats2dAnd3d) {
  const std::vector<float> v = {-1.5f, 3.25f, 1e-3f, 0.0f, -0.0f, 65504.0f, 1.17549435e-38f, -7.0f,
                                0.1f,  2.0f,  -3e10f, 42.0f};
  const Table two = read_table(write("f32_2d.idx", idx_floats({4, 3}, v)));
  ASSERT_EQ(two.X.rows(), 4);
  ASSERT_EQ(two.X.cols(), 3);
  EXPECT_EQ(values_of(two.X), v);
  EXPECT_TRUE(std::signbit(two.X(1, 1))) << "-0.0 keeps its sign";
  const Table three = read_table(write("f32_3d.idx.gz", gzip(idx_floats({2, 2, 3}, v))));
  ASSERT_EQ(three.X.rows(), 2);
  ASSERT_EQ(three.X.cols(), 6);
  EXPECT_EQ(values_of(three.X), v);
}

TEST_F(CpuTableFiles, IdxLabels) {
  const std::vector<unsigned char> y = {3, 0, 9, 255, 1};
  const std::vector<std::string> expected = {"3", "0", "9", "255", "1"};
  EXPECT_EQ(read_labels(write("labels.idx", idx_bytes({5}, y))), expected);
  EXPECT_EQ(read_labels(write("labels.idx.gz", gzip(idx_bytes({5}, y)))), expected);
  // Labels must be one-dimensional integers; a 1-D array is not a feature table.
  EXPECT_TRUE(throws_with<IoError>([&] { read_labels(write("labels_2d.idx", idx_bytes({5, 1}, y))); },
                                   {"labels_2d.idx", "one-dimensional"}));
  EXPECT_TRUE(throws_with<IoError>([&] { read_labels(write("labels_f.idx", idx_floats({2}, {1.0f, 2.0f}))); },
                                   {"labels_f.idx", "integers"}));
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(write("features_1d.idx", idx_bytes({5}, y))); },
                                   {"features_1d.idx", "one-dimensional"}));
  // IDX files hold no label column.
  EXPECT_TRUE(throws_with<IoError>(
      [&] { read_table(write("u8_label_column.idx", idx_bytes({2, 2}, {1, 2, 3, 4})), LabelColumn::parse("first")); },
      {"u8_label_column.idx", "no label column"}));
}

TEST_F(CpuTableFiles, MalformedIdxNamesTheFile) {
  // Wrong magic (type 0x07 is not an IDX type): not recognised as IDX; the reader rejects it.
  std::string wrong_type = idx_bytes({2, 2}, {1, 2, 3, 4});
  wrong_type[2] = 0x07;
  const std::string wrong_type_path = write("wrong_type.idx", wrong_type);
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(wrong_type_path); }, {wrong_type_path}));
  EXPECT_TRUE(throws_with<IoError>([&] { io::read_idx_matrix(wrong_type, "direct.idx"); }, {"direct.idx", "magic"}));
  std::string nonzero = idx_bytes({2, 2}, {1, 2, 3, 4});
  nonzero[0] = 0x01;
  EXPECT_FALSE(io::looks_like_idx(nonzero));
  EXPECT_TRUE(throws_with<IoError>([&] { io::read_idx_matrix(nonzero, "direct.idx"); }, {"direct.idx", "magic"}));

  // Truncated data: the header promises 12 bytes, 10 follow; and one byte too many.
  const std::string truncated = idx_header(0x08, {3, 4}) + std::string(10, '\x05');
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(write("short_data.idx", truncated)); },
                                   {"short_data.idx", "promises 12", "truncated"}));
  const std::string longer = idx_header(0x08, {3, 4}) + std::string(13, '\x05');
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(write("longer.idx", longer)); }, {"longer.idx", "promises 12"}));
  // Truncated inside the dimensions: 3 dimensions announced, 2 given (and no data).
  const std::string short_dims = idx_header(0x08, {3, 4}).replace(3, 1, 1, '\x03');
  EXPECT_THROW(read_table(write("short_dims.idx", short_dims)), IoError);

  // Dimensions whose product overflows 64 bits. 3 x 111620 x 429509837 x 384773 = 3 (2^64 + 4),
  // which wraps to 12: a reader that multiplied without checking would take the 12 bytes that
  // follow for a 3 x 4 table.
  const std::string wraps_to_12 = idx_header(0x08, {3u, 111620u, 429509837u, 384773u}) + std::string(12, '\x01');
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(write("wraps.idx", wraps_to_12)); }, {"wraps.idx", "dimensions overflow"}));
  const std::string overflow = idx_header(0x0D, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}) + std::string(16, '\0');
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(write("max_dims.idx", overflow)); }, {"max_dims.idx", "dimensions overflow"}));
  // A huge but representable product is simply truncated data, not an allocation.
  const std::string huge = idx_header(0x0D, {0x10000u, 0x10000u}) + std::string(16, '\0');
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(write("huge.idx", huge)); }, {"huge.idx", "truncated"}));
  const std::string empty = idx_header(0x08, {0, 4});
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(write("zero_rows.idx", empty)); }, {"zero_rows.idx", "empty"}));

  // A float IDX holding a NaN.
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(write("nan.idx", idx_floats({1, 2}, {1.0f, NAN}))); },
                                   {"nan.idx", "finite"}));

  // Truncated and corrupt gzip streams.
  const std::string gz = gzip(idx_bytes({3, 8}, byte_ramp(24)));
  const std::string cut = write("cut.idx.gz", gz.substr(0, gz.size() / 2));
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(cut); }, {cut, "gzip"}));
  const std::string no_trailer = write("no_trailer.idx.gz", gz.substr(0, gz.size() - 4));
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(no_trailer); }, {no_trailer, "gzip"}));
  std::string garbled = gz;
  garbled[garbled.size() / 2] = static_cast<char>(garbled[garbled.size() / 2] ^ 0x5a);
  garbled[garbled.size() / 2 + 1] = static_cast<char>(garbled[garbled.size() / 2 + 1] ^ 0xa5);
  const std::string garbled_path = write("garbled.idx.gz", garbled);
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(garbled_path); }, {garbled_path}));
  const std::string cut_labels = write("cut_labels.idx.gz", gzip(idx_bytes({5}, {1, 2, 3, 4, 5})).substr(0, 12));
  EXPECT_TRUE(throws_with<IoError>([&] { read_labels(cut_labels); }, {cut_labels, "gzip"}));
}

TEST_F(CpuTableFiles, GzipMembersAreAllRead) {
  // `cat a.gz b.gz` is one gzip file (gzip -d reads every member): CSV features, labels and an IDX
  // array split across members all read whole.
  const Table csv = read_table(write("members.csv.gz", gzip("1,2\n3,4\n") + gzip("5,6\n")));
  EXPECT_EQ(values_of(csv.X), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(read_labels(write("members_labels.csv.gz", gzip("a\nb\n") + gzip("") + gzip("c\n"))),
            (std::vector<std::string>{"a", "b", "c"}));
  const std::vector<unsigned char> v = byte_ramp(24);
  const std::string idx = idx_bytes({3, 8}, v);
  const Table images = read_table(write("members.idx.gz", gzip(idx.substr(0, 10)) + gzip(idx.substr(10))));
  EXPECT_EQ(values_of(images.X), as_floats(v));

  // After the last member: only more gzip members, whole ones.
  const std::string garbage = write("trailing.csv.gz", gzip("1,2\n") + "junk");
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(garbage); }, {garbage + ": 4 byte(s) after the end of the gzip data"}));
  const std::string second = gzip("5,6\n");
  const std::string cut = write("cut_member.csv.gz", gzip("1,2\n") + second.substr(0, second.size() - 5));
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(cut); }, {cut + ": truncated gzip data"}));
}

TEST_F(CpuTableFiles, GzipOfOneEndlessLineStopsAtTheLineLimit) {
  // 80 members of 1 MiB of digits: one 80 MiB line, refused once it passes 64 MiB (a gzip bomb of
  // one line is not inflated whole).
  const std::string member = gzip(std::string(std::size_t{1} << 20, '7'));
  std::string bomb;
  for (int i = 0; i < 80; ++i) bomb += member;
  const std::string path = write("one_line.csv.gz", bomb);
  EXPECT_TRUE(throws_with<IoError>([&] { read_table(path); }, {path + ":1: line longer than 67108864 bytes"}));
  EXPECT_TRUE(throws_with<IoError>([&] { read_labels(path); }, {path + ":1: line longer"}));
}

// ---- folds ---------------------------------------------------------------------------------------

TEST(CpuReadFold, WineFoldOne) {
  const Fold fold = read_fold(fold_stem("wine"), 1);
  EXPECT_EQ(fold.train.X.rows(), 160);
  EXPECT_EQ(fold.train.X.cols(), 13);
  EXPECT_EQ(fold.test.X.rows(), 18);
  EXPECT_EQ(fold.test.X.cols(), 13);
  EXPECT_EQ(fold.train.labels.size(), 160u);
  EXPECT_EQ(fold.test.labels.size(), 18u);
  const LabelEncoding enc = encode_labels(fold.train.labels);
  EXPECT_EQ(enc.labels.num_classes, 3);
  for (float v : values_of(fold.train.X)) ASSERT_TRUE(std::isfinite(v));
}

TEST_F(CpuTableFiles, ReadFoldNamesTheMissingOrMalformedFile) {
  const std::string missing_stem = fold_stem("wine");
  EXPECT_TRUE(throws_with<IoError>([&] { read_fold(missing_stem, 11); }, {missing_stem + "_11.csv"}));

  // A fold with every file but the test labels, then with mismatched sizes.
  const std::string stem = ::testing::TempDir() + "lwnet_test_io_tables_fold";
  write("fold_3.csv", "1,2\n3,4\n5,6\n");
  write("fold_3_label.csv", "a\nb\na\n");
  write("fold_3_test.csv", "7,8\n");
  EXPECT_TRUE(throws_with<IoError>([&] { read_fold(stem, 3); }, {stem + "_3_label_test.csv", "cannot open"}));
  write("fold_3_label_test.csv", "b\n");
  const Fold fold = read_fold(stem, 3);
  EXPECT_EQ(fold.train.labels, (std::vector<std::string>{"a", "b", "a"}));
  EXPECT_EQ(values_of(fold.test.X), (std::vector<float>{7, 8}));
  write("fold_3_label.csv", "a\nb\n");
  EXPECT_TRUE(throws_with<IoError>([&] { read_fold(stem, 3); }, {stem + "_3_label.csv", "2 labels", "3 rows"}));
  write("fold_3_label.csv", "a\nb\na\n");
  write("fold_3_test.csv", "7,8,9\n");
  EXPECT_TRUE(throws_with<IoError>([&] { read_fold(stem, 3); }, {stem + "_3_test.csv", "3 features"}));
}

}  // namespace
}  // namespace lwnet::test
