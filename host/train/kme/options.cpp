// KmeOptions checks and the names of the network's enumerations (CLI values and model metadata).
#include <cmath>
#include <string>

#include "lwnet/error.hpp"
#include "lwnet/network.hpp"

namespace lwnet {

namespace {

// Names the option as the library field and as the lwnet flag: knn_k (--knn-k).
[[noreturn]] void bad_option(const std::string& name, const std::string& what) {
  std::string flag = "--" + name;
  for (char& ch : flag)
    if (ch == '_') ch = '-';
  throw InvalidArgument("option " + name + " (" + flag + "): " + what);
}

}  // namespace

void KmeOptions::validate() const {
  if (max_layers < 0) bad_option("max_layers", "must be >= 0, got " + std::to_string(max_layers));
  if (!(sigma_smallest > 0.0) || !std::isfinite(sigma_smallest))
    bad_option("sigma_smallest", "must be finite and > 0, got " + std::to_string(sigma_smallest));
  if (sigma_count < 1) bad_option("sigma_count", "must be >= 1, got " + std::to_string(sigma_count));
  if (!(hsic_threshold > 0.0) || !std::isfinite(hsic_threshold))
    bad_option("hsic_threshold", "must be finite and > 0, got " + std::to_string(hsic_threshold));
  if (!std::isfinite(initial_hsic)) bad_option("initial_hsic", "must be finite");
  if (rff_features < 1) bad_option("rff_features", "must be >= 1, got " + std::to_string(rff_features));
  if (knn_k < 1 || knn_k > Backend::kMaxKnn)
    bad_option("knn_k", "must be in [1, " + std::to_string(Backend::kMaxKnn) + "], got " + std::to_string(knn_k));
  if (sigma_sample < 2) bad_option("sigma_sample", "must be >= 2, got " + std::to_string(sigma_sample));
  if (!(input_sigma_floor > 0.0) || !(layer_sigma_floor > 0.0)) bad_option("sigma floors", "must be > 0");
}

const char* to_string(StandardizeMode mode) {
  switch (mode) {
    case StandardizeMode::train: return "train";
    case StandardizeMode::separate: return "separate";
    case StandardizeMode::none: return "none";
  }
  return "?";
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

StandardizeMode parse_standardize_mode(const std::string& text) {
  for (auto m : {StandardizeMode::train, StandardizeMode::separate, StandardizeMode::none})
    if (text == to_string(m)) return m;
  throw InvalidArgument("unknown standardisation '" + text + "': expected separate, train or none");
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

}  // namespace lwnet
