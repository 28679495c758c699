// The kernel-matrix losses' steps on the GPU (spec sections 3-4): precision conversion and the
// arc-cosine (ReLU NNGP) recursion with its backward pass. Entries come from the float64 functions
// the CPU evaluates too (lwnet/detail/arc_cosine.hpp), rounded once to T. The forward and the
// conversion are elementwise; the backward runs one warp per row a: the lanes write the row's
// off-diagonal entries and add the diagonal's float64 sum over b in lane-strided partials and a
// fixed butterfly, so results depend on the shape alone (not on the grid), and differ from the
// CPU's b-ascending sum only by float64 rounding.
#include "common/host_device.cuh"
#include "lwnet/detail/arc_cosine.hpp"

#include "nn/nn_kernels.cuh"

namespace lwnet::cuda::nn {

namespace {

constexpr unsigned kFullMask = 0xffffffffu;

template <class Src, class Dst>
struct ConvertOp {
  const Src* src;
  std::int64_t ld_src;
  Dst* dst;
  std::int64_t ld_dst;
  // static_cast rounds to nearest (__double2float_rn) from double to float.
  __device__ void operator()(std::int64_t i, std::int64_t j) const {
    dst[i * ld_dst + j] = static_cast<Dst>(src[i * ld_src + j]);
  }
};

template <class T>
struct ArcCosineStepOp {
  const T* k;
  std::int64_t ldk;
  T* out;
  std::int64_t ld_out;
  double c;     // sw2 / (2 pi)
  double half;  // sw2 / 2
  double sb2;
  __device__ void operator()(std::int64_t a, std::int64_t b) const {
    const double k_aa = static_cast<double>(k[a * ldk + a]);
    const double k_bb = static_cast<double>(k[b * ldk + b]);
    out[a * ld_out + b] = static_cast<T>(
        a == b ? sb2 + half * k_aa : detail::arc_cosine_entry(static_cast<double>(k[a * ldk + b]), k_aa, k_bb, c, sb2));
  }
};

template <class T>
struct ArcCosineBackwardOp {
  const T* k;
  std::int64_t ldk;
  const T* g;
  std::int64_t ldg;
  T* dk;
  std::int64_t lddk;
  std::int64_t m;
  double c;
  double half;
  __device__ void operator()(std::int64_t a, int lane) const {
    const double k_aa = static_cast<double>(k[a * ldk + a]);
    double diagonal = 0.0;
    for (std::int64_t b = lane; b < m; b += kWarpSize) {
      if (b == a) continue;
      const double k_bb = static_cast<double>(k[b * ldk + b]);
      const double k_ab = static_cast<double>(k[a * ldk + b]);
      const double g_ab = static_cast<double>(g[a * ldg + b]);
      dk[a * lddk + b] = static_cast<T>(g_ab * c * detail::arc_cosine_angle_weight(k_ab, k_aa, k_bb));
      const double from_row = g_ab * detail::arc_cosine_diagonal_share(k_ab, k_aa, k_bb);
      const double from_column = static_cast<double>(g[b * ldg + a]) *
                                 detail::arc_cosine_diagonal_share(static_cast<double>(k[b * ldk + a]), k_aa, k_bb);
      diagonal += from_row + from_column;
    }
    for (int offset = kWarpSize / 2; offset > 0; offset /= 2) diagonal += __shfl_xor_sync(kFullMask, diagonal, offset);
    if (lane == 0) dk[a * lddk + a] = static_cast<T>(static_cast<double>(g[a * ldg + a]) * half + c * diagonal);
  }
};

}  // namespace

template <class Src, class Dst>
void launch_convert(const CudaContext& ctx, MatrixView<const Src> src, MatrixView<Dst> dst) {
  launch_for_each_element(ctx, "convert_kernel", src.rows(), src.cols(),
                          ConvertOp<Src, Dst>{src.data(), src.ld(), dst.data(), dst.ld()});
}

template <class T>
void launch_arc_cosine_step(const CudaContext& ctx, MatrixView<const T> K, double sw2, double sb2, MatrixView<T> out) {
  const ArcCosineStepOp<T> op{K.data(), K.ld(), out.data(), out.ld(), sw2 / (2.0 * detail::kArcCosinePi), 0.5 * sw2,
                              sb2};
  launch_for_each_element(ctx, "arc_cosine_step_kernel", K.rows(), K.cols(), op);
}

template <class T>
void launch_arc_cosine_step_backward(const CudaContext& ctx, MatrixView<const T> K, MatrixView<const T> G, double sw2,
                                     MatrixView<T> dK) {
  const ArcCosineBackwardOp<T> op{K.data(), K.ld(), G.data(), G.ld(), dK.data(), dK.ld(), K.rows(),
                                  sw2 / (2.0 * detail::kArcCosinePi), 0.5 * sw2};
  launch_for_each_row_warp(ctx, "arc_cosine_step_backward_kernel", K.rows(), op);
}

template void launch_convert<float, double>(const CudaContext&, MatrixView<const float>, MatrixView<double>);
template void launch_convert<double, float>(const CudaContext&, MatrixView<const double>, MatrixView<float>);

#define LWNET_INSTANTIATE_NN_KERNEL_LOSSES(T)                                                                    \
  template void launch_arc_cosine_step<T>(const CudaContext&, MatrixView<const T>, double, double, MatrixView<T>); \
  template void launch_arc_cosine_step_backward<T>(const CudaContext&, MatrixView<const T>, MatrixView<const T>,   \
                                                   double, MatrixView<T>);
LWNET_INSTANTIATE_NN_KERNEL_LOSSES(float)
LWNET_INSTANTIATE_NN_KERNEL_LOSSES(double)
#undef LWNET_INSTANTIATE_NN_KERNEL_LOSSES

}  // namespace lwnet::cuda::nn
