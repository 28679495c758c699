// Choosing kernel widths (spec 1.2): opt_sigma and the candidate grid.
#pragma once

#include <cstdint>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/ops.hpp"
#include "lwnet/random.hpp"

namespace lwnet::kme {

// The width maximising unnormalised HSIC f(s) = sum_ij exp(-D_ij^2 / (2 s^2)) (HLH)_ij on a fresh
// random subsample of min(n, sample) rows of Z (device), L = YY^T of the subsample's labels:
// a log grid over [s0 / 1000, 100 s0] (s0 the median pairwise distance of the subsample, zero
// diagonal included), then golden-section refinement around the best grid point. Returns
// max(s, floor); floor when the subsample's points all coincide. Advances rng.
double opt_sigma(Backend& backend, MatrixView<const float> Z, const Labels& labels, double floor, Rng& rng,
                 std::int64_t sample);

// logspace(log10 start, log10 smallest, count), both ends exact, in that order (descending when
// start > smallest, ascending otherwise, as the reference scans).
std::vector<double> candidate_grid(double start, double smallest, int count);

}  // namespace lwnet::kme
