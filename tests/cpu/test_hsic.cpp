// HSIC on the CPU (ops.hpp): hsic_labels (K . [Y 1] fused), the general streamed hsic and
// hsic_from_grams, against the oracle's tr(K H L H) with explicit centering matrices and the norms
// ||HK||_F, ||HKH||_F formed from the centred matrices themselves. Closed forms: the Neural
// Indicator Kernel gives textbook normalised HSIC 1 and code normalised HSIC 1 only for balanced
// classes (spec section 0); independent data give a normalised HSIC near 0; code <= textbook <= 1;
// a kernel constant on the data reports 0.
#include <cmath>
#include <tuple>

#include <gtest/gtest.h>

#include "cases.hpp"
#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/ops.hpp"
#include "oracle.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

constexpr HsicNormalization kAllNormalizations[] = {HsicNormalization::none, HsicNormalization::code,
                                                    HsicNormalization::textbook};

struct LabelsCase {
  std::int64_t n, d;
  int c;
  KernelKind kind;
};

void PrintTo(const LabelsCase& p, std::ostream* os) {
  *os << "n " << p.n << ", d " << p.d << ", c " << p.c << ", " << to_string(p.kind);
}

std::string case_name(const ::testing::TestParamInfo<LabelsCase>& param_info) {
  const LabelsCase& p = param_info.param;
  return "n" + std::to_string(p.n) + "_d" + std::to_string(p.d) + "_c" + std::to_string(p.c) + "_" + to_string(p.kind);
}

// Compares an HsicResult with the oracle under the derived bounds (tolerance.hpp).
void expect_hsic_matches(std::int64_t n, const HsicResult& r, const oracle::Hsic& o, HsicNormalization normalization,
                         const HsicErrorBound& k_bound, double l_norm_sq_error) {
  SCOPED_TRACE(::testing::Message() << "normalisation " << to_string(normalization));
  EXPECT_EQ(r.normalization, normalization);
  EXPECT_FALSE(r.constant_kernel);
  EXPECT_TRUE(expect_close(r.hsic, o.hsic, k_bound.hsic, 0.0)) << "hsic";
  if (normalization == HsicNormalization::none) {
    EXPECT_EQ(r.normalized, r.hsic);
    return;
  }
  const bool code = normalization == HsicNormalization::code;
  const double nk = code ? o.norm_hk : o.norm_hkh;
  const double nl = code ? o.norm_hl : o.norm_hlh;
  EXPECT_TRUE(expect_close(r.norm_k, nk, sqrt_error(nk * nk, k_bound.norm_sq), 0.0)) << "norm_k";
  // The labels' norms are closed forms in float64; the oracle's own n^2-term float64 sums bound
  // the difference (gamma64(n^2) relative, times 10 for the cancellation in the centring).
  const double n2 = static_cast<double>(n) * static_cast<double>(n);
  EXPECT_TRUE(expect_close(r.norm_l, nl, sqrt_error(nl * nl, l_norm_sq_error), 10.0 * gamma64(n2))) << "norm_l";
  const double expected = o.normalized(normalization);
  const double tol = normalized_hsic_error(k_bound.hsic, nk, k_bound.norm_sq, nl, l_norm_sq_error, expected);
  EXPECT_TRUE(expect_close(r.normalized, expected, tol, 0.0)) << "normalized";
}

class CpuHsicLabels : public ::testing::TestWithParam<LabelsCase> {};

