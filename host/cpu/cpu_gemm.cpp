// Eigen's blocked GEMM kernels (header-only, vectorised for the build's ISA) with its own
// threading off: lwnet's pool decides the split, so results do not depend on the thread count.
// Products whose n is a whole number of vector registers (every product of a conv net's training
// step: 64 output channels, 576 patch entries) take a register-blocked kernel instead: it reads A
// in place and B in place (or a copied slab of B when it is stored transposed), where Eigen packs
// both (for a row-major C the tall operand went into 4-column panels: 12% of a conv epoch), and
// it writes C without Eigen's zero fill before accumulating. It made those products 1.3-1.4x
// faster (CPU time per product, issue 11).
// Measured speed in a whole training epoch: docs/PERFORMANCE.md, "Trained networks (backprop)".
#define EIGEN_DONT_PARALLELIZE
#include "cpu/cpu_gemm.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <vector>

namespace lwnet::cpu {

namespace {

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ConstView = Eigen::Map<const RowMajor<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using View = Eigen::Map<RowMajor<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

// A stored matrix of `rows` x `cols` with leading dimension ld (any ld for a single row).
template <class T>
ConstView<T> stored(const T* data, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
  return ConstView<T>(data, rows, cols, Eigen::OuterStride<>(rows > 1 ? ld : cols));
}

template <class T, class OpA, class OpB>
void multiply(const OpA& a, const OpB& b, T alpha, T beta, View<T>& c) {
  if (beta == T(0)) {
    c.noalias() = alpha * (a * b);
  } else {
    if (beta != T(1)) c *= beta;
    c.noalias() += alpha * (a * b);
  }
}

// ---- the register-blocked kernel for row-major op(B) --------------------------------------------

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
      for (int v = 0; v < NV; ++v) acc[r][v] += ar * bv[v];
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

// C = alpha op(A) op(B) + beta C, n a multiple of kLanes<T>, k > 0.
template <class T>
void vector_columns_gemm(bool tb, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
                         const StridedOperand<T>& A, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  constexpr std::int64_t panel_cols = kMaxTileVectors * kLanes<T>;
  thread_local std::vector<T> slab;
  if (tb) slab.resize(static_cast<std::size_t>(kKBlock * panel_cols));
  for (std::int64_t k0 = 0; k0 < k; k0 += kKBlock) {
    const std::int64_t kc = std::min(k - k0, kKBlock);
    const Update update = k0 > 0 ? Update::add : beta == T(0) ? Update::overwrite : Update::scale_and_add;
    const StridedOperand<T> a{A.a + k0 * A.k_step, A.row_step, A.k_step};
    for (std::int64_t j = 0; j < n; j += panel_cols) {
      const std::int64_t width = std::min(n - j, panel_cols);
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
  }
}

// ---- dispatch ----------------------------------------------------------------------------------

template <class T>
void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* A, std::int64_t lda,
          const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  if (k > 0 && n % kLanes<T> == 0) {
    const StridedOperand<T> a = ta ? StridedOperand<T>{A, 1, lda} : StridedOperand<T>{A, lda, 1};
    vector_columns_gemm(tb, m, n, k, alpha, a, B, ldb, beta, C, ldc);
    return;
  }
  View<T> c(C, m, n, Eigen::OuterStride<>(m > 1 ? ldc : n));
  const ConstView<T> a = ta ? stored(A, k, m, lda) : stored(A, m, k, lda);
  const ConstView<T> b = tb ? stored(B, n, k, ldb) : stored(B, k, n, ldb);
  if (ta && tb)
    multiply(a.transpose(), b.transpose(), alpha, beta, c);
  else if (ta)
    multiply(a.transpose(), b, alpha, beta, c);
  else if (tb)
    multiply(a, b.transpose(), alpha, beta, c);
  else
    multiply(a, b, alpha, beta, c);
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

}  // namespace lwnet::cpu
