// The CPU NnOps: plain loops over contiguous row segments (the compiler vectorises the inner
// loops), spread over the backend's pool.
//
// Results do not depend on the thread count: elementwise work writes each output once; reductions
// over rows (column sums, batch-norm statistics, loss sums) add fixed, shape-determined blocks of
// rows in order and combine the block partials in block order. Those reductions accumulate in
// float64 for float inputs too: a batch-norm variance or a loss summed over 10^5 terms in float32
// would lose several digits, and float64 costs little in a memory-bound pass.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/validate.hpp"
#include "cpu/cpu_families.hpp"
#include "cpu/cpu_nn_ops.hpp"
#include "cpu/cpu_tiles.hpp"
#include "lwnet/detail/counter_random.hpp"

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

// Elements per elementwise task: long rows are cut into segments of this size, short rows grouped.
constexpr std::int64_t kSegment = 8192;
// A column reduction's block: kReduceRows rows by kReduceCols columns per task (a 2 KiB float64
// accumulator row stays in L1). The row blocks fix the summation order.
constexpr std::int64_t kReduceRows = 1024;
constexpr std::int64_t kReduceCols = 256;
constexpr int kMaxReduceTerms = 2;
// Rows per partial sum of a loss or a count.
constexpr std::int64_t kLossRows = 256;

// Calls body(i, j0, j1) for every row i and every segment [j0, j1) of its columns, in tasks of
// about kSegment elements. work_per_element: the cost of one element in kWorkPerThread's units.
template <class Body>
void for_each_segment(ThreadPool& pool, std::int64_t rows, std::int64_t cols, std::int64_t work_per_element,
                      Body&& body) {
  if (cols >= kSegment) {
    const std::int64_t per_row = ceil_div(cols, kSegment);
    parallel_for(pool, rows * per_row, 1, kSegment * work_per_element, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t t = begin; t < end; ++t) {
        const std::int64_t j0 = (t % per_row) * kSegment;
        body(t / per_row, j0, std::min(cols, j0 + kSegment));
      }
    });
  } else {
    const std::int64_t rows_per_task = std::max<std::int64_t>(1, kSegment / cols);
    parallel_for(pool, rows, rows_per_task, cols * work_per_element, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) body(i, std::int64_t{0}, cols);
    });
  }
}

// sums[t * cols + j] = the float64 sum over rows of term t of column j, for `terms` terms.
// accumulate(i0, i1, j0, j1, acc) adds rows [i0, i1) in order into acc[t * (j1 - j0) + (j - j0)].
template <class Accumulate>
std::vector<double> reduce_columns(ThreadPool& pool, std::int64_t rows, std::int64_t cols, int terms,
                                   std::int64_t work_per_element, Accumulate&& accumulate) {
  const std::int64_t row_blocks = ceil_div(rows, kReduceRows);
  const std::int64_t col_blocks = ceil_div(cols, kReduceCols);
  const std::int64_t tasks = row_blocks * col_blocks;
  std::vector<double> partial(static_cast<std::size_t>(row_blocks * terms * cols));
  pool.run(tasks, pool.threads_for(rows * cols * work_per_element, tasks), [&](std::int64_t task, int) {
    const std::int64_t rb = task / col_blocks;
    const std::int64_t j0 = (task % col_blocks) * kReduceCols;
    const std::int64_t j1 = std::min(cols, j0 + kReduceCols);
    const std::int64_t width = j1 - j0;
    std::array<double, kMaxReduceTerms * kReduceCols> acc{};
    accumulate(rb * kReduceRows, std::min(rows, (rb + 1) * kReduceRows), j0, j1, acc.data());
    for (int t = 0; t < terms; ++t)
      std::copy_n(acc.data() + t * width, width, partial.data() + (rb * terms + t) * cols + j0);
  });
  if (row_blocks == 1) return partial;
  std::vector<double> sums(static_cast<std::size_t>(terms * cols), 0.0);
  for (std::int64_t rb = 0; rb < row_blocks; ++rb)
    for (std::int64_t k = 0; k < terms * cols; ++k)
      sums[static_cast<std::size_t>(k)] += partial[static_cast<std::size_t>(rb * terms * cols + k)];
  return sums;
}

