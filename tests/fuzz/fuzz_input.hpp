// Shared by the fuzz targets: the fuzzer's bytes as a file (the loaders read paths, and reading a
// file exercises gzip detection too), and the rule every target enforces: bad input may only end
// in lwnet::Error (IoError, InvalidArgument, ...). Any other exception escapes to the fuzzer,
// which reports it like a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unistd.h>

namespace lwnet::fuzz {

// A private temporary file, rewritten with each input and removed at exit.
inline const std::string& scratch_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/lwnet-fuzz-XXXXXX";
    const int fd = mkstemp(pattern.data());
    if (fd < 0) std::abort();
    close(fd);
    static struct Remover {
      std::string path;
      ~Remover() { std::remove(path.c_str()); }
    } remover{pattern};
    return pattern;
  }();
  return path;
}

inline const std::string& write_scratch(const std::uint8_t* data, std::size_t size) {
  const std::string& path = scratch_path();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace lwnet::fuzz
