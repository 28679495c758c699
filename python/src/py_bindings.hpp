// The parts of the _lwnet extension module, one function each (module.cpp calls them), and the
// reader of the option dictionaries the estimators pass.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include "lwnet/error.hpp"
#include "lwnet/net.hpp"

namespace lwnet::py {

void bind_kernels(nanobind::module_& m);
void bind_kme(nanobind::module_& m);
void bind_net(nanobind::module_& m);
void bind_align(nanobind::module_& m);

// Options given as a dict of Python values (lwnet/_estimators.py builds it from the estimator's
// parameters); a value of the wrong type, or a key nothing reads, is an InvalidArgument naming it.
class OptionReader {
 public:
  explicit OptionReader(nanobind::dict options) : options_(std::move(options)) {}

  template <class T>
  T get(const char* key, T fallback) {
    read_.insert(key);
    if (!options_.contains(key) || options_[key].is_none()) return fallback;
    try {
      return nanobind::cast<T>(options_[key]);
    } catch (const nanobind::cast_error&) {
      throw InvalidArgument(std::string(key) + ": expected " + type_name<T>() + ", got " +
                            nanobind::cast<std::string>(nanobind::repr(options_[key])));
    }
  }
  bool given(const char* key) const { return options_.contains(key) && !options_[key].is_none(); }
  // InvalidArgument naming the keys no get() asked for.
  void finish() const {
    std::string unknown;
    for (auto item : options_) {
      const std::string key = nanobind::cast<std::string>(item.first);
      if (read_.count(key) == 0) unknown += (unknown.empty() ? "" : ", ") + key;
    }
    if (!unknown.empty()) throw InvalidArgument("unknown option(s): " + unknown);
  }

 private:
  template <class T>
  static const char* type_name() {
    if constexpr (std::is_same_v<T, bool>) return "a bool";
    else if constexpr (std::is_integral_v<T>) return "an integer";
    else if constexpr (std::is_floating_point_v<T>) return "a number";
    else return "a string";
  }

  nanobind::dict options_;
  std::set<std::string> read_;
};

// LayerwiseClassifier's parameters (a dict) as the trainer's options, for data of `features`
// columns, with the checks the CLI and the C API make beyond NetOptions::validate() (py_net.cpp).
net::NetOptions net_options(const nanobind::dict& options, std::int64_t features);

}  // namespace lwnet::py
