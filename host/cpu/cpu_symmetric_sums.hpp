// K(X, X) B for a B with few distinct rows, each unordered pair of X tiles evaluated once.
//
// K is symmetric, so the tile K(X_I, X_J) (I < J blocks of kTileCols grouped rows) serves both
// its rows (the run sums over J's columns, as the unsymmetric product computes them) and its
// columns (the sums over I's rows of each group, for the rows of J): the distances and
// exponentials, most of the work, are computed once per pair instead of twice.
//
// Summation order, fixed whatever the threads do: for a row p in block J,
//   R(p) = sum over blocks J' >= J, ascending, of its float32 run sums over J' (float64),
//   C(p) = sum over blocks I < J, ascending, of the float32 column sums from the tile (I, J),
// and the result is C(p) + R(p). The column sums wait in a store of one (sum columns x kTileCols)
// float32 block per pair (I, J).
#pragma once

#include "cpu/cpu_isa.hpp"

#include <cstdint>

#include "cpu/cpu_row_groups.hpp"
#include "cpu/cpu_tiles.hpp"
#include "cpu/thread_pool.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

// Bytes of the column-sum store for n rows and `sum_cols` sums per row.
std::int64_t symmetric_store_bytes(std::int64_t n, std::int64_t sum_cols);

// For each position p of X's grouped rows (x: the X-side operand of X in grouped order, norms
// included), calls store(p, sums) with the float64 sums of k(x_p, .) over each group (groups.count
// values) and, when `squares`, the sum of k(x_p, .)^2 after them. Self-pairs are exactly 1.
void symmetric_grouped_sums(ThreadPool& pool, const detail::KernelConstants& kc, const TileOperand& x,
                            const RowGroups& groups, bool squares,
                            FunctionRef<void(std::int64_t position, const double* sums)> store);

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
