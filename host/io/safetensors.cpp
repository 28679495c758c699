#include "io/safetensors.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/descriptor.hpp"
#include "io/file.hpp"
#include "lwnet/error.hpp"

namespace lwnet::io {

namespace {

// The reference implementation refuses headers above 100 MB.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::size_t kHeaderAlignment = 8;

bool little_endian() {
  const std::uint16_t probe = 1;
  unsigned char first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw IoError(path + ": not a valid lwnet model file: " + what);
}

Dtype parse_dtype(const std::string& path, const std::string& name, const std::string& text) {
  for (Dtype d : {Dtype::f32, Dtype::f64, Dtype::i32, Dtype::i64})
    if (text == dtype_name(d)) return d;
  corrupt(path, "tensor '" + name + "' has unsupported dtype '" + text + "'");
}

}  // namespace

const char* dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::f32: return "F32";
    case Dtype::f64: return "F64";
    case Dtype::i32: return "I32";
    case Dtype::i64: return "I64";
  }
  return "?";
}

std::size_t dtype_size(Dtype dtype) { return dtype == Dtype::f32 || dtype == Dtype::i32 ? 4 : 8; }

void SafetensorsWriter::add(const std::string& name, Dtype dtype, std::vector<std::int64_t> shape, const void* data,
                            std::size_t bytes) {
  TensorData t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  const auto* p = static_cast<const unsigned char*>(data);
  t.bytes.assign(p, p + bytes);
  tensors_.emplace_back(name, std::move(t));
}

