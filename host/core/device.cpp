#include "lwnet/device.hpp"

#include <cctype>
#include <charconv>
#include <string>

#include "lwnet/error.hpp"

namespace lwnet {

namespace {

std::string lower(std::string_view text) {
  std::string s(text);
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

Device Device::parse(std::string_view text) {
  const std::string s = lower(text);
  if (s == "cpu") return cpu();
  if (s == "auto") return automatic();
  for (const char* prefix : {"cuda", "gpu"}) {
    const std::string p(prefix);
    if (s == p) return cuda(0);
    if (s.size() > p.size() + 1 && s.compare(0, p.size(), p) == 0 && s[p.size()] == ':') {
      int index = -1;
      const char* first = s.data() + p.size() + 1;
      const char* last = s.data() + s.size();
      const auto [ptr, ec] = std::from_chars(first, last, index);
      if (ec == std::errc() && ptr == last && index >= 0) return cuda(index);
    }
  }
  throw InvalidArgument("unknown device '" + std::string(text) +
                        "': expected auto, cpu, cuda or cuda:N (N >= 0)");
}

std::string Device::str() const {
  switch (kind) {
    case Kind::cpu: return "cpu";
    case Kind::cuda: return "cuda:" + std::to_string(index);
    case Kind::automatic: return "auto";
  }
  return "?";
}

}  // namespace lwnet
