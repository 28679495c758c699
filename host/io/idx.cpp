#include "io/idx.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "lwnet/error.hpp"

namespace lwnet::io {

namespace {

constexpr int kMaxDims = 8;

std::size_t type_size(unsigned char code) {
  switch (code) {
    case 0x08: return 1;  // unsigned byte
    case 0x09: return 1;  // signed byte
    case 0x0B: return 2;  // short
    case 0x0C: return 4;  // int
    case 0x0D: return 4;  // float
    case 0x0E: return 8;  // double
    default: return 0;
  }
}

std::uint64_t big_endian(const unsigned char* p, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

struct IdxHeader {
  unsigned char type = 0;
  std::vector<std::uint64_t> dims;
  std::size_t data_offset = 0;
  std::uint64_t count = 0;
};

IdxHeader parse_header(const std::string& bytes, const std::string& source) {
  if (!looks_like_idx(bytes)) throw IoError(source + ": not an IDX file (wrong magic number)");
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  IdxHeader h;
  h.type = p[2];
  const int ndims = p[3];
  h.data_offset = 4 + 4 * static_cast<std::size_t>(ndims);
  h.count = 1;
  for (int i = 0; i < ndims; ++i) {
    const std::uint64_t dim = big_endian(p + 4 + 4 * i, 4);
    if (dim != 0 && h.count > std::numeric_limits<std::uint64_t>::max() / 8 / dim)
      throw IoError(source + ": IDX dimensions overflow");
    h.count *= dim;
    h.dims.push_back(dim);
  }
  const std::uint64_t expected = h.count * type_size(h.type);
  const std::uint64_t available = bytes.size() - h.data_offset;
  if (expected != available)
    throw IoError(source + ": IDX header promises " + std::to_string(expected) + " data bytes, the file has " +
                  std::to_string(available) + (available < expected ? " (truncated)" : ""));
  return h;
}

double value_at(const unsigned char* p, unsigned char type) {
  switch (type) {
    case 0x08: return p[0];
    case 0x09: return static_cast<signed char>(p[0]);
    case 0x0B: return static_cast<std::int16_t>(big_endian(p, 2));
    case 0x0C: return static_cast<std::int32_t>(big_endian(p, 4));
    case 0x0D: {
      const auto bits = static_cast<std::uint32_t>(big_endian(p, 4));
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    case 0x0E: {
      const std::uint64_t bits = big_endian(p, 8);
      double d;
      std::memcpy(&d, &bits, 8);
      return d;
    }
  }
  return 0.0;
}

}  // namespace

bool looks_like_idx(const std::string& bytes) {
  if (bytes.size() < 4) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const int ndims = p[3];
  return p[0] == 0 && p[1] == 0 && type_size(p[2]) != 0 && ndims >= 1 && ndims <= kMaxDims &&
         bytes.size() >= 4 + 4 * static_cast<std::size_t>(ndims);
}

Matrix<float> read_idx_matrix(const std::string& bytes, const std::string& source) {
  const IdxHeader h = parse_header(bytes, source);
  const std::uint64_t rows = h.dims[0];
  const std::uint64_t cols = rows == 0 ? 0 : h.count / rows;
  if (rows == 0 || cols == 0) throw IoError(source + ": IDX array is empty");
  if (h.dims.size() == 1) throw IoError(source + ": a one-dimensional IDX array holds labels, not features");
  Matrix<float> X = Matrix<float>::host(static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + h.data_offset;
  const std::size_t size = type_size(h.type);
  for (std::uint64_t e = 0; e < h.count; ++e) {
    const double v = value_at(p + e * size, h.type);
    if (!std::isfinite(v) || std::fabs(v) > std::numeric_limits<float>::max())
      throw IoError(source + ": IDX value " + std::to_string(e) + " is not a finite float32 value");
    X.data()[e] = static_cast<float>(v);
  }
  return X;
}

Table read_idx_table(const std::string& bytes, const std::string& source) {
  Table table;
  table.X = read_idx_matrix(bytes, source);  // validates the header first
  const IdxHeader h = parse_header(bytes, source);
  for (std::size_t i = 1; i < h.dims.size(); ++i) table.sample_shape.push_back(static_cast<std::int64_t>(h.dims[i]));
  return table;
}

std::vector<std::string> read_idx_labels(const std::string& bytes, const std::string& source) {
  const IdxHeader h = parse_header(bytes, source);
  if (h.dims.size() != 1) throw IoError(source + ": IDX labels must be one-dimensional");
  if (h.type == 0x0D || h.type == 0x0E) throw IoError(source + ": IDX labels must be integers");
  if (h.count == 0) throw IoError(source + ": no labels");
  std::vector<std::string> labels;
  labels.reserve(static_cast<std::size_t>(h.count));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + h.data_offset;
  const std::size_t size = type_size(h.type);
  for (std::uint64_t e = 0; e < h.count; ++e)
    labels.push_back(std::to_string(static_cast<long long>(value_at(p + e * size, h.type))));
  return labels;
}

}  // namespace lwnet::io
