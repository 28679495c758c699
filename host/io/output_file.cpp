// Writing output files atomically. The bytes go to an unnamed file in the target's folder
// (Linux O_TMPFILE), which gets a name only once it is complete and synced, and is then renamed
// over the target. A process killed while writing (SIGKILL, a full disk, the file-size limit)
// leaves nothing behind; only in the instant between that naming and the rename does a
// temporary name exist. Where O_TMPFILE or the naming is unsupported (some file systems, no
// /proc), the bytes go to a named temporary file "TARGET.lwnet-tmp.PID.K" instead, removed on
// every failure lwnet sees. Symbolic links are followed to their target, whose permissions a
// replaced file keeps.
#include "io/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <streambuf>
#include <vector>

#include "io/descriptor.hpp"
#include "io/file.hpp"
#include "lwnet/error.hpp"

namespace lwnet::io {

namespace {

// The kernel's own limit on links followed while resolving one path (Linux MAXSYMLINKS).
constexpr int kMaxLinkHops = 40;
// Temporary names tried before giving up (another process of ours may hold one).
constexpr int kTemporaryNameAttempts = 100;

std::string parent_folder(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string read_link(const std::string& link, const std::string& path) {
  std::vector<char> buffer(256);
  for (;;) {
    const ssize_t length = ::readlink(link.c_str(), buffer.data(), buffer.size());
    if (length < 0) throw IoError(path + ": cannot read the symbolic link " + link + ": " + std::strerror(errno));
    if (static_cast<std::size_t>(length) < buffer.size()) return std::string(buffer.data(), static_cast<std::size_t>(length));
    buffer.resize(buffer.size() * 2);
  }
}

// "out.safetensors" or "link.safetensors (a link to /data/model.safetensors)".
std::string describe(const std::string& path, const std::string& target) {
  return target == path ? path : path + " (a link to " + target + ")";
}

std::string write_error(const std::string& path, int error) {
  std::string text = path + ": cannot write: " + std::strerror(error);
  if (error == EFBIG) text += " (the file would exceed the file-size limit, ulimit -f)";
  return text + "; nothing was written";
}

// An output stream buffer over a file descriptor that keeps the errno of a failed write, so the
// message can say why (a full disk, the file-size limit) where std::ofstream cannot.
class DescriptorBuffer : public std::streambuf {
 public:
  explicit DescriptorBuffer(int fd) : fd_(fd), buffer_(std::size_t{1} << 16) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!flush_buffer()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* data, std::streamsize count) override {
    if (static_cast<std::size_t>(count) < buffer_.size()) return std::streambuf::xsputn(data, count);
    return flush_buffer() && write_all(data, static_cast<std::size_t>(count)) ? count : 0;  // large: no copy
  }
  int sync() override { return flush_buffer() ? 0 : -1; }

 private:
  bool flush_buffer() {
    const bool ok = write_all(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return ok;
  }
  bool write_all(const char* data, std::size_t count) {
    if (error_ != 0) return false;
    while (count > 0) {
      const ssize_t written = ::write(fd_, data, count);
      if (written < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        return false;
      }
      data += written;
      count -= static_cast<std::size_t>(written);
    }
    return true;
  }

  int fd_;
  int error_ = 0;
  std::vector<char> buffer_;
};

// Runs `write` into fd, gives the file `mode` (the replaced file's permissions) when asked, and
// syncs it; IoError naming `path` on any failure.
void fill(int fd, const std::function<void(std::ostream&)>& write, const std::string& path, const mode_t* mode) {
  DescriptorBuffer buffer(fd);
  std::ostream out(&buffer);
  write(out);
  out.flush();
  if (!out || buffer.error() != 0) throw IoError(write_error(path, buffer.error() != 0 ? buffer.error() : EIO));
  if (mode != nullptr && ::fchmod(fd, *mode) != 0)
    throw IoError(path + ": cannot set the permissions of the new file: " + std::strerror(errno));
  if (::fsync(fd) != 0 && errno != EINVAL) throw IoError(write_error(path, errno));
}

std::string temporary_name(const std::string& target, int attempt) {
  return target + ".lwnet-tmp." + std::to_string(::getpid()) + "." + std::to_string(attempt);
}

void rename_into_place(const std::string& temporary, const std::string& target, const std::string& path) {
  if (std::rename(temporary.c_str(), target.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw IoError(path + ": cannot move the new file into place: " + std::strerror(error) + "; nothing was written");
  }
}

// Gives the complete unnamed file fd a temporary name beside target and renames it over target.
// False (nothing changed) when this system cannot name an O_TMPFILE file.
bool link_into_place(int fd, const std::string& target, const std::string& path) {
  char self[64];
  std::snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  for (int attempt = 0; attempt < kTemporaryNameAttempts; ++attempt) {
    const std::string temporary = temporary_name(target, attempt);
    if (::linkat(AT_FDCWD, self, AT_FDCWD, temporary.c_str(), AT_SYMLINK_FOLLOW) == 0 ||
        ::linkat(fd, "", AT_FDCWD, temporary.c_str(), AT_EMPTY_PATH) == 0) {
      rename_into_place(temporary, target, path);
      return true;
    }
    if (errno != EEXIST) return false;
  }
  return false;
}

// The fallback: a named temporary file, removed on failure.
void write_named(const std::string& target, const std::function<void(std::ostream&)>& write, const std::string& path,
                 const mode_t* mode) {
  for (int attempt = 0; attempt < kTemporaryNameAttempts; ++attempt) {
    const std::string temporary = temporary_name(target, attempt);
    Descriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (fd.get() < 0) {
      if (errno == EEXIST) continue;
      throw IoError(path + ": cannot create " + temporary + ": " + std::strerror(errno));
    }
    try {
      fill(fd.get(), write, path, mode);
      if (const int error = fd.close(); error != 0) throw IoError(write_error(path, error));
    } catch (...) {
      ::unlink(temporary.c_str());
      throw;
    }
    rename_into_place(temporary, target, path);
    return;
  }
  throw IoError(path + ": cannot create a temporary file beside it: " + std::to_string(kTemporaryNameAttempts) +
                " names are taken");
}

}  // namespace

std::string resolve_output_path(const std::string& path) {
  std::string current = path;
  for (int hops = 0;; ++hops) {
    struct stat status {};
    if (::lstat(current.c_str(), &status) != 0 || !S_ISLNK(status.st_mode)) return current;
    if (hops == kMaxLinkHops) throw IoError(path + ": too many levels of symbolic links");
    const std::string target = read_link(current, path);
    current = !target.empty() && target[0] == '/' ? target : parent_folder(current) + "/" + target;
  }
}

void check_output_target(const std::string& path) {
  if (path.empty()) throw IoError("an empty path was given as an output file");
  const std::string target = resolve_output_path(path);
  struct stat status {};
  if (::stat(target.c_str(), &status) == 0) {
    if (!S_ISREG(status.st_mode))
      throw IoError(describe(path, target) + ": is " + file_type_name(status.st_mode) +
                    "; lwnet writes regular files only and does not replace anything else");
  } else if (errno != ENOENT) {
    throw IoError(path + ": cannot create: " + std::strerror(errno));
  }
  const std::string folder = parent_folder(target);
  if (::stat(folder.c_str(), &status) != 0 || !S_ISDIR(status.st_mode))
    throw IoError(path + ": cannot create: the folder " + folder + " does not exist");
  if (::access(folder.c_str(), W_OK) != 0)
    throw IoError(path + ": cannot create: the folder " + folder + " is not writable (" + std::strerror(errno) + ")");
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  check_output_target(path);
  const std::string target = resolve_output_path(path);
  struct stat existing {};
  mode_t kept_mode = 0;
  const mode_t* mode = nullptr;  // a new file gets 0666 less the umask, as any created file
  if (::stat(target.c_str(), &existing) == 0) {
    kept_mode = existing.st_mode & 07777;
    mode = &kept_mode;
  }
  Descriptor fd(::open(parent_folder(target).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666));
  if (fd.get() >= 0) {
    fill(fd.get(), write, path, mode);
    if (link_into_place(fd.get(), target, path)) return;
  } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    throw IoError(path + ": cannot create: " + std::strerror(errno));
  }
  write_named(target, write, path, mode);  // no O_TMPFILE here: write the bytes again, under a name
}

}  // namespace lwnet::io
