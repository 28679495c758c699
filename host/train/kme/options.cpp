// KmeOptions checks and the names of the network's enumerations (CLI values and model metadata).
#include <cmath>
#include <cstdio>
#include <string>

#include "lwnet/error.hpp"
#include "lwnet/kme.hpp"

namespace lwnet::kme {

namespace {

// Names the option as the library field and as the lwnet flag: knn_k (--knn-k).
[[noreturn]] void bad_option(const std::string& name, const std::string& what) {
  std::string flag = "--" + name;
  for (char& ch : flag)
    if (ch == '_') ch = '-';
  throw InvalidArgument("option " + name + " (" + flag + "): " + what);
}

// %g: 1e-300 stays 1e-300 (std::to_string would print 0.000000).
std::string format(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace

void KmeOptions::validate() const {
  const auto in_range = [](auto value, auto lo, auto hi) { return value >= lo && value <= hi; };
  if (!in_range(max_layers, 0, kMaxLayersLimit))
    bad_option("max_layers", "must be in [0, " + std::to_string(kMaxLayersLimit) + "], got " + std::to_string(max_layers));
  if (!(in_range(sigma_smallest, kSigmaSmallestMin, kSigmaSmallestMax)))  // NaN fails too
    bad_option("sigma_smallest", "must be in [1e-18, 1e18] (the usable kernel widths), got " + format(sigma_smallest));
  if (!in_range(sigma_count, 1, kSigmaCountLimit))
    bad_option("sigma_count", "must be in [1, " + std::to_string(kSigmaCountLimit) + "], got " + std::to_string(sigma_count));
  // The normalised HSIC lies in [0, 1]: a threshold above 1 could never fire (1 turns the rule off).
  if (!(hsic_threshold > 0.0 && hsic_threshold <= 1.0))
    bad_option("hsic_threshold", "must be in (0, 1] (the normalised HSIC's range), got " + format(hsic_threshold));
  if (!std::isfinite(initial_hsic)) bad_option("initial_hsic", "must be finite");
  if (!in_range(rff_features, 1, kRffFeaturesLimit))
    bad_option("rff_features", "must be in [1, " + std::to_string(kRffFeaturesLimit) + "], got " + std::to_string(rff_features));
  if (knn_k < 1 || knn_k > Backend::kMaxKnn)
    bad_option("knn_k", "must be in [1, " + std::to_string(Backend::kMaxKnn) + "], got " + std::to_string(knn_k));
  if (sigma_sample < 2) bad_option("sigma_sample", "must be >= 2, got " + std::to_string(sigma_sample));
  if (!(input_sigma_floor > 0.0) || !(layer_sigma_floor > 0.0) || !std::isfinite(input_sigma_floor) ||
      !std::isfinite(layer_sigma_floor))
    bad_option("sigma floors", "must be finite and > 0");
  if (predictor == Predictor::argmax && max_layers == 0)
    throw InvalidArgument("--predict argmax reads the last layer's class columns, and --max-layers 0 grows none; "
                          "use --predict knn or mean, or allow layers");
  if (!in_range(validation_fraction, kValidationFractionMin, kValidationFractionMax))
    bad_option("validation_fraction", "must be in [" + format(kValidationFractionMin) + ", " +
                                          format(kValidationFractionMax) + "], got " + format(validation_fraction));
}

const char* to_string(RhoMethod method) { return method == RhoMethod::exact ? "exact" : "rff"; }

const char* to_string(Predictor predictor) {
  switch (predictor) {
    case Predictor::knn: return "knn";
    case Predictor::mean: return "mean";
    case Predictor::argmax: return "argmax";
  }
  return "?";
}

const char* to_string(Selection selection) { return selection == Selection::hsic ? "hsic" : "validation"; }

Selection parse_selection(const std::string& text) {
  for (auto s : {Selection::hsic, Selection::validation})
    if (text == to_string(s)) return s;
  throw InvalidArgument("unknown selection rule '" + text + "': expected hsic or validation");
}

RhoMethod parse_rho_method(const std::string& text) {
  for (auto m : {RhoMethod::exact, RhoMethod::rff})
    if (text == to_string(m)) return m;
  throw InvalidArgument("unknown rho method '" + text + "': expected exact or rff");
}

Predictor parse_predictor(const std::string& text) {
  for (auto p : {Predictor::knn, Predictor::mean, Predictor::argmax})
    if (text == to_string(p)) return p;
  throw InvalidArgument("unknown predictor '" + text + "': expected knn, mean or argmax");
}

}  // namespace lwnet::kme
