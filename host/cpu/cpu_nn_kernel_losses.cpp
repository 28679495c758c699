// The kernel-matrix losses' steps on the CPU (spec sections 3-4): precision conversion and the
// arc-cosine (ReLU NNGP) recursion on an m x m kernel matrix with its backward pass. Every entry
// is evaluated in float64 by the functions the CUDA kernels share (lwnet/detail/arc_cosine.hpp)
// and rounded once to T. Each task owns whole output rows and the backward's diagonal sums run
// over b in ascending order, so results do not depend on the thread count.
#include <algorithm>
#include <cstdint>

#include "cpu/cpu_nn_ops.hpp"
#include "lwnet/detail/arc_cosine.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

// Elements per task: enough work to be worth a thread, few enough to balance the pool.
constexpr std::int64_t kElementsPerTask = 8192;
// Units of work (kWorkPerThread's multiply-adds) of one arc-cosine entry: an acos and two square
// roots.
constexpr std::int64_t kArcCosineWork = 40;

std::int64_t rows_per_task(std::int64_t cols) { return std::max<std::int64_t>(1, kElementsPerTask / cols); }

}  // namespace

template <class Src, class Dst>
void convert_host(ThreadPool& pool, MatrixView<const Src> src, MatrixView<Dst> dst) {
  parallel_for(pool, src.rows(), rows_per_task(src.cols()), src.cols(), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const Src* s = src.data() + i * src.ld();
      Dst* d = dst.data() + i * dst.ld();
      for (std::int64_t j = 0; j < src.cols(); ++j) d[j] = static_cast<Dst>(s[j]);
    }
  });
}

template <class T>
void arc_cosine_step_host(ThreadPool& pool, MatrixView<const T> K, double sw2, double sb2, MatrixView<T> out) {
  const std::int64_t m = K.rows();
  const double c = sw2 / (2.0 * detail::kArcCosinePi);
  const double half = 0.5 * sw2;
  parallel_for(pool, m, rows_per_task(m), m * kArcCosineWork, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t a = begin; a < end; ++a) {
      const T* k_row = K.data() + a * K.ld();
      T* o = out.data() + a * out.ld();
      const double k_aa = static_cast<double>(k_row[a]);
      for (std::int64_t b = 0; b < m; ++b) {
        const double k_bb = static_cast<double>(K(b, b));
        o[b] = static_cast<T>(b == a ? sb2 + half * k_aa
                                     : detail::arc_cosine_entry(static_cast<double>(k_row[b]), k_aa, k_bb, c, sb2));
      }
    }
  });
}

template <class T>
void arc_cosine_step_backward_host(ThreadPool& pool, MatrixView<const T> K, MatrixView<const T> G, double sw2,
                                   MatrixView<T> dK) {
  const std::int64_t m = K.rows();
  const double c = sw2 / (2.0 * detail::kArcCosinePi);
  const double half = 0.5 * sw2;
  parallel_for(pool, m, rows_per_task(m), 3 * m * kArcCosineWork, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t a = begin; a < end; ++a) {
      const T* k_row = K.data() + a * K.ld();
      const T* g_row = G.data() + a * G.ld();
      T* d = dK.data() + a * dK.ld();
      const double k_aa = static_cast<double>(k_row[a]);
      double diagonal = 0.0;  // sum over b != a of G_ab share_ab + G_ba share_ba, b ascending
      for (std::int64_t b = 0; b < m; ++b) {
        if (b == a) continue;
        const double k_bb = static_cast<double>(K(b, b));
        const double k_ab = static_cast<double>(k_row[b]);
        const double g_ab = static_cast<double>(g_row[b]);
        d[b] = static_cast<T>(g_ab * c * detail::arc_cosine_angle_weight(k_ab, k_aa, k_bb));
        const double from_row = g_ab * detail::arc_cosine_diagonal_share(k_ab, k_aa, k_bb);
        const double from_column =
            static_cast<double>(G(b, a)) * detail::arc_cosine_diagonal_share(static_cast<double>(K(b, a)), k_aa, k_bb);
        diagonal += from_row + from_column;
      }
      d[a] = static_cast<T>(static_cast<double>(g_row[a]) * half + c * diagonal);
    }
  });
}

template void convert_host(ThreadPool&, MatrixView<const float>, MatrixView<double>);
template void convert_host(ThreadPool&, MatrixView<const double>, MatrixView<float>);
template void arc_cosine_step_host(ThreadPool&, MatrixView<const float>, double, double, MatrixView<float>);
template void arc_cosine_step_host(ThreadPool&, MatrixView<const double>, double, double, MatrixView<double>);
template void arc_cosine_step_backward_host(ThreadPool&, MatrixView<const float>, MatrixView<const float>, double,
                                            MatrixView<float>);
template void arc_cosine_step_backward_host(ThreadPool&, MatrixView<const double>, MatrixView<const double>, double,
                                            MatrixView<double>);

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
