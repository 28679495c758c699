// CpuBlas: lwnet::Blas on lwnet's GEMM (cpu_gemm.hpp), spread over lwnet's pool. Every split is
// fixed by the shapes alone (each block one GEMM call of the same shape whichever thread runs it), so
// results are bitwise the same at any thread count.
//
// GEMM: C is cut into tiles of kGemmBlockRows rows. Training products have few rows (a batch of
// 100 times a 784 x 256 weight), which would give a single tile, so below kRowOnlySplitRows rows
// the tiles are also cut into kGemmBlockCols columns: a 100 x 256 output is two tasks.
#include <algorithm>
#include <cstdint>
#include <memory>

#include "cpu/blas_lapack.hpp"
#include "cpu/cpu_gemm.hpp"
#include "cpu/cpu_families.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

constexpr std::int64_t kGemmBlockRows = 256;
constexpr std::int64_t kGemmBlockCols = 128;
// From this many rows on there are at least 4 row tiles, enough to share out: rows only.
constexpr std::int64_t kRowOnlySplitRows = 4 * kGemmBlockRows;
// Rows per task of the element-wise loops (axpy, scal); any split gives the same result.
constexpr std::int64_t kElementwiseBlockRows = 64;

class CpuBlas final : public Blas {
 public:
  explicit CpuBlas(ThreadPool& pool) : pool_(pool) {}

 protected:
#define LWNET_CPU_BLAS_IMPL(T)                                                                                \
  void gemm_impl(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A, MatrixView<const T> B,   \
                 T beta, MatrixView<T> C) override {                                                           \
    gemm_tiles(trans_a == Transpose::yes, trans_b == Transpose::yes, alpha, A, B, beta, C);                   \
  }                                                                                                            \
  void gemm_strided_batched_impl(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> A,         \
                                 MatrixView<const T> B, T beta, MatrixView<T> C) override {                    \
    gemm_batched(trans_a == Transpose::yes, trans_b == Transpose::yes, alpha, A, B, beta, C);                 \
  }                                                                                                            \
  void axpy_impl(T alpha, MatrixView<const T> X, MatrixView<T> Y) override { axpy_rows(alpha, X, Y); }         \
  void scal_impl(T alpha, MatrixView<T> X) override { scal_rows(alpha, X); }
  LWNET_CPU_BLAS_IMPL(float)
  LWNET_CPU_BLAS_IMPL(double)
#undef LWNET_CPU_BLAS_IMPL

  MemorySpace space() const override { return MemorySpace::host; }

 private:
  template <class T>
  void gemm_tiles(bool ta, bool tb, T alpha, MatrixView<const T> A, MatrixView<const T> B, T beta,
                  MatrixView<T> C) {
    const std::int64_t m = C.rows();
    const std::int64_t n = C.cols();
    const std::int64_t k = ta ? A.rows() : A.cols();
    const std::int64_t lda = blas_ld(A);
    const std::int64_t ldb = blas_ld(B);
    const std::int64_t ldc = blas_ld(C);
    const std::int64_t tile_cols = m < kRowOnlySplitRows ? kGemmBlockCols : n;
    const std::int64_t row_tiles = (m + kGemmBlockRows - 1) / kGemmBlockRows;
    const std::int64_t col_tiles = (n + tile_cols - 1) / tile_cols;
    const std::int64_t tasks = row_tiles * col_tiles;
    pool_.run(tasks, pool_.threads_for(m * n * k, tasks), [&](std::int64_t task, int) {
      const std::int64_t r0 = task / col_tiles * kGemmBlockRows;
      const std::int64_t c0 = task % col_tiles * tile_cols;
      const std::int64_t rows = std::min(kGemmBlockRows, m - r0);
      const std::int64_t cols = std::min(tile_cols, n - c0);
      // Rows r0.. of op(A): rows of A, or its columns when transposed; columns c0.. of op(B):
      // columns of B, or its rows when transposed.
      const T* a = ta ? A.data() + r0 : A.data() + r0 * lda;
      const T* b = tb ? B.data() + c0 * ldb : B.data() + c0;
      row_major_gemm(ta, tb, rows, cols, k, alpha, a, lda, b, ldb, beta, C.data() + r0 * ldc + c0, ldc);
    });
  }

  // One serial GEMM per batch entry, the entries shared out. A and B have C's batch_count (the
  // front end turned a broadcast input into stride 0).
  template <class T>
  void gemm_batched(bool ta, bool tb, T alpha, const MatrixView<const T>& A, const MatrixView<const T>& B, T beta,
                    const MatrixView<T>& C) {
    const std::int64_t count = C.batch_count();
    const std::int64_t m = C.rows();
    const std::int64_t n = C.cols();
    const std::int64_t k = ta ? A.rows() : A.cols();
    const std::int64_t lda = blas_ld(A);
    const std::int64_t ldb = blas_ld(B);
    const std::int64_t ldc = blas_ld(C);
    pool_.run(count, pool_.threads_for(count * m * n * k, count), [&](std::int64_t b, int) {
      row_major_gemm(ta, tb, m, n, k, alpha, A.batch(b).data(), lda, B.batch(b).data(), ldb, beta, C.batch(b).data(),
                     ldc);
    });
  }

  template <class T>
  void axpy_rows(T alpha, MatrixView<const T> X, MatrixView<T> Y) {
    parallel_for(pool_, Y.rows(), kElementwiseBlockRows, Y.cols(), [&](std::int64_t r0, std::int64_t r1) {
      for (std::int64_t i = r0; i < r1; ++i) {
        const T* x = X.data() + i * X.ld();
        T* y = Y.data() + i * Y.ld();
        for (std::int64_t j = 0; j < Y.cols(); ++j) y[j] += alpha * x[j];
      }
    });
  }

  template <class T>
  void scal_rows(T alpha, MatrixView<T> X) {
    parallel_for(pool_, X.rows(), kElementwiseBlockRows, X.cols(), [&](std::int64_t r0, std::int64_t r1) {
      for (std::int64_t i = r0; i < r1; ++i) {
        T* x = X.data() + i * X.ld();
        for (std::int64_t j = 0; j < X.cols(); ++j) x[j] *= alpha;
      }
    });
  }

  ThreadPool& pool_;
};

}  // namespace

std::unique_ptr<Blas> make_cpu_blas(ThreadPool& pool) { return std::make_unique<CpuBlas>(pool); }

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
