// Small labelled datasets the trained-network tests learn: Gaussian blobs and bar images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lwnet/matrix.hpp"
#include "lwnet/ops.hpp"
#include "test_data.hpp"

namespace lwnet::test {

struct Dataset {
  Matrix<float> X;
  Labels labels;
};

// Three Gaussian classes in d dimensions, centres 3 apart along different axes (Bayes accuracy
// well above 0.9), raw values offset and scaled so standardisation matters.
inline Dataset blobs(std::int64_t n, std::int64_t d, std::uint64_t seed) {
  TestRandom rnd(seed);
  Dataset data{Matrix<float>::host(n, d), {}};
  data.labels.num_classes = 3;
  for (std::int64_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(i % 3);
    data.labels.y.push_back(y);
    for (std::int64_t j = 0; j < d; ++j)
      data.X(i, j) = static_cast<float>(10.0 + 3.0 * (rnd.normal() + (j == y ? 3.0 : 0.0)));
  }
  return data;
}

// 8x8 one-channel images: a bright horizontal bar, a vertical bar, or a diagonal, at a random
// position, in noise. Position-invariant classes: what a conv net with pooling is for.
inline Dataset bars(std::int64_t n, std::uint64_t seed) {
  TestRandom rnd(seed);
  Dataset data{Matrix<float>::host(n, 64), {}};
  data.labels.num_classes = 3;
  for (std::int64_t i = 0; i < n; ++i) {
    const int y = static_cast<int>(i % 3);
    data.labels.y.push_back(y);
    const auto at = rnd.below(8);
    for (std::int64_t r = 0; r < 8; ++r)
      for (std::int64_t c = 0; c < 8; ++c) {
        const bool on = (y == 0 && r == at) || (y == 1 && c == at) || (y == 2 && (r + at) % 8 == c);
        data.X(i, r * 8 + c) = static_cast<float>((on ? 1.0 : 0.0) + 0.3 * rnd.normal());
      }
  }
  return data;
}

inline std::vector<std::string> names(int c) {
  std::vector<std::string> v;
  for (int j = 0; j < c; ++j) v.push_back("class" + std::to_string(j));
  return v;
}

inline double accuracy(const std::vector<int>& predicted, const Labels& labels) {
  int hits = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) hits += predicted[i] == labels.y[i];
  return static_cast<double>(hits) / static_cast<double>(predicted.size());
}

}  // namespace lwnet::test
