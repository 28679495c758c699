// GEMM on the calling thread by a register-blocked kernel: it reads A and B in place (or a copied
// slab of B when it is stored transposed) and writes C once per block of k (for a conv net's
// products 1.3-1.4x faster than Eigen's kernels, which pack both operands: issue 11).
//
// Every element of C is summed in one order whatever the CPU: acc = fma(a, b, acc) over k in blocks
// of kKBlock (one rounding per step, simd::fma_lanes), each block's alpha * acc then added to C.
// The vector width, the micro tile's shape and the build's instruction set (cpu_isa.hpp) decide
// which elements share a register, never how an element is summed; the columns past the last
// whole vector go through the same micro tile on a zero-padded copy. So the product is the same
// bits on every x86-64 CPU (tests/cpu/test_cpu_levels.cpp compares the levels).
// Measured speed in a whole training epoch: docs/PERFORMANCE.md, "Trained networks (backprop)".
#include "cpu/cpu_gemm.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/simd.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

// One register: its width and how many of them a micro tile's row spans depend on the build's ISA
// (AVX-512 has 32 vector registers, AVX and SSE 16).
#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
constexpr int kMaxTileVectors = 4;  // 6 x 4 accumulators + 4 loads of B + a broadcast: 29 of 32
#elif defined(__AVX__)
constexpr int kVectorBytes = 32;
constexpr int kMaxTileVectors = 2;  // 6 x 2 + 2 + 1: 15 of 16
#else
constexpr int kVectorBytes = 16;
constexpr int kMaxTileVectors = 2;
#endif

template <class T>
constexpr int kLanes = kVectorBytes / sizeof(T);
template <class T>
struct VecOf;
template <>
struct VecOf<float> {
  using type = float __attribute__((vector_size(kVectorBytes)));
};
template <>
struct VecOf<double> {
  using type = double __attribute__((vector_size(kVectorBytes)));
};
template <class T>
using Vec = typename VecOf<T>::type;

template <class T>
Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);  // unaligned load
  return v;
}

template <class T>
void store(T* p, Vec<T> v) {
  std::memcpy(p, &v, sizeof v);
}

template <class T>
Vec<T> splat_of(T x) {
  return Vec<T>{} + x;
}

// A micro tile is kTileRows x (NV <= kMaxTileVectors vectors) of C, its sums held in registers
// over a block of k.
constexpr int kTileRows = 6;
// k per pass over C: a kKBlock-row slab of B (64 KiB in float with AVX-512) stays in L2 while
// every row tile of the task streams past it; A is read once per column panel.
constexpr std::int64_t kKBlock = 256;

// op(A) element (i, k) at a[i * row_step + k * k_step]: A itself, or A transposed, read in place.
template <class T>
struct StridedOperand {
  const T* a;
  std::int64_t row_step;
  std::int64_t k_step;
};

// How a k block's sums reach C: the first block scales what C held by beta (beta == 0: C's
// content is ignored, NaN included), later blocks add to it.
enum class Update { overwrite, scale_and_add, add };

