// X's rows grouped by their row of B, for K.B products whose B has few distinct rows (the class
// indicators of a layer, [Y 1] of HSIC): ordered by group, each tile of X holds a few runs of
// rows sharing one row of B, and a row of K times B is a sum of k over each run (one addition per
// pair) times the run's row of B. The grouping depends on B alone, so summation orders stay fixed.
#pragma once

#include "cpu/cpu_isa.hpp"

#include <cstdint>
#include <optional>
#include <vector>

#include "lwnet/matrix.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

// Most distinct rows of B worth grouping by: beyond, the dense product is as fast.
constexpr std::int64_t kMaxGroups = 64;

struct RowGroups {
  struct Run {
    std::int64_t begin, end;  // positions within the tile
    std::int64_t group;
  };
  std::int64_t count = 0;                   // distinct rows of B
  std::vector<double> values;               // (count, c): each group's row of B
  std::vector<std::int64_t> order;          // the X row at each position
  std::vector<std::int64_t> position;       // the position of each X row
  std::vector<std::int64_t> group_at;       // the group at each position (ascending)
  std::vector<std::vector<Run>> tile_runs;  // runs of equal groups within each tile of kTileCols positions
};

// Groups X's rows by their row of B (groups in increasing order of their rows, compared as
// numbers left to right; X rows ascending within a group), or nothing when B has more than
// kMaxGroups distinct rows.
std::optional<RowGroups> group_rows(const MatrixView<const float>& B);

// sum of row[b] for b in [begin, end), begin < end <= kTileCols: lane l adds the columns
// b = l (mod kLanes) in order, the lanes are added as in simd::horizontal_sum. Reads whole
// vectors (within row[0, kTileCols)) and ignores the values outside the range.
float run_sum(const float* row, std::int64_t begin, std::int64_t end);

// Row sums of a tile k (tm rows, leading dimension kTileCols), added in float64 to
// sums[a * ldsum + column]:
// each run's sum of k (into the run's group's column),
void add_run_sums(const float* k, std::int64_t tm, const std::vector<RowGroups::Run>& runs, std::int64_t ldsum,
                  double* sums);
// and the sum of k^2 over the first `cols` columns (a multiple of kLanes, zero beyond the tile's).
void add_square_sums(const float* k, std::int64_t tm, std::int64_t cols, std::int64_t column, std::int64_t ldsum,
                     double* sums);

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
