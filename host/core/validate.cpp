#include "core/validate.hpp"

namespace lwnet::detail {

std::string shapes_suffix(std::initializer_list<NamedShape> shapes) {
  if (shapes.size() == 0) return "";
  std::string s = " (";
  bool first = true;
  for (const auto& sh : shapes) {
    if (!first) s += ", ";
    s += sh.name;
    s += " ";
    s += sh.shape;
    first = false;
  }
  return s + ")";
}

void fail(const char* op, const std::string& what, std::initializer_list<NamedShape> shapes) {
  throw InvalidArgument(std::string(op) + ": " + what + shapes_suffix(shapes));
}

}  // namespace lwnet::detail
