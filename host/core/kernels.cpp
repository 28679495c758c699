#include "lwnet/kernels.hpp"

#include <cmath>
#include <sstream>
#include <string>

#include "lwnet/error.hpp"

namespace lwnet {

namespace {

[[noreturn]] void bad(std::string_view context, const std::string& what) {
  throw InvalidArgument(std::string(context) + ": " + what);
}

std::string format_number(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

}  // namespace

void validate(const GramParams& p, std::string_view context) {
  switch (p.kind) {
    case KernelKind::gaussian:
    case KernelKind::laplacian:
      if (!std::isfinite(p.sigma) || p.sigma <= 0.0)
        bad(context, "kernel width sigma must be finite and > 0, got " + format_number(p.sigma));
      // 1 / (2 sigma^2) must be a finite, non-zero float.
      if (p.sigma < 1e-18 || p.sigma > 1e18)
        bad(context, "kernel width sigma " + format_number(p.sigma) + " is outside [1e-18, 1e18]");
      break;
    case KernelKind::linear:
      break;
    case KernelKind::polynomial:
      if (p.degree < 1 || p.degree > GramParams::kMaxPolynomialDegree)
        bad(context, "polynomial degree must be in [1, " + std::to_string(GramParams::kMaxPolynomialDegree) +
                         "], got " + std::to_string(p.degree));
      if (!std::isfinite(p.gamma) || !std::isfinite(p.coef0))
        bad(context, "polynomial gamma and coef0 must be finite");
      break;
    default:
      bad(context, "unknown kernel kind " + std::to_string(static_cast<int>(p.kind)));
  }
}

GramParams squared_kernel(const GramParams& p) {
  GramParams q = p;
  switch (p.kind) {
    case KernelKind::gaussian: q.sigma = p.sigma / std::sqrt(2.0); break;
    case KernelKind::laplacian: q.sigma = p.sigma / 2.0; break;
    case KernelKind::linear: q = GramParams::polynomial(2, 1.0, 0.0); break;
    case KernelKind::polynomial: q.degree = 2 * p.degree; break;
  }
  return q;
}

const char* to_string(KernelKind kind) {
  switch (kind) {
    case KernelKind::gaussian: return "gaussian";
    case KernelKind::linear: return "linear";
    case KernelKind::polynomial: return "polynomial";
    case KernelKind::laplacian: return "laplacian";
  }
  return "?";
}

KernelKind parse_kernel_kind(std::string_view text) {
  for (auto k : {KernelKind::gaussian, KernelKind::linear, KernelKind::polynomial, KernelKind::laplacian})
    if (text == to_string(k)) return k;
  throw InvalidArgument("unknown kernel '" + std::string(text) +
                        "': expected gaussian, linear, polynomial or laplacian");
}

std::string to_string(const GramParams& p) {
  switch (p.kind) {
    case KernelKind::gaussian: return "gaussian(sigma=" + format_number(p.sigma) + ")";
    case KernelKind::laplacian: return "laplacian(sigma=" + format_number(p.sigma) + ")";
    case KernelKind::linear: return "linear";
    case KernelKind::polynomial:
      return "polynomial(degree=" + std::to_string(p.degree) + ", gamma=" + format_number(p.gamma) +
             ", coef0=" + format_number(p.coef0) + ")";
  }
  return "?";
}

const char* to_string(HsicNormalization n) {
  switch (n) {
    case HsicNormalization::none: return "none";
    case HsicNormalization::code: return "code";
    case HsicNormalization::textbook: return "textbook";
  }
  return "?";
}

HsicNormalization parse_hsic_normalization(std::string_view text) {
  for (auto n : {HsicNormalization::none, HsicNormalization::code, HsicNormalization::textbook})
    if (text == to_string(n)) return n;
  throw InvalidArgument("unknown HSIC normalisation '" + std::string(text) +
                        "': expected code, textbook or none");
}

}  // namespace lwnet