TEST_P(CpuHsicLabels, MatchesOracle) {
  const LabelsCase lc = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const Labels labels = rng.labels(lc.n, lc.c);
  const auto X = padded_copy(rng.clustered(labels, lc.d, 0.5).cview());
  const GramParams p = scaled_kernel(lc.kind, lc.d);
  const oracle::Hsic o = oracle::hsic(oracle::gram(X.cview(), X.cview(), p), oracle::label_gram(labels));
  const HsicErrorBound bound = hsic_labels_error(kernel_error_model(p, X.cview(), X.cview()),
                                                 kernel_error_model(squared_kernel(p), X.cview(), X.cview()), lc.n);
  auto backend = make_cpu_backend();
  for (HsicNormalization norm : kAllNormalizations)
    expect_hsic_matches(lc.n, hsic_labels(*backend, X.cview(), labels, p, norm), o, norm, bound, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Cases, CpuHsicLabels,
                         ::testing::Values(LabelsCase{7, 3, 2, KernelKind::gaussian},
                                           LabelsCase{33, 5, 3, KernelKind::laplacian},
                                           LabelsCase{70, 40, 10, KernelKind::gaussian},
                                           LabelsCase{257, 3, 3, KernelKind::gaussian},
                                           LabelsCase{257, 7, 4, KernelKind::polynomial},
                                           LabelsCase{129, 33, 2, KernelKind::linear},
                                           LabelsCase{1000, 2, 3, KernelKind::gaussian}),
                         case_name);

// hsic_labels against hsic_from_grams on the same data: K from gram(), L = Y Y^T.
TEST(CpuHsicLabelsVsGrams, AgreeWithinTheFusedSumsRounding) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 257;
  const Labels labels = rng.labels(n, 3);
  const Matrix<float> X = rng.clustered(labels, 4, 0.5);
  const GramParams p = GramParams::gaussian(0.8);
  auto backend = make_cpu_backend();
  Matrix<float> K = Matrix<float>::host(n, n);
  backend->gram(X.cview(), X.cview(), p, K.view());
  const Matrix<float> L = indicator_gram(labels);
  // Both are within the bound of the exact value: they differ by at most twice the bound.
  const HsicErrorBound bound = hsic_labels_error(kernel_error_model(p, X.cview(), X.cview()),
                                                 kernel_error_model(squared_kernel(p), X.cview(), X.cview()), n);
  for (HsicNormalization norm : kAllNormalizations) {
    SCOPED_TRACE(to_string(norm));
    const HsicResult fused = hsic_labels(*backend, X.cview(), labels, p, norm);
    const HsicResult grams = hsic_from_grams(*backend, K.cview(), L.cview(), norm);
    EXPECT_TRUE(expect_close(fused.hsic, grams.hsic, 2.0 * bound.hsic, 0.0));
    if (norm != HsicNormalization::none) {
      const double tol = 2.0 * normalized_hsic_error(bound.hsic, grams.norm_k, bound.norm_sq, grams.norm_l, 0.0,
                                                     grams.normalized);
      EXPECT_TRUE(expect_close(fused.normalized, grams.normalized, tol, 0.0));
    }
  }
}

TEST(CpuHsicFromGrams, MatchesOracle) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 60;
  // Two arbitrary symmetric matrices (not Gram matrices: the formula needs only symmetry).
  Matrix<float> K = Matrix<float>::host(n, n);
  Matrix<float> L = Matrix<float>::host(n, n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j <= i; ++j) {
      K(i, j) = K(j, i) = static_cast<float>(rng.uniform(0.0, 1.0));
      L(i, j) = L(j, i) = static_cast<float>(rng.uniform(-1.0, 1.0));
    }
  const oracle::Hsic o = oracle::hsic_explicit(oracle::from_view(K.cview()), oracle::from_view(L.cview()));
  auto backend = make_cpu_backend();
  // Everything is float64 sums of exact products of float values, |K|, |L| <= 1: the three terms
  // of tr(KHLH) = sum K o L - 2/n (K1).(L1) + (1'K1)(1'L1)/n^2 each have absolute values summing
  // to <= n^2, so the error is <= gamma64(n^2) 3 n^2 (plus a few roundings combining them). The
  // normalised value adds the norms' relative error, a few float64 ulps amplified by their
  // cancellation (||HK||^2 / sum K^2 is well above 1e-4 for these matrices): 1e-10 relative.
  const double nn = static_cast<double>(n * n);
  const double hsic_tol = gamma64(nn) * 3.0 * nn + 8.0 * kU64 * nn;
  for (HsicNormalization norm : kAllNormalizations) {
    SCOPED_TRACE(to_string(norm));
    const HsicResult r = hsic_from_grams(*backend, K.cview(), L.cview(), norm);
    EXPECT_TRUE(expect_close(r.hsic, o.hsic, hsic_tol, 0.0));
    const double expected = o.normalized(norm);
    EXPECT_TRUE(expect_close(r.normalized, expected, std::fabs(expected) * hsic_tol / std::fabs(o.hsic), 1e-10));
  }
}

