// numpy's legacy RandomState stream (MT19937 seeded by init_genrand, Marsaglia-polar normals,
// 53-bit uniforms), so that `--rho rff` draws exactly the random Fourier features the reference
// implementation drew with scikit-learn's RBFSampler(random_state=1).
#pragma once

#include <cstdint>

#include "lwnet/ops.hpp"

namespace lwnet::kme {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(std::uint32_t seed);
  std::uint32_t next_u32();
  double random_sample();    // [0, 1), 53 bits
  double standard_normal();  // numpy's legacy_gauss

 private:
  std::uint32_t mt_[624];
  int index_ = 624;
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

// RBFSampler(random_state=seed).fit on d features with `features` components: omega = N(0, 1)
// (d x D, row-major draw order) and phase = U[0, 2 pi) (1 x D); lwnet scales omega by 1 / sigma
// where RBFSampler multiplies by sqrt(2 gamma) — the same map.
RffMap numpy_rff_map(std::int64_t d, std::int64_t features, std::uint32_t seed);

}  // namespace lwnet::kme
