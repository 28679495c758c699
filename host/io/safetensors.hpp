// The safetensors container (https://github.com/huggingface/safetensors, format section):
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   JSON: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//                    "__metadata__": {"key": "value", ...}} (string values only), space-padded
//   the data  tensors back to back, little-endian, offsets relative to the data's start
// Reading checks what the reference implementation checks (header size, JSON, dtypes, offsets
// contiguous and covering the data exactly, sizes matching shapes) and names the file in errors.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lwnet::io {

enum class Dtype { f32, f64, i32, i64 };

struct TensorData {
  Dtype dtype = Dtype::f32;
  std::vector<std::int64_t> shape;
  std::vector<unsigned char> bytes;  // little-endian
};

class SafetensorsWriter {
 public:
  void add(const std::string& name, Dtype dtype, std::vector<std::int64_t> shape, const void* data, std::size_t bytes);
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  // Writes `path` atomically (io::write_file_atomic: nothing partial is ever visible or left).
  void write(const std::string& path) const;

 private:
  std::vector<std::pair<std::string, TensorData>> tensors_;
  std::map<std::string, std::string> metadata_;
};

class SafetensorsFile {
 public:
  static SafetensorsFile read(const std::string& path);

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The metadata value; IoError naming the file when it is missing.
  const std::string& meta(const std::string& key) const;
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // The tensor; IoError when missing, of another dtype, or of another rank.
  const TensorData& tensor(const std::string& name, Dtype dtype, std::size_t rank) const;

 private:
  std::string path_;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, TensorData> tensors_;
};

const char* dtype_name(Dtype dtype);
std::size_t dtype_size(Dtype dtype);

}  // namespace lwnet::io
