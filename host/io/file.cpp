// Whole-file reads with the checks a hostile path needs: only regular files and pipes are read
// (a directory or a device such as /dev/zero is named as such), opening never blocks on a named
// pipe, every read is bounded by kMaxFileBytes, and gzip data are inflated member by member.
#include "io/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "io/descriptor.hpp"
#include "lwnet/error.hpp"

namespace lwnet::io {

namespace {

// Read and inflate in pieces of at most kChunkBytes, so an observer can stop a long read early;
// small inputs (pipes, fuzzing) use pieces from kFirstChunkBytes, growing with the data.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
constexpr std::size_t kFirstChunkBytes = std::size_t{1} << 16;

std::size_t next_chunk(std::size_t so_far) { return std::clamp(so_far, kFirstChunkBytes, kChunkBytes); }

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string too_large(const std::string& path) {
  return path + ": more than " + std::to_string(kMaxFileBytes >> 30) + " GiB of data, the most lwnet reads from one file";
}

// Opens `path` for reading, refusing what is not a regular file or a pipe. O_NONBLOCK keeps the
// open of a named pipe without a writer from waiting for one; reads then block as usual.
Descriptor open_data_file(const std::string& path, bool& is_pipe, std::size_t& size_hint) {
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) throw IoError(path + ": cannot open for reading: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw IoError(path + ": cannot read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
    throw IoError(path + ": is " + file_type_name(st.st_mode) +
                  (S_ISCHR(st.st_mode) ? " (such as /dev/zero or a terminal)" : "") + ", not a data file");
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > kMaxFileBytes) throw IoError(too_large(path));
  is_pipe = S_ISFIFO(st.st_mode);
  size_hint = S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0;
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw IoError(path + ": cannot read: " + std::strerror(errno));
  return fd;
}

// Appends what one read of at most `max` bytes gives to `out`; 0 at the end of the file.
std::size_t read_some(int fd, std::string& out, std::size_t max, const std::string& path) {
  const std::size_t old = out.size();
  out.resize(old + max);
  ssize_t got = 0;
  do {
    got = ::read(fd, out.data() + old, max);
  } while (got < 0 && errno == EINTR);
  const int error = errno;
  out.resize(old + static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
  if (got < 0) throw IoError(path + ": read error: " + std::strerror(error));
  return static_cast<std::size_t>(got);
}

// Inflates every member of a gzip file (`cat a.gz b.gz` is one valid file, as for gzip -d).
std::string gunzip(std::string_view compressed, const std::string& path, const ReadObserver& observe) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) throw IoError(path + ": cannot start gzip decompression");
  const std::unique_ptr<z_stream, int (*)(z_stream*)> end(&stream, inflateEnd);
  std::string out;
  std::size_t consumed = 0;  // bytes of `compressed` given to zlib so far
  auto refill = [&] {
    if (stream.avail_in != 0 || consumed == compressed.size()) return;
    const std::size_t piece = std::min(compressed.size() - consumed, kChunkBytes);  // avail_in is 32-bit
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + consumed));
    stream.avail_in = static_cast<uInt>(piece);
    consumed += piece;
  };
  while (true) {
    refill();
    const std::size_t old = out.size();
    const std::size_t chunk = next_chunk(old);
    out.resize(old + chunk);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    stream.avail_out = static_cast<uInt>(chunk);
    const uInt in_before = stream.avail_in;
    const int status = inflate(&stream, Z_NO_FLUSH);
    out.resize(old + chunk - stream.avail_out);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
      throw IoError(path + ": corrupt gzip data" + (stream.msg ? std::string(" (") + stream.msg + ")" : ""));
    if (out.size() > kMaxFileBytes) throw IoError(too_large(path) + " (decompressed)");
    if (observe && out.size() > old) observe(out);
    const std::size_t left = stream.avail_in + (compressed.size() - consumed);
    if (status == Z_STREAM_END) {
      if (left == 0) return out;
      if (!is_gzip(compressed.substr(compressed.size() - left)))
        throw IoError(path + ": " + std::to_string(left) + " byte(s) after the end of the gzip data are not gzip data");
      inflateReset(&stream);  // the next member
    } else if ((left == 0 && stream.avail_out != 0) || (out.size() == old && stream.avail_in == in_before)) {
      throw IoError(path + ": truncated gzip data");  // input used up (or no progress) inside a member
    }
  }
}

}  // namespace

// write_file_atomic is in io/output_file.cpp, with the checks on where an output may go.

std::string read_file(const std::string& path, const ReadObserver& observe) {
  bool is_pipe = false;
  std::size_t size_hint = 0;
  const Descriptor fd = open_data_file(path, is_pipe, size_hint);
  std::string bytes;
  bytes.reserve(size_hint + kChunkBytes);  // the read that finds the end asks for a whole chunk
  // Plain bytes are shown to the observer as they arrive; gzip data only once inflated.
  while (read_some(fd.get(), bytes, std::max(next_chunk(bytes.size()), std::min(size_hint, kChunkBytes)), path) != 0) {
    if (bytes.size() > kMaxFileBytes) throw IoError(too_large(path));
    if (observe && bytes.size() >= 2 && !is_gzip(bytes)) observe(bytes);
  }
  if (is_pipe && bytes.empty()) throw IoError(path + ": is a pipe that gave no data (is anything writing to it?)");
  if (is_gzip(bytes)) return gunzip(bytes, path, observe);
  return bytes;  // moved, not copied (a ?: would copy)
}

}  // namespace lwnet::io
