#include "io/file.hpp"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lwnet/error.hpp"

namespace lwnet::io {

namespace {

// Decompressed data beyond this are refused rather than exhausting memory (a corrupt or hostile
// file); real datasets lwnet reads are far smaller.
constexpr std::size_t kMaxInflatedBytes = std::size_t{16} << 30;

bool is_gzip(const std::string& bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string gunzip(const std::string& compressed, const std::string& path) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) throw IoError(path + ": cannot start gzip decompression");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[1 << 16];
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) {
      inflateEnd(&stream);
      throw IoError(path + ": corrupt or truncated gzip data" + (stream.msg ? std::string(" (") + stream.msg + ")" : ""));
    }
    out.append(buffer, sizeof buffer - stream.avail_out);
    if (out.size() > kMaxInflatedBytes) {
      inflateEnd(&stream);
      throw IoError(path + ": decompresses to more than 16 GiB");
    }
    if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      throw IoError(path + ": truncated gzip data");
    }
  }
  inflateEnd(&stream);
  return out;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  try {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(path + ": cannot create " + temporary + ": " + std::strerror(errno));
    write(out);
    out.flush();
    if (!out) throw IoError(path + ": write error (disk full?)");
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(temporary.c_str());
    throw IoError(path + ": cannot move " + temporary + " into place: " + why);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError(path + ": read error");
  std::string bytes = ss.str();
  return is_gzip(bytes) ? gunzip(bytes, path) : bytes;
}

}  // namespace lwnet::io