// The Neural Indicator Kernel K = L = Y Y^T. Textbook: hsic = tr(LHLH) = ||HLH||^2, so exactly 1.
// Code: ||HLH||^2 / ||HL||^2 = (S2 - 2 S3/n + S2^2/n^2) / (S2 - S3/n), S2 = sum n_j^2, S3 = sum n_j^3;
// for balanced classes S3 = S2^2/n and the ratio is 1; otherwise it is below 1.
double nik_code_closed_form(const std::vector<std::int64_t>& counts, double n) {
  double s2 = 0.0, s3 = 0.0;
  for (auto nj : counts) {
    s2 += static_cast<double>(nj * nj);
    s3 += static_cast<double>(nj * nj * nj);
  }
  return (s2 - 2.0 * s3 / n + s2 * s2 / (n * n)) / (s2 - s3 / n);
}

// Labels with the given class sizes, in a shuffled order.
Labels labels_with_counts(TestRandom& rng, const std::vector<int>& counts) {
  Labels l;
  l.num_classes = static_cast<int>(counts.size());
  for (int j = 0; j < l.num_classes; ++j) l.y.insert(l.y.end(), static_cast<std::size_t>(counts[static_cast<std::size_t>(j)]), j);
  for (std::size_t i = l.y.size() - 1; i > 0; --i) std::swap(l.y[i], l.y[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(i) + 1))]);
  return l;
}

// All sums are of 0/1 values (exact in float and double) and the ratios are of equal numbers up
// to one sqrt rounding each: 1e-12 is far below any formula error.
constexpr double kNikTolerance = 1e-12;

TEST(CpuHsicClosedForm, IndicatorKernelBalanced) {
  LWNET_SEEDED_RANDOM(rng);
  const Labels labels = labels_with_counts(rng, {40, 40, 40});
  const Matrix<float> K = indicator_gram(labels);
  auto backend = make_cpu_backend();
  EXPECT_NEAR(hsic_from_grams(*backend, K.cview(), K.cview(), HsicNormalization::textbook).normalized, 1.0, kNikTolerance);
  EXPECT_NEAR(hsic_from_grams(*backend, K.cview(), K.cview(), HsicNormalization::code).normalized, 1.0, kNikTolerance);

  // The same through hsic_labels: one-hot rows under the linear kernel give K = Y Y^T.
  const Matrix<float> Y = one_hot(labels);
  EXPECT_NEAR(hsic_labels(*backend, Y.cview(), labels, GramParams::linear(), HsicNormalization::textbook).normalized,
              1.0, kNikTolerance);
  EXPECT_NEAR(hsic_labels(*backend, Y.cview(), labels, GramParams::linear(), HsicNormalization::code).normalized, 1.0,
              kNikTolerance);
}