void SafetensorsWriter::write(const std::string& path) const {
  if (!little_endian()) throw IoError(path + ": writing model files needs a little-endian machine");
  nlohmann::json header = nlohmann::json::object();
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors_) {
    header[name] = {{"dtype", dtype_name(t.dtype)},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  header["__metadata__"] = metadata_;
  std::string text = header.dump();
  text.append((kHeaderAlignment - (8 + text.size()) % kHeaderAlignment) % kHeaderAlignment, ' ');

  write_file_atomic(path, [&](std::ostream& out) {
    const std::uint64_t length = text.size();
    unsigned char prefix[8];
    for (int b = 0; b < 8; ++b) prefix[b] = static_cast<unsigned char>(length >> (8 * b));
    out.write(reinterpret_cast<const char*>(prefix), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& entry : tensors_)
      out.write(reinterpret_cast<const char*>(entry.second.bytes.data()),
                static_cast<std::streamsize>(entry.second.bytes.size()));
  });
}

SafetensorsFile SafetensorsFile::read(const std::string& path) {
  if (!little_endian()) throw IoError(path + ": reading model files needs a little-endian machine");
  // A directory opens as a stream on Linux and reports a nonsense size: only regular files hold
  // models (a pipe cannot be read twice, as the header check and the data need).
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0 && !S_ISREG(status.st_mode))
    throw IoError(path + ": is " + file_type_name(status.st_mode) + ", not an lwnet model file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw IoError(path + ": cannot open for reading");
  const std::streamoff end = in.tellg();
  if (end < 0) throw IoError(path + ": cannot tell the file's size");
  const auto file_size = static_cast<std::uint64_t>(end);
  in.seekg(0);
  if (file_size < 8) corrupt(path, "the file has " + std::to_string(file_size) + " bytes, fewer than the 8-byte header length");
  unsigned char prefix[8];
  in.read(reinterpret_cast<char*>(prefix), 8);
  std::uint64_t header_size = 0;
  for (int b = 0; b < 8; ++b) header_size |= static_cast<std::uint64_t>(prefix[b]) << (8 * b);
  if (header_size == 0) corrupt(path, "the header length is 0 (the file starts with 8 zero bytes)");
  if (header_size > kMaxHeaderBytes || header_size > file_size - 8)
    corrupt(path, "the header claims " + std::to_string(header_size) + " bytes but the file has " +
                      std::to_string(file_size - 8) + " after the length");
  std::string text(static_cast<std::size_t>(header_size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_size));
  if (!in) corrupt(path, "truncated header");

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // The JSON library's own text names its internals; the byte offset is what helps.
    corrupt(path, "the " + std::to_string(header_size) + "-byte header is not JSON (it goes wrong at byte " +
                      std::to_string(e.byte) + ")");
  }
  if (!header.is_object()) corrupt(path, "the header is not a JSON object");

  SafetensorsFile file;
  file.path_ = path;
  const std::uint64_t data_size = file_size - 8 - header_size;
  struct Range {
    std::uint64_t begin, end;
    std::string name;
  };
  std::vector<Range> ranges;
  std::string current = "__metadata__";  // the entry being read, for messages
  try {
    for (const auto& [name, entry] : header.items()) {
      current = name;
      if (name == "__metadata__") {
        if (!entry.is_object()) corrupt(path, "__metadata__ is not an object");
        for (const auto& [key, value] : entry.items()) {
          if (!value.is_string()) corrupt(path, "metadata '" + key + "' is not a string");
          file.metadata_[key] = value.get<std::string>();
        }
        continue;
      }
      if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
        corrupt(path, "tensor '" + name + "' lacks dtype, shape or data_offsets");
      TensorData t;
      if (!entry.at("dtype").is_string()) corrupt(path, "tensor '" + name + "' has a dtype that is not a string");
      if (!entry.at("shape").is_array()) corrupt(path, "tensor '" + name + "' has a shape that is not an array");
      t.dtype = parse_dtype(path, name, entry.at("dtype").get<std::string>());
      std::uint64_t elements = 1;
      for (const auto& dim : entry.at("shape")) {
        if (!dim.is_number_integer() || (dim.is_number_unsigned() && dim.get<std::uint64_t>() > (std::uint64_t{1} << 62)))
          corrupt(path, "tensor '" + name + "' has a dimension that is not an integer below 2^62");
        const auto v = dim.get<std::int64_t>();
        if (v < 0) corrupt(path, "tensor '" + name + "' has a negative dimension");
        if (v != 0 && elements > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(v) / 8)
          corrupt(path, "tensor '" + name + "' has dimensions whose product overflows");
        elements *= static_cast<std::uint64_t>(v);
        t.shape.push_back(v);
      }
      const nlohmann::json& offset_list = entry.at("data_offsets");
      if (!offset_list.is_array() || offset_list.size() != 2 || !offset_list[0].is_number_unsigned() ||
          !offset_list[1].is_number_unsigned())
        corrupt(path, "tensor '" + name + "' has data_offsets that are not two non-negative integers");
      const std::vector<std::uint64_t> offsets{offset_list[0].get<std::uint64_t>(), offset_list[1].get<std::uint64_t>()};
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size)
        corrupt(path, "tensor '" + name + "' has data offsets outside the " + std::to_string(data_size) + " data bytes");
      if (offsets[1] - offsets[0] != elements * dtype_size(t.dtype))
        corrupt(path, "tensor '" + name + "' has " + std::to_string(offsets[1] - offsets[0]) + " bytes for its shape's " +
                          std::to_string(elements * dtype_size(t.dtype)));
      ranges.push_back({offsets[0], offsets[1], name});
      file.tensors_.emplace(name, std::move(t));
    }
  } catch (const nlohmann::json::exception&) {
    corrupt(path, "malformed header entry '" + current + "'");
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected = 0;
  for (const Range& r : ranges) {
    if (r.begin != expected) corrupt(path, "tensor '" + r.name + "' overlaps another or leaves a gap");
    expected = r.end;
  }
  if (expected != data_size)
    corrupt(path, "the tensors cover " + std::to_string(expected) + " of the " + std::to_string(data_size) + " data bytes");

  for (const Range& r : ranges) {
    TensorData& t = file.tensors_.at(r.name);
    t.bytes.resize(static_cast<std::size_t>(r.end - r.begin));
    in.seekg(static_cast<std::streamoff>(8 + header_size + r.begin));
    in.read(reinterpret_cast<char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
    if (!in) corrupt(path, "truncated data of tensor '" + r.name + "'");
  }
  return file;
}

const std::string& SafetensorsFile::meta(const std::string& key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) corrupt(path_, "metadata '" + key + "' is missing");
  return it->second;
}

const TensorData& SafetensorsFile::tensor(const std::string& name, Dtype dtype, std::size_t rank) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) corrupt(path_, "tensor '" + name + "' is missing");
  if (it->second.dtype != dtype)
    corrupt(path_, "tensor '" + name + "' is " + dtype_name(it->second.dtype) + ", expected " + dtype_name(dtype));
  if (it->second.shape.size() != rank)
    corrupt(path_, "tensor '" + name + "' has rank " + std::to_string(it->second.shape.size()) + ", expected " +
                       std::to_string(rank));
  return it->second;
}

}  // namespace lwnet::io