template <class T, int Rows, int NV>
void micro_tile(const StridedOperand<T>& A, const T* B, std::int64_t ldb, std::int64_t kc, T alpha, T beta,
                Update update, T* C, std::int64_t ldc) {
  Vec<T> acc[Rows][NV] = {};
  const T* a = A.a;
  const T* b = B;
  for (std::int64_t k = 0; k < kc; ++k, a += A.k_step, b += ldb) {
    Vec<T> bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = load(b + v * kLanes<T>);
#pragma GCC unroll 6
    for (int r = 0; r < Rows; ++r) {
      const T ar = a[r * A.row_step];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = simd::fma_lanes(splat_of<T>(ar), bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      T* c = C + r * ldc + v * kLanes<T>;
      const Vec<T> sum = alpha * acc[r][v];
      if (update == Update::overwrite)
        store(c, sum);
      else if (update == Update::scale_and_add)
        store(c, beta * load(c) + sum);
      else
        store(c, load(c) + sum);
    }
  }
}

// Rows [0, m) of one column panel of NV vectors over kc values of k (A and B start at the first),
// in tiles of kTileRows and a narrower last one.
template <class T, int NV>
void panel(std::int64_t m, const StridedOperand<T>& A, const T* B, std::int64_t ldb, std::int64_t kc, T alpha,
           T beta, Update update, T* C, std::int64_t ldc) {
  std::int64_t i = 0;
  auto at = [&](std::int64_t row) { return StridedOperand<T>{A.a + row * A.row_step, A.row_step, A.k_step}; };
  for (; i + kTileRows <= m; i += kTileRows)
    micro_tile<T, kTileRows, NV>(at(i), B, ldb, kc, alpha, beta, update, C + i * ldc, ldc);
  switch (m - i) {
    case 1: micro_tile<T, 1, NV>(at(i), B, ldb, kc, alpha, beta, update, C + i * ldc, ldc); break;
    case 2: micro_tile<T, 2, NV>(at(i), B, ldb, kc, alpha, beta, update, C + i * ldc, ldc); break;
    case 3: micro_tile<T, 3, NV>(at(i), B, ldb, kc, alpha, beta, update, C + i * ldc, ldc); break;
    case 4: micro_tile<T, 4, NV>(at(i), B, ldb, kc, alpha, beta, update, C + i * ldc, ldc); break;
    case 5: micro_tile<T, 5, NV>(at(i), B, ldb, kc, alpha, beta, update, C + i * ldc, ldc); break;
    default: break;
  }
}

// op(B) columns [j, j + width) of rows [k0, k0 + kc), copied row-major into slab (ld = width) when
// B is stored transposed, so that the micro tiles load whole vectors of a row.
template <class T>
void pack_transposed(const T* B, std::int64_t ldb, std::int64_t k0, std::int64_t kc, std::int64_t j,
                     std::int64_t width, T* slab) {
  for (std::int64_t jj = 0; jj < width; ++jj) {
    const T* column = B + (j + jj) * ldb + k0;  // op(B)(k0.., j + jj) is row j + jj of B
    for (std::int64_t kk = 0; kk < kc; ++kk) slab[kk * width + jj] = column[kk];
  }
}

// Columns [j, j + width) of C, width < kLanes<T>, for rows [0, m): the micro tile runs on a copy of
// those columns of op(B) zero-padded to one vector (slab, ld kLanes) and on a padded copy of each row
// tile of C, so each element is summed as in the whole vectors.
template <class T>
void tail_panel(std::int64_t m, const StridedOperand<T>& A, const T* slab, std::int64_t kc, T alpha, T beta,
                Update update, T* C, std::int64_t ldc, std::int64_t width) {
  T tile[kTileRows * kLanes<T>] = {};
  for (std::int64_t i = 0; i < m; i += kTileRows) {
    const std::int64_t rows = std::min<std::int64_t>(kTileRows, m - i);
    for (std::int64_t r = 0; r < rows; ++r) std::copy(C + (i + r) * ldc, C + (i + r) * ldc + width, tile + r * kLanes<T>);
    panel<T, 1>(rows, StridedOperand<T>{A.a + i * A.row_step, A.row_step, A.k_step}, slab, kLanes<T>, kc, alpha, beta,
                update, tile, kLanes<T>);
    for (std::int64_t r = 0; r < rows; ++r) std::copy(tile + r * kLanes<T>, tile + r * kLanes<T> + width, C + (i + r) * ldc);
  }
}

// op(B) rows [k0, k0 + kc), columns [j, j + width) copied into slab (ld kLanes, zero beyond width).
template <class T>
void pack_tail(bool tb, const T* B, std::int64_t ldb, std::int64_t k0, std::int64_t kc, std::int64_t j,
               std::int64_t width, T* slab) {
  std::fill(slab, slab + kc * kLanes<T>, T(0));
  for (std::int64_t kk = 0; kk < kc; ++kk)
    for (std::int64_t jj = 0; jj < width; ++jj)
      slab[kk * kLanes<T> + jj] = tb ? B[(j + jj) * ldb + k0 + kk] : B[(k0 + kk) * ldb + j + jj];
}

// C = alpha op(A) op(B) + beta C, k > 0.
template <class T>
void blocked_gemm(bool tb, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const StridedOperand<T>& A,
                  const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  constexpr std::int64_t panel_cols = kMaxTileVectors * kLanes<T>;
  const std::int64_t vector_cols = n / kLanes<T> * kLanes<T>;
  thread_local std::vector<T> slab;
  slab.resize(static_cast<std::size_t>(kKBlock * panel_cols));
  for (std::int64_t k0 = 0; k0 < k; k0 += kKBlock) {
    const std::int64_t kc = std::min(k - k0, kKBlock);
    const Update update = k0 > 0 ? Update::add : beta == T(0) ? Update::overwrite : Update::scale_and_add;
    const StridedOperand<T> a{A.a + k0 * A.k_step, A.row_step, A.k_step};
    for (std::int64_t j = 0; j < vector_cols; j += panel_cols) {
      const std::int64_t width = std::min(vector_cols - j, panel_cols);
      const T* b = B + k0 * ldb + j;
      std::int64_t ld = ldb;
      if (tb) {
        pack_transposed(B, ldb, k0, kc, j, width, slab.data());
        b = slab.data();
        ld = width;
      }
      T* c = C + j;
      switch (width / kLanes<T>) {
        case 1: panel<T, 1>(m, a, b, ld, kc, alpha, beta, update, c, ldc); break;
        case 2: panel<T, 2>(m, a, b, ld, kc, alpha, beta, update, c, ldc); break;
        case 3: panel<T, 3>(m, a, b, ld, kc, alpha, beta, update, c, ldc); break;  // AVX-512 only
        default: panel<T, kMaxTileVectors>(m, a, b, ld, kc, alpha, beta, update, c, ldc); break;
      }
    }
    if (vector_cols < n) {
      pack_tail(tb, B, ldb, k0, kc, vector_cols, n - vector_cols, slab.data());
      tail_panel(m, a, slab.data(), kc, alpha, beta, update, C + vector_cols, ldc, n - vector_cols);
    }
  }
}

template <class T>
void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* A, std::int64_t lda,
          const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  if (k == 0) {  // C = beta C (beta == 0: zeros, whatever C held)
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
    return;
  }
  const StridedOperand<T> a = ta ? StridedOperand<T>{A, 1, lda} : StridedOperand<T>{A, lda, 1};
  blocked_gemm(tb, m, n, k, alpha, a, B, ldb, beta, C, ldc);
}

}  // namespace

void row_major_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                    const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
                    std::int64_t ldc) {
  gemm(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void row_major_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
                    const double* A, std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C,
                    std::int64_t ldc) {
  gemm(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
