#include "cpu/cpu_row_groups.hpp"

#include <algorithm>
#include <map>

#include "cpu/cpu_tiles.hpp"
#include "cpu/simd.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

std::optional<RowGroups> group_rows(const MatrixView<const float>& B) {
  const std::int64_t n = B.rows();
  const std::int64_t c = B.cols();
  std::map<std::vector<float>, std::int64_t> ids;
  std::vector<std::int64_t> id_of_row(static_cast<std::size_t>(n));
  std::vector<float> b_row(static_cast<std::size_t>(c));
  for (std::int64_t i = 0; i < n; ++i) {
    std::copy(B.data() + i * B.ld(), B.data() + i * B.ld() + c, b_row.begin());
    auto it = ids.find(b_row);  // no node (and no copy of the row) for a row seen before
    if (it == ids.end()) {
      if (static_cast<std::int64_t>(ids.size()) == kMaxGroups) return std::nullopt;
      it = ids.emplace(b_row, static_cast<std::int64_t>(ids.size())).first;
    }
    id_of_row[static_cast<std::size_t>(i)] = it->second;
  }
  RowGroups g;
  g.count = static_cast<std::int64_t>(ids.size());
  std::vector<std::int64_t> rank(ids.size());  // first-seen id -> group (sorted by value)
  for (const auto& [values, id] : ids) {
    rank[static_cast<std::size_t>(id)] = static_cast<std::int64_t>(g.values.size()) / std::max<std::int64_t>(c, 1);
    for (float v : values) g.values.push_back(v);
  }
  std::vector<std::int64_t> group(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) group[static_cast<std::size_t>(i)] = rank[static_cast<std::size_t>(id_of_row[static_cast<std::size_t>(i)])];
  g.order.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) g.order[static_cast<std::size_t>(i)] = i;
  std::stable_sort(g.order.begin(), g.order.end(), [&](std::int64_t a, std::int64_t b) {
    return group[static_cast<std::size_t>(a)] < group[static_cast<std::size_t>(b)];
  });
  g.position.resize(static_cast<std::size_t>(n));
  g.group_at.resize(static_cast<std::size_t>(n));
  for (std::int64_t p = 0; p < n; ++p) {
    const std::int64_t x_row = g.order[static_cast<std::size_t>(p)];
    g.position[static_cast<std::size_t>(x_row)] = p;
    g.group_at[static_cast<std::size_t>(p)] = group[static_cast<std::size_t>(x_row)];
  }
  for (std::int64_t x0 = 0; x0 < n; x0 += kTileCols) {
    std::vector<RowGroups::Run> runs;
    const std::int64_t tn = std::min(kTileCols, n - x0);
    for (std::int64_t b = 0; b < tn; ++b) {
      const std::int64_t gb = g.group_at[static_cast<std::size_t>(x0 + b)];
      if (runs.empty() || runs.back().group != gb) runs.push_back({b, b, gb});
      runs.back().end = b + 1;
    }
    g.tile_runs.push_back(std::move(runs));
  }
  return g;
}

float run_sum(const float* row, std::int64_t begin, std::int64_t end) {
  simd::IntVec lane;
  for (int l = 0; l < simd::kLanes; ++l) lane[l] = l;
  simd::Vec acc = {};
  for (std::int64_t b = begin / simd::kLanes * simd::kLanes; b < end; b += simd::kLanes) {
    simd::Vec v = simd::load(row + b);
    if (b < begin || b + simd::kLanes > end) {
      const simd::IntVec column = lane + static_cast<std::int32_t>(b);
      v = (column >= static_cast<std::int32_t>(begin) && column < static_cast<std::int32_t>(end)) ? v : simd::Vec{};
    }
    acc = acc + v;
  }
  return simd::horizontal_sum(acc);
}

void add_run_sums(const float* k, std::int64_t tm, const std::vector<RowGroups::Run>& runs, std::int64_t ldsum,
                  double* sums) {
  for (std::int64_t a = 0; a < tm; ++a)
    for (const RowGroups::Run& run : runs)
      sums[static_cast<std::size_t>(a * ldsum + run.group)] += run_sum(k + a * kTileCols, run.begin, run.end);
}

void add_square_sums(const float* k, std::int64_t tm, std::int64_t cols, std::int64_t column, std::int64_t ldsum,
                     double* sums) {
  for (std::int64_t a = 0; a < tm; ++a) {
    const float* row = k + a * kTileCols;
    simd::Vec acc = {};
    for (std::int64_t b = 0; b < cols; b += simd::kLanes) {
      const simd::Vec kv = simd::load(row + b);
      acc = simd::fma(kv, kv, acc);
    }
    sums[static_cast<std::size_t>(a * ldsum + column)] += simd::horizontal_sum(acc);
  }
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
