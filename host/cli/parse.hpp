// Numeric option values, parsed strictly: the whole text must be a decimal number inside the
// option's range, or the command stops with one line naming the option, the range and the text.
// (CLI11's own conversions read "010" as octal 8 and "0x10" as 16, accept "nan" for reals, and
// clamp integers beyond 64 bits to the largest value: each of those silently changed a result.)
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace lwnet::cli {

// A closed or open interval of reals, for range checks and messages: "(0, 1]".
struct RealRange {
  double lo;
  double hi;
  bool lo_open = false;
  bool hi_open = false;
  bool contains(double v) const;
  std::string str() const;
};

std::int64_t parse_integer(const std::string& option, const std::string& text, std::int64_t lo, std::int64_t hi);
std::uint64_t parse_unsigned(const std::string& option, const std::string& text);  // all of [0, 2^64)
double parse_real(const std::string& option, const std::string& text, const RealRange& range);

// Option registration with the parsers above; the field keeps its default unless the option is
// given, and the help shows that default and the range.
CLI::Option* add_integer_option(CLI::App* cmd, const std::string& name, int& value, int lo, int hi,
                                const std::string& help);
CLI::Option* add_integer_option(CLI::App* cmd, const std::string& name, std::int64_t& value, std::int64_t lo,
                                std::int64_t hi, const std::string& help);
CLI::Option* add_seed_option(CLI::App* cmd, std::uint64_t& value, const std::string& help);
CLI::Option* add_real_option(CLI::App* cmd, const std::string& name, double& value, const RealRange& range,
                             const std::string& help);

// For options naming a file or a choice: an empty value ("--data \"$UNSET\"") is refused rather
// than taken as "not given", which would silently train on the embedded data or skip --out.
CLI::Validator non_empty();

// "%g" of a value: 1e-18 stays 1e-18, 0.5 stays 0.5 (std::to_string gives 0.000000 and 0.500000).
std::string format_real(double value);

}  // namespace lwnet::cli