TEST(CpuHsicClosedForm, IndicatorKernelUnbalanced) {
  LWNET_SEEDED_RANDOM(rng);
  const Labels labels = labels_with_counts(rng, {10, 30, 77});
  const Matrix<float> K = indicator_gram(labels);
  auto backend = make_cpu_backend();
  const double n = static_cast<double>(labels.y.size());
  const double code = nik_code_closed_form(labels.class_counts(), n);
  ASSERT_LT(code, 0.99) << "these class sizes must be unbalanced enough to tell the variants apart";

  EXPECT_NEAR(hsic_from_grams(*backend, K.cview(), K.cview(), HsicNormalization::textbook).normalized, 1.0, kNikTolerance);
  EXPECT_NEAR(hsic_from_grams(*backend, K.cview(), K.cview(), HsicNormalization::code).normalized, code, kNikTolerance);
  const Matrix<float> Y = one_hot(labels);
  EXPECT_NEAR(hsic_labels(*backend, Y.cview(), labels, GramParams::linear(), HsicNormalization::textbook).normalized,
              1.0, kNikTolerance);
  EXPECT_NEAR(hsic_labels(*backend, Y.cview(), labels, GramParams::linear(), HsicNormalization::code).normalized, code,
              kNikTolerance);
}

// Independence: with K, L independent, E tr(K~ L~) ~ tr(K~) tr(L~) / (n - 1) (K~ = HKH) and the
// spread is ~ sqrt(2) ||K~|| ||L~|| / (n - 1). Since tr(A) <= sqrt(rank A) ||A||_F, with rank K~ < n
// and rank L~ <= c - 1, textbook normalised HSIC <= sqrt(n (c - 1)) / (n - 1) + 6 sqrt(2) / (n - 1)
// (six standard deviations) — 0.027 for n = 2000, c = 2 — and code <= textbook.
double independence_bound(double n, double c) { return (std::sqrt(n * (c - 1.0)) + 6.0 * std::sqrt(2.0)) / (n - 1.0); }

TEST(CpuHsicClosedForm, IndependentDataGiveNearZero) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 2000;
  const Matrix<float> X = rng.normal_matrix(n, 2);
  const Labels random = rng.labels(n, 2);
  const GramParams p = GramParams::gaussian(1.0);
  auto backend = make_cpu_backend();
  const double bound = independence_bound(static_cast<double>(n), 2.0);
  const double textbook = hsic_labels(*backend, X.cview(), random, p, HsicNormalization::textbook).normalized;
  const double code = hsic_labels(*backend, X.cview(), random, p, HsicNormalization::code).normalized;
  EXPECT_LT(std::fabs(textbook), bound);
  EXPECT_LT(std::fabs(code), bound);

  // Control: labels that depend on X (the sign of the first feature) are far above the bound.
  Labels dependent = random;
  for (std::int64_t i = 0; i < n; ++i) dependent.y[static_cast<std::size_t>(i)] = X(i, 0) > 0.0f ? 1 : 0;
  EXPECT_GT(hsic_labels(*backend, X.cview(), dependent, p, HsicNormalization::code).normalized, 5.0 * bound);
}

TEST(CpuHsicClosedForm, CodeNotAboveTextbookNotAboveOne) {
  LWNET_SEEDED_RANDOM(rng);
  auto backend = make_cpu_backend();
  for (int trial = 0; trial < 5; ++trial) {
    const Labels labels = rng.labels(150, 2 + trial);
    const Matrix<float> X = rng.clustered(labels, 3, 0.3 + 0.3 * trial);
    const GramParams p = GramParams::gaussian(0.5 + 0.5 * trial);
    const HsicResult code = hsic_labels(*backend, X.cview(), labels, p, HsicNormalization::code);
    const HsicResult textbook = hsic_labels(*backend, X.cview(), labels, p, HsicNormalization::textbook);
    EXPECT_EQ(code.hsic, textbook.hsic) << "same numerator";
    EXPECT_LE(code.normalized, textbook.normalized * (1.0 + 1e-6)) << "trial " << trial;
    EXPECT_LE(textbook.normalized, 1.0 + 1e-6) << "trial " << trial;
    EXPECT_GT(code.normalized, 0.0) << "trial " << trial;
  }
}

