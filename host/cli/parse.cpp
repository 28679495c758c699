#include "cli/parse.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "lwnet/error.hpp"

namespace lwnet::cli {

namespace {

[[noreturn]] void bad_value(const std::string& option, const std::string& expected, const std::string& text) {
  throw InvalidArgument(option + ": expected " + expected + ", got '" + text + "'");
}

template <class T>
bool parse_decimal(const std::string& text, T& value) {
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, 10);
  return error == std::errc() && stop == end;
}

std::string integer_range(std::int64_t lo, std::int64_t hi) {
  return "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

}  // namespace

bool RealRange::contains(double v) const {
  return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);  // false for NaN
}

std::string RealRange::str() const {
  return (lo_open ? "(" : "[") + format_real(lo) + ", " + format_real(hi) + (hi_open ? ")" : "]");
}

CLI::Validator non_empty() {
  return CLI::Validator(
      [](const std::string& text) { return text.empty() ? std::string("expected a value, got an empty string") : std::string(); },
      "");  // no tag in --help: every such option takes a value
}

std::string format_real(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::int64_t parse_integer(const std::string& option, const std::string& text, std::int64_t lo, std::int64_t hi) {
  std::int64_t value = 0;
  if (!parse_decimal(text, value) || value < lo || value > hi) bad_value(option, integer_range(lo, hi), text);
  return value;
}

std::uint64_t parse_unsigned(const std::string& option, const std::string& text) {
  std::uint64_t value = 0;
  // from_chars refuses a sign, so "-1" is refused rather than wrapped.
  if (!parse_decimal(text, value)) bad_value(option, "an integer in [0, 18446744073709551615] (64 bits)", text);
  return value;
}

double parse_real(const std::string& option, const std::string& text, const RealRange& range) {
  const std::string expected = "a number in " + range.str();
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) bad_value(option, expected, text);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value) || !range.contains(value))
    bad_value(option, expected, text);
  return value;
}

CLI::Option* add_integer_option(CLI::App* cmd, const std::string& name, int& value, int lo, int hi,
                                const std::string& help) {
  return cmd
      ->add_option_function<std::string>(
          name, [name, &value, lo, hi](const std::string& text) { value = static_cast<int>(parse_integer(name, text, lo, hi)); },
          help + " (" + std::to_string(lo) + ".." + std::to_string(hi) + ")")
      ->type_name("INT")
      ->default_str(std::to_string(value));
}

CLI::Option* add_integer_option(CLI::App* cmd, const std::string& name, std::int64_t& value, std::int64_t lo,
                                std::int64_t hi, const std::string& help) {
  return cmd
      ->add_option_function<std::string>(
          name, [name, &value, lo, hi](const std::string& text) { value = parse_integer(name, text, lo, hi); },
          help + " (" + std::to_string(lo) + ".." + std::to_string(hi) + ")")
      ->type_name("INT")
      ->default_str(std::to_string(value));
}

CLI::Option* add_seed_option(CLI::App* cmd, std::uint64_t& value, const std::string& help) {
  return cmd
      ->add_option_function<std::string>(
          "--seed", [&value](const std::string& text) { value = parse_unsigned("--seed", text); }, help)
      ->type_name("UINT64")
      ->default_str(std::to_string(value));
}

CLI::Option* add_real_option(CLI::App* cmd, const std::string& name, double& value, const RealRange& range,
                             const std::string& help) {
  return cmd
      ->add_option_function<std::string>(
          name, [name, &value, range](const std::string& text) { value = parse_real(name, text, range); },
          help + " (in " + range.str() + ")")
      ->type_name("REAL")
      ->default_str(format_real(value));
}

}  // namespace lwnet::cli
