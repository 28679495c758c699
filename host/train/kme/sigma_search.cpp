// opt_sigma on the host in float64: the subsample is at most a few hundred rows, so its
// distances (one backend call) and the 1-D search over log s cost little next to a layer.
#include "train/kme/sigma_search.hpp"

#include <algorithm>
#include <cmath>

#include "core/vector_exp.hpp"
#include "lwnet/error.hpp"

namespace lwnet::kme {

namespace {

// Points of the coarse grid per decade of s; the bracket spans 5 decades.
constexpr int kGridPerDecade = 8;
constexpr double kBracketBelow = 1000.0;  // s0 / 1000
constexpr double kBracketAbove = 100.0;   // 100 s0
constexpr double kGoldenTolerance = 1e-7;  // in log s

// f(s) over the pairs i < j (doubled) plus the constant diagonal. The exponentials are float32
// (vectorised; ~1e-7 relative, far below what moves the maximiser), the sum float64.
struct HsicOfWidth {
  std::vector<float> sq_distance;  // D_ij^2, i < j
  std::vector<double> weight;      // 2 (HLH)_ij, i < j
  double diagonal = 0.0;           // sum_i (HLH)_ii (exp(0) = 1)

  double operator()(double log_s) const {
    const double s = std::exp(log_s);
    const auto scale = static_cast<float>(-1.0 / (2.0 * s * s));
    const float* d2 = sq_distance.data();
    const double* w = weight.data();
    const std::size_t pairs = sq_distance.size();
    // Blocks of exponentials first, then their float64 dot with the weights: each loop vectorises
    // on its own (fused, gcc leaves the exponential scalar).
    constexpr std::size_t kBlock = 512;
    float e[kBlock];
    double f = 0.0;
    for (std::size_t p0 = 0; p0 < pairs; p0 += kBlock) {
      const std::size_t count = std::min(kBlock, pairs - p0);
#pragma omp simd
      for (std::size_t q = 0; q < count; ++q) e[q] = detail::exp_nonpositive(scale * d2[p0 + q]);
#pragma omp simd reduction(+ : f)
      for (std::size_t q = 0; q < count; ++q) f += static_cast<double>(e[q]) * w[p0 + q];
    }
    return diagonal + f;
  }
};

double median_of(std::vector<double> v) {
  const std::size_t upper = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(upper), v.end());
  const double hi = v[upper];
  if (v.size() % 2 == 1) return hi;
  return 0.5 * (*std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(upper)) + hi);
}

// Maximises f on [lo, hi] (log s) by golden-section search; returns the best point seen.
double golden_section_max(const HsicOfWidth& f, double lo, double hi, double start, double f_start) {
  const double inv_phi = (std::sqrt(5.0) - 1.0) / 2.0;
  double best = start;
  double f_best = f_start;
  double a = lo;
  double b = hi;
  double c = b - inv_phi * (b - a);
  double d = a + inv_phi * (b - a);
  double fc = f(c);
  double fd = f(d);
  while (b - a > kGoldenTolerance) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - inv_phi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + inv_phi * (b - a);
      fd = f(d);
    }
    if (fc > f_best) best = c, f_best = fc;
    if (fd > f_best) best = d, f_best = fd;
  }
  return best;
}

}  // namespace

double opt_sigma(Backend& backend, MatrixView<const float> Z, const Labels& labels, double floor, Rng& rng,
                 std::int64_t sample) {
  const std::int64_t n = Z.rows();
  const std::int64_t m = std::min(n, sample);
  const std::vector<std::int64_t> rows = rng.sample_without_replacement(n, m);
  Matrix<float> sub = backend.allocate<float>(m, Z.cols());
  backend.gather_rows(Z, rows, sub.view());
  Matrix<float> d2_dev = backend.allocate<float>(m, m);
  backend.squared_distances(sub.cview(), sub.cview(), d2_dev.view());
  const Matrix<float> d2 = backend.download(d2_dev.cview());

  // s0: the median of all m^2 distances, the zero diagonal included (the reference's choice).
  std::vector<double> distances(static_cast<std::size_t>(m * m));
  for (std::int64_t e = 0; e < m * m; ++e) distances[static_cast<std::size_t>(e)] = std::sqrt(static_cast<double>(d2.data()[e]));
  const double s0 = median_of(distances);
  if (!(s0 > 0.0)) return floor;

  // (HLH)_ij = [y_i == y_j] - (n_{y_i} + n_{y_j}) / m + sum_k n_k^2 / m^2 for the subsample's labels.
  std::vector<int> y(static_cast<std::size_t>(m));
  std::vector<double> count(static_cast<std::size_t>(labels.num_classes), 0.0);
  for (std::int64_t i = 0; i < m; ++i) {
    y[static_cast<std::size_t>(i)] = labels.y[static_cast<std::size_t>(rows[static_cast<std::size_t>(i)])];
    count[static_cast<std::size_t>(y[static_cast<std::size_t>(i)])] += 1.0;
  }
  const double md = static_cast<double>(m);
  double sum_sq = 0.0;
  for (double c : count) sum_sq += c * c;
  const double grand = sum_sq / (md * md);
  HsicOfWidth f;
  f.sq_distance.reserve(static_cast<std::size_t>(m * (m - 1) / 2));
  f.weight.reserve(f.sq_distance.capacity());
  for (std::int64_t i = 0; i < m; ++i) {
    const auto yi = static_cast<std::size_t>(y[static_cast<std::size_t>(i)]);
    f.diagonal += 1.0 - 2.0 * count[yi] / md + grand;
    for (std::int64_t j = i + 1; j < m; ++j) {
      const auto yj = static_cast<std::size_t>(y[static_cast<std::size_t>(j)]);
      const double hlh = (yi == yj ? 1.0 : 0.0) - (count[yi] + count[yj]) / md + grand;
      f.sq_distance.push_back(d2(i, j));
      f.weight.push_back(2.0 * hlh);
    }
  }

  const double lo = std::log(s0 / kBracketBelow);
  const double hi = std::log(s0 * kBracketAbove);
  const int points = static_cast<int>(std::lround(kGridPerDecade * std::log10(kBracketBelow * kBracketAbove))) + 1;
  const double step = (hi - lo) / (points - 1);
  int best = 0;
  double f_best = -INFINITY;
  for (int p = 0; p < points; ++p) {
    const double value = f(lo + step * p);
    if (value > f_best) best = p, f_best = value;  // first maximum wins
  }
  const double t0 = lo + step * best;
  const double t = golden_section_max(f, std::max(lo, t0 - step), std::min(hi, t0 + step), t0, f_best);
  return std::max(std::exp(t), floor);
}

std::vector<double> candidate_grid(double start, double smallest, int count) {
  if (!(start > 0.0) || !(smallest > 0.0) || count < 1)
    throw InvalidArgument("candidate_grid: need start > 0, smallest > 0 and count >= 1");
  std::vector<double> grid(static_cast<std::size_t>(count));
  const double a = std::log10(start);
  const double b = std::log10(smallest);
  for (int i = 0; i < count; ++i)
    grid[static_cast<std::size_t>(i)] = count == 1 ? start : std::pow(10.0, a + (b - a) * i / (count - 1));
  grid.front() = start;
  if (count > 1) grid.back() = smallest;
  return grid;
}

}  // namespace lwnet::kme
