// Reading whole files, gzip-compressed ones transparently.
#pragma once

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace lwnet::io {

// The most bytes lwnet reads from one file, after decompression: anything larger is refused
// rather than exhausting memory (a gzip bomb, an endless pipe); real datasets are far smaller.
inline constexpr std::size_t kMaxFileBytes = std::size_t{16} << 30;

// Called as a file's bytes arrive (for a gzip file, its decompressed bytes), with all the bytes
// so far. It may throw to stop reading early: a text reader refuses an over-long line before
// reading the rest.
using ReadObserver = std::function<void(std::string_view bytes_so_far)>;

// The bytes of a regular file or a pipe (/dev/stdin, a shell's <(...)), decompressed when they
// start with the gzip magic (every member of a multi-member gzip file, as `gzip -d` does).
// IoError naming the file when it cannot be opened or read; is a directory or a device; is larger
// than kMaxFileBytes; or holds a corrupt or truncated gzip stream or other data after it. Opening
// never blocks: a named pipe with no writer gives no bytes (an IoError).
std::string read_file(const std::string& path, const ReadObserver& observe = {});

// Writes `path` atomically: `write` fills an unnamed temporary file in the target's folder, which
// is named and renamed over the target only once complete (io/output_file.cpp). A reader never
// sees a partial file, and a failure or a kill leaves no temporary behind. Symbolic links are
// written through (their target is replaced; the link stays). IoError naming `path` when it is a
// directory, device or other non-regular file, its folder is missing or unwritable, or a write
// fails (the message gives errno's reason: a full disk, or EFBIG past `ulimit -f`, which a
// process sees instead of SIGXFSZ once it ignores that signal, as the lwnet tool does).
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace lwnet::io