// The float64 total of row_sum(i0, i1) over fixed blocks of kLossRows rows, added in block order.
template <class RowSum>
double reduce_rows(ThreadPool& pool, std::int64_t rows, std::int64_t work_per_row, RowSum&& row_sum) {
  std::vector<double> partial(static_cast<std::size_t>(ceil_div(rows, kLossRows)), 0.0);
  parallel_for(pool, rows, kLossRows, work_per_row, [&](std::int64_t begin, std::int64_t end) {
    partial[static_cast<std::size_t>(begin / kLossRows)] = row_sum(begin, end);
  });
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

// x[k] = sqrt(x[k]) for k in [0, n). lwnet builds with math errno on, and std::sqrt's errno branch
// keeps GCC from vectorising any loop that calls it; the AVX instruction is the same correctly
// rounded IEEE square root, so the result does not depend on which lanes take the vector path.
inline void sqrt_in_place(float* x, std::int64_t n) {
  std::int64_t k = 0;
#if defined(__AVX__)
  for (; k + 8 <= n; k += 8) _mm256_storeu_ps(x + k, _mm256_sqrt_ps(_mm256_loadu_ps(x + k)));
#endif
  for (; k < n; ++k) x[k] = std::sqrt(x[k]);
}

inline void sqrt_in_place(double* x, std::int64_t n) {
  std::int64_t k = 0;
#if defined(__AVX__)
  for (; k + 4 <= n; k += 4) _mm256_storeu_pd(x + k, _mm256_sqrt_pd(_mm256_loadu_pd(x + k)));
#endif
  for (; k < n; ++k) x[k] = std::sqrt(x[k]);
}

// The first column where row i is maximal (NaN entries never win over an earlier value).
template <class T>
std::int64_t first_max_column(const MatrixView<const T>& F, std::int64_t i) {
  const T* row = F.data() + i * F.ld();
  std::int64_t best = 0;
  for (std::int64_t j = 1; j < F.cols(); ++j)
    if (row[j] > row[best]) best = j;
  return best;
}

// Labels must name a column of F: checked before anything is written (no half-updated outputs).
void check_labels(const char* op, const MatrixView<const std::int32_t>& labels, std::int64_t classes) {
  for (std::int64_t i = 0; i < labels.rows(); ++i) {
    const std::int32_t label = labels(i, 0);
    if (label < 0 || label >= classes)
      detail::fail(op,
                   "label " + std::to_string(label) + " in row " + std::to_string(i) + " is outside [0, " +
                       std::to_string(classes) + ")",
                   {detail::named("labels", labels)});
  }
}

class CpuNnOps final : public NnOps {
 public:
  explicit CpuNnOps(ThreadPool& pool) : pool_(pool) {}

 protected:
  MemorySpace space() const override { return MemorySpace::host; }

#define LWNET_CPU_NN_FORWARD(T)                                                                                 \
  void fill_impl(MatrixView<T> A, T value) override { fill_values(A, value); }                                  \
  void add_row_vector_impl(MatrixView<T> Y, MatrixView<const T> row) override { add_row(Y, row); }              \
  void column_sums_impl(MatrixView<const T> A, T alpha, T beta, MatrixView<T> out) override {                   \
    sum_columns(A, alpha, beta, out);                                                                           \
  }                                                                                                             \
  void activation_forward_impl(Activation f, MatrixView<const T> X, MatrixView<T> Y) override {                 \
    activate(f, X, Y);                                                                                          \
  }                                                                                                             \
  void activation_backward_impl(Activation f, MatrixView<const T> Y, MatrixView<const T> dY, MatrixView<T> dX)  \
      override {                                                                                                \
    activate_backward(f, Y, dY, dX);                                                                            \
  }                                                                                                             \
  void batch_norm_forward_impl(MatrixView<const T> X, T epsilon, MatrixView<T> Y, MatrixView<T> mean,           \
                               MatrixView<T> inv_std) override {                                                \
    normalize(X, epsilon, Y, mean, inv_std);                                                                    \
  }                                                                                                             \
  void batch_norm_backward_impl(MatrixView<const T> Y, MatrixView<const T> inv_std, MatrixView<const T> dY,     \
                                MatrixView<T> dX) override {                                                    \
    normalize_backward(Y, inv_std, dY, dX);                                                                     \
  }                                                                                                             \
  void global_avg_pool_forward_impl(MatrixView<const T> X, std::int64_t channels, MatrixView<T> Y) override {   \
    pool_forward(X, channels, Y);                                                                               \
  }                                                                                                             \
  void global_avg_pool_backward_impl(MatrixView<const T> dY, std::int64_t channels, MatrixView<T> dX)           \
      override {                                                                                                \
    pool_backward(dY, channels, dX);                                                                            \
  }                                                                                                             \
  void mse_loss_impl(MatrixView<const T> F, MatrixView<const T> targets, MatrixView<T> dF,                      \
                     MatrixView<double> loss_sum) override {                                                    \
    mse(F, targets, dF, loss_sum);                                                                              \
  }                                                                                                             \
  void softmax_cross_entropy_impl(MatrixView<const T> F, MatrixView<const std::int32_t> labels,                 \
                                  MatrixView<T> dF, MatrixView<double> loss_sum) override {                     \
    cross_entropy(F, labels, dF, loss_sum);                                                                     \
  }                                                                                                             \
  void count_correct_impl(MatrixView<const T> F, MatrixView<const std::int32_t> labels,                         \
                          MatrixView<std::int64_t> correct) override {                                          \
    count_hits(F, labels, correct);                                                                             \
  }                                                                                                             \
  void argmax_rows_impl(MatrixView<const T> F, MatrixView<std::int32_t> predicted) override {                   \
    argmax(F, predicted);                                                                                       \
  }                                                                                                             \
  void sgd_update_impl(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> velocity, const SgdParams& p)     \
      override {                                                                                                \
    sgd(W, dW, velocity, p);                                                                                    \
  }                                                                                                             \
  void adam_update_impl(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> m, MatrixView<T> v,              \
                        const AdamParams& p, std::int64_t step) override {                                      \
    adam(W, dW, m, v, p, step);                                                                                 \
  }                                                                                                             \
  void im2col_3x3_impl(MatrixView<const T> X, const Conv3x3Shape& shape, MatrixView<T> cols) override {         \
    im2col_3x3_host(pool_, X, shape, cols);                                                                     \
  }                                                                                                             \
  void col2im_3x3_impl(MatrixView<const T> dcols, const Conv3x3Shape& shape, MatrixView<T> dX) override {       \
    col2im_3x3_host(pool_, dcols, shape, dX);                                                                   \
  }                                                                                                             \
  void fill_random_impl(MatrixView<T> A, const RandomDraw& draw) override { draw_random(A, draw); }             \
  void arc_cosine_step_impl(MatrixView<const T> K, double sw2, double sb2, MatrixView<T> out) override {        \
    arc_cosine_step_host(pool_, K, sw2, sb2, out);                                                              \
  }                                                                                                             \
  void arc_cosine_step_backward_impl(MatrixView<const T> K, MatrixView<const T> G, double sw2, MatrixView<T> dK) \
      override {                                                                                                \
    arc_cosine_step_backward_host(pool_, K, G, sw2, dK);                                                        \
  }
  LWNET_CPU_NN_FORWARD(float)
  LWNET_CPU_NN_FORWARD(double)
#undef LWNET_CPU_NN_FORWARD
  void convert_impl(MatrixView<const float> src, MatrixView<double> dst) override { convert_host(pool_, src, dst); }
  void convert_impl(MatrixView<const double> src, MatrixView<float> dst) override { convert_host(pool_, src, dst); }

 private:
  template <class T>
  void fill_values(MatrixView<T> A, T value) {
    for_each_segment(pool_, A.rows(), A.cols(), 1, [&](std::int64_t i, std::int64_t j0, std::int64_t j1) {
      std::fill(A.data() + i * A.ld() + j0, A.data() + i * A.ld() + j1, value);
    });
  }

  template <class T>
  void add_row(MatrixView<T> Y, MatrixView<const T> row) {
    const T* r = row.data();
    for_each_segment(pool_, Y.rows(), Y.cols(), 1, [&](std::int64_t i, std::int64_t j0, std::int64_t j1) {
      T* y = Y.data() + i * Y.ld();
      for (std::int64_t j = j0; j < j1; ++j) y[j] += r[j];
    });
  }

  template <class T>
  void sum_columns(MatrixView<const T> A, T alpha, T beta, MatrixView<T> out) {
    const auto sums = reduce_columns(
        pool_, A.rows(), A.cols(), 1, 1,
        [&](std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1, double* acc) {
          for (std::int64_t i = i0; i < i1; ++i) {
            const T* a = A.data() + i * A.ld() + j0;
            for (std::int64_t j = 0; j < j1 - j0; ++j) acc[j] += static_cast<double>(a[j]);
          }
        });
    T* o = out.data();
    for (std::int64_t j = 0; j < A.cols(); ++j) {
      const double scaled = static_cast<double>(alpha) * sums[static_cast<std::size_t>(j)];
      // beta == 0 must not read out: 0 * NaN would be NaN.
      o[j] = static_cast<T>(beta == T(0) ? scaled : scaled + static_cast<double>(beta) * static_cast<double>(o[j]));
    }
  }

  template <class T>
  void activate(Activation f, MatrixView<const T> X, MatrixView<T> Y) {
    const bool relu = f == Activation::relu;
    for_each_segment(pool_, X.rows(), X.cols(), relu ? 1 : 20, [&](std::int64_t i, std::int64_t j0, std::int64_t j1) {
      const T* x = X.data() + i * X.ld();
      T* y = Y.data() + i * Y.ld();
      if (relu) {
        for (std::int64_t j = j0; j < j1; ++j) y[j] = x[j] < T(0) ? T(0) : x[j];  // NaN passes through
      } else {
        for (std::int64_t j = j0; j < j1; ++j) y[j] = std::tanh(x[j]);
      }
    });
  }

  template <class T>
  void activate_backward(Activation f, MatrixView<const T> Y, MatrixView<const T> dY, MatrixView<T> dX) {
    const bool relu = f == Activation::relu;
    for_each_segment(pool_, Y.rows(), Y.cols(), 1, [&](std::int64_t i, std::int64_t j0, std::int64_t j1) {
      const T* y = Y.data() + i * Y.ld();
      const T* dy = dY.data() + i * dY.ld();
      T* dx = dX.data() + i * dX.ld();
      if (relu) {
        for (std::int64_t j = j0; j < j1; ++j) dx[j] = y[j] > T(0) ? dy[j] : T(0);
      } else {
        for (std::int64_t j = j0; j < j1; ++j) dx[j] = dy[j] * (T(1) - y[j] * y[j]);
      }
    });
  }

  // Two passes for the statistics (the mean, then the squared deviations from it: no
  // cancellation), one to normalise.
  template <class T>
  void normalize(MatrixView<const T> X, T epsilon, MatrixView<T> Y, MatrixView<T> mean, MatrixView<T> inv_std) {
    const std::int64_t F = X.cols();
    const double inv_n = 1.0 / static_cast<double>(X.rows());
    std::vector<double> mu = reduce_columns(
        pool_, X.rows(), F, 1, 1, [&](std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1, double* acc) {
          for (std::int64_t i = i0; i < i1; ++i) {
            const T* x = X.data() + i * X.ld() + j0;
            for (std::int64_t j = 0; j < j1 - j0; ++j) acc[j] += static_cast<double>(x[j]);
          }
        });
    for (double& m : mu) m *= inv_n;
    std::vector<double> inv = reduce_columns(
        pool_, X.rows(), F, 1, 2, [&](std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1, double* acc) {
          const double* m = mu.data() + j0;
          for (std::int64_t i = i0; i < i1; ++i) {
            const T* x = X.data() + i * X.ld() + j0;
            for (std::int64_t j = 0; j < j1 - j0; ++j) {
              const double d = static_cast<double>(x[j]) - m[j];
              acc[j] += d * d;
            }
          }
        });
    for (double& s : inv) s = 1.0 / std::sqrt(s * inv_n + static_cast<double>(epsilon));
    for (std::int64_t j = 0; j < F; ++j) {
      mean(0, j) = static_cast<T>(mu[static_cast<std::size_t>(j)]);
      inv_std(0, j) = static_cast<T>(inv[static_cast<std::size_t>(j)]);
    }
    for_each_segment(pool_, X.rows(), F, 2, [&](std::int64_t i, std::int64_t j0, std::int64_t j1) {
      const T* x = X.data() + i * X.ld();
      T* y = Y.data() + i * Y.ld();
      for (std::int64_t j = j0; j < j1; ++j)
        y[j] = static_cast<T>((static_cast<double>(x[j]) - mu[static_cast<std::size_t>(j)]) *
                              inv[static_cast<std::size_t>(j)]);
    });
  }

  // Both row means in one pass, then dX; dX may be dY (each element is read before it is written).
  template <class T>
  void normalize_backward(MatrixView<const T> Y, MatrixView<const T> inv_std, MatrixView<const T> dY,
                          MatrixView<T> dX) {
    const std::int64_t F = Y.cols();
    const double inv_n = 1.0 / static_cast<double>(Y.rows());
    std::vector<double> sums = reduce_columns(
        pool_, Y.rows(), F, 2, 2, [&](std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1, double* acc) {
          const std::int64_t w = j1 - j0;
          double* sum_dy = acc;
          double* sum_dy_y = acc + w;
          for (std::int64_t i = i0; i < i1; ++i) {
            const T* y = Y.data() + i * Y.ld() + j0;
            const T* dy = dY.data() + i * dY.ld() + j0;
            for (std::int64_t j = 0; j < w; ++j) {
              const double g = static_cast<double>(dy[j]);
              sum_dy[j] += g;
              sum_dy_y[j] += g * static_cast<double>(y[j]);
            }
          }
        });
    for (double& s : sums) s *= inv_n;
    const double* mean_dy = sums.data();
    const double* mean_dy_y = sums.data() + F;
    const T* is = inv_std.data();
    for_each_segment(pool_, Y.rows(), F, 3, [&](std::int64_t i, std::int64_t j0, std::int64_t j1) {
      const T* y = Y.data() + i * Y.ld();
      const T* dy = dY.data() + i * dY.ld();
      T* dx = dX.data() + i * dX.ld();
      for (std::int64_t j = j0; j < j1; ++j)
        dx[j] = static_cast<T>(static_cast<double>(is[j]) *
                               (static_cast<double>(dy[j]) - mean_dy[j] - static_cast<double>(y[j]) * mean_dy_y[j]));
    });
  }

  template <class T>
  void pool_forward(MatrixView<const T> X, std::int64_t channels, MatrixView<T> Y) {
    const std::int64_t pixels = X.cols() / channels;
    const double inv_p = 1.0 / static_cast<double>(pixels);
    parallel_for(pool_, X.rows(), std::max<std::int64_t>(1, kSegment / X.cols()), X.cols(),
                 [&](std::int64_t begin, std::int64_t end) {
                   std::vector<double> acc(static_cast<std::size_t>(channels));
                   for (std::int64_t i = begin; i < end; ++i) {
                     std::fill(acc.begin(), acc.end(), 0.0);
                     const T* x = X.data() + i * X.ld();
                     for (std::int64_t p = 0; p < pixels; ++p, x += channels)
                       for (std::int64_t c = 0; c < channels; ++c) acc[static_cast<std::size_t>(c)] += static_cast<double>(x[c]);
                     T* y = Y.data() + i * Y.ld();
                     for (std::int64_t c = 0; c < channels; ++c) y[c] = static_cast<T>(acc[static_cast<std::size_t>(c)] * inv_p);
                   }
                 });
  }

  template <class T>
  void pool_backward(MatrixView<const T> dY, std::int64_t channels, MatrixView<T> dX) {
    const std::int64_t pixels = dX.cols() / channels;
    const T p = static_cast<T>(pixels);
    parallel_for(pool_, dX.rows(), std::max<std::int64_t>(1, kSegment / dX.cols()), dX.cols(),
                 [&](std::int64_t begin, std::int64_t end) {
                   std::vector<T> share(static_cast<std::size_t>(channels));
                   for (std::int64_t i = begin; i < end; ++i) {
                     const T* dy = dY.data() + i * dY.ld();
                     for (std::int64_t c = 0; c < channels; ++c) share[static_cast<std::size_t>(c)] = dy[c] / p;
                     T* dx = dX.data() + i * dX.ld();
                     for (std::int64_t q = 0; q < pixels; ++q, dx += channels) std::copy_n(share.data(), channels, dx);
                   }
                 });
  }

  template <class T>
  void mse(MatrixView<const T> F, MatrixView<const T> targets, MatrixView<T> dF, MatrixView<double> loss_sum) {
    const std::int64_t C = F.cols();
    const double count = static_cast<double>(F.rows()) * static_cast<double>(C);
    const double scale = 2.0 / count;
    const double total = reduce_rows(pool_, F.rows(), 3 * C, [&](std::int64_t begin, std::int64_t end) {
      double s = 0.0;
      for (std::int64_t i = begin; i < end; ++i) {
        const T* f = F.data() + i * F.ld();
        const T* t = targets.data() + i * targets.ld();
        T* g = dF.data() + i * dF.ld();
        for (std::int64_t j = 0; j < C; ++j) {
          const double d = static_cast<double>(f[j]) - static_cast<double>(t[j]);
          s += d * d;
          g[j] = static_cast<T>(d * scale);
        }
      }
      return s;
    });
    loss_sum(0, 0) += total / count;
  }

  // Per row in float64: m = max F_i, s = sum exp(F_ij - m), loss = log s - (F_i,label - m),
  // dF_ij = (exp(F_ij - m) / s - [j == label]) / N. Subtracting the row max keeps exp <= 1.
  template <class T>
  void cross_entropy(MatrixView<const T> F, MatrixView<const std::int32_t> labels, MatrixView<T> dF,
                     MatrixView<double> loss_sum) {
    check_labels("softmax_cross_entropy", labels, F.cols());
    const std::int64_t C = F.cols();
    const double inv_n = 1.0 / static_cast<double>(F.rows());
    const double total = reduce_rows(pool_, F.rows(), 30 * C, [&](std::int64_t begin, std::int64_t end) {
      std::vector<double> e(static_cast<std::size_t>(C));
      double s_total = 0.0;
      for (std::int64_t i = begin; i < end; ++i) {
        const T* f = F.data() + i * F.ld();
        double m = static_cast<double>(f[0]);
        for (std::int64_t j = 1; j < C; ++j) m = std::max(m, static_cast<double>(f[j]));
        double s = 0.0;
        for (std::int64_t j = 0; j < C; ++j) {
          e[static_cast<std::size_t>(j)] = std::exp(static_cast<double>(f[j]) - m);
          s += e[static_cast<std::size_t>(j)];
        }
        const std::int64_t label = labels(i, 0);
        s_total += std::log(s) - (static_cast<double>(f[label]) - m);
        const double scale = inv_n / s;
        T* g = dF.data() + i * dF.ld();
        for (std::int64_t j = 0; j < C; ++j) g[j] = static_cast<T>(e[static_cast<std::size_t>(j)] * scale);
        g[label] = static_cast<T>(e[static_cast<std::size_t>(label)] * scale - inv_n);
      }
      return s_total;
    });
    loss_sum(0, 0) += total * inv_n;
  }

  template <class T>
  void count_hits(MatrixView<const T> F, MatrixView<const std::int32_t> labels, MatrixView<std::int64_t> correct) {
    check_labels("count_correct", labels, F.cols());
    const double hits = reduce_rows(pool_, F.rows(), F.cols(), [&](std::int64_t begin, std::int64_t end) {
      std::int64_t n = 0;
      for (std::int64_t i = begin; i < end; ++i) n += first_max_column(F, i) == labels(i, 0) ? 1 : 0;
      return static_cast<double>(n);  // exact: at most kLossRows per block, 2^53 in all
    });
    correct(0, 0) += static_cast<std::int64_t>(hits);
  }

  template <class T>
  void argmax(MatrixView<const T> F, MatrixView<std::int32_t> predicted) {
    parallel_for(pool_, F.rows(), kLossRows, F.cols(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) predicted(i, 0) = static_cast<std::int32_t>(first_max_column(F, i));
    });
  }

  // In T, as PyTorch's SGD does for float parameters.
  template <class T>
  void sgd(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> velocity, const SgdParams& p) {
    const T lr = static_cast<T>(p.learning_rate);
    const T wd = static_cast<T>(p.weight_decay);
    const T mu = static_cast<T>(p.momentum);
    const bool with_momentum = p.momentum != 0.0;
    for_each_segment(pool_, W.rows(), W.cols(), 3, [&](std::int64_t i, std::int64_t j0, std::int64_t j1) {
      T* w = W.data() + i * W.ld();
      const T* dw = dW.data() + i * dW.ld();
      if (with_momentum) {
        T* v = velocity.data() + i * velocity.ld();
        for (std::int64_t j = j0; j < j1; ++j) {
          v[j] = mu * v[j] + (dw[j] + wd * w[j]);
          w[j] -= lr * v[j];
        }
      } else {
        for (std::int64_t j = j0; j < j1; ++j) w[j] -= lr * (dw[j] + wd * w[j]);
      }
    });
  }

  // In T, as PyTorch's Adam: W -= (lr / c1) m / (sqrt(v) / sqrt(c2) + eps), c_k = 1 - beta_k^step.
  template <class T>
  void adam(MatrixView<T> W, MatrixView<const T> dW, MatrixView<T> m, MatrixView<T> v, const AdamParams& p,
            std::int64_t step) {
    const double c1 = 1.0 - std::pow(p.beta1, static_cast<double>(step));
    const double c2 = 1.0 - std::pow(p.beta2, static_cast<double>(step));
    const T step_size = static_cast<T>(p.learning_rate / c1);
    const T inv_sqrt_c2 = static_cast<T>(1.0 / std::sqrt(c2));
    const T b1 = static_cast<T>(p.beta1), one_minus_b1 = static_cast<T>(1.0 - p.beta1);
    const T b2 = static_cast<T>(p.beta2), one_minus_b2 = static_cast<T>(1.0 - p.beta2);
    const T eps = static_cast<T>(p.epsilon);
    const T wd = static_cast<T>(p.weight_decay);
    // The constants are captured by value: stores through the row pointers could alias a reference.
    for_each_segment(pool_, W.rows(), W.cols(), 8, [&, step_size, inv_sqrt_c2, b1, one_minus_b1, b2, one_minus_b2, eps,
                                                    wd](std::int64_t i, std::int64_t j0, std::int64_t j1) {
      T* w = W.data() + i * W.ld();
      const T* dw = dW.data() + i * dW.ld();
      T* mi = m.data() + i * m.ld();
      T* vi = v.data() + i * v.ld();
      // Three vectorisable passes over blocks that stay in L1: the moments, their square roots, W.
      constexpr std::int64_t kBlock = 256;
      T root[kBlock];
      for (std::int64_t b0 = j0; b0 < j1; b0 += kBlock) {
        const std::int64_t len = std::min(kBlock, j1 - b0);
        for (std::int64_t k = 0; k < len; ++k) {
          const std::int64_t j = b0 + k;
          const T g = dw[j] + wd * w[j];
          mi[j] = b1 * mi[j] + one_minus_b1 * g;
          vi[j] = b2 * vi[j] + one_minus_b2 * g * g;
          root[k] = vi[j];
        }
        sqrt_in_place(root, len);
        for (std::int64_t k = 0; k < len; ++k) w[b0 + k] -= step_size * mi[b0 + k] / (root[k] * inv_sqrt_c2 + eps);
      }
    });
  }

  // Element (i, j) is counter draw.offset + i * cols + j (wrapping mod 2^64 like the counter itself).
  template <class T>
  void draw_random(MatrixView<T> A, const RandomDraw& draw) {
    const std::uint64_t key = detail::mix64(draw.seed);
    const auto cols = static_cast<std::uint64_t>(A.cols());
    const std::int64_t work = draw.distribution == Distribution::normal ? 60 : 6;
    for_each_segment(pool_, A.rows(), A.cols(), work, [&](std::int64_t i, std::int64_t j0, std::int64_t j1) {
      T* a = A.data() + i * A.ld();
      const std::uint64_t row_start = draw.offset + static_cast<std::uint64_t>(i) * cols;
      for (std::int64_t j = j0; j < j1; ++j)
        a[j] = static_cast<T>(detail::counter_draw(draw.distribution, draw.a, draw.b, key,
                                                   row_start + static_cast<std::uint64_t>(j)));
    });
  }

  ThreadPool& pool_;
};

}  // namespace

std::unique_ptr<NnOps> make_cpu_nn_ops(ThreadPool& pool) { return std::make_unique<CpuNnOps>(pool); }

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
