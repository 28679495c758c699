// Column reductions in float64. Rows are cut into fixed chunks whose partial sums are added in
// chunk order, so results do not depend on the number of threads.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_tiles.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

constexpr std::int64_t kChunkRows = 2048;

// result[j] = sum_i term(i, j), term reading A (and B when given).
template <class T, class Term>
std::vector<double> reduce_columns(ThreadPool& pool, const MatrixView<const T>& A, Term term) {
  const std::int64_t rows = A.rows();
  const std::int64_t cols = A.cols();
  const std::int64_t chunks = ceil_div(rows, kChunkRows);
  std::vector<double> partial(static_cast<std::size_t>(chunks * cols), 0.0);
  parallel_for(pool, chunks, 1, kChunkRows * cols, [&](std::int64_t begin, std::int64_t end_chunk) {
    for (std::int64_t ch = begin; ch < end_chunk; ++ch) {
      double* p = partial.data() + ch * cols;
      const std::int64_t end = std::min(rows, (ch + 1) * kChunkRows);
      for (std::int64_t i = ch * kChunkRows; i < end; ++i)
        for (std::int64_t j = 0; j < cols; ++j) p[j] += term(i, j);
    }
  });
  std::vector<double> result(static_cast<std::size_t>(cols), 0.0);
  for (std::int64_t ch = 0; ch < chunks; ++ch)
    for (std::int64_t j = 0; j < cols; ++j) result[static_cast<std::size_t>(j)] += partial[static_cast<std::size_t>(ch * cols + j)];
  return result;
}

template <class T>
std::int64_t count_nonfinite_values(ThreadPool& pool, const MatrixView<const T>& A) {
  const std::int64_t chunks = ceil_div(A.rows(), kChunkRows);
  std::vector<std::int64_t> bad(static_cast<std::size_t>(chunks), 0);
  parallel_for(pool, A.rows(), kChunkRows, A.cols(), [&](std::int64_t begin, std::int64_t end) {
    std::int64_t count = 0;
    for (std::int64_t i = begin; i < end; ++i) {
      const T* row = A.data() + i * A.ld();
      for (std::int64_t j = 0; j < A.cols(); ++j) count += std::isfinite(row[j]) ? 0 : 1;
    }
    bad[static_cast<std::size_t>(begin / kChunkRows)] = count;
  });
  std::int64_t total = 0;
  for (std::int64_t count : bad) total += count;
  return total;
}

}  // namespace

std::vector<double> CpuBackend::column_sums_impl(MatrixView<const float> A) {
  return reduce_columns(pool(), A, [&](std::int64_t i, std::int64_t j) { return static_cast<double>(A(i, j)); });
}

std::vector<double> CpuBackend::column_sums_impl(MatrixView<const double> A) {
  return reduce_columns(pool(), A, [&](std::int64_t i, std::int64_t j) { return A(i, j); });
}

std::vector<double> CpuBackend::column_dots_impl(MatrixView<const float> A, MatrixView<const float> B) {
  return reduce_columns(pool(), A, [&](std::int64_t i, std::int64_t j) {
    return static_cast<double>(A(i, j)) * static_cast<double>(B(i, j));
  });
}

std::vector<double> CpuBackend::column_dots_impl(MatrixView<const double> A, MatrixView<const double> B) {
  return reduce_columns(pool(), A, [&](std::int64_t i, std::int64_t j) { return A(i, j) * B(i, j); });
}

std::int64_t CpuBackend::count_nonfinite_impl(MatrixView<const float> A) {
  return count_nonfinite_values(pool(), A);
}

std::int64_t CpuBackend::count_nonfinite_impl(MatrixView<const double> A) {
  return count_nonfinite_values(pool(), A);
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
