// Reading whole files, gzip-compressed ones transparently.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace lwnet::io {

// The file's bytes, decompressed when they start with the gzip magic. IoError naming the file
// when it cannot be opened or read, or when its gzip stream is corrupt or truncated.
std::string read_file(const std::string& path);

// Writes `path` atomically: `write` fills a temporary file beside it, which is then renamed over
// `path`. On any failure the temporary file is removed and IoError names `path`: a reader never
// sees a partial file.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace lwnet::io