TEST(CpuHsicClosedForm, ConstantKernelReportsZero) {
  LWNET_SEEDED_RANDOM(rng);
  const Labels labels = rng.labels(100, 2);
  const Matrix<float> X = rng.uniform_matrix(100, 3);
  // sigma 1e6 over distances <= 2 sqrt(3): every kernel value rounds to 1.0f.
  const HsicResult r = hsic_labels(*make_cpu_backend(), X.cview(), labels, GramParams::gaussian(1e6));
  EXPECT_TRUE(r.constant_kernel);
  EXPECT_EQ(r.normalized, 0.0);
}

struct GeneralCase {
  std::int64_t n, dx, dy;
  KernelKind kx, ky;
};

void PrintTo(const GeneralCase& p, std::ostream* os) {
  *os << "n " << p.n << ", dx " << p.dx << ", dy " << p.dy << ", " << to_string(p.kx) << " x " << to_string(p.ky);
}

class CpuHsicGeneral : public ::testing::TestWithParam<GeneralCase> {};

TEST_P(CpuHsicGeneral, MatchesOracle) {
  const GeneralCase gc = GetParam();
  LWNET_SEEDED_RANDOM(rng);
  const Matrix<float> X = rng.uniform_matrix(gc.n, gc.dx);
  // Y depends on X (its first features plus noise), so HSIC is well away from 0.
  Matrix<float> Y = rng.uniform_matrix(gc.n, gc.dy, -0.3, 0.3);
  for (std::int64_t i = 0; i < gc.n; ++i)
    for (std::int64_t k = 0; k < std::min(gc.dx, gc.dy); ++k) Y(i, k) += X(i, k);
  const auto Xp = padded_copy(X.cview());
  const auto Yp = padded_copy(Y.cview());
  const GramParams px = scaled_kernel(gc.kx, gc.dx);
  const GramParams py = scaled_kernel(gc.ky, gc.dy);
  const oracle::Hsic o = oracle::hsic(oracle::gram(X.cview(), X.cview(), px), oracle::gram(Y.cview(), Y.cview(), py));

  const KernelErrorModel kx = kernel_error_model(px, X.cview(), X.cview());
  const KernelErrorModel ky = kernel_error_model(py, Y.cview(), Y.cview());
  const KernelErrorModel kx_sq = kernel_error_model(squared_kernel(px), X.cview(), X.cview());
  const KernelErrorModel ky_sq = kernel_error_model(squared_kernel(py), Y.cview(), Y.cview());
  const HsicErrorBound bound{hsic_general_error(kx, ky, gc.n), centred_norm_sq_error(kx, kx_sq, gc.n)};
  const double l_norm_sq_error = centred_norm_sq_error(ky, ky_sq, gc.n);
  auto backend = make_cpu_backend();
  for (HsicNormalization norm : kAllNormalizations)
    expect_hsic_matches(gc.n, hsic(*backend, Xp.cview(), px, Yp.cview(), py, norm), o, norm, bound, l_norm_sq_error);
}

INSTANTIATE_TEST_SUITE_P(Cases, CpuHsicGeneral,
                         ::testing::Values(GeneralCase{7, 3, 2, KernelKind::gaussian, KernelKind::linear},
                                           GeneralCase{33, 5, 5, KernelKind::laplacian, KernelKind::gaussian},
                                           GeneralCase{257, 3, 40, KernelKind::gaussian, KernelKind::gaussian},
                                           GeneralCase{200, 36, 4, KernelKind::polynomial, KernelKind::laplacian},
                                           GeneralCase{1000, 2, 1, KernelKind::gaussian, KernelKind::gaussian}),
                         [](const ::testing::TestParamInfo<GeneralCase>& param_info) {
                           const GeneralCase& p = param_info.param;
                           return "n" + std::to_string(p.n) + "_dx" + std::to_string(p.dx) + "_dy" +
                                  std::to_string(p.dy) + "_" + to_string(p.kx) + "_" + to_string(p.ky);
                         });

}  // namespace
}  // namespace lwnet::test
