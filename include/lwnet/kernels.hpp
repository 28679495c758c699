// Kernel functions and their parameters.
//
//   gaussian    k(a, b) = exp(-||a - b||^2 / (2 sigma^2))
//   linear      k(a, b) = a . b
//   polynomial  k(a, b) = (gamma a . b + coef0)^degree
//   laplacian   k(a, b) = exp(-||a - b||_1 / sigma)
#pragma once

#include "lwnet/export.h"

#include <string>
#include <string_view>

namespace lwnet {

enum class KernelKind { gaussian, linear, polynomial, laplacian };

struct LWNET_API GramParams {
  KernelKind kind = KernelKind::gaussian;
  double sigma = 1.0;  // gaussian, laplacian: width, > 0
  double gamma = 1.0;  // polynomial: scale of a . b
  double coef0 = 1.0;  // polynomial: offset
  int degree = 2;      // polynomial: integer power in [1, kMaxPolynomialDegree]

  static constexpr int kMaxPolynomialDegree = 64;

  static GramParams gaussian(double sigma) { return {KernelKind::gaussian, sigma, 1.0, 1.0, 2}; }
  static GramParams linear() { return {KernelKind::linear, 1.0, 1.0, 0.0, 1}; }
  static GramParams polynomial(int degree, double gamma = 1.0, double coef0 = 1.0) {
    return {KernelKind::polynomial, 1.0, gamma, coef0, degree};
  }
  static GramParams laplacian(double sigma) { return {KernelKind::laplacian, sigma, 1.0, 1.0, 2}; }
};

// Throws InvalidArgument when a parameter is out of range (sigma <= 0 or non-finite, ...).
// `context` names the caller in the message.
LWNET_API void validate(const GramParams& params, std::string_view context);

// The kernel whose values are the squares of `params`' values: k'(a, b) = k(a, b)^2.
// Every supported family is closed under squaring (gaussian: sigma / sqrt 2; laplacian: sigma / 2;
// linear: polynomial of degree 2 with coef0 0; polynomial: twice the degree). Used to get
// sum_ij K_ij^2 from one fused K . 1 pass.
LWNET_API GramParams squared_kernel(const GramParams& params);

// "gaussian(sigma=0.5)" and friends.
LWNET_API std::string to_string(const GramParams& params);
LWNET_API const char* to_string(KernelKind kind);
LWNET_API KernelKind parse_kernel_kind(std::string_view text);

// Normalisation of HSIC (spec section 0). Same numerator tr(K H L H), different denominators:
//   code      ||HK||_F ||HL||_F    (the reference implementation's choice; the default)
//   textbook  ||HKH||_F ||HLH||_F
enum class HsicNormalization { none, code, textbook };

LWNET_API const char* to_string(HsicNormalization normalization);
LWNET_API HsicNormalization parse_hsic_normalization(std::string_view text);

}  // namespace lwnet
