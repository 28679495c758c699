#include "cpu/cpu_symmetric_sums.hpp"

#include <algorithm>
#include <vector>

#include "cpu/simd.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

// Columns whose float32 sums stay in registers while the rows of a run stream past.
constexpr int kChunkVectors = 8;
constexpr std::int64_t kChunkCols = kChunkVectors * simd::kLanes;
static_assert(kTileCols % kChunkCols == 0, "whole chunks in a tile");

// The column sums of the tile pair (I, J), I < J: (sum_cols, kTileCols) floats each.
class PairStore {
 public:
  PairStore(std::int64_t blocks, std::int64_t sum_cols)
      : block_size_(sum_cols * kTileCols),
        data_(static_cast<std::size_t>(blocks * (blocks - 1) / 2 * block_size_)) {}
  float* at(std::int64_t I, std::int64_t J) { return data_.data() + (J * (J - 1) / 2 + I) * block_size_; }

 private:
  std::int64_t block_size_;
  std::vector<float> data_;
};

// acc[g * kTileCols + b] += k[a][b] over the slab's rows a of group g (positions pos0 + a), in
// row order; with squares, acc[squares_col * kTileCols + b] += k[a][b]^2. cols: a multiple of
// kChunkCols, k zero beyond the tile's columns.
void add_column_sums(const float* k, std::int64_t tm, std::int64_t cols, std::int64_t pos0, const RowGroups& groups,
                     bool squares, float* acc) {
  const std::int64_t* group_at = groups.group_at.data() + pos0;
  for (std::int64_t c0 = 0; c0 < cols; c0 += kChunkCols) {
    for (std::int64_t a = 0; a < tm;) {
      const std::int64_t g = group_at[a];
      std::int64_t end = a;
      while (end < tm && group_at[end] == g) ++end;
      float* sum = acc + g * kTileCols + c0;
      simd::Vec s[kChunkVectors];
      for (int v = 0; v < kChunkVectors; ++v) s[v] = simd::load(sum + v * simd::kLanes);
      for (; a < end; ++a) {
        const float* row = k + a * kTileCols + c0;
        for (int v = 0; v < kChunkVectors; ++v) s[v] = s[v] + simd::load(row + v * simd::kLanes);
      }
      for (int v = 0; v < kChunkVectors; ++v) simd::store(sum + v * simd::kLanes, s[v]);
    }
    if (!squares) continue;
    float* sum = acc + groups.count * kTileCols + c0;
    simd::Vec s[kChunkVectors];
    for (int v = 0; v < kChunkVectors; ++v) s[v] = simd::load(sum + v * simd::kLanes);
    for (std::int64_t a = 0; a < tm; ++a) {
      const float* row = k + a * kTileCols + c0;
      for (int v = 0; v < kChunkVectors; ++v) {
        const simd::Vec kv = simd::load(row + v * simd::kLanes);
        s[v] = simd::fma(kv, kv, s[v]);
      }
    }
    for (int v = 0; v < kChunkVectors; ++v) simd::store(sum + v * simd::kLanes, s[v]);
  }
}

}  // namespace

std::int64_t symmetric_store_bytes(std::int64_t n, std::int64_t sum_cols) {
  const std::int64_t blocks = ceil_div(n, kTileCols);
  return blocks * (blocks - 1) / 2 * sum_cols * kTileCols * static_cast<std::int64_t>(sizeof(float));
}

void symmetric_grouped_sums(ThreadPool& pool, const detail::KernelConstants& kc, const TileOperand& x,
                            const RowGroups& groups, bool squares,
                            FunctionRef<void(std::int64_t position, const double* sums)> store) {
  const std::int64_t n = x.rows.rows();
  const std::int64_t G = groups.count;
  const std::int64_t cols = G + (squares ? 1 : 0);
  const std::int64_t blocks = ceil_div(n, kTileCols);
  PairStore pairs(blocks, cols);
  std::vector<double> row_sums(static_cast<std::size_t>(n * cols), 0.0);  // R(p)

  // Task I: block I's rows against blocks J >= I. The first tasks are the longest; claimed in
  // order, they keep the threads evenly loaded.
  const std::int64_t work = n * n / 2 * (x.rows.cols() + 20);
  const int threads = pool.threads_for(work, blocks);
  std::vector<std::vector<float>> tiles(static_cast<std::size_t>(threads),
                                        std::vector<float>(static_cast<std::size_t>(kTileRows * kTileCols)));
  pool.run(blocks, threads, [&](std::int64_t I, int worker) {
    float* k = tiles[static_cast<std::size_t>(worker)].data();
    const std::int64_t p0 = I * kTileCols;
    const std::int64_t block_rows = std::min(kTileCols, n - p0);
    double* R = row_sums.data() + p0 * cols;
    for (std::int64_t J = I; J < blocks; ++J) {
      const std::int64_t x0 = J * kTileCols;
      const std::int64_t tn = std::min(kTileCols, n - x0);
      const std::int64_t tn_chunks = simd::round_up(tn, kChunkCols);
      float* column_sums = J > I ? pairs.at(I, J) : nullptr;
      if (column_sums != nullptr) std::fill(column_sums, column_sums + cols * kTileCols, 0.0f);
      const SelfPairs self = J == I ? SelfPairs::at_offset(0) : SelfPairs::none();
      for (std::int64_t a0 = 0; a0 < block_rows; a0 += kTileRows) {
        const std::int64_t tm = std::min(kTileRows, block_rows - a0);
        compute_tile(kc, x, p0 + a0, tm, x, x0, tn, self, k, kTileCols);
        // Columns past the tile's end add zeros (and an infinite value cannot turn into NaN).
        for (std::int64_t a = 0; a < tm; ++a) std::fill(k + a * kTileCols + tn, k + a * kTileCols + tn_chunks, 0.0f);
        if (squares) add_square_sums(k, tm, tn_chunks, G, cols, R + a0 * cols);
        add_run_sums(k, tm, groups.tile_runs[static_cast<std::size_t>(J)], cols, R + a0 * cols);
        if (column_sums != nullptr) add_column_sums(k, tm, tn_chunks, p0 + a0, groups, squares, column_sums);
      }
    }
  });

  // C(p) for block J's rows: the pairs (I, J), I ascending, added column by column.
  parallel_for(pool, blocks, 1, blocks * cols * kTileCols, [&](std::int64_t begin, std::int64_t end) {
    std::vector<double> c_sums(static_cast<std::size_t>(cols * kTileCols));
    std::vector<double> sums(static_cast<std::size_t>(cols));
    for (std::int64_t J = begin; J < end; ++J) {
      std::fill(c_sums.begin(), c_sums.end(), 0.0);
      for (std::int64_t I = 0; I < J; ++I) {
        const float* pair = pairs.at(I, J);
        for (std::int64_t e = 0; e < cols * kTileCols; ++e) c_sums[static_cast<std::size_t>(e)] += pair[e];
      }
      const std::int64_t p0 = J * kTileCols;
      for (std::int64_t b = 0; b < std::min(kTileCols, n - p0); ++b) {
        for (std::int64_t g = 0; g < cols; ++g)
          sums[static_cast<std::size_t>(g)] = c_sums[static_cast<std::size_t>(g * kTileCols + b)] +
                                              row_sums[static_cast<std::size_t>((p0 + b) * cols + g)];
        store(p0 + b, sums.data());
      }
    }
  });
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
