// Where an output file really goes, and whether lwnet may replace what is there. The writer
// itself is write_file_atomic (io/file.hpp); these checks let a command refuse a bad --out before
// it spends time computing what it would write.
#pragma once

#include <string>

namespace lwnet::io {

// The file `path` names once symbolic links are followed (a link's target is read relative to the
// link's folder), whether or not that file exists yet: writing "through" a link updates its
// target and leaves the link in place. IoError naming `path` for a loop of links.
std::string resolve_output_path(const std::string& path);

// IoError naming `path` unless lwnet can put a file there: what it names (after links) must be a
// regular file or nothing (never a directory, a device, a pipe or a socket), in a folder that
// exists and is writable.
void check_output_target(const std::string& path);

// True when both paths name an existing file and it is the same file (same device and inode:
// another path, a hard link or a symbolic link to it).
bool same_file(const std::string& a, const std::string& b);

}  // namespace lwnet::io
